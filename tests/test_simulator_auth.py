"""The simulated platform answers only the holder of the installation's token, serves a ledger only for the
taxpayers a request names, and listens on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import datetime as dt
import os
import random
import stat

import pytest

from backend.clock import FakeClock
from backend.settings import Settings, SettingsError, SimulatorSettings
from backend.simulator import app as sim_app
from backend.simulator.app import bind_address, create_simulator
from backend.simulator.auth import bearer, token_ok
from backend.sync.connector import HttpConnector
from backend.sync.types import Outcome, Query

from .fakes import FlaskSession

TOKEN = "the-installation-token"
OURS, THEIRS = "91110000MA00000001", "91310000MA00000009"
INVOICE = {"invoice_code": "1100094140", "invoice_number": "87654321", "issue_date": "2026-01-04",
           "amount": "100.00", "tax": "13.00", "total": "113.00", "check_code": None, "buyer_tax_id": OURS}
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def sim_clock():
    return FakeClock(dt.datetime(2026, 1, 5, 2, 0))


@pytest.fixture
def sim_flask(tmp_path, sim_clock):
    settings = Settings(data_dir=tmp_path / "sim", secret_key="x", simulator_token=TOKEN,
                        simulator=SimulatorSettings(seed=3))
    return create_simulator(settings, sim_clock, random.Random(3))


@pytest.fixture
def sim(sim_flask):
    return sim_flask.test_client()


# -- the token ------------------------------------------------------------------------------------
CALLS = [
    ("post", "/api/v1/verify", {"json": INVOICE}),
    ("get", "/api/v1/ledger", {"query_string": {"buyer": OURS}}),
    ("post", "/api/v1/invoices", {"json": {**INVOICE, "delay_hours": 0}}),
    ("post", "/api/v1/invoices/1100094140-87654321/state", {"json": {"state": "voided"}}),
    ("post", "/api/v1/import", {"data": {}}),
    ("get", "/api/v1/config", {}),
    ("put", "/api/v1/config", {"json": {"error_rate": 1.0}}),
]
WRONG = [None, "", "Bearer", "Bearer ", "Basic dGhlOnRva2Vu", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}",
         f"Token {TOKEN}", "Bearer " + "a" * 10_000]


@pytest.mark.parametrize(("method", "path", "kwargs"), CALLS, ids=[f"{m} {p}" for m, p, _ in CALLS])
def test_every_call_needs_the_token(sim, method, path, kwargs):
    for header in WRONG:
        headers = {} if header is None else {"Authorization": header}
        res = getattr(sim, method)(path, headers=headers, **kwargs)
        assert res.status_code == 401, (header, res.status_code)
        assert res.is_json and res.json == {"error": "unauthorized"}
        assert res.headers["WWW-Authenticate"] == "Bearer"
    assert getattr(sim, method)(path, headers=AUTH, **kwargs).status_code != 401


def test_refused_calls_change_nothing(sim, sim_clock):
    """Without the token nobody voids an invoice, switches errors on or spends its quota."""
    assert sim.post("/api/v1/invoices", json={**INVOICE, "delay_hours": 0}, headers=AUTH).status_code == 201
    sim.post("/api/v1/invoices/1100094140-87654321/state", json={"state": "voided"})
    sim.put("/api/v1/config", json={"error_rate": 1.0, "daily_quota": 0})
    for _ in range(10):
        sim.post("/api/v1/verify", json=INVOICE)
    res = sim.post("/api/v1/verify", json=INVOICE, headers=AUTH)
    assert res.status_code == 200
    assert res.json["outcome"] == "found" and res.json["remaining"] == 4
    assert sim.get("/api/v1/config", headers=AUTH).json["error_rate"] == 0.0


def test_auth_comes_before_faults(tmp_path, sim_clock):
    """A stranger learns nothing, not even that the platform is down."""
    start = sim_clock.now()
    settings = Settings(data_dir=tmp_path / "sim", secret_key="x", simulator_token=TOKEN,
                        simulator=SimulatorSettings(outages=((start, start + dt.timedelta(hours=1)),)))
    sim = create_simulator(settings, sim_clock, random.Random(1)).test_client()
    assert sim.post("/api/v1/verify", json=INVOICE).status_code == 401
    assert sim.post("/api/v1/verify", json=INVOICE, headers=AUTH).status_code == 503


def test_health_answers_without_the_token(sim):
    res = sim.get("/health")
    assert res.status_code == 200 and res.json["ok"] is True


def test_no_simulator_starts_without_a_token(tmp_path):
    with pytest.raises(SettingsError):
        create_simulator(Settings(data_dir=tmp_path / "sim", secret_key="x"))


def test_token_helpers():
    assert bearer(f"Bearer {TOKEN}") == TOKEN
    assert bearer(f"bearer  {TOKEN} ") == TOKEN
    assert bearer("Basic x") is None and bearer(None) is None and bearer("Bearer") is None
    assert token_ok(TOKEN, TOKEN)
    assert not token_ok(TOKEN + "x", TOKEN) and not token_ok("", TOKEN) and not token_ok(None, TOKEN)
    assert not token_ok("", "")  # an unset token lets nobody in


def test_the_token_is_generated_once_into_the_data_dir_with_mode_0600(tmp_path):
    first = Settings.from_mapping({"FAPIAO_DATA_DIR": str(tmp_path)})
    path = tmp_path / "simulator_token"
    assert len(first.simulator_token) >= 40 and path.read_text() == first.simulator_token
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert Settings.from_mapping({"FAPIAO_DATA_DIR": str(tmp_path)}).simulator_token == first.simulator_token
    assert first.simulator_token != first.secret_key
    given = Settings.from_mapping({"FAPIAO_DATA_DIR": str(tmp_path), "FAPIAO_SIMULATOR_TOKEN": "external"})
    assert given.simulator_token == "external"  # for an external simulator


# -- the connector --------------------------------------------------------------------------------
def test_the_connector_sends_the_token_and_a_wrong_one_is_its_own_key(sim_flask):
    session = FlaskSession(sim_flask)
    good = HttpConnector("http://simulator", 5, session, token=TOKEN)
    assert good.lookup(Query(INVOICE["invoice_code"], INVOICE["invoice_number"], INVOICE["issue_date"],
                             INVOICE["amount"], INVOICE["total"], None)).outcome == Outcome.NOT_FOUND
    bad = HttpConnector("http://simulator", 5, session, token="guessed")
    result = bad.lookup(Query(None, "87654321", None, None, None, None))
    assert result.outcome == Outcome.UNAVAILABLE and result.error == "connector.unauthorized"


def test_the_connector_asks_for_no_ledger_without_taxpayers(sim_flask):
    session = FlaskSession(sim_flask)
    conn = HttpConnector("http://simulator", 5, session, token=TOKEN)
    assert conn.changes("cursor-1", []) == ([], "cursor-1")
    assert session.calls == []


# -- team scoping ---------------------------------------------------------------------------------
def _issue(sim, number: str, buyer: str | None) -> None:
    res = sim.post("/api/v1/invoices", json={**INVOICE, "invoice_number": number, "buyer_tax_id": buyer,
                                             "delay_hours": 0}, headers=AUTH)
    assert res.status_code == 201, res.json


def test_a_ledger_holds_only_the_named_taxpayers_invoices(sim, sim_clock):
    _issue(sim, "10000001", OURS)
    _issue(sim, "10000002", THEIRS)
    _issue(sim, "10000003", None)  # made out to a person: nobody's ledger
    _issue(sim, "10000004", OURS.lower())
    sim_clock.advance(seconds=1)

    def keys(buyer):
        res = sim.get("/api/v1/ledger", query_string={"buyer": buyer}, headers=AUTH)
        assert res.status_code == 200, res.json
        return sorted(r["invoice_number"] for r in res.json["rows"])

    assert keys(OURS) == ["10000001", "10000004"]
    assert keys(OURS.lower()) == ["10000001", "10000004"]
    assert keys(THEIRS) == ["10000002"]
    assert keys(f"{OURS},{THEIRS}") == ["10000001", "10000002", "10000004"]
    assert keys("91110000MA00000077") == []


@pytest.mark.parametrize("buyer", [None, "", ",", " , ", "91110000MA0000000%", "x" * 25, "甲公司",
                                   ",".join(f"91110000MA{i:08d}" for i in range(2001))])
def test_a_ledger_of_nobody_in_particular_is_refused(sim, buyer):
    query = {} if buyer is None else {"buyer": buyer}
    res = sim.get("/api/v1/ledger", query_string=query, headers=AUTH)
    assert res.status_code == 400 and res.json == {"error": "buyer_required"}


@pytest.mark.parametrize("since", ["yesterday", "2026-13-01", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_bad_cursor_is_a_400(sim, since):
    res = sim.get("/api/v1/ledger", query_string={"buyer": OURS, "since": since}, headers=AUTH)
    assert res.status_code == 400 and res.json == {"error": "bad_cursor"}


def test_two_teams_feeds_stay_apart(rt, queue, clock, db, tmp_path):
    """The app side: each team's ledger gets the rows of its own registered taxpayers, and a team with none
    registered gets none, even while another team's rows arrive."""
    from backend.models import BuyerEntity, LedgerRow, Team
    from backend.services import feed

    settings = Settings(data_dir=tmp_path / "sim", secret_key="x", simulator_token=TOKEN,
                        simulator=SimulatorSettings(seed=3))
    session = FlaskSession(create_simulator(settings, clock, random.Random(3)))
    rt.connector = HttpConnector("http://simulator", 5, session, token=TOKEN)
    a = Team.create(name="A", created_at=clock.now())
    b = Team.create(name="B", created_at=clock.now())
    c = Team.create(name="C (no entity)", created_at=clock.now())
    BuyerEntity.create(team=a.id, name="甲", tax_id=OURS, created_at=clock.now())
    BuyerEntity.create(team=b.id, name="乙", tax_id=THEIRS, created_at=clock.now())
    _issue(session.client, "20000001", OURS)
    _issue(session.client, "20000002", THEIRS)
    _issue(session.client, "20000003", "91440000MA00000005")  # nobody's here
    clock.advance(seconds=1)
    feed.pull(rt)

    def numbers(team):
        return sorted(r.invoice_number for r in LedgerRow.select().where(LedgerRow.team == team.id))

    assert numbers(a) == ["20000001"]
    assert numbers(b) == ["20000002"]
    assert numbers(c) == []
    assert session.calls == ["GET /api/v1/ledger"]


# -- where it listens -----------------------------------------------------------------------------
def test_it_listens_on_localhost_even_when_the_app_faces_the_network(tmp_path):
    settings = Settings.from_mapping({"FAPIAO_DATA_DIR": str(tmp_path), "FAPIAO_HOST": "0.0.0.0",
                                      "FAPIAO_PORT": "8100"})
    assert settings.host == "0.0.0.0"
    assert bind_address(settings) == ("127.0.0.1", 8101)
    chosen = Settings.from_mapping({"FAPIAO_DATA_DIR": str(tmp_path), "FAPIAO_SIMULATOR_HOST": "10.0.0.5"})
    assert bind_address(chosen) == ("10.0.0.5", 8001)


def test_serve_binds_where_bind_address_says(tmp_path, monkeypatch):
    seen = {}
    monkeypatch.setattr("werkzeug.serving.run_simple", lambda host, port, app, **kw: seen.update(host=host, port=port))
    settings = Settings.from_mapping({"FAPIAO_DATA_DIR": str(tmp_path), "FAPIAO_HOST": "0.0.0.0"})
    sim_app.serve(settings)
    assert seen == {"host": "127.0.0.1", "port": 8001}
