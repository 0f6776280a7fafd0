"""GET /metrics: Prometheus text of every process of the host, who may read it, and what it counts."""

from __future__ import annotations

import dataclasses
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from backend import jobrows, metrics
from backend.backup import records
from backend.db import database
from backend.models import BackupRecord, Job
from backend.services import sync
from backend.sync.types import Outcome, Result

from . import factories, media
from .fakes import FakeReader
from .helpers import upload

ROOT = Path(__file__).resolve().parent.parent
NAMES = ("fapiao_queue_depth", "fapiao_job_duration_seconds", "fapiao_reader_stage_seconds",
         "fapiao_authority_checks_total", "fapiao_connector_state", "fapiao_connected_sockets",
         "fapiao_backup_age_seconds")


def scrape(client, **kwargs) -> str:
    res = client.get("/metrics", **kwargs)
    assert res.status_code == 200, res.status_code
    assert res.content_type.startswith("text/plain")
    return res.get_data(as_text=True)


def value(text: str, name: str, **labels) -> float | None:
    """The sample `name{labels}` of a scrape; None when absent."""
    want = frozenset(labels.items())
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        key, _, number = line.rpartition(" ")
        sample, _, label_text = key.partition("{")
        if sample == name and frozenset(re.findall(r'(\w+)="([^"]*)"', label_text)) == want:
            return float(number)
    return None


@dataclasses.dataclass
class TimedReader(FakeReader):
    """The fake reader, with stage timings as the real one reports them."""

    def __call__(self, *args, **kwargs):
        result = super().__call__(*args, **kwargs)
        return dataclasses.replace(result, timings={"decoding": 0.02, "recognising": 0.3, "total": 0.32})


def check_jobs(team, clock, count: int) -> list[int]:
    """Authority checks waiting in the queue (sync is off in the tests: each runs at once, done)."""
    with database.connection_context():
        invoices = factories.many(team, None, count)
        return [jobrows.create(inv.id, "check", clock.now(), 3).id for inv in invoices]


def test_every_metric_is_there_for_a_local_scraper(app, client, alice, team, queue, clock):
    queue.runtime.reader = TimedReader()
    upload(client, ("a.jpg", media.jpeg()))
    queue.run_all(clock=clock)  # a reading: a job's duration, the reader's stages
    with database.connection_context():
        inv = factories.invoice(team, alice, status="pending_sync")
        sync.apply_result(queue.runtime, inv, Result(Outcome.NOT_FOUND), "auto", None)  # an authority answer
        BackupRecord.create(state=records.DONE, ok=True, trigger="schedule", created_at=clock.now(),
                            started_at=clock.now(), finished_at=clock.now())
    check_jobs(team, clock, 1)
    clock.advance(seconds=90)
    text = scrape(client)
    for name in NAMES:
        assert re.search(rf"^# TYPE {name.removesuffix('_total')}(_total)? ", text, re.M), name
    assert value(text, "fapiao_reader_stage_seconds_count", stage="recognising") == 1
    assert value(text, "fapiao_reader_stage_seconds_sum", stage="decoding") == pytest.approx(0.02)
    assert value(text, "fapiao_reader_stage_seconds_count", stage="total") is None  # a sum, not a stage
    assert value(text, "fapiao_authority_checks_total", outcome="not_found") == 1
    assert value(text, "fapiao_connector_state", state="off") == 1
    assert value(text, "fapiao_connector_state", state="ok") == 0
    assert value(text, "fapiao_backup_age_seconds") == pytest.approx(90)
    assert value(text, "fapiao_connected_sockets") == 0


def test_no_backup_is_no_age_not_a_fresh_one(client, db):
    assert value(scrape(client), "fapiao_backup_age_seconds") is None


def test_the_queue_depth_follows_the_job_table(client, team, clock):
    assert value(scrape(client), "fapiao_queue_depth", kind="check", state="queued") in (None, 0)
    check_jobs(team, clock, 3)
    assert value(scrape(client), "fapiao_queue_depth", kind="check", state="queued") == 3
    with database.connection_context():
        Job.update(state="running").where(Job.id == Job.select(Job.id).order_by(Job.id).limit(1)).execute()
    text = scrape(client)
    assert value(text, "fapiao_queue_depth", kind="check", state="queued") == 2
    assert value(text, "fapiao_queue_depth", kind="check", state="running") == 1
    assert value(text, "fapiao_queue_depth", kind="check", state="retry") == 0


def test_a_job_run_is_timed_by_kind_and_outcome(client, team, queue, clock):
    assert value(scrape(client), "fapiao_job_duration_seconds_count", kind="check", outcome="done") is None
    for job_id in check_jobs(team, clock, 2):
        queue.dispatch(job_id)
    assert queue.run_all() == 2
    text = scrape(client)
    assert value(text, "fapiao_job_duration_seconds_count", kind="check", outcome="done") == 2
    assert value(text, "fapiao_job_duration_seconds_bucket", kind="check", outcome="done", le="+Inf") == 2


def test_a_failing_observer_fails_no_job(client, team, queue, clock, monkeypatch, caplog):
    class Full:
        def labels(self, *values):
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(metrics._current, "job_seconds", Full())
    monkeypatch.setattr(metrics._current, "stage_seconds", Full())
    (job_id,) = check_jobs(team, clock, 1)
    queue.dispatch(job_id)
    with caplog.at_level(logging.WARNING, logger="backend.metrics"):
        queue.run_all()
    with database.connection_context():
        assert Job.get_by_id(job_id).state == "done"
    assert "metric not recorded: job_ran" in caplog.text
    metrics.reader_stages({"decoding": 0.1})  # raises nothing either


def test_connected_sockets_count_up_and_down(app, client, alice):
    from backend.extensions import socketio

    anonymous = socketio.test_client(app, flask_test_client=app.test_client())
    assert not anonymous.is_connected()  # refused: never counted
    socks = [socketio.test_client(app, flask_test_client=client) for _ in range(2)]
    assert all(s.is_connected() for s in socks)
    assert value(scrape(client), "fapiao_connected_sockets") == 2
    socks[0].disconnect()
    assert value(scrape(client), "fapiao_connected_sockets") == 1


# -- who may read it ---------------------------------------------------------------------------------------
def test_only_this_host_reads_it(app, client, rt):
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.5"}).status_code == 404
    # nginx on this host forwards outside clients from a loopback address: a forwarded request is never local
    assert client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 404
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.5"},
                      headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 404
    rt.settings = rt.settings.with_(metrics_token="s3cret-token")
    outside = {"environ_base": {"REMOTE_ADDR": "10.0.0.5"}}
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"}, **outside).status_code == 200
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}, **outside).status_code == 404
    assert client.get("/metrics", headers={"Authorization": "s3cret-token"}, **outside).status_code == 404


def test_behind_a_trusted_proxy_the_peer_still_decides(settings, clock, queue, engines):
    """FAPIAO_PROXY_HOPS=1: remote_addr comes from X-Forwarded-For, which a client writes; /metrics reads the
    socket's peer instead."""
    from backend.app import create_app

    app = create_app(settings.with_(proxy_hops=1), dispatch=queue.dispatch, clock=clock)
    client = app.test_client()
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.5"},
                      headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 404
    assert client.get("/healthz", environ_base={"REMOTE_ADDR": "10.0.0.5"}).status_code == 200


# -- several processes -------------------------------------------------------------------------------------
WRITER = """
import sys
from pathlib import Path
from backend import metrics
from backend.settings import Settings

metrics.setup(Settings(data_dir=Path(sys.argv[1]), secret_key="x"))
for _ in range(int(sys.argv[2])):
    metrics.job_ran("process", "done", 0.5)
    metrics.socket_connected()
print("written", flush=True)
sys.stdin.readline()  # alive until told: its connected sockets count while it lives
"""


def test_samples_of_several_processes_are_summed(client, settings):
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(settings.data_dir), str(n)], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for n in (1, 2)]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == "written"
        text = scrape(client)
        assert value(text, "fapiao_job_duration_seconds_count", kind="process", outcome="done") == 3
        assert value(text, "fapiao_job_duration_seconds_sum", kind="process", outcome="done") == 1.5
        assert value(text, "fapiao_connected_sockets") == 3
        procs[1].communicate("\n", timeout=30)  # the one with two sockets ends
        text = scrape(client)
        assert value(text, "fapiao_connected_sockets") == 1  # a process gone: its sockets with it
        assert value(text, "fapiao_job_duration_seconds_count", kind="process", outcome="done") == 3  # its runs stay
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def test_the_launcher_starts_from_an_empty_directory(settings):
    stale = settings.metrics_dir / "histogram_999999.db"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"old")
    assert metrics.reset_dir(settings) == settings.metrics_dir
    assert list(settings.metrics_dir.iterdir()) == []
