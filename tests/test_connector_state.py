"""The connector's kept state (connector_state): an announced maintenance's end outlives the other answers that
come during it; only a success after that end, or a new maintenance answer, replaces it."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from backend.models import Invoice
from backend.services import health, sync
from backend.sync import schedule
from backend.sync.diagnosis import MAINTENANCE_ERROR

from .factories import PLATFORM_FIELDS, enrolled
from .fakes import SIM_TOKEN


@pytest.fixture
def connector_on(rt, db):
    rt.connector = SimpleNamespace(online=True)  # its health is what the calls recorded, not a call now
    return rt


def test_an_outage_during_a_maintenance_keeps_its_end(connector_on, clock):
    end = clock.now() + dt.timedelta(hours=2)
    health.record(connector_on, MAINTENANCE_ERROR, end)
    clock.advance(minutes=5)
    for key in ("connector.timeout", "connector.down", "connector.bad_response"):
        health.record(connector_on, key)
        assert health.maintenance_until() == end, key
    assert health.waiting_for_maintenance(connector_on, clock.now()) == end


def test_a_success_ends_the_kept_maintenance_only_after_its_end(connector_on, clock):
    """A success before the end is an answer the platform gave before it closed (a call that was under way)."""
    end = clock.now() + dt.timedelta(hours=2)
    health.record(connector_on, MAINTENANCE_ERROR, end)
    clock.advance(minutes=10)
    health.record(connector_on, None)
    assert health.maintenance_until() == end
    clock._now = end
    health.record(connector_on, None)
    assert health.maintenance_until() is None and health.snapshot(connector_on)["ok"]


def test_a_success_after_the_end_ends_it_even_right_after_another(connector_on, clock):
    """Successes close together write nothing new, but one after the end still ends the kept maintenance."""
    end = clock.now() + dt.timedelta(minutes=10)
    health.record(connector_on, MAINTENANCE_ERROR, end)
    clock._now = end - dt.timedelta(seconds=1)
    health.record(connector_on, None)  # before the end: kept
    clock._now = end + dt.timedelta(seconds=1)
    health.record(connector_on, None)
    assert health.maintenance_until() is None


def test_a_new_maintenance_answer_replaces_the_kept_end(connector_on, clock):
    start = clock.now()
    health.record(connector_on, MAINTENANCE_ERROR, start + dt.timedelta(hours=2))
    health.record(connector_on, "connector.timeout")
    later = start + dt.timedelta(hours=3)
    health.record(connector_on, MAINTENANCE_ERROR, later)  # extended
    assert health.maintenance_until() == later
    health.record(connector_on, MAINTENANCE_ERROR, None)  # a maintenance with no end named: an outage's retry
    assert health.maintenance_until() is None


def test_checks_due_during_the_maintenance_still_wait_after_a_timeout(rt, queue, clock, sim, db):
    """Through the real simulator: a check's call under way as the platform closed times out; the next invoice
    due inside the window still waits for the announced end (before: asked, and retried every 10 minutes)."""
    start = clock.now()
    end = start + dt.timedelta(hours=2)
    res = sim.client.put("/api/v1/config", json={"maintenance": [[start.isoformat(), end.isoformat()]]},
                         headers={"Authorization": f"Bearer {SIM_TOKEN}"})
    assert res.status_code == 200
    first = enrolled(rt)
    sync.due(rt)
    queue.run_all()
    assert health.maintenance_until() == end
    clock.advance(minutes=1)
    health.record(rt, "connector.timeout")  # the answer of a call made before it closed
    second = enrolled(rt, {**PLATFORM_FIELDS, "invoice_number": "87654322"})
    asked = sim.calls.count("POST /api/v1/verify")
    sync.due(rt)
    queue.run_all()
    resume = end + dt.timedelta(minutes=schedule.AFTER_MAINTENANCE_MINUTES)
    second = Invoice.get_by_id(second.id)
    assert sim.calls.count("POST /api/v1/verify") == asked  # nothing asked of a closed platform
    assert second.next_check_at == resume and Invoice.get_by_id(first.id).next_check_at == resume
