"""The append-only event log: every invoice change appends one event in the same transaction."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from .. import prepared
from ..db import database, is_postgres
from ..models import Claim, Event, Invoice, Team
from ..serializers import claim_public, invoice_public

# Arbitrary constant naming the PostgreSQL advisory lock that orders event inserts.
_EVENT_LOCK = 0x46415049


class EventKind(StrEnum):
    """Stable keys, mirrored by frontend/src/state/types.ts."""

    INVOICE_CREATED = "invoice.created"
    INVOICE_UPDATED = "invoice.updated"
    CLAIM_UPDATED = "claim.updated"
    CONNECTOR_UPDATED = "connector.updated"  # the authority connector's health (services/health.snapshot)


def _ordered() -> None:
    if is_postgres():
        # Sequence values are handed out before commit, so without this an event with a smaller
        # id could become visible after a client has already read past it. Holding one lock until
        # commit makes ids visible in order, which is what the cursor promises.
        database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_EVENT_LOCK,))


def append(invoice: Invoice, kind: EventKind, now: dt.datetime) -> Event:
    """Append an event carrying the invoice's current public state. Call inside a transaction.

    Every invoice change appends one: the INSERT is built once (prepared.create), as Event.create builds it."""
    _ordered()
    return prepared.create(Event, "event", team=invoice.team_id, invoice=invoice.id, kind=kind.value,
                           data={"invoice": invoice_public(invoice)}, created_at=now)


def append_claim(claim: Claim, now: dt.datetime) -> Event:
    """Append a claim's current public state (its invoices' changes are their own events)."""
    _ordered()
    return prepared.create(Event, "event", team=claim.team_id, invoice=None, kind=EventKind.CLAIM_UPDATED.value,
                           data={"claim": claim_public(claim)}, created_at=now)


def append_connector(health: dict, now: dt.datetime) -> list[Event]:
    """Append the authority connector's new state for every team: there is one for all, and each board shows it.
    Call inside the transaction that changed it."""
    _ordered()
    return [Event.create(team=team_id, invoice=None, kind=EventKind.CONNECTOR_UPDATED.value, data={"health": health},
                         created_at=now) for (team_id,) in Team.select(Team.id).order_by(Team.id).tuples()]


def after(team_ids: list[int], cursor: int, limit: int) -> list[Event]:
    return list(
        Event.select()
        .where(Event.team.in_(team_ids), Event.id > cursor)
        .order_by(Event.id)
        .limit(limit)
    )


def latest_cursor(team_ids: list[int] | None = None) -> int:
    """The newest event id, of the given teams or of all."""
    query = Event.select(Event.id)
    if team_ids is not None:
        query = query.where(Event.team.in_(team_ids))
    return query.order_by(Event.id.desc()).scalar() or 0
