"""The re-check schedule against the real simulator (in-process, behind the real HTTP connector) on the fake
clock: the demo's platform day, an announced maintenance, a taxpayer authorised after its rows were refused."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.clock import iso, platform_day_start
from backend.models import BuyerEntity, Invoice, LedgerRow, SyncCheck, Team
from backend.services import entities, feed, health, ledger, sync
from backend.simulator import app as simulator_app
from backend.sync import schedule

from .factories import PLATFORM_FIELDS, enrolled
from .fakes import SIM_TOKEN

TOKEN = SIM_TOKEN
FIELDS = PLATFORM_FIELDS
DEMO_SCALE = 1 / 120


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
    inv = enrolled(rt)
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


def configure(sim, **body):
    call(sim, "PUT", "/api/v1/config", json=body)


def lookups(sim) -> int:
    return sim.calls.count("POST /api/v1/verify")


def test_an_announced_maintenance_is_waited_out_by_the_checks_and_the_feed(rt, queue, clock, sim, db):
    start = clock.now()
    end = start + dt.timedelta(hours=2)
    issue(sim)  # findable at once, but the platform closes now for two hours
    configure(sim, maintenance=[[start.isoformat(), end.isoformat()]])
    first = enrolled(rt)
    BuyerEntity.create(team=first.team_id, name="甲公司", tax_id=FIELDS["buyer_tax_id"], created_at=start)
    sync.due(rt)
    queue.run_all()
    first = Invoice.get_by_id(first.id)
    resume = end + dt.timedelta(minutes=schedule.AFTER_MAINTENANCE_MINUTES)
    assert first.last_outcome == "unavailable" and first.next_check_at == resume  # not every 10 minutes
    assert health.maintenance_until() == end
    cause = sync.check_panel(rt, first)["diagnosis"][0]
    assert cause["key"] == "maintenance" and cause["params"]["until"] == iso(end)
    assert cause["params"]["resumes_at"] == iso(resume)

    clock.advance(minutes=30)  # another invoice falls due inside the window; the feed ticks all along
    second = enrolled(rt, {**FIELDS, "invoice_number": "87654322"})
    asked, pulled = lookups(sim), sim.calls.count("GET /api/v1/ledger")
    for _ in range(3):
        feed.tick(rt)
        queue.run_all()
        clock.advance(minutes=10)
    assert lookups(sim) == asked and sim.calls.count("GET /api/v1/ledger") == pulled  # nothing asked, nothing spent
    second = Invoice.get_by_id(second.id)
    assert second.next_check_at == resume and second.checks_done == 0
    assert SyncCheck.get(SyncCheck.invoice == second.id).detail["error"] == "connector.maintenance"

    clock._now = resume
    feed.tick(rt)  # the feed resumes and settles the first; the second is looked up
    queue.run_all()
    assert Invoice.get_by_id(first.id).status == "found"
    assert Invoice.get_by_id(second.id).status == "pending_sync" and lookups(sim) == asked + 1
    assert health.maintenance_until() is None and health.snapshot(rt)["ok"]


def test_an_unannounced_outage_keeps_its_backoff(rt, queue, clock, sim, db):
    now = clock.now()
    configure(sim, outages=[[now.isoformat(), (now + dt.timedelta(hours=2)).isoformat()]])
    inv = enrolled(rt)
    sync.due(rt)
    queue.run_all()
    inv = Invoice.get_by_id(inv.id)
    assert inv.last_outcome == "unavailable" and inv.next_check_at == now + dt.timedelta(minutes=10)
    assert health.maintenance_until() is None
    assert sync.check_panel(rt, inv)["diagnosis"][0]["key"] != "maintenance"


OURS, THEIRS_TOO = "91110000MA00000001", "91110000MA00000009"  # two buyer entities of the team


def test_a_taxpayer_authorised_later_gets_its_refused_rows_replayed(rt, queue, clock, sim, db, monkeypatch):
    """Refused rows of one taxpayer, while another's rows move the shared cursor on: once the platform authorises
    us for it, the next feed pass replays its rows from where they were refused (a page at a time)."""
    monkeypatch.setattr(simulator_app, "FEED_PAGE", 2)
    configure(sim, taxpayers=[OURS])
    later = [enrolled(rt, {**FIELDS, "invoice_number": f"8765433{i}", "buyer_tax_id": THEIRS_TOO})
             for i in range(3)]
    for inv in later:
        BuyerEntity.get_or_create(team=inv.team_id, tax_id=THEIRS_TOO, defaults={"name": "丙公司",
                                                                                 "created_at": clock.now()})
        issue(sim, invoice_number=inv.fields["invoice_number"]["value"], buyer_tax_id=THEIRS_TOO)
        clock.advance(seconds=1)
    mine = enrolled(rt)
    BuyerEntity.create(team=mine.team_id, name="甲公司", tax_id=OURS, created_at=clock.now())
    issue(sim)
    clock.advance(seconds=1)
    feed.pull(rt)  # ours settles; theirs are refused, and the cursor moves past their rows
    assert Invoice.get_by_id(mine.id).status == "found"
    assert health.refused_taxpayers() == {THEIRS_TOO} and health.feed_cursor() is not None
    cause = sync.check_panel(rt, Invoice.get_by_id(later[0].id))["diagnosis"][0]
    assert cause["key"] == "no_permission"

    configure(sim, taxpayers=[OURS, THEIRS_TOO])  # the taxpayer authorises this installation at the platform
    clock.advance(seconds=1)
    asked = lookups(sim)
    feed.pull(rt)  # the first page of its rows
    assert health.refused_taxpayers() == set()  # served again: no longer "no permission"
    assert [Invoice.get_by_id(i.id).status for i in later] == ["found", "found", "pending_sync"]
    clock.advance(seconds=1)
    feed.pull(rt)  # and the rest
    assert [Invoice.get_by_id(i.id).status for i in later] == ["found"] * 3
    assert lookups(sim) == asked  # found by the feed, not by look-ups
    assert not SyncCheck.select().where(SyncCheck.invoice.in_([i.id for i in later]), SyncCheck.spent_quota).exists()
    clock.advance(seconds=1)
    feed.pull(rt)
    assert sim.calls.count("GET /api/v1/ledger") == 1 + 2 + 2 + 1  # the replay done: one call a pass, as before


def test_a_refused_taxpayer_no_longer_ours_is_forgotten(rt, queue, clock, sim, db):
    configure(sim, taxpayers=[OURS])
    inv = enrolled(rt, {**FIELDS, "buyer_tax_id": THEIRS_TOO})
    BuyerEntity.create(team=inv.team_id, name="丙公司", tax_id=THEIRS_TOO, created_at=clock.now())
    issue(sim, buyer_tax_id=THEIRS_TOO)
    feed.pull(rt)
    assert health.refused_taxpayers() == {THEIRS_TOO}
    BuyerEntity.delete().where(BuyerEntity.tax_id == THEIRS_TOO).execute()  # no longer one of ours
    BuyerEntity.create(team=inv.team_id, name="甲公司", tax_id=OURS, created_at=clock.now())
    feed.pull(rt)
    assert health.refused_taxpayers() == set()  # not asked for: nothing kept of it
    assert Invoice.get_by_id(inv.id).status == "pending_sync"


def test_rows_sharing_a_time_across_a_page_boundary_all_arrive(rt, queue, clock, sim, db, monkeypatch):
    """Three rows of one instant, pages of two: the cursor is (time, row), so the second page has the third."""
    monkeypatch.setattr(simulator_app, "FEED_PAGE", 2)
    same = [enrolled(rt, {**FIELDS, "invoice_number": f"8765434{i}"}) for i in range(3)]
    BuyerEntity.create(team=same[0].team_id, name="甲公司", tax_id=OURS, created_at=clock.now())
    for inv in same:
        issue(sim, invoice_number=inv.fields["invoice_number"]["value"])  # the clock stands still: one time
    asked = lookups(sim)
    assert feed.pull(rt) == 2
    assert feed.pull(rt) == 1
    assert [Invoice.get_by_id(i.id).status for i in same] == ["found"] * 3
    assert lookups(sim) == asked


def test_a_plain_time_cursor_of_before_the_upgrade_resends_that_time_harmlessly(rt, queue, clock, sim, db):
    """A cursor stored before it named the row (a plain time) reads as before every row of that time: those rows
    come again, and the ledger takes them as the same rows (nothing inserted, nothing settled twice)."""
    inv = enrolled(rt)
    BuyerEntity.create(team=inv.team_id, name="甲公司", tax_id=OURS, created_at=clock.now())
    issue(sim)
    assert feed.pull(rt) == 1
    before = list(LedgerRow.select().dicts())
    health.save_feed_cursor(clock.now().isoformat())  # what the old feed stored: the time of the last row
    clock.advance(seconds=1)
    assert feed.pull(rt) == 0  # the row came again (the ledger keeps it as it was)
    assert sim.calls.count("GET /api/v1/ledger") == 2
    assert list(LedgerRow.select().dicts()) == before
    assert Invoice.get_by_id(inv.id).status == "found"
    assert health.feed_cursor() != clock.now().isoformat()  # the platform's own cursor from here on


NEWER = "91110000MA0000001X"  # a taxpayer the team registers only after the feed has moved on


def test_a_buyer_entity_added_later_gets_its_older_rows(rt, queue, clock, sim, db, monkeypatch):
    monkeypatch.setattr(simulator_app, "FEED_PAGE", 2)
    mine = enrolled(rt)
    team = Team.get_by_id(mine.team_id)
    entities.add(rt, team, "甲公司", OURS)
    issue(sim)
    older = [enrolled(rt, {**FIELDS, "invoice_number": f"8765435{i}", "buyer_tax_id": NEWER}) for i in range(3)]
    for inv in older:
        issue(sim, invoice_number=inv.fields["invoice_number"]["value"], buyer_tax_id=NEWER)
    clock.advance(seconds=1)
    feed.pull(rt)  # only ours is asked for; the cursor moves past the other taxpayer's rows
    assert Invoice.get_by_id(mine.id).status == "found" and health.feed_cursor() is not None
    assert [Invoice.get_by_id(i.id).status for i in older] == ["pending_sync"] * 3

    entities.add(rt, team, "丁公司", NEWER)
    asked, calls = lookups(sim), sim.calls.count("GET /api/v1/ledger")
    clock.advance(seconds=1)
    feed.pull(rt)  # the shared page, and the first page of its rows from the feed's start
    assert [Invoice.get_by_id(i.id).status for i in older] == ["found", "found", "pending_sync"]
    clock.advance(seconds=1)
    feed.pull(rt)  # and the rest
    assert [Invoice.get_by_id(i.id).status for i in older] == ["found"] * 3
    assert lookups(sim) == asked  # found by the feed, not by look-ups
    clock.advance(seconds=1)
    feed.pull(rt)
    assert sim.calls.count("GET /api/v1/ledger") - calls == 2 + 2 + 1  # the replay done: one call a pass again
    assert health.refused_taxpayers() == set()


def test_a_second_team_registering_a_taxpayer_gets_the_rows_the_first_already_had(rt, queue, clock, sim, db):
    first = enrolled(rt)
    entities.add(rt, Team.get_by_id(first.team_id), "甲公司", OURS)
    issue(sim)
    clock.advance(seconds=1)
    feed.pull(rt)
    other = Team.create(name="Team B", created_at=clock.now())
    theirs = enrolled(rt)
    Invoice.update(team=other.id).where(Invoice.id == theirs.id).execute()
    entities.add(rt, other, "甲公司", OURS)
    clock.advance(seconds=1)
    feed.pull(rt)
    assert Invoice.get_by_id(theirs.id).status == "found"
    assert LedgerRow.select().where(LedgerRow.team == other.id).count() == 1


def test_a_replay_moves_on_only_once_its_rows_are_in_the_ledger(rt, queue, clock, sim, db, monkeypatch):
    """The import of a replayed page fails (the pass raises, the tick logs it): the replay is asked for again from
    where it was, not marked done with its rows lost."""
    configure(sim, taxpayers=[OURS])
    theirs = enrolled(rt, {**FIELDS, "buyer_tax_id": THEIRS_TOO})
    BuyerEntity.create(team=theirs.team_id, name="丙公司", tax_id=THEIRS_TOO, created_at=clock.now())
    BuyerEntity.create(team=theirs.team_id, name="甲公司", tax_id=OURS, created_at=clock.now())
    issue(sim, buyer_tax_id=THEIRS_TOO)
    clock.advance(seconds=1)
    mine = enrolled(rt, {**FIELDS, "invoice_number": "87654350"})
    issue(sim, invoice_number="87654350")
    clock.advance(seconds=1)
    feed.pull(rt)  # ours settles and the shared cursor moves past their row
    assert health.refused_taxpayers() == {THEIRS_TOO} and Invoice.get_by_id(mine.id).status == "found"
    configure(sim, taxpayers=[OURS, THEIRS_TOO])
    clock.advance(seconds=1)

    def broken(*args, **kwargs):
        raise RuntimeError("the import failed")

    with monkeypatch.context() as m:
        m.setattr(ledger, "upsert", broken)
        with pytest.raises(RuntimeError):
            feed.pull(rt)
    assert Invoice.get_by_id(theirs.id).status == "pending_sync"
    feed.pull(rt)  # the replay again, from where its rows were refused
    assert Invoice.get_by_id(theirs.id).status == "found"
