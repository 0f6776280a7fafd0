"""Why an invoice is not found (yet): a ranked list of causes, each with evidence and a next step.

The rules are data: each is a small pure function of one `Context`, listed in RULES with its stable
key. A rule returns (score, params) when it applies; scores rank the causes (1.0 = certain). The UI
translates `diagnosis.<key>` (what) and `diagnosis.<key>.next` (what to do) with the params, and
offers the rule's action as a button.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from ..clock import iso
from .schedule import CHINA
from .types import Outcome, checkable_number


@dataclass(frozen=True)
class Context:
    now: dt.datetime
    status: str
    last_outcome: Outcome | None
    fields: dict  # name → current value
    family: str | None = None
    validation: tuple[dict, ...] = ()  # the reader's findings {key, severity, fields}
    doubtful: tuple[str, ...] = ()  # fields the reader flagged for review (QR disagreement, low confidence)
    expected_by: dt.datetime | None = None
    overdue_at: dt.datetime | None = None
    next_check_at: dt.datetime | None = None
    quota_used_today: int = 0
    daily_quota: int = 5
    next_allowed: dt.datetime | None = None  # when the quota lets us look again
    near: tuple[dict, ...] = ()  # NearMiss.as_dict(), best first
    differences: tuple[dict, ...] = ()  # Difference.as_dict() of an inconsistent answer
    entities: tuple[tuple[str, str], ...] = ()  # the team's buyer entities (name, tax id)
    connector: dict | None = None  # {ok, down_since, last_ok_at, last_error, failures}
    refused: frozenset[str] = frozenset()  # taxpayers whose ledger the platform refused us (no authorisation)
    online: bool = False  # outcomes are the platform's answers (not a ledger-only installation's stand-in)
    max_age_days: int = 5 * 365 + 1
    unsupported_families: tuple[str, ...] = ("taxi", "train")  # not on the VAT platform


@dataclass(frozen=True)
class Cause:
    key: str
    score: float
    params: dict = field(default_factory=dict)
    action: str | None = None  # accept_near_miss | edit_fields | check_now | add_entity | None

    def as_dict(self) -> dict:
        return {"key": self.key, "score": round(self.score, 3), "params": self.params, "action": self.action}


Hit = tuple[float, dict] | None
NOT_FOUND_YET = {None, Outcome.NOT_FOUND, Outcome.SAME_DAY, Outcome.QUOTA, Outcome.UNAVAILABLE}
# No answer about the invoice yet: a premise read from its fields still stands (an answer supersedes it).
UNANSWERED = {None, Outcome.QUOTA, Outcome.UNAVAILABLE}


def _missing_key(c: Context) -> Hit:
    return (1.0, {}) if not (c.fields.get("invoice_number") or "").strip() else None


def _number_unusable(c: Context) -> Hit:
    """A number is there, but not one the platform takes (what services/sync_facts.query_of asks for)."""
    number = (c.fields.get("invoice_number") or "").strip()
    return (1.0, {"number": number}) if number and checkable_number(number) is None else None


def _sync_window(c: Context) -> Hit:
    if c.last_outcome not in NOT_FOUND_YET or c.expected_by is None:
        return None
    if c.now < c.expected_by:
        return 0.9, {"expected_by": iso(c.expected_by), "next_check_at": iso(c.next_check_at)}
    if c.overdue_at and c.now < c.overdue_at:  # late, but offline-issued invoices sync a day or more late
        return 0.55, {"expected_by": iso(c.expected_by), "overdue_at": iso(c.overdue_at)}
    return None


def _near_miss(c: Context) -> Hit:
    if not c.near or c.last_outcome not in NOT_FOUND_YET:
        return None
    best = c.near[0]
    # A look-alike digit with date and amount agreeing (0.9) outranks "too new" (0.9): the authority
    # has an invoice that close, so a misreading is the likelier story. So does any slip when every other
    # field compared agrees (the bench: such a candidate was the typed invoice every time).
    score = 0.35 + 0.65 * best["score"]
    if best.get("differences") == [] and score >= 0.35 + 0.65 * 0.5:
        score = max(score, 0.91)
    return score, {"candidate": best, "others": len(c.near) - 1}


def _fields_differ(c: Context) -> Hit:
    if c.last_outcome != Outcome.INCONSISTENT:
        return None
    return 0.95, {"differences": list(c.differences), "fields": ", ".join(d["field"] for d in c.differences)}


def _voided(c: Context) -> Hit:
    return (1.0, {}) if c.last_outcome == Outcome.VOIDED else None


def _red_flushed(c: Context) -> Hit:
    return (1.0, {}) if c.last_outcome == Outcome.RED_FLUSHED else None


def _other_taxpayer(c: Context) -> Hit:
    """The buyer on the invoice is none of the team's: the platform shows it to that taxpayer, not to us. The
    reading says so from the start, so it outranks "too new" (0.9), which only time would tell."""
    buyer_id = (c.fields.get("buyer_tax_id") or "").upper()
    if not c.entities or not buyer_id or buyer_id in {t.upper() for _, t in c.entities}:
        return None
    if c.last_outcome not in NOT_FOUND_YET:
        return None
    return 0.92, {"buyer_name": c.fields.get("buyer_name") or "", "buyer_tax_id": buyer_id,
                  "entities": "、".join(n for n, _ in c.entities)}


def _no_permission(c: Context) -> Hit:
    """The buyer is one of the team's, but the platform refused us its ledger: the installation holds no
    authorisation for that taxpayer (unlike another taxpayer's invoice, the fix is on our side)."""
    buyer_id = (c.fields.get("buyer_tax_id") or "").upper()
    if not buyer_id or buyer_id not in c.refused or c.last_outcome not in NOT_FOUND_YET:
        return None
    if buyer_id not in {t.upper() for _, t in c.entities}:
        return None
    name = next((n for n, t in c.entities if t.upper() == buyer_id), "")
    return 0.97, {"buyer_name": name, "buyer_tax_id": buyer_id}


MAINTENANCE_ERROR = "connector.maintenance"


def _failing(c: Context) -> bool:
    return bool(c.connector) and c.last_outcome in NOT_FOUND_YET


def _announced(connector: dict) -> bool:
    """The authority is closed for an announced maintenance: its last answer said so, or the checks still wait for
    the end it announced (a timeout or an outage answered during it keeps that end: services/health.record)."""
    return bool(connector.get("resumes_at")) or (connector.get("last_error") == MAINTENANCE_ERROR
                                                 and bool(connector.get("failures")))


def _maintenance(c: Context) -> Hit:
    """An announced maintenance of the authority: it says so, so one refused call is enough to tell; and until
    when, so the checks wait for that end and the cause says when they resume ("—" when it named no end)."""
    if not _failing(c) or not _announced(c.connector):
        return None
    # Since when: the maintenance's own start, which a success during it (a call under way) does not clear as it
    # clears the authority's down_since; that, for a maintenance of no end kept; "—" when neither is known.
    since = c.connector.get("maintenance_since") or c.connector.get("down_since") or "—"
    return 0.906, {"since": since, "last_ok_at": c.connector.get("last_ok_at") or "—",
                   "until": c.connector.get("maintenance_until") or "—",
                   "resumes_at": c.connector.get("resumes_at") or "—"}


def _connector_down(c: Context) -> Hit:
    if not _failing(c) or c.connector.get("ok", True) or _announced(c.connector):
        return None
    # Above "too new" (0.9), a guess a look-up would settle, which none can now; below what the invoice's own
    # evidence says (another taxpayer 0.92, a near miss all else agreeing ≥ 0.91): no answer would change that.
    # "—" for what is not known (no answer yet since the app started), as the maintenance cause says it.
    return 0.905, {"since": c.connector.get("down_since") or "—", "last_ok_at": c.connector.get("last_ok_at") or "—",
                  "error": c.connector.get("last_error")}


def _quota(c: Context) -> Hit:
    if c.last_outcome != Outcome.QUOTA and c.quota_used_today < c.daily_quota:
        return None
    # Spent today: no look-up can tell more until the day turns, whatever "expected by" promised.
    score = 0.91 if c.quota_used_today >= c.daily_quota else 0.7
    return score, {"used": c.quota_used_today, "limit": c.daily_quota, "next_allowed": iso(c.next_allowed)}


def _too_old(c: Context) -> Hit:
    if c.last_outcome == Outcome.TOO_OLD:
        return 1.0, {}
    if c.online and c.last_outcome not in UNANSWERED:
        return None  # the platform answered something else: the date's premise does not hold (or it was misread)
    try:
        issued = dt.date.fromisoformat(c.fields.get("issue_date") or "")
    except ValueError:
        return None
    today = (c.now + CHINA).date()  # the platform counts China calendar days, as the quota does
    return (1.0, {"issue_date": str(issued)}) if (today - issued).days > c.max_age_days else None


def _unsupported(c: Context) -> Hit:
    if c.last_outcome == Outcome.UNSUPPORTED:
        return 1.0, {}
    if c.family in c.unsupported_families:
        return 0.8, {"family": c.family}
    return None


def _reader_doubts(c: Context) -> Hit:
    failed = sorted({f for v in c.validation if v.get("severity") == "error" for f in v.get("fields", ())})
    doubtful = sorted(set(c.doubtful) | set(failed))
    if not doubtful:
        return None
    return (0.7 if failed else 0.5), {"fields": ", ".join(doubtful), "rules": [v["key"] for v in c.validation
                                                                              if v.get("severity") == "error"]}


def _overdue_unexplained(c: Context) -> Hit:
    if c.overdue_at is None or c.now < c.overdue_at or c.last_outcome not in NOT_FOUND_YET:
        return None
    return 0.4, {"since": iso(c.overdue_at)}


Rule = tuple[str, Callable[[Context], Hit], str | None]
RULES: tuple[Rule, ...] = (
    ("missing_key", _missing_key, "edit_fields"),
    ("number_unusable", _number_unusable, "edit_fields"),
    ("voided", _voided, None),
    ("red_flushed", _red_flushed, None),
    ("too_old", _too_old, None),
    ("unsupported", _unsupported, None),
    ("fields_differ", _fields_differ, "edit_fields"),
    ("near_miss", _near_miss, "accept_near_miss"),
    ("sync_window", _sync_window, None),
    ("no_permission", _no_permission, None),
    ("other_taxpayer", _other_taxpayer, "add_entity"),
    ("maintenance", _maintenance, None),
    ("connector_down", _connector_down, None),
    ("quota", _quota, None),
    ("reader_doubts", _reader_doubts, "edit_fields"),
    ("overdue_unexplained", _overdue_unexplained, "check_now"),
)


def diagnose(ctx: Context) -> list[Cause]:
    """Every cause that applies, most likely first. Empty when the invoice is found."""
    if ctx.last_outcome == Outcome.FOUND:
        return []
    causes = []
    for key, rule, action in RULES:
        hit = rule(ctx)
        if hit is not None:
            score, params = hit
            causes.append(Cause(key, score, params, action))
    causes.sort(key=lambda c: -c.score)  # stable: RULES order breaks ties
    return causes
