"""The re-check schedule against the real simulator (in-process, behind the real HTTP connector) on the fake
clock: the demo's platform day, an announced maintenance, a taxpayer authorised after its rows were refused."""

from __future__ import annotations

import datetime as dt
import hashlib
import random

import pytest

from backend.clock import platform_day_start
from backend.models import Invoice, StoredFile, SyncCheck, Team
from backend.services import sync
from backend.settings import Settings, SimulatorSettings
from backend.simulator.app import create_simulator
from backend.sync.connector import HttpConnector

from .fakes import FlaskSession

TOKEN = "sim-token"
FIELDS = {"invoice_code": "1100094140", "invoice_number": "87654321", "issue_date": "2026-01-05",
          "amount": "100.00", "tax": "13.00", "total": "113.00", "buyer_name": "甲公司",
          "buyer_tax_id": "91110000MA00000001", "seller_name": "乙公司", "seller_tax_id": "91110000MA00000002"}
DEMO_SCALE = 1 / 120


@pytest.fixture
def settings(settings):
    return settings.with_(connector="simulator", demo=False)


@pytest.fixture
def sim(tmp_path, clock, rt, queue):
    """The simulator, with the connector of both runtimes (web and worker) pointed at it."""
    sim_settings = Settings(data_dir=tmp_path / "sim", secret_key="x", simulator_token=TOKEN,
                            simulator=SimulatorSettings(seed=1))
    session = FlaskSession(create_simulator(sim_settings, clock, random.Random(1)))
    connector = HttpConnector("http://simulator", 5, session, token=TOKEN)
    rt.connector = connector
    queue.runtime.connector = connector
    return session


def make_invoice(rt, fields=FIELDS) -> Invoice:
    team, _ = Team.get_or_create(name="Team A", defaults={"created_at": rt.clock.now()})
    now = rt.clock.now()
    sha = hashlib.sha256(repr((fields, now, random.random())).encode()).hexdigest()
    stored = StoredFile.create(sha256=sha, size=1, kind="jpeg", mime="image/jpeg", created_at=now)
    inv = Invoice.create(team=team, file=stored, original_name="x.jpg", status="extracted", created_at=now,
                         updated_at=now, family="vat_special",
                         fields={k: {"value": v, "confidence": 0.99, "source": "ocr"} for k, v in fields.items()})
    sync.enroll(rt, inv, fresh=True)
    return Invoice.get_by_id(inv.id)


def call(sim, method, path, **kw):
    res = sim.client.open(path, method=method, headers={"Authorization": f"Bearer {TOKEN}"}, **kw)
    assert res.status_code in (200, 201), res.json
    return res.json


def issue(sim, delay_hours=0.0, **changes):
    call(sim, "POST", "/api/v1/invoices", json={**FIELDS, **changes, "delay_hours": delay_hours})


def run_due(rt, queue, clock, until: dt.datetime) -> None:
    """The scheduler, jumping from one due check to the next (the fake clock moves only when told)."""
    while True:
        sync.due(rt)
        queue.run_all()
        upcoming = Invoice.select().where(Invoice.next_check_at.is_null(False)).order_by(Invoice.next_check_at)
        nxt = upcoming.first()
        if nxt is None or nxt.next_check_at > until:
            return
        clock._now = max(clock.now(), nxt.next_check_at)


def test_a_demo_invoice_gets_its_look_ups_back_each_demo_day(rt, queue, clock, sim, db):
    """At 1/120 the platform's day lasts 12 minutes on both sides: an invoice that spent its 5 look-ups is looked
    at again the next demo day (before: at the real China midnight, hours after the demo ended)."""
    for runtime in (rt, queue.runtime):
        runtime.settings = runtime.settings.with_(demo=True, time_scale=DEMO_SCALE)
    sim.client.application.extensions["sim"].time_scale = DEMO_SCALE  # both sides read FAPIAO_TIME_SCALE
    inv = make_invoice(rt)
    issue(sim, delay_hours=24 * 5, replace=True)  # findable only after five authority-days (an hour of demo)
    start = clock.now()
    run_due(rt, queue, clock, start + dt.timedelta(minutes=36))  # three demo days
    checks = list(SyncCheck.select().where(SyncCheck.invoice == inv.id).order_by(SyncCheck.id))
    per_day: dict[dt.datetime, int] = {}
    for c in checks:
        day = platform_day_start(c.at, DEMO_SCALE)
        per_day[day] = per_day.get(day, 0) + c.spent_quota
    assert all(n <= 5 for n in per_day.values()), per_day
    assert sum(per_day.values()) > 5 and len([n for n in per_day.values() if n]) >= 3, per_day
    assert "quota_exceeded" not in {c.outcome for c in checks}  # the app and the platform count the same day
