"""Facts about an invoice's standing at the authority, read from the database (no writes)."""

from __future__ import annotations

import datetime as dt

from peewee import Node, fn

from .. import prepared
from ..db import database
from ..models import Invoice, LedgerRow, SyncCheck
from ..runtime import Runtime
from ..sync.matching import differences
from ..sync.schedule import Policy, issued_at
from ..sync.types import Outcome, Query, Result, checkable_number

FIELD_KEYS = ("invoice_code", "invoice_number", "issue_date", "check_code", "buyer_name", "buyer_tax_id",
              "seller_name", "seller_tax_id", "amount", "tax", "total")
LEDGER_FIELDS = ("invoice_code", "invoice_number", "issue_date", "seller_tax_id", "seller_name", "buyer_tax_id",
                 "buyer_name", "amount", "tax", "total", "state", "check_code")


def policy(rt: Runtime) -> Policy:
    s = rt.settings
    return Policy(window_hours=s.sync_window_hours, overdue_hours=s.sync_overdue_hours, limit_days=s.sync_limit_days,
                  daily_quota=s.simulator.daily_quota, time_scale=s.time_scale)


def issued(rt: Runtime, invoice: Invoice, now: dt.datetime) -> dt.datetime:
    """Where the sync window starts: the issue day; in demo mode, when the simulator issued it
    (at enrolment), since there only the authority's delays are compressed, not the calendar."""
    since = invoice.pending_since or now
    if rt.settings.demo:
        return since
    return issued_at((invoice.fields or {}).get("issue_date", {}).get("value"), since)


def values(invoice: Invoice) -> dict:
    """The invoice's current field values (read or corrected)."""
    return {k: (v or {}).get("value") for k, v in (invoice.fields or {}).items()}


def query_of(fields: dict) -> Query | None:
    number = checkable_number((fields.get("invoice_number") or "").strip())
    if number is None:
        return None
    return Query((fields.get("invoice_code") or "").strip() or None, number, fields.get("issue_date"),
                 fields.get("amount"), fields.get("total"), fields.get("check_code"))


def quota_used_today(invoice: Invoice, now: dt.datetime, pol: Policy) -> int:
    """Look-ups of this invoice spent in the platform's day (a demo day at a demo time scale)."""
    return prepared.scalar("quota_used", lambda invoice_id, since: SyncCheck.select(fn.COUNT(SyncCheck.id)).where(
        SyncCheck.invoice == invoice_id, SyncCheck.spent_quota, SyncCheck.at >= since), invoice.id, pol.day_start(now))


def invoice_by_id(invoice_id: int) -> Invoice:
    """Invoice.get_by_id, its SQL built once: a check reads its invoice first, and building the SELECT of ~49
    columns cost three times reading the row."""
    found = prepared.first(Invoice, "invoice_by_id", lambda i: Invoice.select().where(Invoice.id == i), invoice_id)
    if found is None:
        raise Invoice.DoesNotExist(f"no invoice {invoice_id}")
    return found


def from_ledger_row(row: LedgerRow | dict, fields: dict) -> Result:
    """What a known ledger row says about our reading of the same invoice (no quota spent)."""
    theirs = row if isinstance(row, dict) else ledger_dict(row)
    state = theirs.get("state", "normal")
    if state == "voided":
        return Result(Outcome.VOIDED, theirs)
    if state == "red_flushed":
        return Result(Outcome.RED_FLUSHED, theirs)
    diffs = differences(fields, theirs)
    if diffs:
        return Result(Outcome.INCONSISTENT, theirs, tuple(d.field for d in diffs))
    return Result(Outcome.FOUND, theirs)


def ledger_dict(row: LedgerRow) -> dict:
    return {k: getattr(row, k) for k in LEDGER_FIELDS}


def ledger_rows():
    """Ledger rows with only what ledger_dict reads: a row has 29 columns, and building the SELECT of all of them
    is most of a look-up's cost (the near-miss search and every check ask)."""
    return LedgerRow.select(LedgerRow.id, LedgerRow.key, *(getattr(LedgerRow, f) for f in LEDGER_FIELDS))


def ledger_row(team_id: int, key: str) -> LedgerRow | None:
    """The team's ledger row of this key (a check asks first)."""
    return prepared.first(LedgerRow, "ledger_row", lambda t, k: ledger_rows().where(LedgerRow.team == t,
                                                                                      LedgerRow.key == k), team_id, key)


def ledger_lookup(team_id: int):
    def lookup(keys: list[str]) -> dict[str, dict]:
        rows = prepared.rows(LedgerRow, "ledger_keys", lambda t, *ks: ledger_rows().where(
            LedgerRow.team == t, _among(LedgerRow.key, list(ks))), team_id, *keys) if keys else []
        return {r.key: ledger_dict(r) for r in rows}
    return lookup


def _among(column, values: list[str]):
    """`column IN (...)` as one node with its parameters: Peewee builds and converts a node per value, which for
    the ~200 one-slip variants of a key (the near-miss search) cost several times the query itself."""
    return column.in_(_Params(values))


class _Params(Node):
    """`(?, ?, …)` and its values, appended as they are, as Peewee's own Context node appends its values: the
    keys are plain strings, and Peewee's path for each value (a converter, a Node check) cost ~10 µs apiece,
    2 ms of a near-miss look-up's 3."""

    def __init__(self, values: list[str]) -> None:
        self.values = list(values)

    def __sql__(self, ctx):
        ctx.literal("(" + ", ".join([database.param] * len(self.values)) + ")")
        ctx._values.extend(self.values)  # what Context.__sql__ itself does
        return ctx
