"""The ledger feed's cursor against the real simulator (in-process, behind the real HTTP connector) on the fake
clock: it moves past every row the platform served, whether or not the app keeps that row."""

from __future__ import annotations

from backend.models import BuyerEntity, Invoice
from backend.services import feed, health
from backend.simulator import app as simulator_app

from .factories import PLATFORM_FIELDS, enrolled
from .fakes import SIM_TOKEN

FIELDS = PLATFORM_FIELDS


def issue(sim, **changes) -> None:
    res = sim.client.post("/api/v1/invoices", json={**FIELDS, **changes, "delay_hours": 0},
                          headers={"Authorization": f"Bearer {SIM_TOKEN}"})
    assert res.status_code in (200, 201), res.json


def ledger_calls(sim) -> int:
    return sim.calls.count("GET /api/v1/ledger")


def test_a_full_page_of_rows_out_of_the_ledger_is_passed(rt, queue, clock, sim, db, monkeypatch):
    """Pages of two: the first two rows are older than the platform's 5-year window, so it sends a full page with no
    row in it. The cursor moves past them; before, every tick asked for that same page again."""
    monkeypatch.setattr(simulator_app, "FEED_PAGE", 2)
    mine = enrolled(rt)
    BuyerEntity.create(team=mine.team_id, name="甲公司", tax_id=FIELDS["buyer_tax_id"], created_at=clock.now())
    for number in ("11111111", "22222222"):
        issue(sim, invoice_number=number, issue_date="2015-01-05")
    clock.advance(seconds=1)
    issue(sim)  # ours, after them
    assert feed.pull(rt) == 0 and health.feed_cursor() is not None
    assert feed.pull(rt) == 1
    assert Invoice.get_by_id(mine.id).status == "found" and ledger_calls(sim) == 2


def test_rows_the_connector_drops_move_the_cursor_too(rt, queue, clock, sim, db, monkeypatch):
    """A row without a number the platform checks (a train ticket's red serial) is dropped by the connector; the
    page still served it, so the cursor moves past it whether or not the page was full."""
    mine = enrolled(rt)
    BuyerEntity.create(team=mine.team_id, name="甲公司", tax_id=FIELDS["buyer_tax_id"], created_at=clock.now())
    issue(sim, invoice_code="", invoice_number="E066712")
    clock.advance(seconds=1)
    assert feed.pull(rt) == 0 and health.feed_cursor() is not None  # a page of one dropped row, not full
    monkeypatch.setattr(simulator_app, "FEED_PAGE", 1)
    issue(sim, invoice_code="", invoice_number="E066713")
    clock.advance(seconds=1)
    issue(sim)
    clock.advance(seconds=1)
    moved = health.feed_cursor()
    assert feed.pull(rt) == 0 and health.feed_cursor() != moved  # a full page of one dropped row
    assert feed.pull(rt) == 1 and Invoice.get_by_id(mine.id).status == "found"


def test_an_idle_feed_writes_no_cursor(rt, queue, clock, sim, db):
    """Nothing served: the stored cursor stays as it is (the feed asks every tick; an idle one writes nothing)."""
    mine = enrolled(rt)
    BuyerEntity.create(team=mine.team_id, name="甲公司", tax_id=FIELDS["buyer_tax_id"], created_at=clock.now())
    issue(sim)
    clock.advance(seconds=1)
    assert feed.pull(rt) == 1
    stored = health.feed_cursor()
    clock.advance(seconds=5)
    assert feed.pull(rt) == 0 and health.feed_cursor() == stored


def test_a_change_at_the_same_instant_to_a_row_served_before_is_not_missed(rt, queue, clock, sim, db):
    """The fake clock stands still: two rows of one instant are served, then the first is voided at that very
    instant. The next page has it (before: the cursor named the second row, and the first has a smaller id)."""
    first, second = (enrolled(rt, {**FIELDS, "invoice_number": n}) for n in ("87654351", "87654352"))
    BuyerEntity.create(team=first.team_id, name="甲公司", tax_id=FIELDS["buyer_tax_id"], created_at=clock.now())
    for inv in (first, second):
        issue(sim, invoice_number=inv.fields["invoice_number"]["value"])
    assert feed.pull(rt) == 2
    res = sim.client.post(f"/api/v1/invoices/{FIELDS['invoice_code']}-87654351/state", json={"state": "voided"},
                          headers={"Authorization": f"Bearer {SIM_TOKEN}"})
    assert res.status_code == 200, res.json
    feed.pull(rt)
    assert [Invoice.get_by_id(i.id).status for i in (first, second)] == ["voided", "found"]
