"""The connector's kept state (connector_state): an announced maintenance's end outlives the other answers that
come during it; only a success after that end, or a new maintenance answer naming an end, replaces it."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from backend.clock import iso
from backend.db import database
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
    start = clock.now()
    end = start + dt.timedelta(hours=2)
    health.record(connector_on, MAINTENANCE_ERROR, end)
    clock.advance(minutes=10)
    health.record(connector_on, None)
    assert health.maintenance_until() == end
    said = health.snapshot(connector_on)  # the success cleared down_since; the maintenance's own start stays
    assert said["down_since"] is None and said["maintenance_since"] == iso(start)
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
    health.record(connector_on, MAINTENANCE_ERROR, None)  # no end named: the platform is still closed until then
    assert health.maintenance_until() == later
    assert health.waiting_for_maintenance(connector_on, clock.now()) == later


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
    for inv in (first, second):  # and both say why: the maintenance, until when, when checks resume
        cause = sync.check_panel(rt, Invoice.get_by_id(inv.id))["diagnosis"][0]
        assert cause["key"] == "maintenance" and cause["params"]["resumes_at"] == iso(resume), cause



class Recorder:
    """A notifier that keeps what it was given (the events a change pushes)."""

    def __init__(self) -> None:
        self.events: list = []

    def publish(self, events) -> None:
        self.events += list(events)

    def take(self) -> list[dict]:
        """The healths pushed since the last take, one per team, checked to be of the one kind."""
        events, self.events = self.events, []
        assert {e.kind for e in events} <= {"connector.updated"}
        return [e.data["health"] for e in events]


def test_what_the_chip_shows_is_pushed_to_every_team_as_it_changes(connector_on, clock, make_user):
    make_user("alice", "Team A")
    make_user("bob", "Team B")  # two teams, one connector: each board is told
    connector_on.notifier = recorder = Recorder()
    health.record(connector_on, None)  # the first success: the chip said "never"
    assert len({e.team_id for e in recorder.events}) == 2
    first = recorder.take()
    assert len(first) == 2 and first[0]["last_ok_at"] is not None and first[0]["version"] == 1
    clock.advance(minutes=1)
    health.record(connector_on, None)  # all well, its time refreshed: nothing to tell
    assert recorder.take() == []
    health.record(connector_on, "connector.timeout")  # the first failure
    # Each record bumps the version, told or not: a board keeps the higher of a read and a push.
    assert [(h["failures"], h["version"]) for h in recorder.take()] == [(1, 3), (1, 3)]
    health.record(connector_on, "connector.timeout")  # one more of the same: the count only
    assert recorder.take() == []
    health.record(connector_on, "connector.timeout")  # down now
    assert {h["ok"] for h in recorder.take()} == {False}
    end = clock.now() + dt.timedelta(hours=1)
    health.record(connector_on, MAINTENANCE_ERROR, end)  # a maintenance
    assert {h["maintenance_until"] for h in recorder.take()} == {iso(end)}
    clock._now = end
    health.record(connector_on, None)  # back after it
    pushed = recorder.take()[0]
    assert pushed["ok"] and pushed["failures"] == 0 and pushed["maintenance_until"] is None
    assert pushed == health.snapshot(connector_on)  # what GET /api/sync/health answers


def test_a_board_gets_the_push_and_catches_up_on_it(app, client, alice, rt, clock):
    """Through the socket (as the web process pushes) and through GET /api/events (a board that was away)."""
    from backend.extensions import socketio
    from backend.realtime.notifier import SocketNotifier

    rt.connector = SimpleNamespace(online=True)
    rt.notifier = SocketNotifier(socketio)
    sock = socketio.test_client(app, flask_test_client=client)
    assert sock.is_connected()
    with database.connection_context():
        health.record(rt, "connector.down")
    pushed = [m["args"][0] for m in sock.get_received() if m["name"] == "event"]
    assert [(e["kind"], e["health"]["failures"], e["health"]["last_error"]) for e in pushed] == [
        ("connector.updated", 1, "connector.down")]
    missed = client.get("/api/events?after=0").json["events"]
    assert [e["health"] for e in missed] == [pushed[0]["health"]]
    read = client.get("/api/sync/health").json["health"]
    assert read["version"] == pushed[0]["health"]["version"] == 1


def test_an_end_too_far_off_to_believe_is_not_kept(connector_on, clock):
    """The checks do not wait for it (they retry as for an outage), so the calls go on and are answered; kept, it
    would outlive those successes (each before its end) and park every check once it came within a week."""
    end = clock.now() + schedule.MAINTENANCE_AT_MOST + dt.timedelta(days=1)
    health.record(connector_on, MAINTENANCE_ERROR, end)
    health.record(connector_on, None)
    clock.advance(days=2)
    health.record(connector_on, None)
    assert health.waiting_for_maintenance(connector_on, clock.now()) is None
    assert health.maintenance_until() is None
    health.record(connector_on, MAINTENANCE_ERROR, end)  # said again, now within a week: believed
    assert health.waiting_for_maintenance(connector_on, clock.now()) == end


def test_a_change_recorded_meanwhile_is_compared_against(connector_on, clock, make_user, monkeypatch):
    """Another process's failure noted between a success's first read and its write: the success is compared with
    that failure (read in its own transaction), so the board is told it ended, not left showing it."""
    make_user("alice", "Team A")
    connector_on.notifier = recorder = Recorder()
    health.record(connector_on, "connector.timeout")
    health.record(connector_on, None)  # back: what the success below would leave, had nothing come between
    clock.advance(minutes=1)  # past OK_REFRESH: the next success writes
    recorder.take()
    real, meanwhile = health.write_transaction, ["connector.timeout"]

    def after_another():
        while meanwhile:
            health.record(connector_on, meanwhile.pop())
        return real()

    monkeypatch.setattr(health, "write_transaction", after_another)
    health.record(connector_on, None)
    assert [h["failures"] for h in recorder.take()] == [1, 0]
