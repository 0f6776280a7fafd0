"""A person corrects a read field: the value is replaced, the old one logged with who and when,
and the whole invoice is validated again with the same rules as the reader."""

from __future__ import annotations

from ..clock import iso
from ..db import write_transaction
from ..errors import AppError
from ..models import FieldCorrection, Invoice, InvoiceStatus, User
from ..pipeline.fields import FIELD_NAMES
from ..runtime import Runtime
from ..validate import validate
from ..validate.codes import Family
from . import invoices, sync


def family_of(invoice: Invoice) -> Family:
    try:
        return Family(invoice.family or "unknown")
    except ValueError:
        return Family.UNKNOWN


def correct(rt: Runtime, invoice: Invoice, user: User, field: str, value: str | None) -> None:
    if field not in FIELD_NAMES:
        raise AppError("request.invalid", field="field")
    if value is not None and (not isinstance(value, str) or len(value) > 200):
        raise AppError("request.invalid", field="value")
    value = value.strip() or None if isinstance(value, str) else None
    now = rt.clock.now()
    fields = dict(invoice.fields or {})
    old = (fields.get(field) or {}).get("value")
    fields[field] = {"value": value, "confidence": 1.0, "box": (fields.get(field) or {}).get("box"),
                     "source": "manual", "review": False, "alternatives": [],
                     "corrected_by": user.username, "corrected_at": iso(now), "previous": old}
    findings = validate({k: (v or {}).get("value") for k, v in fields.items()}, family_of(invoice), now.date())
    doubtful = any(f.severity == "error" for f in findings) or any(
        (v or {}).get("review") or ((v or {}).get("value") is not None and (v or {}).get("confidence", 0) < 0.9)
        for v in fields.values())
    with write_transaction():
        FieldCorrection.create(invoice=invoice.id, user=user.id, field=field, old_value=old, new_value=value,
                               created_at=now)
    status = invoice.status
    if status in (InvoiceStatus.EXTRACTED.value, InvoiceStatus.NEEDS_REVIEW.value):
        status = (InvoiceStatus.NEEDS_REVIEW if doubtful else InvoiceStatus.EXTRACTED).value
    invoices.update(rt, invoice, fields=fields, validation=[f.as_dict() for f in findings], status=status)
    sync.enroll(rt, invoice, fresh=False)  # a changed field is worth asking the authority again


def history(invoice: Invoice) -> list[dict]:
    rows = FieldCorrection.select().where(FieldCorrection.invoice == invoice.id).order_by(FieldCorrection.id)
    users = {u.id: u.username for u in User.select().where(User.id.in_({r.user for r in rows}))}
    return [{"field": r.field, "old": r.old_value, "new": r.new_value, "by": users.get(r.user),
             "at": iso(r.created_at)} for r in rows]
