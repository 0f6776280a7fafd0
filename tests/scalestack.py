"""The scaled stack (`fapiao run --scale`: nginx, two web processes, two workers, scheduler, simulator on
PostgreSQL and a Redis of its own) started for real by the `scale` tests, with what they need to poke it."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import closing
from pathlib import Path

import cv2
import psycopg2
import redis
import requests
import socketio

from backend import scale

from .procs import wait_for

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
ADMIN_PASSWORD = "Stack-admin-horse-9"
PG = "postgresql://postgres@127.0.0.1:5432"
DATABASE = "fapiao_scale_test"
UNREAD = {"received", "processing"}


def missing() -> str | None:
    """Why the scaled stack cannot run here (None: it can)."""
    if not Path(scale.NGINX).exists():
        return "nginx is not installed (make scale installs it)"
    if not shutil.which("redis-server"):
        return "redis-server is not installed"
    try:
        psycopg2.connect(f"{PG}/postgres", connect_timeout=2).close()
    except psycopg2.Error:
        return "no PostgreSQL at 127.0.0.1:5432"
    return None


def _free(port: int) -> bool:
    with closing(socket.socket()) as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _ports() -> tuple[int, int]:
    """A base port whose +1, +101, +102 are free too, and a port for Redis."""
    for base in range(18000, 30000, 211):
        if all(_free(base + d) for d in (0, 1, 101, 102, 57)):
            return base, base + 57
    raise RuntimeError("no free ports")


def recreate_database() -> None:
    conn = psycopg2.connect(f"{PG}/postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (DATABASE,))
        cur.execute(f'DROP DATABASE IF EXISTS "{DATABASE}"')
        cur.execute(f'CREATE DATABASE "{DATABASE}"')
    conn.close()


def invoice_jpeg(n: int) -> bytes:
    """One of the project's generated invoices (a QR code, so it reads fast and surely), issued yesterday."""
    from backend.weights import synth

    day = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    spec = synth.Spec(invoice_number=f"{31000000 + n:08d}", issue_date=day, buyer_tax_id="91110000MA00000001")
    return cv2.imencode(".jpg", synth.render(spec))[1].tobytes()


class ScaleStack:
    def __init__(self, tmp: Path, backup_dir: Path | None = None) -> None:
        self.tmp = tmp
        self.data = tmp / "data"
        self.port, self.redis_port = _ports()
        self.url = f"http://127.0.0.1:{self.port}"
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.env = {
            **os.environ,
            "FAPIAO_DATA_DIR": str(self.data),
            "FAPIAO_PORT": str(self.port),
            "FAPIAO_DATABASE_URL": f"{PG}/{DATABASE}",
            "FAPIAO_REDIS_URL": self.redis_url,
            "FAPIAO_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "FAPIAO_FRONTEND_DIST": str(REPO / "frontend" / "dist"),
            "PYTHONUNBUFFERED": "1",
            # The demo: each invoice read is issued at the simulator and becomes visible ~15 s later.
            "FAPIAO_DEMO": "1",
            "FAPIAO_SIM_DELAY_MEDIAN_HOURS": "0.5",
            "FAPIAO_SIM_DELAY_SIGMA": "0.05",
            "FAPIAO_SIM_OFFLINE_SHARE": "0",
            "FAPIAO_SYNC_TICK_SECONDS": "1",
            "FAPIAO_CONNECTOR_TIMEOUT_SECONDS": "2",
            "FAPIAO_BACKUP_PASSPHRASE": "stack backup phrase",
            "FAPIAO_BACKUP_INTERVAL_HOURS": "0",
            "FAPIAO_BACKUP_DIR": str(backup_dir or tmp / "backups"),
        }
        self.proc: subprocess.Popen | None = None
        self.log = tmp / "stack.log"

    # -- life --------------------------------------------------------------------------------------------
    def start(self) -> ScaleStack:
        recreate_database()
        self.start_redis()
        self.proc = subprocess.Popen([sys.executable, "-m", "backend.cli", "run", "--scale"], env=self.env,
                                     cwd=REPO, stdout=self.log.open("w"), stderr=subprocess.STDOUT,
                                     start_new_session=True)
        wait_for(lambda: (self.data / "run" / "stack.json").exists() and self._answers(), 90,
                 why=lambda: self.log.read_text()[-3000:])
        self.cli("user", "create", "admin2", "--password", PASSWORD, "--admin")
        return self

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"the stack exited: {self.log.read_text()[-3000:]}")
        try:
            # The web processes first, nginx only once they all answer: a refused connection would make nginx
            # skip that process for fail_timeout, and the first tests would see sessions where no cookie sends them.
            return all(requests.get(f"http://127.0.0.1:{p}/api/auth/me", timeout=1).status_code == 401
                       for p in (*self.stack()["web_ports"], self.port))
        except (requests.RequestException, KeyError, json.JSONDecodeError):
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.stop_redis()

    def start_redis(self) -> None:
        subprocess.run(scale.redis_argv(self.redis_url), check=True, capture_output=True)
        wait_for(lambda: _pings(self.redis_url), 15)

    def stop_redis(self) -> None:
        with contextlib.suppress(redis.RedisError):  # shutting down drops the connection: that is the answer
            redis.Redis.from_url(self.redis_url, socket_timeout=2).shutdown(nosave=True)
        wait_for(lambda: not _pings(self.redis_url), 15)

    def cli(self, *args: str) -> str:
        out = subprocess.run([sys.executable, "-m", "backend.cli", *args], env=self.env, cwd=REPO,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout

    def stack(self) -> dict:
        return json.loads((self.data / "run" / "stack.json").read_text())

    def pid(self, name: str) -> int:
        return self.stack()["processes"][name]

    # -- people and their browsers ---------------------------------------------------------------------------
    def user(self, name: str, role: str = "accountant") -> requests.Session:
        self.cli("user", "create", name, "--password", PASSWORD, "--team", "Team A", "--role", role)
        return self.session(name)

    def session(self, name: str, password: str = PASSWORD) -> requests.Session:
        s = requests.Session()
        s.headers["X-Requested-With"] = "test"
        res = s.post(self.url + "/api/auth/login", json={"username": name, "password": password}, timeout=30)
        assert res.status_code == 200, res.text
        return s

    def upstream_of(self, session: requests.Session) -> int:
        """The web process nginx sends this session to (its port), from nginx's own access log."""
        probe = uuid.uuid4().hex
        assert session.get(f"{self.url}/api/auth/me?probe={probe}", timeout=10).status_code == 200
        log = self.data / "run" / "access.log"

        def find():
            m = re.search(rf"probe={probe}.* upstream=127\.0\.0\.1:(\d+)", log.read_text())
            return m and int(m.group(1))

        return wait_for(find, 10)

    def socket_upstream(self, tag: str) -> int:
        """The web process that made the latest engine.io session of the watcher tagged so, from nginx's log of
        the handshake (a live websocket is logged only when it ends). The cookie's hash says where a socket should
        go; this is where it went."""
        log = self.data / "run" / "access.log"

        def find():
            hits = re.findall(rf"watcher={tag}\b.* upstream=(?:[\d.:]+, )*127\.0\.0\.1:(\d+)", log.read_text())
            return hits and int(hits[-1])

        return wait_for(find, 10)

    def upload(self, session: requests.Session, *files: tuple[str, bytes]) -> list[int]:
        res = session.post(self.url + "/api/uploads", files=[("files", f) for f in files], timeout=60)
        assert res.status_code == 200, res.text
        return [r["invoice"]["id"] for r in res.json()["results"]]

    # -- the truth -----------------------------------------------------------------------------------------
    def rows(self, sql: str, *args) -> list[dict]:
        conn = psycopg2.connect(f"{PG}/{DATABASE}")
        try:
            with conn.cursor() as cur:
                cur.execute(sql, args)
                names = [c.name for c in cur.description]
                return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        finally:
            conn.close()

    def statuses(self, ids: list[int]) -> dict[int, str]:
        return {r["id"]: r["status"] for r in self.rows("SELECT id, status FROM invoice WHERE id = ANY(%s)", ids)}

    def all_read(self, ids: list[int]) -> bool:
        got = self.statuses(ids)
        return len(got) == len(ids) and not (set(got.values()) & UNREAD)


class Watcher:
    """A browser's socket as the SPA keeps it: reconnect on loss, and on every (re)connect catch up from the
    last cursor over REST. `seen` holds every event it has, by cursor."""

    def __init__(self, stack: ScaleStack, session: requests.Session) -> None:
        self.stack, self.http = stack, session
        self.seen: dict[int, dict] = {}
        self.connects = 0
        self.tag = uuid.uuid4().hex  # in the URL of every request its socket makes, for nginx's log to show
        self.losses: list[str] = []  # why each socket went (engine.io's reason), for a failing assertion to show
        # The socket's own cookie jar, as a browser sends it on every request: python-engineio sends a Cookie
        # *header* only with the first handshake (and consumes it), so a reconnect would come back signed out
        # and each poll would lose nginx's stickiness.
        jar = requests.Session()
        jar.cookies.update(session.cookies)
        self.client = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1,
                                      http_session=jar)
        self.client.on("event", self._event)
        self.client.on("connect", self._connected)
        self.client.on("disconnect", self._lost)

    def open(self) -> Watcher:
        # polling first, then the upgrade: the handshake needs nginx's stickiness, as a browser's does
        self.client.connect(f"{self.stack.url}?watcher={self.tag}", transports=["polling", "websocket"],
                            wait_timeout=20)
        return self

    def _event(self, ev: dict) -> None:
        self.seen[ev["cursor"]] = ev

    def _connected(self) -> None:
        self.connects += 1
        after = max(self.seen, default=0)
        try:
            res = self.http.get(f"{self.stack.url}/api/events?after={after}", timeout=10)
            for ev in res.json()["events"]:
                self.seen[ev["cursor"]] = ev
        except (requests.RequestException, ValueError, KeyError):
            pass  # the next reconnect catches up; the assertion says whether it did

    def _lost(self, reason=None) -> None:
        self.losses.append(f"{time.strftime('%H:%M:%S')} {reason}")

    def __repr__(self) -> str:
        return f"Watcher(connects={self.connects}, losses={self.losses})"

    def last_status(self, invoice_id: int) -> str | None:
        evs = [e for c, e in sorted(self.seen.items()) if (e.get("invoice") or {}).get("id") == invoice_id]
        return evs[-1]["invoice"].get("status") if evs else None

    def close(self) -> None:
        self.client.disconnect()


def _pings(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except redis.RedisError:
        return False
