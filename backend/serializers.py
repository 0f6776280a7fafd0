"""Public JSON shapes. The SPA's types (frontend/src/state/types.ts) mirror these."""

from __future__ import annotations

from .clock import iso
from .models import Event, Invoice, Team, User


def invoice_public(inv: Invoice) -> dict:
    f = inv.file
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
        "version": inv.version,
        "created_at": iso(inv.created_at),
        "updated_at": iso(inv.updated_at),
    }


def event_public(ev: Event) -> dict:
    return {"cursor": ev.id, "kind": ev.kind, "team_id": ev.team_id, "at": iso(ev.created_at), **ev.data}


def user_public(user: User, teams: list[Team]) -> dict:
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name or user.username,
        "is_admin": user.is_admin,
        "teams": [{"id": t.id, "name": t.name} for t in teams],
    }
