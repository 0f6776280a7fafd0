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
# A reading process killed this often (e.g. by a crash in C, or a memory limit below the models, as it loads)
# will not start: the parent gives up, with 128 + the signal, and the supervisor or systemd decide.
CRASHES_AT_MOST, CRASH_WINDOW_SECONDS = 5, 60.0
_PR_SET_PDEATHSIG = 1  # prctl(2)
_CONTROL = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


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
    SIGINT and SIGTERM are passed on to it once (Huey finishes the jobs it runs on a SIGINT; a second one would
    make it stop at once); SIGHUP stops it so (SIGINT) and starts another. Returns the child's exit code when it
    exits by itself: stopped, or unable to start (the supervisor or systemd decide what then)."""
    child = 0
    stopping = again = False
    crashes: list[float] = []

    def pass_on(signum, frame) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            _signal(child, signum)

    def restart(signum, frame) -> None:
        nonlocal again
        again = True
        _signal(child, signal.SIGINT)

    signal.signal(signal.SIGINT, pass_on)
    signal.signal(signal.SIGTERM, pass_on)
    signal.signal(signal.SIGHUP, restart)
    while True:
        # The stop signals wait while the child is made: one that came between the fork and `child` being set
        # was passed to nobody, and one reaching the child before its own handlers were set was lost.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, _CONTROL)
        pid = os.fork()
        if pid == 0:
            _child(run, held)
        child, again = pid, False
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        _, status = os.waitpid(pid, 0)
        child = 0  # reaped: its pid may be anyone's now
        code = os.waitstatus_to_exitcode(status)
        if stopping:
            return code if code >= 0 else 128 - code
        if code >= 0 and not again:
            return code
        if code < 0:
            now = time.monotonic()
            crashes = [t for t in crashes if now - t < CRASH_WINDOW_SECONDS] + [now]
            if len(crashes) > CRASHES_AT_MOST:
                log.error("the reading process was killed %d times in %d s; not starting another",
                          len(crashes), CRASH_WINDOW_SECONDS)
                return 128 - code
            log.warning("the reading process %d was killed (signal %d); starting another", pid, -code)
            time.sleep(RESTART_PAUSE_SECONDS)
            if stopping:
                return 128 - code


def _signal(pid: int, signum: int) -> None:
    if pid:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def _child(run: Callable[[], None], held) -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    # Its own process group: a Ctrl-C at the terminal reaches the parent alone, which passes it on once (the
    # terminal's and the parent's copies together made Huey stop at once, cutting the jobs short).
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    _die_with_parent()
    signal.pthread_sigmask(signal.SIG_SETMASK, held)
    code = 0
    try:
        run()
    except SystemExit as exc:  # sys.exit(): 0; sys.exit(n): n; sys.exit("why"): 1, the why logged
        code = 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1
        if not isinstance(exc.code, int | None):
            log.error("the reading process stopped: %s", exc.code)
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
    if os.getppid() == 1:  # the parent died before that was asked: nobody would stop or restart this one
        os._exit(1)
