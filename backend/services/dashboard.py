"""The dashboard: where a team's invoices stand, in counts and 价税合计, and how long the open ones have waited.

One invoice is counted once: a second file of an invoice (duplicate_of set) is left out of every count and
sum and reported on its own (`duplicates`). All grouping is done by the database, in SQL that SQLite and
PostgreSQL both run (the month of the issue date is the one expression that differs). Ages are bucketed
against cut-off timestamps computed here, so no engine-specific date arithmetic is needed.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import peewee
from peewee import SQL, Case, fn

from ..clock import iso
from ..db import FEN, is_postgres
from ..models import Invoice, InvoiceStatus, Reimbursement
from ..sync.schedule import CHINA

S = InvoiceStatus
TOP_SELLERS = 10
OLDEST = 5
MONTHS = 24  # the newest months shown; older issue dates are summed into the first bar's "earlier"
# Waiting at the authority: read, sent, and not (yet) settled there.
AT_AUTHORITY = (S.PENDING_SYNC.value, S.NOT_FOUND.value, S.SYNC_ERROR.value)
# Never to be reimbursed (or not yet readable): not "waiting for reimbursement".
NOT_REIMBURSABLE = (S.RECEIVED.value, S.PROCESSING.value, S.FAILED.value, S.DUPLICATE.value, S.VOIDED.value,
                    S.RED_FLUSHED.value)
# Age buckets, in days: (upper bound exclusive, key); the last one has no bound.
BUCKETS: tuple[tuple[int | None, str], ...] = ((1, "lt1"), (3, "d1_3"), (7, "d3_7"), (30, "d7_30"),
                                               (90, "d30_90"), (None, "gt90"))


def _money(value) -> str:
    return f"{Decimal(str(value or 0)).quantize(FEN):.2f}"


def _counted(scope: peewee.Expression) -> peewee.Expression:
    return scope & Invoice.duplicate_of.is_null()


def _month() -> peewee.Node:
    if is_postgres():
        return fn.to_char(Invoice.issue_date, "YYYY-MM")
    return fn.strftime("%Y-%m", Invoice.issue_date)


def _grouped(scope: peewee.Expression, key: peewee.Node, order, limit: int | None = None) -> list[dict]:
    query = (Invoice.select(key.alias("k"), fn.COUNT(Invoice.id).alias("n"),
                            fn.SUM(Invoice.total_amount).alias("s"))
             .where(_counted(scope)).group_by(SQL("k")).order_by(*order))
    if limit:
        query = query.limit(limit)
    return [{"key": r["k"], "count": r["n"], "total": _money(r["s"])} for r in query.dicts()]


def by_status(scope: peewee.Expression) -> list[dict]:
    rows = _grouped(scope, Invoice.status, [SQL("n").desc(), SQL("k")])
    return [{"status": r["key"], "count": r["count"], "total": r["total"]} for r in rows]


def by_month(scope: peewee.Expression) -> list[dict]:
    """Per month of issue (YYYY-MM, oldest first); invoices without an issue date as month None, last."""
    month = _month()
    rows = _grouped(scope, month, [SQL("k")])
    dated = [r for r in rows if r["key"]][-MONTHS:]
    undated = [r for r in rows if not r["key"]]
    return [{"month": r["key"], "count": r["count"], "total": r["total"]} for r in dated + undated]


def by_seller(scope: peewee.Expression) -> list[dict]:
    rows = _grouped(scope & Invoice.seller_name.is_null(False) & (Invoice.seller_name != ""), Invoice.seller_name,
                    [SQL("s").desc(), SQL("k")], TOP_SELLERS)
    return [{"seller": r["key"], "count": r["count"], "total": r["total"]} for r in rows]


def _param(value):
    """A cut-off as the column stores it: SQLite keeps times as text ("2026-01-05 09:00:00"), compared as text."""
    return value if is_postgres() else str(value)


def _bucket_case(since: peewee.Node, cutoffs: list) -> peewee.Node:
    """The age bucket of `since` as SQL: the first bucket whose cut-off it is younger than."""
    whens = [(since > _param(cut), key) for cut, (_, key) in zip(cutoffs, BUCKETS, strict=False)]
    return Case(None, whens, BUCKETS[-1][1])


def _aging(where: peewee.Expression, since: peewee.Node, cutoffs: list) -> list[dict]:
    bucket = _bucket_case(since, cutoffs)
    rows = {r["k"]: r for r in (Invoice.select(bucket.alias("k"), fn.COUNT(Invoice.id).alias("n"),
                                               fn.SUM(Invoice.total_amount).alias("s"))
                                .where(where).group_by(SQL("k")).dicts())}
    return [{"bucket": key, "count": rows.get(key, {}).get("n", 0), "total": _money(rows.get(key, {}).get("s"))}
            for _, key in BUCKETS]


def _oldest(where: peewee.Expression, since: peewee.Node, now_of) -> list[dict]:
    query = (Invoice.select(Invoice.id, Invoice.key, Invoice.seller_name, Invoice.total_amount, Invoice.status,
                            Invoice.reimbursement, Invoice.issue_date, since.alias("since"))
             .where(where).order_by(since, Invoice.id).limit(OLDEST))
    return [{"id": inv.id, "key": inv.key, "seller_name": inv.seller_name,
             "total_amount": None if inv.total_amount is None else _money(inv.total_amount),
             "status": inv.status, "reimbursement": inv.reimbursement,
             "issue_date": inv.issue_date.isoformat() if inv.issue_date else None,
             **now_of(inv.since)} for inv in query]


def _as_datetime(value) -> dt.datetime:
    """A timestamp as SQLite hands back a computed column (text) or PostgreSQL does (datetime)."""
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def authority_aging(scope: peewee.Expression, now: dt.datetime) -> tuple[list[dict], list[dict]]:
    """Invoices still open at the authority, by how long since they started waiting (pending_since, else
    the upload)."""
    where = _counted(scope) & Invoice.status.in_(AT_AUTHORITY)
    since = fn.COALESCE(Invoice.pending_since, Invoice.created_at)
    cutoffs = [now - dt.timedelta(days=days) for days, _ in BUCKETS if days is not None]

    def age(value) -> dict:
        at = _as_datetime(value)
        return {"since": iso(at), "age_days": (now - at).days}

    return _aging(where, since, cutoffs), _oldest(where, since, age)


def reimbursement_aging(scope: peewee.Expression, now: dt.datetime) -> tuple[list[dict], list[dict]]:
    """Readable invoices not yet reimbursed (unclaimed or in a claim), by days since their issue date (the
    China calendar day: that is what the date on the invoice means)."""
    today = (now + CHINA).date()
    where = (_counted(scope) & (Invoice.reimbursement != Reimbursement.REIMBURSED.value)
             & Invoice.status.not_in(NOT_REIMBURSABLE) & Invoice.issue_date.is_null(False))
    # An invoice issued on day D is "d days old" today; bucket "< 1 day" is an invoice issued today.
    cutoffs = [today - dt.timedelta(days=days) for days, _ in BUCKETS if days is not None]

    def age(value) -> dict:
        day = _as_date(value)
        return {"since": day.isoformat(), "age_days": (today - day).days}

    return _aging(where, Invoice.issue_date, cutoffs), _oldest(where, Invoice.issue_date, age)


def summary(scope: peewee.Expression, now: dt.datetime) -> dict:
    """Everything the dashboard shows for the invoices `scope` selects (a team, maybe filtered)."""
    totals = (Invoice.select(fn.COUNT(Invoice.id), fn.SUM(Invoice.total_amount))
              .where(_counted(scope)).scalar(as_tuple=True))
    dupes = (Invoice.select(fn.COUNT(Invoice.id), fn.SUM(Invoice.total_amount))
             .where(scope & Invoice.duplicate_of.is_null(False)).scalar(as_tuple=True))
    authority, authority_oldest = authority_aging(scope, now)
    unpaid, unpaid_oldest = reimbursement_aging(scope, now)
    return {
        "totals": {"count": totals[0] or 0, "total": _money(totals[1])},
        "duplicates": {"count": dupes[0] or 0, "total": _money(dupes[1])},
        "by_status": by_status(scope),
        "by_month": by_month(scope),
        "by_seller": by_seller(scope),
        "aging": {"authority": authority, "reimbursement": unpaid},
        "oldest": {"authority": authority_oldest, "reimbursement": unpaid_oldest},
        "buckets": [key for _, key in BUCKETS],
        "at": iso(now),
    }
