"""Invoice state changes: each bumps the version, appends an event, then notifies after commit."""

from __future__ import annotations

from collections.abc import Callable

from ..db import write_transaction
from ..models import Invoice
from ..runtime import Runtime
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
        invoice.version += 1
        invoice.updated_at = now
        invoice.save()
        event = append(invoice, EventKind.INVOICE_UPDATED, now)
    rt.notifier.publish([event])


def set_status(rt: Runtime, invoice: Invoice, status: str, reason: str | None = None, **params) -> None:
    update(rt, invoice, status=status, reason=reason, reason_params=params or None)
