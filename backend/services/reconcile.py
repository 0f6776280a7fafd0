"""Our reimbursement and booking against what the authority says about the same invoice.

The authority's ledger (imported 全量发票 / 抵扣勾选 exports, the pulled feed) says whether an invoice is
入账 there and whether it was voided or red-flushed. Each disagreement is a flag with a stable key, kept on
the invoice as "|flag|flag|" so the board filters on it; `flags_for` is the one definition of the rules.
"""

from __future__ import annotations

from ..models import Booking, Invoice, InvoiceStatus, LedgerRow, Reimbursement
from ..serializers import decode_flags

# Stable keys, translated by the UI as reconcile.<key>.
BOOKED_NOT_AT_AUTHORITY = "booked_not_at_authority"  # 已入账 here, 未入账 (or 撤销) there
AUTHORITY_BOOKED_NOT_REIMBURSED = "authority_booked_not_reimbursed"  # 已入账 there; here neither 已报销 nor 已入账
REIMBURSED_THEN_VOIDED = "reimbursed_then_voided"  # in a claim or reimbursed here, voided / red-flushed there
BOOKED_THEN_VOIDED = "booked_then_voided"
DUPLICATE_CLAIMED = "duplicate_claimed"  # a second file of an invoice is itself in a claim or reimbursed
FLAGS = (BOOKED_NOT_AT_AUTHORITY, AUTHORITY_BOOKED_NOT_REIMBURSED, REIMBURSED_THEN_VOIDED, BOOKED_THEN_VOIDED,
         DUPLICATE_CLAIMED)

# Invoice columns whose change can change a flag (services/invoices.py recomputes on these).
DEPENDS_ON = frozenset({"status", "reimbursement", "booking", "fields", "key", "duplicate_of", "claim"})
VOIDED = {InvoiceStatus.VOIDED.value, InvoiceStatus.RED_FLUSHED.value}
LEDGER_VOIDED = {"voided", "red_flushed"}


def flags_for(*, status: str, reimbursement: str, booking: str, duplicate: bool, entry: str | None,
              ledger_state: str | None) -> tuple[str, ...]:
    """The disagreements, in FLAGS order (pure). `entry` and `ledger_state` are None without a ledger row."""
    voided = status in VOIDED or ledger_state in LEDGER_VOIDED
    booked_here = booking == Booking.BOOKED.value
    out = []
    if booked_here and entry in ("unbooked", "revoked"):
        out.append(BOOKED_NOT_AT_AUTHORITY)
    if entry == "booked" and reimbursement != Reimbursement.REIMBURSED.value and not booked_here and not duplicate:
        out.append(AUTHORITY_BOOKED_NOT_REIMBURSED)
    if voided and reimbursement != Reimbursement.UNCLAIMED.value:
        out.append(REIMBURSED_THEN_VOIDED)
    if voided and booked_here:
        out.append(BOOKED_THEN_VOIDED)
    if duplicate and reimbursement != Reimbursement.UNCLAIMED.value:
        out.append(DUPLICATE_CLAIMED)
    return tuple(out)


def encode(flags: tuple[str, ...]) -> str | None:
    return f"|{'|'.join(flags)}|" if flags else None


def _ledger(invoice: Invoice) -> tuple[str | None, str | None]:
    if not invoice.key:
        return None, None
    row = (LedgerRow.select(LedgerRow.entry, LedgerRow.state)
           .where(LedgerRow.team == invoice.team_id, LedgerRow.key == invoice.key).first())
    return (row.entry, row.state) if row else (None, None)


def flags_text(invoice: Invoice) -> str | None:
    entry, state = _ledger(invoice)
    return encode(flags_for(status=invoice.status, reimbursement=invoice.reimbursement, booking=invoice.booking,
                            duplicate=invoice.duplicate_of_id is not None, entry=entry, ledger_state=state))


def detail(invoice: Invoice) -> dict:
    """The invoice page's reconciliation section: our states, the authority's, and the flags."""
    row = (LedgerRow.get_or_none(LedgerRow.team == invoice.team_id, LedgerRow.key == invoice.key)
           if invoice.key else None)
    authority = None
    if row is not None:
        authority = {"entry": row.entry, "entry_status": row.entry_status, "state": row.state,
                     "selected": row.selected, "deductible_tax": row.deductible_tax, "red_lock": row.red_lock,
                     "risk": row.risk, "risk_state": row.risk_state, "source": row.source}
    return {"reimbursement": invoice.reimbursement, "booking": invoice.booking, "authority": authority,
            "flags": decode_flags(invoice.flags)}
