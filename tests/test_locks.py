"""No request fails with "database is locked": adding a buyer entity (which re-ranks the team's followed
invoices) and the scheduler's tick both run while other real connections write as fast as they can.

The writers are threads, each with its own connection to the same database file (SQLite releases the GIL
while it works), writing as a worker does: one invoice update per short transaction.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import pytest

from backend.db import BUSY_SLICE_MS, database, is_postgres, write_transaction
from backend.models import BuyerEntity, Invoice, Role, Team
from backend.services import feed, invoices
from backend.sync.types import Outcome, Result

from . import factories
from .helpers import login

WRITERS = 3
ENTITIES = 10


class FeedConnector:
    """The authority's feed as the scheduler sees it: every call shows each team's invoice changed again."""

    name = "authority"
    online = True

    def __init__(self) -> None:
        self.calls = 0

    def lookup(self, query) -> Result:
        return Result(Outcome.NOT_FOUND)

    def changes(self, cursor, buyers):
        self.calls += 1
        rows = [{"invoice_code": "1100094140", "invoice_number": f"{70000000 + i}", "issue_date": "2026-01-04",
                 "amount": f"{self.calls}.00", "total": f"{self.calls}.00", "buyer_tax_id": b, "state": "normal"}
                for i, b in enumerate(buyers)]
        return rows, f"c{self.calls}"

    def issue(self, fields) -> None:
        return None


class Writers:
    """Threads that keep committing small write transactions until stopped; their own errors are kept."""

    def __init__(self, rt, invoice_ids: list[int]) -> None:
        self.rt, self.ids = rt, invoice_ids
        self.stop = threading.Event()
        self.commits = 0
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(WRITERS)]

    def _run(self, n: int) -> None:
        database.connect(reuse_if_open=True)
        try:
            i = n
            while not self.stop.is_set():
                inv = Invoice.get_by_id(self.ids[i % len(self.ids)])
                # As a worker's check leaves it: a new diagnosis, and the check due again (the scheduler's work).
                invoices.update(self.rt, inv, diagnosis=[{"key": f"w{i}"}], next_check_at=self.rt.clock.now())
                self.commits += 1
                i += WRITERS
        except Exception as exc:  # noqa: BLE001 - reported by the test, not lost in a thread
            self.errors.append(repr(exc))
        finally:
            database.close()

    def __enter__(self) -> Writers:
        for t in self.threads:
            t.start()
        time.sleep(0.2)  # the load is on before the first request
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(10)


@pytest.fixture
def busy_teams(rt, make_user, team, client):
    """Team A (its admin logged in) with followed invoices, and four more teams whose invoices the writers
    keep changing."""
    make_user("owner", "Team A", role=Role.ADMIN)
    login(client, "owner")
    factories.many(team, None, 8, status="pending_sync")
    others = []
    for n in range(4):
        other = Team.create(name=f"Team {n}", created_at=rt.clock.now())
        others += [inv.id for inv in factories.many(other, None, 5, status="pending_sync")]
    database.close()  # the request and the writers use their own connections
    return team, others


def test_adding_entities_under_write_load_never_fails(rt, client, busy_teams):
    team, others = busy_teams
    statuses = []
    with Writers(rt, others) as load:
        for n in range(ENTITIES):
            body = {"name": f"公司{n}", "tax_id": f"9111000000000{n:04d}X"}
            res = client.post(f"/api/teams/{team.id}/entities", json=body)
            statuses.append((res.status_code, (res.json.get("error") or {}).get("key") if res.json else None))
    assert load.errors == []
    assert load.commits > ENTITIES  # the writers really were writing in between
    assert statuses == [(201, None)] * ENTITIES
    listing = client.get(f"/api/teams/{team.id}/entities").json["entities"]
    assert len(listing) == ENTITIES


def test_scheduler_ticks_under_write_load_log_no_lock_errors(rt, busy_teams, caplog):
    team, others = busy_teams
    database.connect(reuse_if_open=True)
    for t in Team.select():
        BuyerEntity.create(team=t.id, name="x", tax_id=f"91110000MA{t.id:08d}", created_at=rt.clock.now())
    database.close()
    rt.connector = FeedConnector()
    caplog.set_level(logging.ERROR)
    ticks = []
    with Writers(rt, others) as load:
        database.connect(reuse_if_open=True)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            ticks.append(feed.tick(rt))
        database.close()
    assert load.errors == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert sum(q for q, _ in ticks) > 0  # the writers made checks due, and the ticks queued them
    assert rt.connector.calls == len(ticks)


def _commit_elsewhere(rt, invoice_id: int) -> None:
    """One write committed by another connection (a thread of its own), finished before returning."""
    def write():
        with database.connection_context():
            Invoice.update(version=Invoice.version + 1).where(Invoice.id == invoice_id).execute()

    t = threading.Thread(target=write)
    t.start()
    t.join()


def test_a_loop_over_a_query_may_write_after_other_connections_commit(rt, db, team):
    """The shape that failed: rows read in a loop, each written, while another connection commits."""
    ids = [inv.id for inv in factories.many(team, None, 3, status="pending_sync")]
    for inv in Invoice.select().where(Invoice.team == team.id).order_by(Invoice.id):
        _commit_elsewhere(rt, ids[-1])
        with write_transaction():
            Invoice.update(diagnosis=[]).where(Invoice.id == inv.id).execute()
        Invoice.update(reason="x").where(Invoice.id == inv.id).execute()  # a write outside a transaction too
    assert Invoice.select().where(Invoice.reason == "x").count() == 3


@pytest.mark.skipif(bool(os.environ.get("FAPIAO_TEST_DATABASE_URL")), reason="SQLite's file lock")
def test_a_writer_waits_out_a_lock_held_longer_than_sqlite_waits(rt, db, team):
    import sqlite3

    assert not is_postgres()
    holder = sqlite3.connect(database.obj.database, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    hold = BUSY_SLICE_MS / 1000 * 4
    release = threading.Timer(hold, holder.commit)
    release.start()
    started = time.monotonic()
    with write_transaction():
        Team.update(name="Team A2").where(Team.id == team.id).execute()
    waited = time.monotonic() - started
    release.join()
    holder.close()
    assert waited >= hold * 0.9
    assert Team.get_by_id(team.id).name == "Team A2"
