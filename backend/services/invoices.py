"""Invoice state changes: each bumps the version, appends an event, then notifies after commit.

The only writer of invoice rows after intake: it also keeps the columns derived from the fields (search,
filters, identity key) and the reconciliation flags in step with what changed.
"""

from __future__ import annotations

from collections.abc import Callable

import peewee

from .. import prepared
from ..db import write_transaction
from ..models import Invoice, InvoiceStatus
from ..pipeline.types import is_doubtful
from ..runtime import Runtime
from . import indexing, reconcile
from .events import EventKind, append


def update(rt: Runtime, invoice: Invoice, also: Callable[[], object] | None = None, **changes) -> None:
    """Apply `changes` to the invoice, log the event and push it once committed.

    `also` runs inside the same transaction (a row that must be written with this change)."""
    now = rt.clock.now()
    with write_transaction():
        if also is not None:
            also()
        for name, value in changes.items():
            setattr(invoice, name, value)
        _follow(invoice, changes.keys())
        invoice.version += 1
        invoice.updated_at = now
        # Only the columns set since the row was read (Peewee marks each assignment): a check changes ~8 of ~49,
        # and building the UPDATE of all of them was most of its write; nor does it write back columns another
        # process may have changed meanwhile. Every change here is an assignment (no JSON is changed in place).
        # Its SQL is built once per set of columns (a check sets the same ones each time).
        prepared.save_dirty(invoice, "invoice")
        if "fields" in changes:
            indexing.write_fts(invoice.id, invoice.search_text)
        event = append(invoice, EventKind.INVOICE_UPDATED, now)
    rt.notifier.publish([event])


def update_if(rt: Runtime, invoice_id: int, guard: peewee.Expression, also: Callable[[Invoice], object] | None = None,
              **changes) -> Invoice | None:
    """Apply `changes` only where `guard` still holds, in one conditional UPDATE: of two people racing for the
    same invoice exactly one wins. Returns the changed invoice, or None when the guard failed.

    Call inside a write transaction when other rows must change with it (`also` runs after a win)."""
    now = rt.clock.now()
    with write_transaction():
        won = (Invoice.update(**changes, version=Invoice.version + 1, updated_at=now)
               .where(Invoice.id == invoice_id, guard).execute())
        if not won:
            return None
        invoice = Invoice.get_by_id(invoice_id)
        flags = reconcile.flags_text(invoice)
        if flags != invoice.flags:
            Invoice.update(flags=flags).where(Invoice.id == invoice_id).execute()
            invoice.flags = flags
        if also is not None:
            also(invoice)
        event = append(invoice, EventKind.INVOICE_UPDATED, now)
    rt.notifier.publish([event])
    return invoice


def _follow(invoice: Invoice, changed) -> None:
    if "fields" in changed:
        indexing.refresh(invoice)
    if changed & reconcile.DEPENDS_ON:
        invoice.flags = reconcile.flags_text(invoice)


def set_status(rt: Runtime, invoice: Invoice, status: str, reason: str | None = None, **params) -> None:
    update(rt, invoice, status=status, reason=reason, reason_params=params or None)


def reading_status(fields: dict | None, validation: list | None) -> str:
    """Where a read invoice stands before the authority: a person should look (a failed rule, a doubtful
    field, nothing found), or it is read."""
    found = any((v or {}).get("value") is not None for v in (fields or {}).values())
    doubtful = (not found or any(f.get("severity") == "error" for f in validation or ())
                or any(is_doubtful(v) for v in (fields or {}).values()))
    return (InvoiceStatus.NEEDS_REVIEW if doubtful else InvoiceStatus.EXTRACTED).value


def ledger_changed(rt: Runtime, team_id: int, keys: list[str]) -> None:
    """The authority's rows for these keys changed: search text (line items, remarks) and flags follow."""
    indexing.reindex_keys(team_id, keys)
    for start in range(0, len(keys), 500):
        for inv in Invoice.select().where(Invoice.team == team_id, Invoice.key.in_(keys[start:start + 500])):
            if reconcile.flags_text(inv) != inv.flags:
                update(rt, inv, flags=reconcile.flags_text(inv))
