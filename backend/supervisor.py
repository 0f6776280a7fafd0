"""`fapiao run`: start the web server and the worker as child processes, restart a child that
crashes, and stop them all cleanly on Ctrl-C (SIGINT) or SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from .settings import Settings

STOP_GRACE_SECONDS = 15
MAX_RESTARTS_PER_MINUTE = 5


@dataclass
class Child:
    name: str
    argv: list[str]
    stop_signal: int
    proc: subprocess.Popen | None = None
    restarts: list[float] = field(default_factory=list)
    env: dict[str, str] | None = None  # set on top of this process's environment (a unit's Environment=)

    def start(self) -> None:
        self.proc = subprocess.Popen(self.argv, env={**os.environ, **self.env} if self.env else None)

    def exited(self) -> int | None:
        return None if self.proc is None else self.proc.poll()


def children(settings: Settings, extra: list[tuple[str, list[str]]] = ()) -> list[Child]:
    py = [sys.executable, "-m", "backend.cli"]
    base = [
        # huey stops gracefully (finishing running tasks) on SIGINT.
        Child("worker", [*py, "worker"], signal.SIGINT),
        Child("web", [*py, "serve"], signal.SIGTERM),
    ]
    if settings.connector != "off":
        base.append(Child("scheduler", [*py, "scheduler"], signal.SIGTERM))
    if settings.connector == "simulator" and not settings.simulator_url:
        # The embedded default: the simulated authority runs beside the app, on port + 1.
        base.append(Child("simulator", [*py, "simulator"], signal.SIGTERM))
    return base + [Child(name, argv, signal.SIGTERM) for name, argv in extra]


class StopFlag:
    """Set by SIGINT or SIGTERM: long-running loops check it and finish their round first."""

    def __init__(self) -> None:
        self.set = False
        signal.signal(signal.SIGINT, self._request)
        signal.signal(signal.SIGTERM, self._request)

    def _request(self, signum, frame) -> None:
        self.set = True


def supervise(kids: list[Child], on_ready=None, on_restart=None) -> int:
    stop = StopFlag()
    for kid in kids:
        kid.start()
    if on_ready:
        on_ready()
    code = 0
    while not stop.set:
        time.sleep(0.2)
        for kid in kids:
            rc = kid.exited()
            if rc is None or stop.set:
                continue
            now = time.monotonic()
            kid.restarts = [t for t in kid.restarts if now - t < 60] + [now]
            if len(kid.restarts) > MAX_RESTARTS_PER_MINUTE:
                print(f"fapiao: {kid.name} keeps exiting (code {rc}); stopping.", file=sys.stderr)
                stop.set, code = True, 1
                break
            print(f"fapiao: {kid.name} exited with code {rc}; restarting it.", file=sys.stderr)
            kid.start()
            if on_restart:
                on_restart(kid)
    _stop_all(kids)
    return code


def _stop_all(kids: list[Child]) -> None:
    for kid in kids:
        if kid.exited() is None:
            kid.proc.send_signal(kid.stop_signal)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for kid in kids:
        if kid.proc is None:
            continue
        try:
            kid.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            kid.proc.kill()
            kid.proc.wait()
