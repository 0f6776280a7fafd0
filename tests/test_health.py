"""GET /healthz (alive, no database) and GET /readyz (database, queue, connector): for systemd, nginx, a balancer."""

from __future__ import annotations

from types import SimpleNamespace

import peewee
import pytest

from backend.db import database
from backend.services import health


@pytest.fixture
def anonymous(app):
    """A client that is not signed in and sends no CSRF header: what a probe is."""
    return app.test_client()


@pytest.fixture
def database_away(monkeypatch):
    """PostgreSQL restarting: no connection can be had (as tests/test_bad_params.py has it)."""

    def refused(*args, **kwargs):
        raise peewee.OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    monkeypatch.setattr(database.obj, "connect", refused)


def test_alive_is_a_200_without_sign_in(anonymous):
    res = anonymous.get("/healthz")
    assert res.status_code == 200 and res.json == {"ok": True}
    assert res.headers["Cache-Control"] == "no-store"


def test_alive_does_not_touch_the_database(anonymous, database_away):
    assert anonymous.get("/healthz").status_code == 200
    assert anonymous.get("/api/auth/me").status_code == 503  # the database is away indeed


def test_ready_checks_the_database_the_queue_and_the_connector(anonymous):
    res = anonymous.get("/readyz")
    assert res.status_code == 200, res.json
    assert res.json["ok"] is True
    checks = res.json["checks"]
    assert checks["database"] == {"ok": True} and checks["queue"] == {"ok": True}
    assert checks["connector"]["ok"] is True and checks["connector"]["state"] == "off"  # the tests' FAPIAO_CONNECTOR


def test_ready_is_a_503_naming_the_database_when_it_is_away(anonymous, database_away):
    res = anonymous.get("/readyz")
    assert res.status_code == 503
    assert res.json["ok"] is False
    checks = res.json["checks"]
    assert checks["database"] == {"ok": False, "error": "OperationalError"}
    assert checks["queue"]["ok"] is True  # the queue's own storage still answers
    assert checks["connector"]["ok"] is False and checks["connector"]["state"] == "unknown"  # its state is a row


def test_ready_is_a_503_naming_the_queue_when_its_storage_is_unreachable(anonymous, rt):
    rt.settings = rt.settings.with_(redis_url="redis://127.0.0.1:1/0")  # nothing listens on port 1
    res = anonymous.get("/readyz")
    assert res.status_code == 503
    assert res.json["checks"]["database"]["ok"] is True
    assert res.json["checks"]["queue"]["ok"] is False and res.json["checks"]["queue"]["error"]


def test_a_degraded_or_down_connector_is_reported_and_stays_ready(anonymous, rt, db):
    rt.settings = rt.settings.with_(connector="simulator")
    rt.connector = SimpleNamespace(online=True)  # its health is what the calls recorded, not a call now
    health.record(rt, "connector.timeout")
    res = anonymous.get("/readyz")
    assert res.status_code == 200 and res.json["ok"] is True
    connector = res.json["checks"]["connector"]
    assert connector["ok"] is False and connector["state"] == "degraded"
    assert connector["failures"] == 1 and connector["last_error"] == "connector.timeout"

    for _ in range(health.DOWN_AFTER_FAILURES - 1):
        health.record(rt, "connector.down")
    res = anonymous.get("/readyz")
    assert res.status_code == 200 and res.json["checks"]["connector"]["state"] == "down"

    health.record(rt, None)
    assert anonymous.get("/readyz").json["checks"]["connector"] == {
        "ok": True, "state": "ok", "failures": 0, "last_error": "connector.down",
        "down_since": None}


def test_an_entity_added_while_a_feed_call_was_out_keeps_its_replay(rt, db):
    """The feed asked for the taxpayers it had read before its call; one added meanwhile (its replay row written with
    it) is not among them, and its replay must not be dropped as a taxpayer no longer registered."""
    from backend.models import BuyerEntity, ConnectorState, Team
    from backend.services import entities

    team = Team.create(name="Team A", created_at=rt.clock.now())
    entities.add(rt, team, "甲公司", "91110000MA00000001")
    health.save_feed_cursor("2026-01-05T09:00:00/3")  # the feed has run: a later entity replays from the start
    asked = [e.tax_id for e in BuyerEntity.select()]
    entities.add(rt, team, "乙公司", "91110000MA00000002")  # while the call was out
    ConnectorState.create(name="refused:91110000MA00000009", ok=False)  # a taxpayer no longer registered
    replay = health.record_refused([], "2026-01-05T09:00:00/3", asked)
    names = {r.name for r in ConnectorState.select().where(ConnectorState.name.startswith(health.REFUSED))}
    assert names == {"refused:91110000MA00000002"}
    assert replay == {}  # it replays on the next pass, which asks for it
