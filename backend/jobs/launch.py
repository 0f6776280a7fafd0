"""How `fapiao worker` starts: FAPIAO_WORKER_MODE.

"threads" (the default): one reading process runs FAPIAO_WORKERS jobs at once on threads sharing one set of
models (onnxruntime's runs are thread-safe; ONNX, OpenCV and numpy release the GIL), under a parent that only
restarts it when it is killed. Two processes with models of their own held 878 MB of RSS between them and
their consumer on the embedded stack (bench.latency); one process with threads holds one set.
"processes": Huey's process consumer, a process per job, each with its own models.

This module imports nothing heavy on purpose: the parent forks the reading process before the reader, the ORM
or Huey are imported, so that it holds ~20 MB, not the ~110 MB their imports weigh.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import time
from collections.abc import Callable

from ..settings import Settings

log = logging.getLogger(__name__)

RESTART_PAUSE_SECONDS = 1.0  # as Huey's health check (every second) restarted a worker process that died
_PR_SET_PDEATHSIG = 1  # prctl(2)


def start_worker(settings: Settings) -> int:
    lower_priority(settings.worker_nice)  # inherited by what it forks
    if settings.worker_mode == "processes":
        _consume(settings, "process")
        return 0
    return keep_alive(lambda: _consume(settings, "thread"))


def _consume(settings: Settings, worker_type: str) -> None:
    from .worker import run_worker

    run_worker(settings, worker_type)


def lower_priority(niceness: int) -> None:
    """Run at least this nice (never raising priority back): reading an invoice is batch work and may wait a
    moment; the web process answering and pushing to a thousand sockets on the same cores may not."""
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if niceness > current:
        os.setpriority(os.PRIO_PROCESS, 0, niceness)


def keep_alive(run: Callable[[], None]) -> int:
    """Run `run` in a child process, started again whenever a signal kills it (kill -9, the kernel's OOM
    killer, a crash in C): the jobs it held name its pid, so the new one's startup delivers them again at once.
    SIGINT and SIGTERM are passed on to it (Huey finishes the jobs it runs on SIGINT). Returns the child's exit
    code when it exits by itself: stopped, or unable to start (the supervisor or systemd decide what then)."""
    child = 0
    stopping = False

    def pass_on(signum, frame) -> None:
        nonlocal stopping
        stopping = True
        if child:
            os.kill(child, signum)

    signal.signal(signal.SIGINT, pass_on)
    signal.signal(signal.SIGTERM, pass_on)
    while True:
        child = os.fork()
        if child == 0:
            _child(run)
        _, status = os.waitpid(child, 0)
        code = os.waitstatus_to_exitcode(status)
        if code >= 0 or stopping:
            return code if code >= 0 else 128 - code
        log.warning("the reading process %d was killed (signal %d); starting another", child, -code)
        time.sleep(RESTART_PAUSE_SECONDS)


def _child(run: Callable[[], None]) -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()
    code = 0
    try:
        run()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - reported, and the parent returns the code
        log.exception("the reading process failed")
        code = 1
    logging.shutdown()
    os._exit(code)


def _die_with_parent() -> None:
    """The reading process is killed with its parent (Linux): a parent killed -9 (a supervisor's last resort)
    leaves no reader running jobs nobody restarts or stops."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
