"""The audit log: append-only, one row per security- or money-relevant action (who, when, from where, what).
Only `record` writes it; the database refuses updates and deletes (migration 0007)."""

from __future__ import annotations

from ..clock import Clock
from ..models import AuditEntry, User


def record(clock: Clock, action: str, *, actor: User | int | None = None, actor_name: str | None = None,
           team: int | None = None, target: str | None = None, address: str | None = None, **data) -> None:
    """Append one entry. `action` is a stable key (the UI translates `audit.<action>`)."""
    actor_id = actor.id if isinstance(actor, User) else actor
    if actor_name is None and isinstance(actor, User):
        actor_name = actor.username
    AuditEntry.create(at=clock.now(), actor=actor_id, actor_name=(actor_name or "")[:64] or None, team=team,
                      action=action, target=target, address=(address or "")[:64] or None, data=data or None)
