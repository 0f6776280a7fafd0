"""Public JSON shapes. The SPA's types (frontend/src/state/types.ts) mirror these."""

from __future__ import annotations

from . import prepared
from .clock import iso
from .models import Claim, Event, Invoice, User


def invoice_public(inv: Invoice) -> dict:
    # Every invoice change's event serialises it: the rows it points to are read by prepared SELECTs.
    f = prepared.related(inv, Invoice.file)
    return {
        "id": inv.id,
        "team_id": inv.team_id,
        "original_name": inv.original_name,
        "status": inv.status,
        "reason": inv.reason,
        "reason_params": inv.reason_params or {},
        "duplicate_of": inv.duplicate_of_id,
        "file": {"kind": f.kind, "mime": f.mime, "size": f.size, "sha256": f.sha256},
        "page_count": inv.page_count,
        # One file, many invoices: which pages of the file, or which box of the photo, this invoice is; the
        # upload's first invoice (None on that one) and, on that one, how many the file held.
        "pages": inv.pages,
        "crop": inv.crop,
        "part_of": inv.part_of,
        "parts": inv.parts,
        "width": inv.width,
        "height": inv.height,
        "has_thumbnail": inv.has_thumbnail,
        "stage": inv.stage,
        "family": inv.family,
        "fields": inv.fields,
        "qr_text": inv.qr_text,
        "validation": inv.validation,
        "reading": inv.reading,
        "uploaded_by": inv.uploaded_by_id,
        "next_check_at": iso(inv.next_check_at),
        "pending_since": iso(inv.pending_since),
        "checks_done": inv.checks_done,
        "last_outcome": inv.last_outcome,
        "authority": inv.authority,
        "diagnosis": inv.diagnosis or [],
        "key": inv.key,
        "issue_date": inv.issue_date.isoformat() if inv.issue_date else None,
        "total_amount": None if inv.total_amount is None else f"{inv.total_amount:.2f}",
        "seller_name": inv.seller_name,
        "buyer_name": inv.buyer_name,
        "uploaded_by_name": _name(prepared.related(inv, Invoice.uploaded_by)) if inv.uploaded_by_id else None,
        "duplicate": inv.duplicate,
        "reimbursement": inv.reimbursement,
        "claim": _claim_ref(prepared.related(inv, Invoice.claim)) if inv.claim_id else None,
        "reimbursed_at": iso(inv.reimbursed_at),
        "booking": {"state": inv.booking, "period": inv.booking_period, "voucher": inv.voucher_no,
                    "at": iso(inv.booked_at), "by": inv.booked_by, "by_name": _name_of(inv.booked_by)},
        "flags": decode_flags(inv.flags),
        "version": inv.version,
        "created_at": iso(inv.created_at),
        "updated_at": iso(inv.updated_at),
    }


def _name(user: User | None) -> str | None:
    return (user.display_name or user.username) if user else None


def _name_of(user_id: int | None) -> str | None:
    """A person's name for an id column that is not a foreign key (who booked, who decided)."""
    if not user_id:
        return None
    return _name(prepared.first(User, "user_by_id", lambda i: User.select().where(User.id == i), user_id))


def _claim_ref(claim: Claim | None) -> dict | None:
    return {"id": claim.id, "number": claim.number, "state": claim.state} if claim else None


def decode_flags(text: str | None) -> list[str]:
    return [f for f in (text or "").split("|") if f]


def claim_public(claim: Claim) -> dict:
    return {
        "id": claim.id,
        "team_id": claim.team_id,
        "number": claim.number,
        "purpose": claim.purpose,
        "claimant": {"id": claim.claimant_id, "name": _name(claim.claimant)} if claim.claimant_id else None,
        "state": claim.state,
        "total": f"{claim.total:.2f}",
        "count": claim.count,
        "note": claim.note,
        "created_by": claim.created_by,
        "created_at": iso(claim.created_at),
        "submitted_at": iso(claim.submitted_at),
        "decided_at": iso(claim.decided_at),
        "decided_by": claim.decided_by,
        "decided_by_name": _name_of(claim.decided_by),
        "version": claim.version,
        "updated_at": iso(claim.updated_at),
    }


def event_public(ev: Event) -> dict:
    return {"cursor": ev.id, "kind": ev.kind, "team_id": ev.team_id, "at": iso(ev.created_at), **ev.data}


def user_public(user: User, access) -> dict:
    """A person as they see themselves: their teams, their role and what it lets them do there (the SPA shows
    only that; the API enforces the same table, backend/roles.py)."""
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name or user.username,
        "is_admin": user.is_admin,
        "teams": [{"id": t.id, "name": t.name, "role": getattr(t, "role", None), "can_manage": access.can_manage(t),
                   "permissions": sorted(access.grants(t)), "own_only": sorted(access.own_only(t))}
                  for t in access.teams],
    }
