"""The platform's answers as pure functions of what it holds, the query, and the time."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from ..clock import CHINA, platform_date
from ..settings import SimulatorSettings
from ..sync.matching import differences
from ..sync.types import Outcome, Query, Result


@dataclass(frozen=True)
class Issued:
    """An invoice the platform knows, with the moment it becomes findable."""

    key: str
    fields: dict
    visible_at: dt.datetime
    state: str = "normal"  # normal | voided | red_flushed


def china_date(now: dt.datetime) -> dt.date:
    """The calendar date in China: what issue dates and the 5-year window are counted in, at every time scale."""
    return (now + CHINA).date()


def quota_day(now: dt.datetime, time_scale: float) -> dt.date:
    """The day an invoice's 5 look-ups are counted in: the China date, or a demo day at a demo time scale."""
    return platform_date(now, time_scale)


def province(query: Query) -> str | None:
    """Two-digit province from the code (10 digits: 1–2; 12 digits: 2–3) or the 数电 number (3–4)."""
    code, number = query.invoice_code or "", query.invoice_number
    if len(code) == 10:
        return code[:2]
    if len(code) == 12:
        return code[1:3]
    if len(number) == 20:
        return number[2:4]
    return None


def is_down(now: dt.datetime, config: SimulatorSettings) -> bool:
    return any(start <= now < end for start, end in config.outages)


def maintenance_until(now: dt.datetime, config: SimulatorSettings) -> dt.datetime | None:
    """The end of the announced maintenance window `now` lies in, if any."""
    return next((end for start, end in config.maintenance if start <= now < end), None)


def authorised(buyer_tax_id: str | None, config: SimulatorSettings) -> bool:
    """Whether the installation may see invoices made out to this taxpayer (everyone's, when none is set)."""
    return not config.taxpayers or (buyer_tax_id or "").upper() in {t.upper() for t in config.taxpayers}


def in_ledger(fields: dict, now: dt.datetime, config: SimulatorSettings) -> bool:
    """Whether the ledger feed carries this invoice: only what 查验 could answer for (its region served, inside
    the 5-year window); the feed never says "found" of an invoice a look-up would refuse."""
    query = Query(fields.get("invoice_code") or None, str(fields.get("invoice_number") or ""), None, None, None, None)
    if province(query) in config.unsupported_regions:
        return False
    try:
        issued_on = dt.date.fromisoformat(fields.get("issue_date") or "")
    except ValueError:
        return True
    return (china_date(now) - issued_on).days <= config.max_age_days


def verify(entry: Issued | None, query: Query, *, now: dt.datetime, lookups_today: int,
           config: SimulatorSettings) -> Result:
    """One 查验. `lookups_today` counts this invoice's earlier look-ups today (this one excluded)."""
    if lookups_today >= config.daily_quota:
        return Result(Outcome.QUOTA, remaining=0)
    remaining = config.daily_quota - lookups_today - 1
    if province(query) in config.unsupported_regions:
        return Result(Outcome.UNSUPPORTED, remaining=remaining)
    try:
        issued_on = dt.date.fromisoformat(query.issue_date) if query.issue_date else None
    except ValueError:
        issued_on = None
    today = china_date(now)
    if issued_on and (today - issued_on).days > config.max_age_days:
        return Result(Outcome.TOO_OLD, remaining=remaining)
    if entry is not None and not authorised(entry.fields.get("buyer_tax_id"), config):
        entry = None  # the platform shows a taxpayer its own invoices: another's is 查无此票
    if entry is None or entry.visible_at > now:
        same_day = issued_on == today
        return Result(Outcome.SAME_DAY if same_day else Outcome.NOT_FOUND, remaining=remaining)
    if entry.state == "voided":
        return Result(Outcome.VOIDED, entry.fields, remaining=remaining)
    if entry.state == "red_flushed":
        return Result(Outcome.RED_FLUSHED, entry.fields, remaining=remaining)
    diffs = _compared(query, entry.fields)
    if diffs:
        return Result(Outcome.INCONSISTENT, differences=diffs, remaining=remaining)
    return Result(Outcome.FOUND, entry.fields, remaining=remaining)


def _compared(query: Query, fields: dict) -> tuple[str, ...]:
    """The platform checks the date, one amount (金额, or 价税合计 for 数电) and the 校验码 tail."""
    digital = not query.invoice_code and len(query.invoice_number) == 20
    ours = {"issue_date": query.issue_date, "check_code": query.check_code,
            ("total" if digital else "amount"): query.total if digital else query.amount}
    return tuple(sorted({d.field for d in differences(ours, fields)}))


def sync_delay(rng: random.Random, config: SimulatorSettings, time_scale: float) -> dt.timedelta:
    """Issuance → findable: log-normal hours around the median; offline-issued ones a day or more later."""
    hours = config.delay_median_hours * math.exp(rng.gauss(0.0, config.delay_sigma))
    if rng.random() < config.offline_share:
        hours += config.offline_extra_hours * (1 + rng.random())
    return dt.timedelta(hours=hours * time_scale)
