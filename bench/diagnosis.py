"""Is the cause ranked first the true one? A population with known stories, the real app against the real simulator.

    python -m bench.diagnosis [--invoices 300] [--seed 7] [--days 30]

Each invoice of bench/diagnosis_population.py is uploaded at its moment (the app is given only its reading),
the seller's side is issued at the simulated authority, and one fake clock drives the app's own scheduler tick
(services/feed.tick: due checks and the ledger feed) and its job runner, with the HTTP connector speaking to the
simulator's Flask app in-process. At fixed moments after each upload the bench reads what the invoice page
shows (services/sync.check_panel) and compares its top causes with the story's truth at that moment.

Prints a table per moment, the confusion table (true story × top cause) and, as its LAST line, one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import heapq
import io
import json
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlencode

from backend.simulator.rules import china_date

from .diagnosis_population import (
    FIELD_TYPOS,
    NUMBER_TYPOS,
    OWN,
    UNAUTHORISED,
    UNSUPPORTED_REGION,
    Case,
    population,
)

TOKEN = "bench-token"
START = dt.datetime(2026, 3, 2, 1, 0)
MOMENTS = (("1h", 1), ("6h", 6), ("1d", 24), ("2d", 48), ("3d", 72), ("7d", 168), ("30d", 720))
REPORTED = ("1h", "1d", "3d", "30d")
FROM_1D = ("1d", "2d", "3d", "7d", "30d")
GRACE = dt.timedelta(minutes=30)  # an invoice findable for less than this may not have been looked at yet
QUANTUM = dt.timedelta(minutes=5)  # events this close together share one scheduler tick
OUTAGE = (START + dt.timedelta(days=1, hours=9), START + dt.timedelta(days=1, hours=16))  # unannounced
MAINTENANCE = (START + dt.timedelta(days=2, hours=13), START + dt.timedelta(days=2, hours=19))  # announced


class _Transport:
    """The connector's `requests.Session`, answered by the simulator's Flask app in-process (no sockets): one WSGI
    call with the environ the request would make. Werkzeug's test client took ~2 ms a call building one."""

    def __init__(self, app) -> None:
        self.app = app

    def request(self, method, url, timeout=None, json=None, params=None, headers=None):
        body = b"" if json is None else _dumps(json).encode()
        environ = {"REQUEST_METHOD": method, "PATH_INFO": "/" + url.split("/", 3)[3],
                   "QUERY_STRING": urlencode(params or {}), "SERVER_NAME": "simulator", "SERVER_PORT": "80",
                   "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
                   "wsgi.errors": sys.stderr, "wsgi.version": (1, 0), "wsgi.multithread": False,
                   "wsgi.multiprocess": False, "wsgi.run_once": False, "CONTENT_LENGTH": str(len(body)),
                   "CONTENT_TYPE": "application/json" if json is not None else "",
                   **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in (headers or {}).items()}}
        status: list[str] = []
        answer = self.app(environ, lambda line, _headers, _exc=None: status.append(line))
        try:
            content = b"".join(answer)
        finally:
            getattr(answer, "close", lambda: None)()
        return _Response(int(status[0].split()[0]), content)


_dumps = json.dumps  # `json` is the name of request()'s body argument, as in requests


class _Response:
    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code, self.content = status_code, content

    def json(self):
        return json.loads(self.content)


def _world(tmp: Path, clock):
    """The app (a fresh SQLite database) and the simulator, joined by the real HTTP connector."""
    import random

    from backend.db import open_database, upgrade
    from backend.models import BuyerEntity, Team
    from backend.realtime.notifier import NullNotifier
    from backend.runtime import Runtime
    from backend.settings import Settings, SimulatorSettings
    from backend.simulator.app import create_simulator
    from backend.sync.connector import HttpConnector

    sim_settings = Settings(data_dir=tmp / "sim", secret_key="x", simulator_token=TOKEN, simulator=SimulatorSettings(
        seed=1, outages=(OUTAGE,), maintenance=(MAINTENANCE,), unsupported_regions=(UNSUPPORTED_REGION,),
        taxpayers=(OWN,)))
    sim = create_simulator(sim_settings, clock, random.Random(1))
    settings = Settings(data_dir=tmp / "app", secret_key="x", connector="simulator", demo=False,
                        async_mode="threading", database_url=f"sqlite:///{tmp}/app.db")
    open_database(settings.db_url)
    upgrade()
    jobs: list[int] = []
    rt = Runtime(settings, dispatch=lambda job_id, delay=0: jobs.append(job_id), notifier=NullNotifier(), clock=clock)
    rt.connector = HttpConnector("http://simulator", 5, _Transport(sim), token=TOKEN)
    teams = {"feed": Team.create(name="Bench", created_at=clock.now()),
             "plain": Team.create(name="Bench plain", created_at=clock.now())}
    for name, tax_id in (("上海某某有限公司", OWN), ("上海某某分公司", UNAUTHORISED)):
        BuyerEntity.create(team=teams["feed"], name=name, tax_id=tax_id, created_at=clock.now())
    return rt, teams, jobs


def _issue_all(cases: list[Case]) -> None:
    """The sellers' side, straight into the simulator's store: the app never sees this."""
    from backend.simulator import store

    with store.db.atomic():
        for c in cases:
            store.issue(c.key, c.issued, c.issued_at, c.visible_at, c.state)


def _upload(rt, teams, c: Case) -> None:
    from backend.models import Invoice, StoredFile
    from backend.services import sync

    now = rt.clock.now()
    stored = StoredFile.create(sha256=hashlib.sha256(str(c.n).encode()).hexdigest(), size=1, kind="pdf",
                               mime="application/pdf", created_at=now)
    inv = Invoice.create(team=teams[c.team], file=stored, original_name=f"{c.n}.pdf", status="extracted",
                         created_at=now, updated_at=now, family=c.family,
                         fields={k: {"value": v, "confidence": 0.99, "source": "ocr"} for k, v in c.reading.items()})
    sync.enroll(rt, inv, fresh=True)
    c.invoice_id = inv.id


def _press(rt, c: Case) -> None:
    from backend.errors import AppError
    from backend.models import Invoice
    from backend.services import sync

    with contextlib.suppress(AppError):  # refused: today's quota is spent (what the person sees)
        sync.request_check(rt, Invoice.get_by_id(c.invoice_id), user_id=None)


# -- the answer key -------------------------------------------------------------------------------
def truth(c: Case, t: dt.datetime, lookups_today: int) -> set[str]:
    """The causes in effect at `t`, from the story and the authority's side ("found": nothing stands in the way)."""
    if (china_date(t) - dt.date.fromisoformat(c.reading["issue_date"])).days > 5 * 365 + 1:
        return {"too_old"}  # the reading's own date says so: known without asking
    causes = set()
    if c.story == "unsupported":
        causes.add("unsupported")
    if c.story == "other_taxpayer":
        causes.add("other_taxpayer")
    elif c.story == "no_permission":
        causes.add("no_permission")
    elif c.story != "unsupported":
        causes.add(_authority_cause(c, t))
        if c.visible_at <= t < c.visible_at + GRACE:
            causes.add("sync_window")
    # What an answer of the authority tells could have reached the app before the outage began (else it is
    # the outage that stands in the way). Another taxpayer's, or a refused one's, is told by no answer.
    told_at = max(c.uploaded_at, c.visible_at if c.story != "unsupported" else c.uploaded_at)
    for (start, end), key in ((OUTAGE, "connector_down"), (MAINTENANCE, "maintenance")):
        told = c.story in ("other_taxpayer", "no_permission") or (
            told_at + GRACE <= start and "sync_window" not in causes)
        if start <= t < end and not told:
            causes.add(key)
    if lookups_today >= 5:
        causes.add("quota")
    return causes


def _authority_cause(c: Case, t: dt.datetime) -> str:
    if c.visible_at > t:
        return "sync_window"
    if c.state != "normal":
        return c.state
    if c.story in NUMBER_TYPOS:
        return "near_miss"
    if c.story in FIELD_TYPOS:
        return "fields_differ"
    return "found"


def wrongly_settled(c: Case, t: dt.datetime, status: str, next_check_at) -> bool:
    """Found, voided, red-flushed, mismatched or given up on when the authority's side says otherwise."""
    findable = c.visible_at <= t and _authority_cause(c, t) == "found" and c.story not in (
        "other_taxpayer", "no_permission", "too_old", "unsupported")
    if status == "found":
        return not findable
    if status in ("voided", "red_flushed"):
        return not (c.visible_at <= t and c.state == status)
    if status == "mismatch":
        return c.story not in FIELD_TYPOS
    if status in ("not_found", "sync_error") and next_check_at is None:
        return findable  # given up on an invoice the authority has
    return False


# -- the run --------------------------------------------------------------------------------------
def _lookups(cases: list[Case]) -> dict[str, Counter]:
    from backend.simulator.store import SimLookup

    per = defaultdict(Counter)
    for row in SimLookup.select():
        per[row.key][row.day] += row.count
    return per


def _observe(rt, c: Case, label: str, t: dt.datetime) -> None:
    from backend import prepared
    from backend.services import sync
    from backend.services.sync_facts import invoice_by_id
    from backend.simulator.store import SimLookup
    from backend.sync.matching import invoice_key

    inv = invoice_by_id(c.invoice_id)
    shown = sync.current_diagnosis(rt, inv)  # what the invoice page shows (GET /api/invoices/<id>)
    top = ["found"] if inv.status == "found" else [d["key"] for d in shown[:3]] or ["(none)"]
    key = invoice_key(c.reading.get("invoice_code"), c.reading["invoice_number"])
    counted = prepared.scalar("bench_lookups", lambda k, d: SimLookup.select(SimLookup.count).where(
        (SimLookup.key == k) & (SimLookup.day == d)), key, china_date(t), db=SimLookup._meta.database)
    c.seen[label] = (inv.status, top, truth(c, t, counted or 0),
                     wrongly_settled(c, t, inv.status, inv.next_check_at))


def run(n: int, seed: int, days: int = 30) -> tuple[list[Case], dict]:
    from backend.clock import FakeClock
    from backend.db import database

    cases = population(n, seed, START)
    moments = tuple((label, hours) for label, hours in MOMENTS if hours <= days * 24)
    clock = FakeClock(START)
    with tempfile.TemporaryDirectory(dir="/dev/shm" if Path("/dev/shm").is_dir() else None) as tmp:
        rt, teams, jobs = _world(Path(tmp), clock)
        # Held open for the whole run, as a long-lived worker's is: each job's own connection_context then
        # nests in it instead of closing the connection after every job (and reopening it, pragmas and all).
        with database.connection_context():
            _throwaway_storage(database)
            cases, ticks, wall, lookups = _simulate(rt, teams, jobs, cases, moments, clock)
        database.close()
    return cases, {"wall_s": round(wall, 1), "ticks": ticks, "lookups": lookups}


def _throwaway_storage(database) -> None:
    """Both temp databases die with the run: no fsync and the rollback journal in memory (what is measured is the
    app's work, not the disk's). Set on the connections the run keeps open."""
    from backend.simulator import store

    for db in (database, store.db):
        db.execute_sql("PRAGMA synchronous = OFF")
        db.execute_sql("PRAGMA journal_mode = MEMORY")


def _events(cases: list[Case], moments) -> list:
    events: list = []  # (at, order, kind, case index, label)
    for i, c in enumerate(cases):
        events.append((c.uploaded_at, 0, "upload", i, ""))
        events += [(p, 1, "press", i, "") for p in c.presses]
        events += [(c.uploaded_at + dt.timedelta(hours=h), 3, "observe", i, label) for label, h in moments]
        events.append((c.visible_at, 2, "tick", i, ""))
    for edge in (*OUTAGE, *MAINTENANCE):
        events.append((edge, 2, "tick", -1, ""))
    heapq.heapify(events)
    return events


def _simulate(rt, teams, jobs, cases, moments, clock):
    from backend.jobs.runner import run_job
    from backend.models import Invoice
    from backend.services import feed
    from backend.sync import machine

    _issue_all(cases)
    events = _events(cases, moments)
    ticks = 0
    started = time.perf_counter()
    while events:
        due = _next_due(Invoice, machine)
        at = min(events[0][0], due) if due else events[0][0]
        clock._now = max(clock.now(), at)
        horizon = clock.now() + QUANTUM
        observing = []
        while events and events[0][0] < horizon:
            _, _, kind, i, label = heapq.heappop(events)
            if kind == "upload":
                _upload(rt, teams, cases[i])
            elif kind == "press":
                _press(rt, cases[i])
            elif kind == "observe":
                observing.append((i, label))
            _drain(rt, jobs, run_job)
        clock._now = max(clock.now(), min(horizon, events[0][0]) if events else horizon)
        feed.tick(rt)
        _drain(rt, jobs, run_job)
        ticks += 1
        for i, label in observing:
            _observe(rt, cases[i], label, clock.now())
    wall = time.perf_counter() - started
    return cases, ticks, wall, _lookups(cases)


def _next_due(Invoice, machine):
    """When the app's next check is due: the clock jumps there (or to the next event) rather than ticking."""
    from backend import prepared

    def query(*statuses_and_limit):
        *statuses, limit = statuses_and_limit
        return (Invoice.select(Invoice.next_check_at).where(Invoice.status.in_(statuses),
                                                            Invoice.next_check_at.is_null(False))
                .order_by(Invoice.next_check_at).limit(limit))
    found = prepared.rows(Invoice, "bench_next_due", query, *sorted(machine.WATCHED), 1)
    return found[0].next_check_at if found else None


def _drain(rt, jobs: list[int], run_job) -> None:
    while jobs:
        batch = list(jobs)
        jobs.clear()
        for job_id in batch:
            run_job(rt, job_id)


def measure(cases: list[Case], info: dict) -> dict:
    from . import diagnosis_report as rep

    labels = [label for label, _ in MOMENTS]
    acc = rep.accuracy(cases, labels)
    top1, top3, _ = rep.pooled(cases, FROM_1D)
    worst1, worst3 = rep.worst_moment(acc, FROM_1D)
    return {"invoices": len(cases), "top1": round(top1, 4), "top3": round(top3, 4),
            "top1_worst_moment": round(worst1, 4), "top3_worst_moment": round(worst3, 4),
            "per_moment": {k: {"top1": round(acc[k]["top1"], 4), "top3": round(acc[k]["top3"], 4)}
                           for k in REPORTED if k in acc},
            "wrongly_settled": len(rep.wrong(cases)), "lookups": rep.lookups(cases, info["lookups"]),
            "time_to_right_h_median": rep.time_to_right(cases, MOMENTS), "ticks": info["ticks"],
            "wall_s": info["wall_s"], "_acc": acc}


def main(argv: list[str] | None = None) -> int:
    from . import diagnosis_report as rep

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args(argv)
    cases, info = run(args.invoices, args.seed, args.days)
    result = measure(cases, info)
    rep.print_tables(result.pop("_acc"), rep.confusion(cases, FROM_1D), rep.wrong(cases))
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
