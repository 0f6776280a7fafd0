"""What the simulated platform holds: issued invoices and look-up counts, in its own SQLite file."""

from __future__ import annotations

import datetime as dt

import peewee as pw

from .. import prepared
from ..db import BUSY_SLICE_MS, JSONField, SqliteDatabase
from .rules import Issued, quota_day

# The app's SQLite handling (backend/db.py): the threaded server answers several requests at once.
db = SqliteDatabase(None, lock_type="IMMEDIATE")


class SimInvoice(pw.Model):
    key = pw.CharField(unique=True)
    fields = JSONField()
    buyer_tax_id = pw.CharField(null=True, index=True)
    state = pw.CharField(default="normal")
    issued_at = pw.DateTimeField()
    visible_at = pw.DateTimeField()
    changed_at = pw.DateTimeField(index=True)  # when the ledger feed shows it (again)

    class Meta:
        database = db

    def as_issued(self) -> Issued:
        return Issued(self.key, self.fields, self.visible_at, self.state)


class SimLookup(pw.Model):
    key = pw.CharField()
    day = pw.DateField()
    count = pw.IntegerField(default=0)

    class Meta:
        database = db
        indexes = ((("key", "day"), True),)


def open_store(path: str) -> pw.SqliteDatabase:
    db.init(path, pragmas={"journal_mode": "wal", "busy_timeout": BUSY_SLICE_MS}, timeout=BUSY_SLICE_MS / 1000)
    db.create_tables([SimInvoice, SimLookup])
    return db


# Every look-up and feed call runs the reads and writes below: their SQL is built once (backend/prepared.py).
def get(key: str) -> SimInvoice | None:
    return prepared.first(SimInvoice, "sim_invoice", lambda k: SimInvoice.select().where(SimInvoice.key == k), key,
                          db=db)


def issue(key: str, fields: dict, now: dt.datetime, visible_at: dt.datetime, state: str = "normal",
          replace: bool = False) -> tuple[SimInvoice, bool]:
    """Add an invoice; an existing key is kept as it is unless `replace`. Returns (row, created)."""
    visible_at = max(visible_at, now)  # the feed cursor never moves past a row it has not shown
    with db.atomic():
        row = get(key)
        if row is not None and not replace:
            return row, False
        values = {"fields": fields, "buyer_tax_id": (fields.get("buyer_tax_id") or "").upper() or None,
                  "state": state, "issued_at": now, "visible_at": visible_at, "changed_at": visible_at}
        if row is None:
            return SimInvoice.create(key=key, **values), True
        SimInvoice.update(**values).where(SimInvoice.key == key).execute()
        return get(key), False


def set_state(key: str, state: str, now: dt.datetime) -> bool:
    with db.atomic():
        row = get(key)
        if row is None:
            return False
        SimInvoice.update(state=state, changed_at=max(now, row.visible_at)).where(SimInvoice.key == key).execute()
        return True


def count_lookup(key: str, now: dt.datetime, time_scale: float = 1.0) -> int:
    """Record one look-up of `key` today (the platform's day at this time scale); returns how many there were
    before it."""
    day = quota_day(now, time_scale)
    with db.atomic():
        prepared.execute("sim_count", lambda k, d, one, more: SimLookup.insert(key=k, day=d, count=one).on_conflict(
            conflict_target=(SimLookup.key, SimLookup.day), update={SimLookup.count: SimLookup.count + more}),
            key, day, 1, 1, db=db)
        after = prepared.scalar("sim_counted", lambda k, d: SimLookup.select(SimLookup.count).where(
            (SimLookup.key == k) & (SimLookup.day == d)), key, day, db=db)
    return after - 1


def changed(since: tuple[dt.datetime, int] | None, now: dt.datetime, buyers: list[str],
            limit: int) -> list[SimInvoice]:
    """The ledger of these taxpayers (buyer tax IDs) after a feed position (changed_at, id), in that order; no
    taxpayer named, no rows. The id breaks ties: rows sharing one time are never split by a page's end and lost."""
    if not buyers:
        return []
    upper = [b.upper() for b in buyers]
    if since is None:
        return prepared.rows(SimInvoice, "sim_changed", lambda n, *rest: _changed_query(n, rest[:-1], rest[-1]),
                             now, *upper, limit, db=db)
    at, row_id = since
    return prepared.rows(SimInvoice, "sim_changed_since",
                         lambda n, *rest: _changed_query(n, rest[:-4], rest[-1], rest[-4:-1]),
                         now, *upper, at, at, row_id, limit, db=db)


def _changed_query(now: dt.datetime, buyers, limit: int, position: tuple | None = None):
    """The feed's SELECT; its values are bound in the order of its parameters (now, the buyers, the position's
    time twice and id, the limit), as prepared.sql binds them."""
    query = SimInvoice.select().where(SimInvoice.changed_at <= now, SimInvoice.buyer_tax_id.in_(list(buyers)))
    if position is not None:
        at, at_again, row_id = position
        query = query.where((SimInvoice.changed_at > at) | ((SimInvoice.changed_at == at_again)
                                                            & (SimInvoice.id > row_id)))
    return query.order_by(SimInvoice.changed_at, SimInvoice.id).limit(limit)
