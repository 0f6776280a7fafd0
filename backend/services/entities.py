"""A team's buyer entities (抬头 + 税号): the taxpayers its invoices should be made out to."""

from __future__ import annotations

from ..db import write_transaction
from ..errors import AppError
from ..models import BuyerEntity, Invoice, Team
from ..runtime import Runtime
from ..sync import machine
from ..sync.types import Outcome
from . import invoices
from .diagnose import diagnosis_for

MAX_PER_TEAM = 200


def listing(team: Team) -> list[dict]:
    return [{"id": e.id, "name": e.name, "tax_id": e.tax_id}
            for e in BuyerEntity.select().where(BuyerEntity.team == team.id).order_by(BuyerEntity.id)]


def add(rt: Runtime, team: Team, name, tax_id) -> None:
    name = name.strip() if isinstance(name, str) else ""
    tax_id = tax_id.strip().upper() if isinstance(tax_id, str) else ""
    if not name or not tax_id or len(name) > 128 or len(tax_id) > 24 or not tax_id.isalnum():
        raise AppError("entity.invalid", 422)
    with write_transaction():
        if BuyerEntity.select().where(BuyerEntity.team == team.id, BuyerEntity.tax_id == tax_id).exists():
            raise AppError("entity.exists", 409)
        if BuyerEntity.select().where(BuyerEntity.team == team.id).count() >= MAX_PER_TEAM:
            raise AppError("entity.invalid", 422)
        BuyerEntity.create(team=team.id, name=name, tax_id=tax_id, created_at=rt.clock.now())
    refresh(rt, team)


def remove(rt: Runtime, team: Team, entity_id: int) -> None:
    with write_transaction():
        BuyerEntity.delete().where(BuyerEntity.team == team.id, BuyerEntity.id == entity_id).execute()
    refresh(rt, team)


def refresh(rt: Runtime, team: Team) -> None:
    """Entities change what 'made out to another taxpayer' means: re-rank the open diagnoses."""
    now = rt.clock.now()
    for inv in Invoice.select().where(Invoice.team == team.id, Invoice.status.in_(sorted(machine.WATCHED))):
        outcome = Outcome(inv.last_outcome) if inv.last_outcome else None
        invoices.update(rt, inv, diagnosis=diagnosis_for(rt, inv, outcome, now))
