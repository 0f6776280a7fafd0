"""What the simulated platform holds: issued invoices and look-up counts, in its own SQLite file."""

from __future__ import annotations

import datetime as dt

import peewee as pw

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


def get(key: str) -> SimInvoice | None:
    return SimInvoice.get_or_none(SimInvoice.key == key)


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
        SimLookup.insert(key=key, day=day, count=0).on_conflict_ignore().execute()
        before = SimLookup.get((SimLookup.key == key) & (SimLookup.day == day)).count
        SimLookup.update(count=SimLookup.count + 1).where((SimLookup.key == key) & (SimLookup.day == day)).execute()
    return before


def changed(since: tuple[dt.datetime, int] | None, now: dt.datetime, buyers: list[str],
            limit: int) -> list[SimInvoice]:
    """The ledger of these taxpayers (buyer tax IDs) after a feed position (changed_at, id), in that order; no
    taxpayer named, no rows. The id breaks ties: rows sharing one time are never split by a page's end and lost."""
    if not buyers:
        return []
    query = SimInvoice.select().where(SimInvoice.changed_at <= now,
                                      SimInvoice.buyer_tax_id.in_([b.upper() for b in buyers]))
    if since is not None:
        at, row_id = since
        query = query.where((SimInvoice.changed_at > at) | ((SimInvoice.changed_at == at) & (SimInvoice.id > row_id)))
    return list(query.order_by(SimInvoice.changed_at, SimInvoice.id).limit(limit))
