"""A person corrects a read field: the value is replaced, the old one logged with who and when,
and the whole invoice is validated again with the same rules as the reader."""

from __future__ import annotations

from ..clock import iso
from ..errors import AppError
from ..models import FieldCorrection, Invoice, InvoiceStatus, Reimbursement, User
from ..pipeline.fields import FIELD_NAMES
from ..runtime import Runtime
from ..sync.matching import match
from ..validate import validate
from ..validate.codes import Family
from . import audit, claims, identity, indexing, invoices, sync
from .sync_facts import ledger_lookup, query_of, values


def family_of(invoice: Invoice) -> Family:
    try:
        return Family(invoice.family or "unknown")
    except ValueError:
        return Family.UNKNOWN


def correct(rt: Runtime, invoice: Invoice, user: User, field: str, value: str | None, *,
            address: str | None = None) -> list[dict]:
    return correct_many(rt, invoice, user, {field: value}, address=address)


def correct_many(rt: Runtime, invoice: Invoice, user: User, changes: dict, *,
                 address: str | None = None) -> list[dict]:
    """Replace several read fields at once: one correction per field in the log, but one revalidation,
    one event and one enrolment (accepting a near miss changes code, number and date together).

    The live hints' rules decide: a changed value that no invoice could hold is refused with the reason,
    nothing stored; the other findings on the changed fields come back as warnings to show."""
    for field, value in changes.items():
        if field not in FIELD_NAMES:
            raise AppError("request.invalid", field="field")
        if value is not None and (not isinstance(value, str) or len(value) > 200):
            raise AppError("request.invalid", field="value")
    now = rt.clock.now()
    had_key = query_of(values(invoice)) is not None
    fields = dict(invoice.fields or {})
    logged = []
    for field, raw in changes.items():
        value = raw.strip() or None if isinstance(raw, str) else None
        old = (fields.get(field) or {}).get("value")
        fields[field] = {"value": value, "confidence": 1.0, "box": (fields.get(field) or {}).get("box"),
                         "source": "manual", "review": False, "alternatives": [],
                         "corrected_by": user.username, "corrected_at": iso(now), "previous": old}
        logged.append((field, old, value))
    _keep_one_reimbursement(invoice, fields)
    findings = validate({k: (v or {}).get("value") for k, v in fields.items()}, family_of(invoice), now.date())
    concerned = [f for f in findings if set(f.fields) & set(changes)]
    for finding in concerned:
        if finding.refused:
            name = next(n for n in finding.fields if n in changes)
            raise AppError(f"correction.{finding.key}", 400, field=name, **finding.params)
    status = invoice.status
    if status in (InvoiceStatus.EXTRACTED.value, InvoiceStatus.NEEDS_REVIEW.value):
        status = invoices.reading_status(fields, [f.as_dict() for f in findings])

    def log_corrections() -> None:
        for field, old, value in logged:
            FieldCorrection.create(invoice=invoice.id, user=user.id, field=field, old_value=old, new_value=value,
                                   created_at=now)
            audit.record(rt.clock, "invoice.corrected", actor=user, address=address, team=invoice.team_id,
                         target=f"invoice:{invoice.id}", field=field, old=old, new=value)

    invoices.update(rt, invoice, also=log_corrections, fields=fields, validation=[f.as_dict() for f in findings],
                    status=status)
    identity.relink(rt, invoice, by=user)
    invoice = Invoice.get_by_id(invoice.id)
    sync.enroll(rt, invoice, fresh=False)  # a changed field is worth asking the authority again
    if not had_key:  # the key was just completed: look now, while the person is on the invoice
        sync.check_if_due(rt, invoice.id)
    return [f.as_dict() for f in concerned]


def _keep_one_reimbursement(invoice: Invoice, fields: dict) -> None:
    """A correction may not make a claimed or reimbursed invoice the same as another one that is too: that
    would reimburse one invoice twice (services/claims.py keeps the same rule for new claims)."""
    key = indexing.key_of(indexing.values_of(fields))
    if invoice.reimbursement == Reimbursement.UNCLAIMED.value or not key or key == invoice.key:
        return
    other = claims.key_holder(invoice.team_id, key, invoice.id)
    if other is not None:
        raise AppError("identity.key_reimbursed", 409, invoice_id=other, invoice_key=key)


def accept_candidate(rt: Runtime, invoice: Invoice, user: User, key: str, *, address: str | None = None) -> None:
    """Take a near miss's fields as one correction (who/when kept), then check again at once."""
    found = match(values(invoice), ledger_lookup(invoice.team_id)).near
    candidate = next((m for m in found if m.key == key), None)
    if candidate is None:
        raise AppError("sync.no_candidate", 404)
    correct_many(rt, invoice, user, {f: candidate.row.get(f) for f in sorted({d.field for d in candidate.diffs})},
                 address=address)


def history(invoice: Invoice) -> list[dict]:
    rows = FieldCorrection.select().where(FieldCorrection.invoice == invoice.id).order_by(FieldCorrection.id)
    users = {u.id: u.username for u in User.select().where(User.id.in_({r.user for r in rows}))}
    return [{"field": r.field, "old": r.old_value, "new": r.new_value, "by": users.get(r.user),
             "at": iso(r.created_at)} for r in rows]
