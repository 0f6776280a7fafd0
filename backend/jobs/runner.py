"""Run one delivered job, and recover jobs whose delivery or worker was lost."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from peewee import InterfaceError, OperationalError

from .. import jobrows, metrics
from ..db import database
from ..errors import InputError
from ..models import Invoice, InvoiceStatus, Job, JobState
from ..runtime import Runtime
from ..services import bundles, invoices, ledger, sync
from ..services.processing import process_invoice

log = logging.getLogger(__name__)

Handler = Callable[[Runtime, Job], None]
T = TypeVar("T")
HANDLERS: dict[str, Handler] = {"process": process_invoice, "check": sync.check_job,
                                "ledger_import": ledger.import_job}

# What giving up on a job means, per kind: a failed reading fails its invoice; a check that keeps
# failing says nothing about the invoice (it stays followed and is retried later); a failed import
# fails its import record.
GiveUp = Callable[[Runtime, Job, str, dict], None]


def _fail_invoice(rt: Runtime, job: Job, key: str, params: dict) -> None:
    invoices.set_status(rt, Invoice.get_by_id(job.invoice_id), InvoiceStatus.FAILED.value, f"error.{key}", **params)


GIVE_UP: dict[str, GiveUp] = {"process": _fail_invoice, "check": sync.check_given_up,
                              "ledger_import": ledger.import_failed}

# A queued job this old was never picked up: its queue message was lost (e.g. the web process
# died between commit and enqueue), so recovery delivers it again.
LOST_DELIVERY_SECONDS = 60


class Company:
    """The jobs running in this process now: with a worker's threads (FAPIAO_WORKER_MODE=threads) they share its
    memory, and its limit (FAPIAO_WORKER_MEMORY_MB). A job is `shared` if another ran beside it at any moment."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[int, bool] = {}  # a token per job running → whether another ran beside it
        self._next = 0

    @contextlib.contextmanager
    def joined(self):
        """Yields a function telling whether another job has run beside this one so far."""
        with self._lock:
            token, self._next = self._next, self._next + 1
            alone = not self._running
            for other in self._running:
                self._running[other] = True
            self._running[token] = not alone
        try:
            yield lambda: self._running[token]
        finally:
            with self._lock:
                del self._running[token]


COMPANY = Company()


def run_job(rt: Runtime, job_id: int) -> None:
    job = _claim(rt, job_id)
    if job is None:
        return
    with database.connection_context(), COMPANY.joined() as shared:
        started = time.perf_counter()
        try:
            HANDLERS[job.kind](rt, job)
        except InputError as exc:
            outcome = partial(_give_up, rt, job, exc.key, exc.params, exc.key)
        except Exception as exc:  # noqa: BLE001 - judged by _failed: retried unless it cannot help
            outcome = partial(_failed, rt, job, exc, shared())
        else:
            outcome = partial(_finish, job, rt.clock.now())
        seconds = time.perf_counter() - started
    metrics.job_ran(job.kind, _recorded(outcome) or "unrecorded", seconds)
    if job.kind == "process":
        _recorded(lambda: bundles.after_job(rt, job.invoice_id))  # a bundle's next page takes its turn


def _claim(rt: Runtime, job_id: int) -> Job | None:
    worker = jobrows.worker_id()
    try:
        with database.connection_context():
            return jobrows.claim(job_id, worker, rt.clock.now(), rt.settings.job_lease_seconds)
    except (OperationalError, InterfaceError) as exc:
        # The claim may be written with its answer lost (a PostgreSQL restart mid-statement): a live worker's
        # claim would keep the job `running` until its lease ran out. Give it back and deliver it again.
        log.warning("job %s: the database went away while claiming it (%s); giving the claim back", job_id, exc)
        if _recorded(lambda: jobrows.unclaim(job_id, worker, rt.clock.now())):
            with contextlib.suppress(Exception):  # the queue away too: recovery delivers a due retry
                rt.dispatch(job_id, 1)
        return None


# How long a worker keeps trying to write a job's outcome when the database went away under it (a
# PostgreSQL restart takes seconds). Past that, the job's lease running out hands it to recovery.
RECORD_SECONDS = 60.0


def _recorded(write: Callable[[], T], seconds: float = RECORD_SECONDS) -> T | None:
    """Write a job's outcome on a connection of its own, so that one the job broke (a PostgreSQL restart
    mid-read) is not the one it is written on: else the job would stay `running` under a live worker until
    its lease ran out (10 minutes by default). Returns the outcome written (done, retry, failed); None if none."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with database.connection_context():
                return write()
        except (OperationalError, InterfaceError) as exc:
            if time.monotonic() > deadline:
                log.error("could not record a job's outcome (%s); its lease hands it to recovery", exc)
                return None
            log.warning("the database is away (%s); recording the job's outcome again in 1 s", exc)
            time.sleep(1)


# How a failed allocation reads when it is not a MemoryError: onnxruntime (C++ std::bad_alloc in a
# RuntimeException), OpenCV (cv2.error "Insufficient memory"), and other C libraries.
_OOM_MARKERS = ("bad_alloc", "insufficient memory", "failed to allocate", "out of memory", "cannot allocate memory")


def out_of_memory(exc: BaseException) -> bool:
    """Whether this exception, or one it was raised from, is an allocation that failed."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, MemoryError) or any(m in str(exc).lower() for m in _OOM_MARKERS):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _failed(rt: Runtime, job: Job, exc: Exception, shared: bool = False) -> str:
    detail = f"{type(exc).__name__}: {exc}"
    if out_of_memory(exc) and shared and job.attempts < job.max_attempts:
        # Beside another job the memory may have been that one's: retried (a file too big for the limit meets it
        # again, and fails for good when it ran alone or at its last attempt).
        log.warning("job %s ran out of memory beside another job: retried", job.id)
        return _retry_or_give_up(rt, job, detail)
    if out_of_memory(exc):  # the file needs more than a worker may have (FAPIAO_WORKER_MEMORY_MB): it always will
        log.warning("job %s ran out of memory (limit %s MB): %s", job.id, rt.settings.worker_memory_mb, detail)
        return _give_up(rt, job, "job.out_of_memory", {"limit_mb": rt.settings.worker_memory_mb}, detail)
    log.exception("job %s attempt %s failed", job.id, job.attempts)  # may be transient: retry
    return _retry_or_give_up(rt, job, detail)


def _retry_or_give_up(rt: Runtime, job: Job, detail: str) -> str:
    if job.attempts < job.max_attempts:
        delay = jobrows.backoff_seconds(job.attempts, rt.settings.job_retry_base_seconds)
        jobrows.retry_later(job, rt.clock.now(), delay, "job.failed", detail)
        rt.dispatch(job.id, delay)
        return JobState.RETRY.value
    return _give_up(rt, job, "job.failed", {"attempts": job.attempts, "detail": detail[:200]}, detail)


def _finish(job: Job, now: dt.datetime) -> str:
    jobrows.finish(job, now)
    return JobState.DONE.value


def _give_up(rt: Runtime, job: Job, key: str, params: dict, detail: str) -> str:
    jobrows.fail(job, rt.clock.now(), key, detail)
    GIVE_UP[job.kind](rt, job, key, params)
    return JobState.FAILED.value


def recover(rt: Runtime) -> list[int]:
    """Re-deliver lost jobs and jobs whose worker died; fail those that died too often.

    Returns the ids delivered again. Safe to run anywhere, any number of times at once."""
    now = rt.clock.now()
    redeliver: list[int] = []
    with database.connection_context():
        for job in Job.select().where(Job.state == JobState.RUNNING.value):
            if not jobrows.is_dead(job.worker, job.lease_until, now):
                continue
            log.warning("job %s: worker %s is gone (attempt %s)", job.id, job.worker, job.attempts)
            if job.attempts < job.max_attempts:
                jobrows.retry_later(job, now, 0, "job.worker_died", f"worker {job.worker} died")
                redeliver.append(job.id)
            else:
                _give_up(rt, job, "job.worker_died", {"attempts": job.attempts}, f"worker {job.worker} died")
        stale = now - dt.timedelta(seconds=LOST_DELIVERY_SECONDS)
        waiting = Job.select(Job.id).where(
            ((Job.state == JobState.QUEUED.value) & (Job.updated_at < stale))
            | ((Job.state == JobState.RETRY.value) & (Job.run_after < stale))
        )
        redeliver.extend(j.id for j in waiting)
        bundles.release_stranded(rt)
    for job_id in redeliver:
        rt.dispatch(job_id, 0)
    return redeliver

