"""Following invoices at the authority, end to end in-process: the real simulator behind the real
HTTP connector, the real job runner, and one fake clock that drives the scheduler through days."""

from __future__ import annotations

import datetime as dt
import io

from backend.models import BuyerEntity, Invoice, Membership, Role, SyncCheck, Team
from backend.services import feed, sync
from backend.sync.schedule import china_day_start

from .exports import export_xlsx
from .factories import PLATFORM_FIELDS, enrolled
from .fakes import SIM_TOKEN
from .helpers import login, read_generated

TOKEN = SIM_TOKEN
FIELDS = PLATFORM_FIELDS


def issue(sim, delay_hours=0.0, **changes):
    """The seller's side: the invoice reaches the platform (a call the operator makes, with the token)."""
    res = sim.client.post("/api/v1/invoices", json={**FIELDS, **changes, "delay_hours": delay_hours},
                          headers={"Authorization": f"Bearer {TOKEN}"})
    assert res.status_code in (200, 201), res.json


def tick(rt, queue, clock=None):
    feed.tick(rt)
    queue.run_all()


def reload(inv) -> Invoice:
    return Invoice.get_by_id(inv.id)


def test_pending_until_visible_then_found_by_lookup(rt, queue, clock, sim, db):
    inv = enrolled(rt)
    assert inv.status == "pending_sync" and inv.next_check_at == clock.now()
    assert [c["key"] for c in inv.diagnosis][:1] == ["sync_window"]
    issue(sim, delay_hours=5)
    sync.run_check(rt, reload(inv), "auto")  # a look-up, not the feed
    inv = reload(inv)
    assert inv.status == "pending_sync" and inv.last_outcome == "same_day"
    assert inv.next_check_at == clock.now() + dt.timedelta(hours=1)
    clock.advance(hours=5, minutes=1)
    sync.run_check(rt, inv, "auto")
    inv = reload(inv)
    assert inv.status == "found" and inv.next_check_at is None and inv.diagnosis == []
    assert inv.authority["fields"]["total"] == "113.00"
    assert [c.outcome for c in SyncCheck.select().order_by(SyncCheck.id)] == ["same_day", "found"]


def test_feed_settles_without_spending_quota(rt, queue, clock, sim, db):
    inv = enrolled(rt)
    BuyerEntity.create(team=inv.team_id, name="甲公司", tax_id=FIELDS["buyer_tax_id"], created_at=clock.now())
    issue(sim, delay_hours=2)
    feed.pull(rt)
    assert reload(inv).status == "pending_sync"
    clock.advance(hours=2, seconds=1)
    assert feed.pull(rt) == 1
    inv = reload(inv)
    assert inv.status == "found"
    check = SyncCheck.get(SyncCheck.invoice == inv.id)
    assert check.trigger == "feed" and not check.spent_quota
    assert "POST /api/v1/verify" not in sim.calls


def test_scheduler_through_forty_days_keeps_quota_and_stops(rt, queue, clock, sim, db):
    inv = enrolled(rt)
    start = clock.now()
    for _ in range(40 * 24):  # one tick per hour for forty days, in milliseconds
        feed.tick(rt)
        queue.run_all()
        clock.advance(hours=1)
    inv = reload(inv)
    checks = list(SyncCheck.select().where(SyncCheck.invoice == inv.id).order_by(SyncCheck.id))
    per_day: dict = {}
    for c in checks:
        per_day[china_day_start(c.at)] = per_day.get(china_day_start(c.at), 0) + c.spent_quota
    assert max(per_day.values()) <= 5
    assert inv.status == "not_found" and inv.next_check_at is None  # overdue, and past the 30-day limit
    assert checks[-1].at - start <= dt.timedelta(days=31)
    gaps = [(b.at - a.at).total_seconds() / 3600 for a, b in zip(checks, checks[1:], strict=False)][:4]
    # The third look is not 12 h later but just after the sync window ends (16:05 UTC, the next hourly tick);
    # then, a day late and not yet overdue (offline-issued invoices), every 6 hours.
    assert gaps == [1, 3, 4, 6]
    assert "overdue_unexplained" in [c["key"] for c in inv.diagnosis]


def test_near_miss_from_the_ledger_then_accept_and_found(rt, queue, clock, sim, db, client, alice):
    team = Team.get(Team.name == "Team A")
    Membership.update(role=Role.ACCOUNTANT.value).where(Membership.user == alice.id).execute()  # not her upload
    from backend.services import ledger

    real = {**FIELDS, "invoice_number": "87654327"}
    data = export_xlsx([{"发票代码": real["invoice_code"], "发票号码": real["invoice_number"], "开票日期": "2026-01-05",
                         "金额": "100.00", "税额": "13.00", "价税合计": "113.00", "发票状态": "正常",
                         "购方识别号": FIELDS["buyer_tax_id"]}])
    ledger.import_file(rt, team, data, "export.xlsx")
    inv = enrolled(rt)
    sync.run_check(rt, inv, "auto")
    inv = reload(inv)
    causes = [c["key"] for c in inv.diagnosis]
    assert causes[:2] == ["near_miss", "sync_window"]  # a look-alike digit, date and amount agreeing
    near = next(c for c in inv.diagnosis if c["key"] == "near_miss")
    assert near["params"]["candidate"]["key"] == "1100094140-87654327"
    assert near["params"]["candidate"]["diffs"] == [{"field": "invoice_number", "position": 7, "ours": "1",
                                                     "theirs": "7"}]
    res = client.post(f"/api/invoices/{inv.id}/accept-candidate", json={"key": "1100094140-87654327"})
    assert res.status_code == 200, res.json
    queue.run_all()
    feed.tick(rt)
    queue.run_all()
    inv = reload(inv)
    assert inv.fields["invoice_number"]["value"] == "87654327"
    assert inv.fields["invoice_number"]["source"] == "manual"
    assert inv.status == "found"
    assert SyncCheck.select().where(SyncCheck.invoice == inv.id).order_by(SyncCheck.id.desc()).first().trigger \
        == "ledger"


def test_outage_for_an_hour_never_marks_found_and_recovers(rt, queue, clock, sim, db):
    inv = enrolled(rt)
    issue(sim)
    sim.fail = "down"
    for _ in range(6):  # an hour of ticks, every ten minutes
        feed.tick(rt)
        queue.run_all()
        clock.advance(minutes=10)
    inv = reload(inv)
    assert inv.status == "pending_sync" and inv.last_outcome == "unavailable"
    assert inv.diagnosis[0]["key"] == "connector_down"
    res_health = sync.health.snapshot(rt)
    assert res_health["ok"] is False and res_health["down_since"]
    for failure in ("garbage", "timeout"):
        sim.fail = failure
        sync.run_check(rt, reload(inv), "auto")
        assert reload(inv).status == "pending_sync"
    sim.fail = None
    clock.advance(minutes=10)
    tick(rt, queue)
    inv = reload(inv)
    assert inv.status == "found"
    assert sync.health.snapshot(rt)["ok"] is True


def test_voided_red_flushed_and_mismatch(rt, queue, clock, sim, db):
    cases = [("voided", {"state": "voided"}, {}), ("red_flushed", {"state": "red_flushed"}, {}),
             ("mismatch", {}, {"amount": "100.10"})]
    for n, (expected, at_sim, ours) in enumerate(cases):
        number = f"8765432{n}"
        issue(sim, invoice_number=number, **at_sim)
        inv = enrolled(rt, {**FIELDS, "invoice_number": number, **ours})
        sim.fail = "down"
        feed.pull(rt)  # the feed is not what this test is about
        sim.fail = None
        sync.run_check(rt, inv, "auto")
        inv = reload(inv)
        assert inv.status == expected, (expected, inv.last_outcome)
        assert inv.next_check_at is None
        assert inv.diagnosis[0]["key"] == {"voided": "voided", "red_flushed": "red_flushed",
                                           "mismatch": "fields_differ"}[expected]
    mismatch = reload(inv)
    assert mismatch.authority["differences"][0]["field"] == "amount"


def test_other_taxpayer_is_diagnosed_once_entities_exist(rt, queue, clock, sim, db, client, make_user):
    make_user("acc", "Team A", role=Role.ADMIN)  # buyer entities are the team admin's

    login(client, "acc")
    inv = enrolled(rt)
    team_id = inv.team_id
    res = client.post(f"/api/teams/{team_id}/entities", json={"name": "我们公司", "tax_id": "91110000MA0000000X"})
    assert res.status_code == 201, res.json
    inv = reload(inv)
    assert "other_taxpayer" in [c["key"] for c in inv.diagnosis]
    other = next(c for c in inv.diagnosis if c["key"] == "other_taxpayer")
    assert other["params"]["buyer_tax_id"] == FIELDS["buyer_tax_id"] and other["action"] == "add_entity"
    dup = client.post(f"/api/teams/{team_id}/entities", json={"name": "x", "tax_id": "91110000ma0000000x"})
    assert dup.status_code == 409 and dup.json["error"]["key"] == "entity.exists"


def test_members_cannot_change_entities_or_import(rt, sim, db, client, alice):
    team_id = Team.get(Team.name == "Team A").id
    res = client.post(f"/api/teams/{team_id}/entities", json={"name": "x", "tax_id": "1"})
    assert res.status_code == 403
    res = client.post("/api/ledger/import", data={"team_id": str(team_id), "file": (io.BytesIO(b"x"), "a.csv")})
    assert res.status_code == 403


def test_check_now_spends_quota_and_is_refused_when_spent(rt, queue, clock, sim, db, client, alice):
    inv = enrolled(rt)
    for used in range(5):
        res = client.post(f"/api/invoices/{inv.id}/check")
        assert res.status_code == 202, res.json
        assert res.json["quota"] == {"used": used, "limit": 5, "spends": 1}
        queue.run_all()
    res = client.post(f"/api/invoices/{inv.id}/check")
    assert res.status_code == 429 and res.json["error"]["key"] == "sync.quota"
    timeline = client.get(f"/api/invoices/{inv.id}/checks").json
    assert [c["trigger"] for c in timeline["checks"]] == ["manual"] * 5
    assert timeline["quota"] == {"used": 5, "limit": 5}
    assert reload(inv).diagnosis[0]["key"] in ("sync_window", "quota")
    assert "quota" in [c["key"] for c in reload(inv).diagnosis]


def test_a_check_job_that_keeps_crashing_never_fails_the_invoice(rt, queue, clock, sim, db, monkeypatch):
    inv = enrolled(rt)

    def boom(query):
        raise RuntimeError("bug in an adapter")

    monkeypatch.setattr(queue.runtime.connector, "lookup", boom)
    sync.due(rt)
    queue.run_all(clock=clock)
    inv = reload(inv)
    assert inv.status == "pending_sync" and inv.next_check_at is not None
    assert inv.last_outcome == "unavailable"


def test_reader_to_pending_sync_in_the_worker(rt, queue, clock, sim, client, alice):
    inv_id = read_generated(client, queue)  # the project's generated invoice, read for real
    inv = client.get(f"/api/invoices/{inv_id}").json["invoice"]
    assert inv["status"] == "pending_sync" and inv["next_check_at"]
    assert inv["diagnosis"]  # why it is not found yet, ranked


def test_demo_mode_issues_at_enrolment_and_the_journey_ends_found(rt, queue, clock, sim, db):
    """Demo: the simulator issues each read invoice; with a compressed clock it is found in minutes."""
    for runtime in (rt, queue.runtime):
        runtime.settings = runtime.settings.with_(demo=True, time_scale=1 / 120)
    sim.client.application.extensions["sim"].time_scale = 1 / 120  # both sides read FAPIAO_TIME_SCALE
    inv = enrolled(rt, {**FIELDS, "issue_date": "2026-01-05"})  # today in China, by the fake clock
    statuses = []
    for _ in range(30 * 60 // 2):  # half an hour of 2-second ticks
        feed.tick(rt)
        queue.run_all()
        statuses.append(reload(inv).status)
        if statuses[-1] == "found":
            break
        clock.advance(seconds=2)
    assert statuses[-1] == "found"
    assert set(statuses[:-1]) <= {"pending_sync"}  # never "not found" on the way: the window starts at issue
    assert clock.now() - inv.created_at < dt.timedelta(minutes=30)


def configure(sim, **body):
    res = sim.client.put("/api/v1/config", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert res.status_code == 200, res.json


def test_the_diagnosis_shown_is_of_now_not_of_the_last_answer(rt, queue, clock, sim, db, client, alice):
    inv = enrolled(rt)
    sync.run_check(rt, reload(inv), "auto")
    stored = reload(inv).diagnosis
    assert stored[0]["key"] == "sync_window" and stored[0]["score"] == 0.9  # expected by 16:00 UTC
    clock.advance(hours=7, minutes=1)  # past it, before the next look (16:05)
    shown = sync.check_panel(rt, reload(inv))["diagnosis"]
    assert shown[0]["key"] == "sync_window" and shown[0]["score"] < 0.9 and "overdue_at" in shown[0]["params"]
    res = client.get(f"/api/invoices/{inv.id}")  # what the invoice page shows
    assert res.status_code == 200 and res.json["invoice"]["diagnosis"] == shown
    assert reload(inv).diagnosis == stored  # reading recomputes, it writes nothing


def test_a_taxpayer_we_are_not_authorised_for_is_no_permission(rt, queue, clock, sim, db):
    configure(sim, taxpayers=["91110000MA00000009"])
    inv = enrolled(rt)
    BuyerEntity.create(team=inv.team_id, name="甲公司", tax_id=FIELDS["buyer_tax_id"], created_at=clock.now())
    issue(sim)
    feed.pull(rt)
    sync.run_check(rt, reload(inv), "auto")
    inv = reload(inv)
    assert inv.status == "pending_sync" and inv.diagnosis[0]["key"] == "no_permission"
    configure(sim, taxpayers=[FIELDS["buyer_tax_id"]])  # authorised at the platform: the feed settles it
    clock.advance(seconds=1)
    feed.pull(rt)
    assert reload(inv).status == "found"


def test_announced_maintenance_is_told_apart_from_an_outage(rt, queue, clock, sim, db):
    now = clock.now()
    configure(sim, maintenance=[[now.isoformat(), (now + dt.timedelta(hours=2)).isoformat()]])
    inv = enrolled(rt)
    sync.run_check(rt, reload(inv), "auto")
    inv = reload(inv)
    assert inv.status == "pending_sync" and inv.last_outcome == "unavailable"
    assert inv.diagnosis[0]["key"] == "maintenance"
    assert SyncCheck.get(SyncCheck.invoice == inv.id).detail["error"] == "connector.maintenance"


def test_the_board_card_and_the_invoice_page_tell_the_same_cause(rt, queue, clock, sim, db, client, alice):
    """Quota spent, then past 'expected by': the card is not left on the stored 'quota, no action needed'."""
    inv = enrolled(rt)
    for _ in range(5):  # every look-up of today spent by check-now
        assert client.post(f"/api/invoices/{inv.id}/check").status_code == 202
        queue.run_all()
    stored = reload(inv).diagnosis
    assert [c["key"] for c in stored] == ["quota", "sync_window"]  # both premised on 16:00 UTC
    clock.advance(hours=7, minutes=1)  # past 'expected by' (and the quota's day), before the next look
    page = client.get(f"/api/invoices/{inv.id}").json["invoice"]["diagnosis"]
    card = next(i for i in client.get("/api/invoices").json["items"] if i["id"] == inv.id)["diagnosis"]
    assert page[0]["key"] != stored[0]["key"]  # the premises passed: what holds now ranks otherwise
    assert card[0]["key"] == page[0]["key"] and card == page
    untouched = enrolled(rt)  # a stored diagnosis whose times still stand is served as stored
    card = next(i for i in client.get("/api/invoices").json["items"] if i["id"] == untouched.id)["diagnosis"]
    assert card == reload(untouched).diagnosis
