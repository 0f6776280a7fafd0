"""Gather the evidence for one invoice and rank why it is not found (backend/sync/diagnosis.py)."""

from __future__ import annotations

import datetime as dt

from .. import prepared
from ..models import BuyerEntity, Invoice
from ..pipeline.types import is_doubtful
from ..runtime import Runtime
from ..sync import diagnosis
from ..sync.matching import match
from ..sync.schedule import expected_by, overdue_at
from ..sync.types import Outcome
from . import health
from .sync_facts import issued, ledger_lookup, policy, quota_used_today, values


def _doubtful(invoice: Invoice) -> tuple[str, ...]:
    return tuple(sorted(k for k, v in (invoice.fields or {}).items()
                        if v and v.get("value") is not None and v.get("source") != "manual" and is_doubtful(v)))


def context(rt: Runtime, invoice: Invoice, outcome: Outcome | None, now: dt.datetime,
            quota_used: int | None = None) -> diagnosis.Context:
    pol = policy(rt)
    fields = values(invoice)
    start = issued(rt, invoice, now)
    used = quota_used_today(invoice, now, pol) if quota_used is None else quota_used
    near = ()
    if outcome in diagnosis.NOT_FOUND_YET and fields.get("invoice_number"):
        near = tuple(m.as_dict() for m in match(fields, ledger_lookup(invoice.team_id)).near)
    online = bool(rt.connector and rt.connector.online)
    connector = health.standing() if online else None  # its health and refused taxpayers in one read
    return diagnosis.Context(
        now=now, status=invoice.status, last_outcome=outcome, fields=fields, family=invoice.family,
        validation=tuple(invoice.validation or ()), doubtful=_doubtful(invoice),
        expected_by=expected_by(start, pol), overdue_at=overdue_at(start, pol), next_check_at=invoice.next_check_at,
        quota_used_today=used if online else 0, daily_quota=pol.daily_quota,
        next_allowed=pol.next_day(now),
        near=near, differences=tuple((invoice.authority or {}).get("differences") or ()),
        entities=_entities(invoice.team_id),
        connector=health.snapshot(rt, connector) if connector else None,
        refused=connector.refused if connector else frozenset(), online=online,
    )


def _entities(team_id: int) -> tuple[tuple[str, str], ...]:
    found = prepared.rows(BuyerEntity, "team_entities", lambda t: BuyerEntity.select(
        BuyerEntity.name, BuyerEntity.tax_id).where(BuyerEntity.team == t), team_id)
    return tuple((e.name, e.tax_id) for e in found)


def diagnosis_for(rt: Runtime, invoice: Invoice, outcome: Outcome | None, now: dt.datetime,
                  quota_used: int | None = None) -> list[dict]:
    """`quota_used`: today's look-ups including one being recorded in the same transaction."""
    return [c.as_dict() for c in diagnosis.diagnose(context(rt, invoice, outcome, now, quota_used))]
