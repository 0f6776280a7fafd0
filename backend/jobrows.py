"""Job state transitions. Every transition is one conditional UPDATE, so two deliveries of the
same job (the queue guarantees at-least-once, recovery may add more) never run it twice."""

from __future__ import annotations

import datetime as dt
import os
import random
import socket

import peewee

from . import prepared
from .models import Job, JobState

WORKER_HOST = socket.gethostname()
QUEUE = (JobState.QUEUED.value, JobState.RETRY.value, JobState.RUNNING.value)  # in the queue or being run
ACTIVE = (*QUEUE, JobState.HELD.value)  # not done or failed (held: a bundle's page waiting for its turn)


def worker_id() -> str:
    return f"{WORKER_HOST}:{os.getpid()}"


def create(invoice_id: int | None, kind: str, now: dt.datetime, max_attempts: int, requested_by: int | None = None,
           payload: dict | None = None) -> Job:
    # Every check queues one: its INSERT is built once (prepared.create), as Job.create would build it.
    return prepared.create(Job, "job", invoice=invoice_id, kind=kind, max_attempts=max_attempts,
                           requested_by=requested_by, payload=payload, created_at=now, updated_at=now)


def claim(job_id: int, worker: str, now: dt.datetime, lease_seconds: int) -> Job | None:
    """Take a due job for this worker; None when it is not ours to run (done, running, not due).

    Every job runs it (and _leave_running): their SQL is built once, with new values each time."""
    lease_until = now + dt.timedelta(seconds=lease_seconds)
    rows = prepared.execute("job_claim", _claim_query, JobState.RUNNING.value, 1, worker, lease_until, now, job_id,
                            JobState.QUEUED.value, JobState.RETRY.value, now).rowcount
    return prepared.first(Job, "job_by_id", lambda i: Job.select().where(Job.id == i), job_id) if rows else None


def _claim_query(running, one, worker, lease_until, now, job_id, queued, retry, due_at):
    """The claim's UPDATE, its values in the order of its parameters (prepared.sql binds them so)."""
    return (Job.update(state=running, attempts=Job.attempts + one, worker=worker, lease_until=lease_until,
                       updated_at=now)
            .where(Job.id == job_id, Job.state.in_([queued, retry]),
                   (Job.run_after.is_null()) | (Job.run_after <= due_at)))


def unclaim(job_id: int, worker: str, now: dt.datetime) -> bool:
    """Give back a claim this worker may have made without learning so (the database went away between the
    UPDATE and its answer): due again at once, the attempt not counted. False when there was no such claim."""
    rows = (
        Job.update(state=JobState.RETRY.value, attempts=Job.attempts - 1, worker=None, lease_until=None,
                   run_after=now, updated_at=now)
        .where(Job.id == job_id, Job.state == JobState.RUNNING.value, Job.worker == worker)
        .execute()
    )
    return bool(rows)


def finish(job: Job, now: dt.datetime) -> None:
    _leave_running(job, now, state=JobState.DONE.value, lease_until=None)


def fail(job: Job, now: dt.datetime, key: str, detail: str = "") -> None:
    _leave_running(job, now, state=JobState.FAILED.value, last_error=key, last_error_detail=detail[:2000])


def retry_later(job: Job, now: dt.datetime, delay: float, key: str, detail: str = "") -> None:
    _leave_running(
        job,
        now,
        state=JobState.RETRY.value,
        run_after=now + dt.timedelta(seconds=delay),
        last_error=key,
        last_error_detail=detail[:2000],
    )


def depth() -> dict[tuple[str, str], int]:
    """Jobs not finished, counted by (kind, state): what the queue holds now (GET /metrics)."""
    rows = (Job.select(Job.kind, Job.state, peewee.fn.COUNT(Job.id)).where(Job.state.in_(ACTIVE))
            .group_by(Job.kind, Job.state).tuples())
    return {(kind, state): count for kind, state, count in rows}


def backoff_seconds(attempt: int, base: float) -> float:
    """5 s, 20 s, 80 s ... with ±20% jitter so retries of a batch spread out."""
    return base * (4 ** max(0, attempt - 1)) * random.uniform(0.8, 1.2)


def _leave_running(job: Job, now: dt.datetime, **fields) -> None:
    # Only the claim that is still current may move the job on: a worker declared dead that
    # comes back to life must not overwrite what recovery decided since.
    prepared.update(Job, "job_leave", dict(updated_at=now, worker=None, **fields),
                    lambda i, running, worker, attempts: (Job.id == i) & (Job.state == running)
                    & (Job.worker == worker) & (Job.attempts == attempts),
                    job.id, JobState.RUNNING.value, job.worker, job.attempts)


def is_dead(worker: str | None, lease_until: dt.datetime | None, now: dt.datetime) -> bool:
    """A running job's worker is gone: its process is dead on this host, or its lease ran out."""
    if lease_until is not None and lease_until < now:
        return True
    host, _, pid = (worker or "").rpartition(":")
    if host != WORKER_HOST or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(int(pid))


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False
