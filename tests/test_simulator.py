"""The simulated platform: sync delay, 5-a-day quota, 5-year window, every outcome, outages, feed."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from backend.clock import FakeClock
from backend.settings import Settings, SimulatorSettings
from backend.simulator import app as simulator_app
from backend.simulator import rules
from backend.simulator.app import create_simulator

from .exports import export_xlsx

INVOICE = {"invoice_code": "1100094140", "invoice_number": "87654321", "issue_date": "2026-01-04",
           "amount": "100.00", "tax": "13.00", "total": "113.00", "check_code": None,
           "buyer_tax_id": "91110000MA00000001", "buyer_name": "甲公司"}


@pytest.fixture
def sim_clock():
    return FakeClock(dt.datetime(2026, 1, 5, 2, 0))  # 10:00 in China


TOKEN = "sim-token"


def make_sim(tmp_path, clock, **config):
    settings = Settings(data_dir=tmp_path / "sim", secret_key="x", simulator_token=TOKEN,
                        simulator=SimulatorSettings(seed=7, **config))
    return _authorised(create_simulator(settings, clock, random.Random(7)).test_client())


def _authorised(client):
    """A client that sends the installation's token, as the app's connector does."""
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {TOKEN}"
    return client


@pytest.fixture
def sim(tmp_path, sim_clock):
    return make_sim(tmp_path, sim_clock)


def verify(sim, **changes):
    res = sim.post("/api/v1/verify", json={**INVOICE, **changes})
    assert res.status_code == 200, res.json
    return res.json


def test_findable_only_after_its_delay(sim, sim_clock):
    res = sim.post("/api/v1/invoices", json={**INVOICE, "delay_hours": 5})
    assert res.status_code == 201
    assert verify(sim)["outcome"] == "not_found"
    sim_clock.advance(hours=5, seconds=1)
    found = verify(sim)
    assert found["outcome"] == "found" and found["fields"]["total"] == "113.00"


def test_same_day_when_issued_today(sim):
    sim.post("/api/v1/invoices", json={**INVOICE, "issue_date": "2026-01-05", "delay_hours": 5})
    assert verify(sim, issue_date="2026-01-05")["outcome"] == "same_day"


def test_sampled_delays_follow_the_configured_distribution(tmp_path, sim_clock):
    sim = make_sim(tmp_path, sim_clock, delay_median_hours=3.0, offline_share=0.0)
    hours = []
    for i in range(200):
        res = sim.post("/api/v1/invoices", json={**INVOICE, "invoice_number": f"{10000000 + i}"})
        visible = dt.datetime.fromisoformat(res.json["visible_at"])
        hours.append((visible - sim_clock.now()).total_seconds() / 3600)
    hours.sort()
    assert 2.0 < hours[100] < 4.5  # median near 3 h
    assert hours[0] > 0


def test_quota_is_five_a_day_per_invoice(sim, sim_clock):
    sim.post("/api/v1/invoices", json={**INVOICE, "delay_hours": 0})
    outcomes = [verify(sim)["outcome"] for _ in range(6)]
    assert outcomes == ["found"] * 5 + ["quota_exceeded"]
    assert verify(sim, invoice_number="11111111")["outcome"] == "not_found"  # another invoice: its own quota
    sim_clock.advance(hours=14)  # past midnight in China
    assert verify(sim)["outcome"] == "found"


def test_quota_day_is_the_china_day_at_scale_one_and_a_demo_day_in_a_demo(tmp_path, sim_clock):
    settings = Settings(data_dir=tmp_path / "sim", secret_key="x", simulator_token=TOKEN, time_scale=1 / 120,
                        simulator=SimulatorSettings(seed=7))
    demo = _authorised(create_simulator(settings, sim_clock, random.Random(7)).test_client())
    demo.post("/api/v1/invoices", json={**INVOICE, "delay_hours": 0})
    assert [verify(demo)["outcome"] for _ in range(6)] == ["found"] * 5 + ["quota_exceeded"]
    sim_clock.advance(minutes=12)  # a demo day (24 h at 1/120) later: its quota is back
    assert [verify(demo)["outcome"] for _ in range(6)] == ["found"] * 5 + ["quota_exceeded"]
    assert rules.quota_day(sim_clock.now(), 1) == rules.china_date(sim_clock.now())


def test_production_quota_waits_for_the_china_midnight(sim, sim_clock):
    sim.post("/api/v1/invoices", json={**INVOICE, "delay_hours": 0})
    assert [verify(sim)["outcome"] for _ in range(6)] == ["found"] * 5 + ["quota_exceeded"]
    sim_clock.advance(minutes=12)  # 10:12 in China: the same day at time scale 1
    assert verify(sim)["outcome"] == "quota_exceeded"
    sim_clock.advance(hours=13, minutes=48)  # 00:00 the next day in China
    assert verify(sim)["outcome"] == "found"


def test_window_statuses_and_inconsistency(sim):
    sim.post("/api/v1/invoices", json={**INVOICE, "delay_hours": 0})
    assert verify(sim, issue_date="2020-01-01")["outcome"] == "too_old"
    res = verify(sim, amount="100.01")
    assert res["outcome"] == "inconsistent" and res["differences"] == ["amount"]
    sim.post("/api/v1/invoices/1100094140-87654321/state", json={"state": "voided"})
    assert verify(sim)["outcome"] == "voided"
    sim.post("/api/v1/invoices/1100094140-87654321/state", json={"state": "red_flushed"})
    assert verify(sim)["outcome"] == "red_flushed"
    assert sim.post("/api/v1/invoices/9-9/state", json={"state": "voided"}).status_code == 404


def test_unsupported_region_outage_and_errors(tmp_path, sim_clock):
    start = sim_clock.now()
    sim = make_sim(tmp_path, sim_clock, unsupported_regions=("11",),
                   outages=((start + dt.timedelta(hours=1), start + dt.timedelta(hours=2)),))
    assert verify(sim)["outcome"] == "unsupported"
    sim_clock.advance(hours=1, minutes=30)
    assert sim.post("/api/v1/verify", json=INVOICE).status_code == 503
    sim_clock.advance(hours=1)
    assert sim.post("/api/v1/verify", json=INVOICE).status_code == 200
    sim.put("/api/v1/config", json={"error_rate": 1.0})
    assert sim.post("/api/v1/verify", json=INVOICE).status_code == 500
    assert sim.post("/api/v1/verify", json={"invoice_number": "x"}).status_code == 500  # faults come first
    sim.put("/api/v1/config", json={"error_rate": 0.0})
    assert sim.post("/api/v1/verify", json={"invoice_number": "x"}).status_code == 400


def test_feed_shows_rows_once_visible_and_again_when_changed(sim, sim_clock):
    sim.post("/api/v1/invoices", json={**INVOICE, "delay_hours": 2})
    buyer = INVOICE["buyer_tax_id"]
    first = sim.get("/api/v1/ledger", query_string={"buyer": buyer}).json
    assert first["rows"] == []
    sim_clock.advance(hours=3)
    page = sim.get("/api/v1/ledger", query_string={"since": first["cursor"], "buyer": buyer}).json
    assert [r["key"] for r in page["rows"]] == ["1100094140-87654321"]
    again = sim.get("/api/v1/ledger", query_string={"since": page["cursor"], "buyer": buyer}).json
    assert again["rows"] == []
    sim_clock.advance(minutes=1)
    sim.post("/api/v1/invoices/1100094140-87654321/state", json={"state": "voided"})
    sim_clock.advance(seconds=1)
    changed = sim.get("/api/v1/ledger", query_string={"since": page["cursor"], "buyer": buyer}).json
    assert [r["state"] for r in changed["rows"]] == ["voided"]
    other = sim.get("/api/v1/ledger", query_string={"buyer": "91110000MA00000002"}).json
    assert other["rows"] == []


def test_seeded_from_an_export_file(sim):
    data = export_xlsx([{"发票代码": "1100094140", "发票号码": "87654321", "开票日期": "2026-01-04",
                         "金额": "100.00", "税额": "13.00", "价税合计": "113.00", "发票状态": "正常"}])
    res = sim.post("/api/v1/import", data={"file": (__import__("io").BytesIO(data), "export.xlsx")})
    assert res.json["rows"] == 1
    assert verify(sim)["outcome"] == "found"


def test_seeded_at_start_from_a_file_named_in_the_settings(tmp_path, sim_clock):
    path = tmp_path / "export.xlsx"
    path.write_bytes(export_xlsx([{"发票代码": "1100094140", "发票号码": "87654321", "开票日期": "2026-01-04",
                                   "金额": "100.00", "价税合计": "113.00", "发票状态": "已作废"}]))
    settings = Settings(data_dir=tmp_path / "sim", secret_key="x", simulator_token=TOKEN,
                        simulator=SimulatorSettings(seed=7, ledger_file=path))
    sim = _authorised(create_simulator(settings, sim_clock, random.Random(7)).test_client())
    assert verify(sim)["outcome"] == "voided"
    assert sim.get("/api/v1/config").json["ledger_file"] == str(path)
    assert sim.get("/api/v1/config").json["ledger_file"] == str(path)


def test_announced_maintenance_says_so_and_until_when(tmp_path, sim_clock):
    start = sim_clock.now() + dt.timedelta(hours=1)
    sim = make_sim(tmp_path, sim_clock, maintenance=((start, start + dt.timedelta(hours=2)),),
                   outages=((start + dt.timedelta(hours=3), start + dt.timedelta(hours=4)),))
    assert verify(sim)["outcome"] == "not_found"
    sim_clock.advance(hours=1, seconds=1)
    res = sim.post("/api/v1/verify", json=INVOICE)
    assert res.status_code == 503 and res.json == {"error": "maintenance", "until": "2026-01-05T05:00:00Z"}
    sim_clock.advance(hours=3)
    res = sim.post("/api/v1/verify", json=INVOICE)
    assert res.status_code == 503 and res.json["error"] == "down"  # an outage announces nothing


def test_only_the_authorised_taxpayers_invoices_and_ledgers(tmp_path, sim_clock):
    sim = make_sim(tmp_path, sim_clock, taxpayers=("91110000MA00000001",))
    other = {**INVOICE, "invoice_number": "87654322", "buyer_tax_id": "91440300MA5D00003C"}
    for body in (INVOICE, other):
        assert sim.post("/api/v1/invoices", json={**body, "delay_hours": 0}).status_code == 201
    assert verify(sim)["outcome"] == "found"
    assert verify(sim, invoice_number="87654322")["outcome"] == "not_found"  # another taxpayer's: 查无此票
    res = sim.get("/api/v1/ledger", query_string={"buyer": "91110000MA00000001,91440300MA5D00003C"})
    assert [r["invoice_number"] for r in res.json["rows"]] == ["87654321"]
    assert res.json["refused"] == ["91440300MA5D00003C"]


def test_ledger_leaves_out_what_a_look_up_would_refuse(tmp_path, sim_clock):
    sim = make_sim(tmp_path, sim_clock, unsupported_regions=("54",))
    old = {**INVOICE, "invoice_number": "87654323", "issue_date": "2020-01-01"}
    far = {**INVOICE, "invoice_code": "5400094140"}
    for body in (INVOICE, old, far):
        assert sim.post("/api/v1/invoices", json={**body, "delay_hours": 0}).status_code == 201
    res = sim.get("/api/v1/ledger", query_string={"buyer": INVOICE["buyer_tax_id"]})
    assert [r["key"] for r in res.json["rows"]] == ["1100094140-87654321"]
    assert verify(sim, **old)["outcome"] == "too_old" and verify(sim, **far)["outcome"] == "unsupported"


def test_maintenance_and_taxpayers_from_the_environment_and_the_config_api(tmp_path, sim):
    env = {"FAPIAO_DATA_DIR": str(tmp_path), "FAPIAO_SIM_MAINTENANCE": "2026-01-05T14:00/2026-01-05T20:00",
           "FAPIAO_SIM_TAXPAYERS": "91110000ma00000001, 91110000MA00000002"}
    sim_settings = Settings.from_env(env).simulator
    assert sim_settings.maintenance == ((dt.datetime(2026, 1, 5, 14), dt.datetime(2026, 1, 5, 20)),)
    assert sim_settings.taxpayers == ("91110000MA00000001", "91110000MA00000002")
    res = sim.put("/api/v1/config", json={"taxpayers": ["91110000ma00000001"],
                                          "maintenance": [["2026-01-05T14:00", "2026-01-05T20:00"]]})
    assert res.status_code == 200 and res.json["taxpayers"] == ["91110000MA00000001"]
    assert res.json["maintenance"] == [["2026-01-05T14:00:00", "2026-01-05T20:00:00"]]
    assert sim.put("/api/v1/config", json={"taxpayers": "all"}).status_code == 400


def test_feed_pages_split_rows_of_one_time_without_losing_any(sim, sim_clock, monkeypatch):
    """The cursor is (time, row): a page ending among rows of one instant goes on with the next of them; the last
    page, not full, ends before every row of now (they may still change at it), so they come again, a page at a
    time, then nothing; a plain time (a cursor of before the row was in it) is read as before them too."""
    monkeypatch.setattr(simulator_app, "FEED_PAGE", 2)
    for i in range(5):  # the clock stands still: all five of one time
        sim.post("/api/v1/invoices", json={**INVOICE, "invoice_number": f"8765436{i}", "delay_hours": 0})
    buyer, seen, more, cursor = INVOICE["buyer_tax_id"], [], [], None
    plain = sim.get("/health").json["now"]  # the time all five were issued at
    for _ in range(3):
        page = sim.get("/api/v1/ledger", query_string={"buyer": buyer, **({"since": cursor} if cursor else {})}).json
        seen += [r["key"] for r in page["rows"]]
        more.append(page["more"])
        cursor = page["cursor"]
    assert seen == [f"1100094140-8765436{i}" for i in range(5)] and more == [True, True, False]
    sim_clock.advance(seconds=1)
    for _ in range(3):
        page = sim.get("/api/v1/ledger", query_string={"buyer": buyer, "since": cursor}).json
        cursor = page["cursor"]
    assert page["more"] is False and [r["key"] for r in page["rows"]] == seen[4:]  # that instant once more
    again = sim.get("/api/v1/ledger", query_string={"buyer": buyer, "since": cursor}).json
    assert again["rows"] == [] and again["more"] is False
    old = sim.get("/api/v1/ledger", query_string={"buyer": buyer, "since": plain}).json
    assert [r["key"] for r in old["rows"]] == seen[:2]
    for bad in ("2026-01-05T02:00:00/x", "2026-01-05T02:00:00/-1", "not a time/1"):
        assert sim.get("/api/v1/ledger", query_string={"buyer": buyer, "since": bad}).status_code == 400
