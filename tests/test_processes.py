"""The real processes: web server (eventlet), Huey worker processes, SQLite or Redis queue."""

from __future__ import annotations

import os
import signal
import sqlite3
from pathlib import Path

import pytest
import redis
import socketio

from . import media
from .helpers import DONE
from .procs import Stack, wait_for

pytestmark = pytest.mark.subprocess


def redis_available() -> bool:
    try:
        return redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_timeout=1).ping()
    except redis.RedisError:
        return False


def upload(session, url, *files):
    res = session.post(url + "/api/uploads", files=[("files", (n, b)) for n, b in files])
    assert res.status_code == 200, res.text
    return [r["invoice"]["id"] for r in res.json()["results"]]


def status(session, url, inv_id):
    return session.get(f"{url}/api/invoices/{inv_id}").json()["invoice"]


def jobs(stack) -> list[dict]:
    con = sqlite3.connect(f"file:{stack.data / 'fapiao.db'}?mode=ro", uri=True, timeout=10)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute("SELECT * FROM job ORDER BY id")]
    finally:
        con.close()


@pytest.mark.parametrize("mode", ["embedded", "redis"])
def test_worker_events_reach_a_connected_browser_live(tmp_path, mode):
    env = {}
    if mode == "redis":
        if not redis_available():
            pytest.skip("Redis mode needs a Redis server at 127.0.0.1:6379")
        redis.Redis.from_url("redis://127.0.0.1:6379/15").flushdb()
        env["FAPIAO_REDIS_URL"] = "redis://127.0.0.1:6379/15"
    with Stack(tmp_path, **env) as stack:
        stack.start("worker", "worker")
        stack.start("web", "serve")
        stack.wait_http()
        http = stack.session()
        received = []
        client = socketio.Client(reconnection=False)
        client.on("event", received.append)
        cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
        client.connect(stack.url, headers={"Cookie": cookie}, transports=["websocket"])
        try:
            (inv_id,) = upload(http, stack.url, ("a.jpg", media.jpeg()))
            wait_for(lambda: any(e["invoice"]["id"] == inv_id and e["invoice"]["status"] in DONE
                                 for e in received), timeout=60)
        finally:
            client.disconnect()
        statuses = [e["invoice"]["status"] for e in received if e["invoice"]["id"] == inv_id]
        assert statuses[0] == "received" and statuses[-1] in DONE
        assert set(statuses[1:-1]) == {"processing"} and len(statuses) == 8


def test_unauthenticated_socket_is_refused_by_the_real_server(tmp_path):
    with Stack(tmp_path) as stack:
        stack.start("web", "serve")
        stack.wait_http()
        client = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(stack.url, transports=["websocket"])


def test_pending_jobs_resume_when_a_worker_starts(tmp_path):
    with Stack(tmp_path) as stack:
        stack.start("web", "serve")
        stack.wait_http()
        http = stack.session()
        ids = upload(http, stack.url, ("a.jpg", media.jpeg()), ("b.png", media.png()))
        assert {status(http, stack.url, i)["status"] for i in ids} == {"received"}
        worker = stack.start("worker", "worker")
        wait_for(lambda: all(status(http, stack.url, i)["status"] in DONE for i in ids), timeout=60)
        # reading gives way to the web process on shared cores: the consumer and the processes it forked
        children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text()
        readers = [int(p) for p in children.split()]
        assert readers and {os.getpriority(os.PRIO_PROCESS, p) for p in (worker.pid, *readers)} == {10}


def _big_png() -> bytes:
    # Large enough that decoding takes a noticeable fraction of a second, so the test can
    # catch the worker in the middle of the job.
    return media.encode(media.invoice_like(9000, 9000), ".png")


def _kill_worker_running(stack, job_id: int, attempt: int) -> None:
    def running():
        rows = [j for j in jobs(stack) if j["id"] == job_id]
        return rows and rows[0]["state"] == "running" and rows[0]["attempts"] == attempt and rows[0]

    row = wait_for(running, timeout=30, interval=0.005)
    os.kill(int(row["worker"].rsplit(":", 1)[1]), signal.SIGKILL)


def _start_with_big_upload(stack):
    stack.start("web", "serve")
    stack.start("worker", "worker")
    stack.wait_http()
    http = stack.session()
    (inv_id,) = upload(http, stack.url, ("big.png", _big_png()))
    return http, inv_id


def test_killed_worker_is_recovered_and_the_job_completes(tmp_path):
    with Stack(tmp_path, FAPIAO_WORKERS="1") as stack:
        http, inv_id = _start_with_big_upload(stack)
        _kill_worker_running(stack, 1, attempt=1)
        wait_for(lambda: status(http, stack.url, inv_id)["status"] in DONE, timeout=90)
        # The invoice is written before its job row is closed: wait for the row, do not race it.
        (job,) = wait_for(lambda: [j for j in jobs(stack) if j["state"] != "running"] or None, timeout=30)
        assert (job["state"], job["attempts"]) == ("done", 2)


def test_worker_that_dies_every_time_ends_failed_with_a_reason(tmp_path):
    with Stack(tmp_path, FAPIAO_WORKERS="1", FAPIAO_JOB_MAX_ATTEMPTS="2") as stack:
        http, inv_id = _start_with_big_upload(stack)
        _kill_worker_running(stack, 1, attempt=1)
        _kill_worker_running(stack, 1, attempt=2)
        inv = wait_for(lambda: (s := status(http, stack.url, inv_id))["status"] == "failed" and s, timeout=60)
        assert inv["reason"] == "error.job.worker_died" and inv["reason_params"] == {"attempts": 2}
        assert jobs(stack)[0]["state"] == "failed"


def test_a_thousand_open_connections_do_not_hold_up_a_request(tmp_path):
    """eventlet serves at most `max_size` connections at once (its default, 1024, was ours): 1100 idle
    keep-alive sockets, as a thousand watching browsers keep, must leave room for an upload."""
    import resource
    import socket
    import time

    import requests

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1400:
        pytest.skip(f"this process may open only {hard} files")
    resource.setrlimit(resource.RLIMIT_NOFILE, (1400 if hard == resource.RLIM_INFINITY else min(1400, hard), hard))
    idle: list[socket.socket] = []
    try:
        with Stack(tmp_path) as stack:
            stack.start("web", "serve")
            stack.wait_http()
            for _ in range(1100):
                s = socket.create_connection(("127.0.0.1", stack.port), timeout=5)
                s.sendall(b"GET /api/auth/me HTTP/1.1\r\nHost: x\r\n")  # headers never finished: held open
                idle.append(s)
            started = time.monotonic()
            res = requests.get(stack.url + "/api/auth/me", timeout=20)
            assert res.status_code == 401 and time.monotonic() - started < 5
    finally:
        for s in idle:
            s.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
