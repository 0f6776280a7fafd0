"""A team's buyer entities (抬头 + 税号): the taxpayers its invoices should be made out to."""

from __future__ import annotations

from ..db import write_transaction
from ..errors import AppError
from ..models import BuyerEntity, Invoice, Team, User
from ..runtime import Runtime
from ..sync import machine
from ..sync.types import Outcome
from ..validate import tax_id_findings
from . import audit, health, invoices
from .diagnose import diagnosis_for

MAX_PER_TEAM = 200


def listing(team: Team) -> list[dict]:
    return [{"id": e.id, "name": e.name, "tax_id": e.tax_id}
            for e in BuyerEntity.select().where(BuyerEntity.team == team.id).order_by(BuyerEntity.id)]


def add(rt: Runtime, team: Team, name, tax_id, *, actor: User | None = None, address: str | None = None) -> None:
    name = name.strip() if isinstance(name, str) else ""
    tax_id = tax_id.strip().upper() if isinstance(tax_id, str) else ""
    if not name or not tax_id or len(name) > 128 or len(tax_id) > 24:
        raise AppError("entity.invalid", 422)
    # The invoices' own rule: an ID no taxpayer could have is refused (a failed check digit is let through).
    if any(f.refused for f in tax_id_findings("buyer_tax_id", tax_id)):
        raise AppError("entity.tax_id_format", 422, field="tax_id")
    with write_transaction():
        same = BuyerEntity.select().where(BuyerEntity.team == team.id)
        if same.where(BuyerEntity.tax_id == tax_id).exists():
            raise AppError("entity.exists", 409, field="tax_id")
        if same.where(BuyerEntity.name == name).exists():  # one 抬头 twice says nothing new, and reads as a typo
            raise AppError("entity.name_exists", 409, field="name")
        if BuyerEntity.select().where(BuyerEntity.team == team.id).count() >= MAX_PER_TEAM:
            raise AppError("entity.invalid", 422)
        entity = BuyerEntity.create(team=team.id, name=name, tax_id=tax_id, created_at=rt.clock.now())
        # The feed showed this team none of the taxpayer's rows so far (another team's that share it, at most):
        # they are asked for again from the start, a page a pass, free of look-ups.
        health.replay_from_start(tax_id)
        audit.record(rt.clock, "entity.added", actor=actor, address=address, team=team.id, target=f"entity:{entity.id}",
                     name=name, tax_id=tax_id)
    refresh(rt, team)


def remove(rt: Runtime, team: Team, entity_id: int, *, actor: User | None = None, address: str | None = None) -> None:
    with write_transaction():
        gone = BuyerEntity.get_or_none(BuyerEntity.team == team.id, BuyerEntity.id == entity_id)
        if gone is not None:
            gone.delete_instance()
            audit.record(rt.clock, "entity.removed", actor=actor, address=address, team=team.id,
                         target=f"entity:{entity_id}", name=gone.name, tax_id=gone.tax_id)
    refresh(rt, team)


def refresh(rt: Runtime, team: Team) -> None:
    """Entities change what 'made out to another taxpayer' means: re-rank the open diagnoses."""
    now = rt.clock.now()
    for inv in Invoice.select().where(Invoice.team == team.id, Invoice.status.in_(sorted(machine.WATCHED))):
        outcome = Outcome(inv.last_outcome) if inv.last_outcome else None
        invoices.update(rt, inv, diagnosis=diagnosis_for(rt, inv, outcome, now))
