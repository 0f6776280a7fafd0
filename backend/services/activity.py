"""The audit trail, and an invoice's whole story in one timeline.

Activity rows record what people and the app did beyond reading and checking (duplicate links, claims,
reimbursement, booking); the timeline merges them with the rows other parts already keep — the upload
itself, field corrections, authority checks, exports — newest first.
"""

from __future__ import annotations

from ..clock import iso
from ..models import Activity, ExportItem, ExportRecord, FieldCorrection, Invoice, SyncCheck, User
from ..runtime import Runtime

TIMELINE_LIMIT = 300


def record(rt: Runtime, invoice: Invoice | None, kind: str, user: User | int | None, data: dict | None = None,
           *, team_id: int | None = None, claim_id: int | None = None) -> None:
    """Append one entry; call inside the transaction of the change it records."""
    user_id = user.id if isinstance(user, User) else user
    Activity.create(team=team_id or invoice.team_id, invoice=invoice.id if invoice else None, claim=claim_id,
                    user=user_id, kind=kind, data=data, at=rt.clock.now())


def _names(ids: set) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.id: u.display_name or u.username for u in User.select().where(User.id.in_(ids))}


def timeline(invoice: Invoice) -> list[dict]:
    """Everything that happened to the invoice, newest first: `{at, kind, by, data}`."""
    items: list[tuple] = [(invoice.created_at, 0, "uploaded", invoice.uploaded_by_id,
                           {"name": invoice.original_name, "size": invoice.file.size})]
    for a in (Activity.select().where(Activity.invoice == invoice.id).order_by(Activity.id.desc())
              .limit(TIMELINE_LIMIT)):
        items.append((a.at, a.id, a.kind, a.user, a.data or {}))
    for c in (FieldCorrection.select().where(FieldCorrection.invoice == invoice.id)
              .order_by(FieldCorrection.id.desc()).limit(TIMELINE_LIMIT)):
        items.append((c.created_at, c.id, "corrected", c.user, {"field": c.field, "old": c.old_value,
                                                                "new": c.new_value}))
    for s in (SyncCheck.select().where(SyncCheck.invoice == invoice.id).order_by(SyncCheck.id.desc())
              .limit(TIMELINE_LIMIT)):
        items.append((s.at, s.id, "checked", s.by_user, {"trigger": s.trigger, "outcome": s.outcome,
                                                         "status_after": s.status_after,
                                                         "error": (s.detail or {}).get("error")}))
    exports = (ExportRecord.select().join(ExportItem).where(ExportItem.invoice == invoice.id)
               .order_by(ExportRecord.id.desc()).limit(TIMELINE_LIMIT))
    for e in exports:
        items.append((e.at, e.id, "exported", e.user, {"format": e.format, "rows": e.rows}))
    items.sort(key=lambda i: (i[0], i[1]), reverse=True)
    names = _names({i[3] for i in items})
    return [{"at": iso(at), "kind": kind, "by": names.get(user), "by_id": user, "data": data}
            for at, _, kind, user, data in items[:TIMELINE_LIMIT]]
