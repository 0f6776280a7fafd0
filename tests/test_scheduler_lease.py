"""One scheduler acts at a time: the lease (services/leases.py) and the scheduler loop that obeys it."""

from __future__ import annotations

import copy
import threading

from backend.backup.schedule import BackupLoop
from backend.db import database
from backend.jobs.scheduler import LEASE, Scheduler, lease_seconds
from backend.models import BuyerEntity, Lease, LedgerRow, Team
from backend.services import leases
from backend.sync.connector import Outcome, Result


class Feed:
    """The authority's feed: one row per page, each page once; `served` counts what this process pulled."""

    name = "authority"
    online = True

    def __init__(self, buyer: str) -> None:
        self.buyer, self.served = buyer, []

    def lookup(self, query) -> Result:
        return Result(Outcome.NOT_FOUND)

    def changes(self, cursor, buyers):
        page = int(cursor or 0) + 1
        self.served.append(page)
        row = {"invoice_code": "1100094140", "invoice_number": f"{70000000 + page}", "issue_date": "2026-01-04",
               "amount": "10.00", "total": "10.00", "buyer_tax_id": self.buyer, "state": "normal"}
        return [row], str(page)

    def issue(self, fields) -> None:
        return None


def test_one_holder_until_it_lapses_or_lets_go(db, clock):
    assert leases.take("x", "a", clock.now(), 30)
    assert not leases.take("x", "b", clock.now(), 30)
    clock.advance(seconds=20)
    assert leases.take("x", "a", clock.now(), 30)  # renewed: good for 30 s from now
    clock.advance(seconds=25)
    assert not leases.take("x", "b", clock.now(), 30)
    clock.advance(seconds=10)  # a stopped renewing 35 s ago: it died
    assert leases.take("x", "b", clock.now(), 30)
    assert not leases.take("x", "a", clock.now(), 30)  # back from a stall, it finds it lost the lease
    leases.release("x", "b", clock.now())
    assert leases.take("x", "a", clock.now(), 30)  # a clean stop hands over at once
    row = leases.current("x")
    assert row.holder == "a" and row.acquired_at == clock.now()


def test_renewing_keeps_when_it_was_taken(db, clock):
    leases.take("x", "a", clock.now(), 30)
    first = clock.now()
    clock.advance(seconds=10)
    leases.take("x", "a", clock.now(), 30)
    assert leases.current("x").acquired_at == first


def test_racing_for_a_free_lease_one_wins(app, clock):
    for round_ in range(5):
        name, wins, errors = f"race{round_}", [], []
        gate = threading.Barrier(6)

        def contend(holder: str, name=name, wins=wins, errors=errors, gate=gate) -> None:
            try:
                with database.connection_context():
                    gate.wait()
                    if leases.take(name, holder, clock.now(), 30):
                        wins.append(holder)
            except Exception as exc:  # noqa: BLE001 - kept for the assertion
                errors.append(exc)

        threads = [threading.Thread(target=contend, args=(f"h{i}",)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and len(wins) == 1, (errors, wins)


def _schedulers(rt, settings, clock, buyer):
    out = []
    for _ in range(2):
        own = copy.copy(rt)
        own.connector = Feed(buyer)
        out.append(Scheduler(own, BackupLoop(settings, clock), clock))
    return out


def test_two_schedulers_never_pull_one_feed_page_twice(rt, settings, clock, db):
    team = Team.create(name="T", created_at=clock.now())
    BuyerEntity.create(team=team, name="甲", tax_id="91110000MA00000001", created_at=clock.now())
    a, b = _schedulers(rt, settings, clock, "91110000MA00000001")
    acted = []
    for _ in range(3):
        acted.append((a.tick(), b.tick()))
        clock.advance(seconds=2)
    assert acted == [(True, False)] * 3
    a.stop()  # a clean stop: b takes over at its next tick
    for _ in range(2):
        acted.append((b.tick(),))
        clock.advance(seconds=2)
    assert acted[3:] == [(True,), (True,)]
    # b dies without a word: a waits out the lease, then acts
    assert not a.tick()
    clock.advance(seconds=lease_seconds(settings) + 1)
    assert a.tick()
    pages = a.rt.connector.served + b.rt.connector.served
    assert sorted(pages) == list(range(1, len(pages) + 1))  # each page pulled by one process, none twice
    assert LedgerRow.select().count() == len(pages)
    assert Lease.get_by_id(LEASE).holder == a.holder


def test_a_database_outage_is_a_tick_without_action(rt, settings, clock, db, monkeypatch):
    a, _ = _schedulers(rt, settings, clock, "91110000MA00000001")

    def down(*args, **kwargs):
        raise RuntimeError("database restarting")

    monkeypatch.setattr(leases, "take", down)
    assert a.tick() is False  # no exception: the process stays up
    monkeypatch.undo()
    assert a.tick() is True


def test_each_scheduler_says_at_its_first_tick_whether_it_acts(rt, settings, clock, db, caplog):
    a, b = _schedulers(rt, settings, clock, "91110000MA00000001")
    with caplog.at_level("INFO", logger="backend.jobs.scheduler"):
        a.tick()
        b.tick()
        b.tick()  # said once, not every tick
    said = [r.getMessage() for r in caplog.records]
    assert said == [f"scheduler {a.holder}: acting", f"scheduler {b.holder}: standing by (another holds the lease)"]
