"""Start the real processes (`fapiao serve`, `fapiao worker`, `fapiao run`) for process-level tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"


def free_port() -> int:
    with closing(socket.socket()) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """A data directory plus whichever of web/worker a test starts, stopped on exit."""

    def __init__(self, tmp: Path, **env: str) -> None:
        self.data = tmp / "data"
        self.port = free_port()
        self.env = {
            **os.environ,
            "FAPIAO_DATA_DIR": str(self.data),
            "FAPIAO_PORT": str(self.port),
            "FAPIAO_SECRET_KEY": "process-test",
            "FAPIAO_FRONTEND_DIST": str(REPO / "frontend" / "dist"),
            "PYTHONUNBUFFERED": "1",
            "FAPIAO_CONNECTOR": "off",  # the authority side is started by the tests that need it
            **env,
        }
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self.url = f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str) -> str:
        out = subprocess.run([sys.executable, "-m", "backend.cli", *args], env=self.env, cwd=REPO,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = self.data.parent / f"{name}.log"
        self.logs[name] = log
        proc = subprocess.Popen([sys.executable, "-m", "backend.cli", *args], env=self.env, cwd=REPO,
                                stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[name] = proc
        return proc

    def wait_http(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + "/api/auth/me", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise TimeoutError(f"web server did not start: {self.log('web')}")

    def log(self, name: str) -> str:
        return self.logs[name].read_text() if name in self.logs else ""

    def session(self, username: str = "alice") -> requests.Session:
        s = requests.Session()
        s.headers["X-Requested-With"] = "test"
        res = s.post(self.url + "/api/auth/login", json={"username": username, "password": PASSWORD})
        assert res.status_code == 200, res.text
        return s

    def stop(self, name: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.pop(name, None)
        if proc and proc.poll() is None:
            os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def close(self) -> None:
        for name in list(self.procs):
            self.stop(name, signal.SIGINT if name == "worker" else signal.SIGTERM)

    def __enter__(self) -> Stack:
        self.cli("db", "upgrade")
        # Alice keeps her team's books (an accountant): the tests of a submitter's limits make their own people.
        self.cli("user", "create", "alice", "--password", PASSWORD, "--team", "Team A", "--role", "accountant")
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def wait_for(predicate, timeout: float = 30, interval: float = 0.05, why=lambda: ""):
    """The predicate's first true value, polled; a TimeoutError (with `why()`: a log's tail) if none came."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"condition not met in {timeout} s {why()}")
