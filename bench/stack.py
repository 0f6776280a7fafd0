"""A Fapiao Tracker started for a benchmark, on loopback, in a temp dir: the embedded default (`fapiao run`:
SQLite, local workers, simulator) or the scaled stack (`fapiao run --scale`: nginx, 2 web, 2 workers, scheduler,
simulator on PostgreSQL and a Redis of its own). The benches start it as an operator does, through the CLI, and
read the truth from its database."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
PG = "postgresql://postgres@127.0.0.1:5432"
PASSWORD = "correct horse battery"
ADMIN_PASSWORD = "Bench-admin-horse-9"
UNREAD = ("received", "processing")


def free(port: int) -> bool:
    with closing(socket.socket()) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind: TIME_WAIT is no owner
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def wait_for(predicate, timeout: float, interval: float = 0.2, why=lambda: ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"not ready in {timeout:.0f} s {why()}")


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree(pid: int) -> list[int]:
    """The process and all its descendants (a worker's Huey processes, nginx's workers)."""
    out = [pid]
    try:
        kids = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        kids = []
    for kid in kids:
        out.extend(tree(kid))
    return out


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


class Stack:
    """One mode's processes. `start()` returns once every web process answers; `stop()` ends them all (the run
    command's whole process group, and Redis) and is safe to call twice."""

    def __init__(self, mode: str, tmp: Path, port: int, database: str = "bench_load", redis_port: int = 19057,
                 env: dict[str, str] | None = None) -> None:
        assert mode in ("embedded", "scaled")
        self.mode, self.port, self.database, self.redis_port = mode, port, database, redis_port
        self.data = tmp / "data"
        self.url = f"http://127.0.0.1:{port}"
        self.redis_url = f"redis://127.0.0.1:{redis_port}/0" if mode == "scaled" else ""
        self.log = tmp / f"{mode}.log"
        self.proc: subprocess.Popen | None = None
        dist = REPO / "frontend" / "dist"
        self.env = {
            **os.environ,
            "FAPIAO_DATA_DIR": str(self.data),
            "FAPIAO_PORT": str(port),
            "FAPIAO_DATABASE_URL": f"{PG}/{database}" if mode == "scaled" else "",
            "FAPIAO_REDIS_URL": self.redis_url,
            "FAPIAO_SIMULATOR_URL": "",
            "FAPIAO_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "FAPIAO_BACKUP_PASSPHRASE": "bench backup phrase",
            "FAPIAO_BACKUP_INTERVAL_HOURS": "0",
            "FAPIAO_BACKUP_DIR": str(tmp / "backups"),
            "PYTHONUNBUFFERED": "1",
            **({"FAPIAO_FRONTEND_DIST": str(dist)} if dist.is_dir() else {}),
            **(env or {}),
        }

    # -- life --------------------------------------------------------------------------------------------
    def ports(self) -> list[int]:
        if self.mode == "embedded":
            return [self.port, self.port + 1]
        return [self.port, self.port + 1, self.port + 101, self.port + 102, self.redis_port]

    def start(self, timeout: float = 120) -> Stack:
        busy = [p for p in self.ports() if not free(p)]
        if busy:
            raise RuntimeError(f"{self.mode}: ports in use: {busy}")
        argv = [sys.executable, "-m", "backend.cli", "run"]
        if self.mode == "scaled":
            self._recreate_database()
            self._start_redis()
            argv.append("--scale")
        self.proc = subprocess.Popen(argv, env=self.env, cwd=REPO, stdout=self.log.open("w"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self._answers, timeout, why=lambda: self.log.read_text()[-3000:])
        return self

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.mode} exited: {self.log.read_text()[-3000:]}")
        ports = [self.port]
        if self.mode == "scaled":
            stack = self.data / "run" / "stack.json"
            if not stack.exists():
                return False
            ports += json.loads(stack.read_text())["web_ports"]
        try:
            return all(requests.get(f"http://127.0.0.1:{p}/api/auth/me", timeout=2).status_code == 401 for p in ports)
        except (requests.RequestException, ValueError):
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:  # whatever of the group outlived the supervisor
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        if self.redis_url:
            self._stop_redis()

    def _recreate_database(self) -> None:
        import psycopg2

        conn = psycopg2.connect(f"{PG}/postgres", connect_timeout=5)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (self.database,))
            cur.execute(f'DROP DATABASE IF EXISTS "{self.database}"')
            cur.execute(f'CREATE DATABASE "{self.database}"')
        conn.close()

    def _start_redis(self) -> None:
        from backend import scale

        subprocess.run(scale.redis_argv(self.redis_url), check=True, capture_output=True)
        wait_for(self.redis_pid, 15)

    def _stop_redis(self) -> None:
        import redis

        with contextlib.suppress(redis.RedisError):  # shutting down drops the connection: that is the answer
            redis.Redis.from_url(self.redis_url, socket_timeout=2).shutdown(nosave=True)

    def redis_pid(self) -> int | None:
        import redis

        try:
            return int(redis.Redis.from_url(self.redis_url, socket_timeout=1).info("server")["process_id"])
        except redis.RedisError:
            return None

    # -- people ----------------------------------------------------------------------------------------------
    def cli(self, *args: str) -> str:
        out = subprocess.run([sys.executable, "-m", "backend.cli", *args], env=self.env, cwd=REPO,
                             capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"fapiao {' '.join(args[:2])}: {out.stderr[-2000:]}")
        return out.stdout

    def users(self, names: list[str], team: str = "Team A", role: str = "accountant") -> list[requests.Session]:
        """Create each person through the CLI (a few at a time: each is a Python start-up) and sign them in."""
        def create(name: str) -> None:
            self.cli("user", "create", name, "--password", PASSWORD, "--team", team, "--role", role)

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(create, names))
        return [self.sign_in(n) for n in names]

    def sign_in(self, name: str) -> requests.Session:
        s = requests.Session()
        s.headers["X-Requested-With"] = "bench"
        res = s.post(self.url + "/api/auth/login", json={"username": name, "password": PASSWORD}, timeout=30)
        if res.status_code != 200:
            raise RuntimeError(f"sign-in of {name}: {res.status_code} {res.text[:300]}")
        return s

    # -- processes -----------------------------------------------------------------------------------------
    def processes(self) -> dict[str, int]:
        """Name → PID of every process the stack runs (each counted with its descendants by the caller)."""
        if self.proc is None or self.proc.poll() is not None:
            return {}
        if self.mode == "scaled":
            try:
                named = json.loads((self.data / "run" / "stack.json").read_text())["processes"]
            except (OSError, ValueError, KeyError):
                named = {}
            pid = self.redis_pid()
            return {"supervisor": self.proc.pid, **named, **({"redis": pid} if pid else {})}
        named = {"supervisor": self.proc.pid}
        kids = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        with contextlib.suppress(OSError):
            for kid in (int(p) for p in kids.read_text().split()):
                argv = _cmdline(kid)
                name = argv[argv.index("backend.cli") + 1] if "backend.cli" in argv[:-1] else f"pid{kid}"
                named["web" if name == "serve" else name] = kid
        return named

    def socket_upstreams(self) -> dict[str, set[str]]:
        """Scaled: each Socket.IO sid → the web processes nginx sent its requests to (from nginx's access log);
        more than one for a sid means stickiness broke."""
        log = self.data / "run" / "access.log"
        out: dict[str, set[str]] = {}
        with contextlib.suppress(OSError):
            for m in re.finditer(r"/socket\.io/\?[^ ]*?sid=([\w-]+)[^\n]* upstream=(?:[^\n]*, )?([\d.:]+)\n",
                                 log.read_text()):
                out.setdefault(m.group(1), set()).add(m.group(2))
        return out

    # -- the truth -----------------------------------------------------------------------------------------
    def rows(self, sql: str, *args) -> list[tuple]:
        """A read of the stack's own database; `?` marks parameters on both engines."""
        if self.mode == "embedded":
            conn = sqlite3.connect(f"file:{self.data / 'fapiao.db'}?mode=ro", uri=True, timeout=10)
            try:
                return conn.execute(sql, args).fetchall()
            finally:
                conn.close()
        import psycopg2

        conn = psycopg2.connect(f"{PG}/{self.database}")
        try:
            with conn.cursor() as cur:
                cur.execute(sql.replace("?", "%s"), args)
                return cur.fetchall()
        finally:
            conn.close()
