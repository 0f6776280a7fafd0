"""`fapiao worker`'s parent in the threads mode (backend/jobs/launch.py): it keeps its one reading process alive."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .procs import wait_for

pytestmark = pytest.mark.subprocess

REPO = Path(__file__).resolve().parent.parent

# A reading process that notes its pid and waits; on SIGINT it stops as Huey's consumer does (exit 0), and
# with a file `exit` present it exits by itself with code 3 (unable to start).
CHILD = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from backend.jobs.launch import keep_alive

    here = Path(sys.argv[1])

    def run():
        try:  # a SIGINT as soon as the pid is seen still finds the handler
            with open(here / "pids", "a") as f:
                f.write(f"{os.getpid()}\\n")
            if (here / "exit").exists():
                sys.exit(3)
            time.sleep(60)
        except KeyboardInterrupt:
            return

    sys.exit(keep_alive(run))
""")


def _start(tmp_path: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)], cwd=REPO)


def _pids(tmp_path: Path) -> list[int]:
    path = tmp_path / "pids"
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_a_killed_reading_process_is_started_again_and_sigint_stops_it(tmp_path):
    parent = _start(tmp_path)
    try:
        (first,) = wait_for(lambda: _pids(tmp_path), timeout=20, interval=0.05)
        os.kill(first, signal.SIGKILL)
        second = wait_for(lambda: _pids(tmp_path)[1:], timeout=20, interval=0.05)[0]
        assert second != first and parent.poll() is None
        parent.send_signal(signal.SIGINT)  # passed on: the reading process stops, then the parent
        assert parent.wait(timeout=20) == 0
        assert not _alive(second)
    finally:
        parent.kill()


def test_a_reading_process_that_exits_by_itself_is_not_started_again(tmp_path):
    (tmp_path / "exit").touch()
    parent = _start(tmp_path)
    try:
        assert parent.wait(timeout=20) == 3
        assert len(_pids(tmp_path)) == 1
    finally:
        parent.kill()


def test_the_reading_process_dies_with_its_parent(tmp_path):
    parent = _start(tmp_path)
    try:
        (child,) = wait_for(lambda: _pids(tmp_path), timeout=20, interval=0.05)
        parent.kill()
        parent.wait()
        wait_for(lambda: not _alive(child), timeout=10, interval=0.05)
    finally:
        parent.kill()


def test_a_stop_during_the_restart_pause_stops_it_cleanly(tmp_path):
    parent = _start(tmp_path)
    try:
        (first,) = wait_for(lambda: _pids(tmp_path), timeout=20, interval=0.05)
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: not _alive(first), timeout=20, interval=0.02)
        parent.send_signal(signal.SIGTERM)  # in the pause: no child to pass it to, and none started after it
        assert parent.wait(timeout=20) == 128 + signal.SIGKILL
        assert _pids(tmp_path) == [first]
    finally:
        parent.kill()


def test_sighup_starts_another_reading_process_and_sigint_is_passed_on_once(tmp_path):
    parent = _start(tmp_path)
    try:
        (first,) = wait_for(lambda: _pids(tmp_path), timeout=20, interval=0.05)
        parent.send_signal(signal.SIGHUP)  # the first stops as on SIGINT (finishing its jobs); another starts
        second = wait_for(lambda: _pids(tmp_path)[1:], timeout=20, interval=0.05)[0]
        assert parent.poll() is None and not _alive(first)
        assert os.getpgid(second) == second  # a terminal's Ctrl-C reaches the parent alone
        parent.send_signal(signal.SIGINT)
        parent.send_signal(signal.SIGINT)  # a second one is not passed on (it would stop Huey at once)
        assert parent.wait(timeout=20) == 0
        assert not _alive(second)
    finally:
        parent.kill()


def test_a_reading_process_killed_at_every_start_is_given_up(tmp_path, monkeypatch):
    from backend.jobs import launch

    monkeypatch.setattr(launch, "RESTART_PAUSE_SECONDS", 0.0)
    monkeypatch.setattr(launch, "CRASHES_AT_MOST", 2)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        assert launch.keep_alive(lambda: os.kill(os.getpid(), signal.SIGKILL)) == 128 + signal.SIGKILL
    finally:
        for s, h in handlers.items():
            signal.signal(s, h)
