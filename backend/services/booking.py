"""Booking (入账): an invoice entered in the books, with its accounting period and voucher number (凭证号).

Separate from reimbursement and from the authority's status; reconcile.py compares it with the
authority's own 入账 status. A duplicate, voided or red-flushed invoice is never booked.
"""

from __future__ import annotations

import re

from ..errors import AppError
from ..models import Booking, Invoice, InvoiceStatus, User
from ..runtime import Runtime
from . import activity, audit, invoices

PERIOD = re.compile(r"(19|20)\d\d-(0[1-9]|1[0-2])")
MAX_VOUCHER = 64
NOT_BOOKABLE = {InvoiceStatus.VOIDED.value: "booking.voided", InvoiceStatus.RED_FLUSHED.value: "booking.red_flushed",
                InvoiceStatus.DUPLICATE.value: "booking.duplicate"}


def parse(period, voucher) -> tuple[str, str]:
    period = period.strip() if isinstance(period, str) else ""
    voucher = voucher.strip() if isinstance(voucher, str) else ""
    if not PERIOD.fullmatch(period):
        raise AppError("booking.invalid_period", 422)
    if not voucher or len(voucher) > MAX_VOUCHER:
        raise AppError("booking.invalid_voucher", 422, limit=MAX_VOUCHER)
    return period, voucher


def refusal(invoice: Invoice) -> dict | None:
    if invoice.duplicate_of_id is not None:
        return {"key": "booking.duplicate", "params": {"invoice_id": invoice.duplicate_of_id}}
    if invoice.status in NOT_BOOKABLE:
        return {"key": NOT_BOOKABLE[invoice.status], "params": {}}
    return None


def book(rt: Runtime, invoice: Invoice, user: User, period: str, voucher: str, *,
         address: str | None = None) -> dict | None:
    """Book it (or change its period / voucher); returns the refusal, None when done."""
    why = refusal(invoice)
    if why is not None:
        return why
    if (invoice.booking, invoice.booking_period, invoice.voucher_no) == (Booking.BOOKED.value, period, voucher):
        return None
    kind = "rebooked" if invoice.booking == Booking.BOOKED.value else "booked"
    was = {"period": invoice.booking_period, "voucher": invoice.voucher_no} if kind == "rebooked" else {}

    def keep() -> None:
        activity.record(rt, invoice, kind, user, {"period": period, "voucher": voucher})
        _audit(rt, f"invoice.{kind}", invoice, user, address, period=period, voucher=voucher,
               before=was or None)

    invoices.update(rt, invoice, booking=Booking.BOOKED.value, booking_period=period, voucher_no=voucher,
                    booked_at=rt.clock.now(), booked_by=user.id, also=keep)
    return None


def unbook(rt: Runtime, invoice: Invoice, user: User, *, address: str | None = None) -> dict | None:
    if invoice.booking != Booking.BOOKED.value:
        return {"key": "booking.not_booked", "params": {}}
    was = {"period": invoice.booking_period, "voucher": invoice.voucher_no}

    def keep() -> None:
        activity.record(rt, invoice, "unbooked", user, was)
        _audit(rt, "invoice.unbooked", invoice, user, address, before=was)

    invoices.update(rt, invoice, booking=Booking.UNBOOKED.value, booking_period=None, voucher_no=None,
                    booked_at=None, booked_by=None, also=keep)
    return None


def _audit(rt: Runtime, action: str, invoice: Invoice, user: User, address: str | None, **data) -> None:
    audit.record(rt.clock, action, actor=user, address=address, team=invoice.team_id, target=f"invoice:{invoice.id}",
                 **data)
