"""The BackupRecord's state changes, beside the model (as jobrows.py is for Job), each with its audit entry in the
same transaction.

At most one backup runs at a time: a running row holds `running = "backup"`, which the column's unique index lets
only one row hold, so a second scheduler's (or CLI's) claim fails to insert instead of running a second backup.
The runner renews `lease_until` as it goes; a claim that finds the lease run out (the process died) fails that row
with `backup.interrupted` first.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import peewee

from ..clock import Clock, iso
from ..db import database, is_postgres, write_transaction
from ..models import BackupRecord
from ..services import audit

RUNNING = "backup"
LEASE = dt.timedelta(minutes=10)
HEARTBEAT_SECONDS = 30.0
_ADVISORY_LOCK = 0x4641_5049_4B55  # "FAPIKU": PostgreSQL's lock for a claim's check-then-insert
QUEUED, RUN, DONE, FAILED = "queued", "running", "done", "failed"


def lock_claims() -> None:
    """Inside a write transaction: claims one after another. SQLite's BEGIN IMMEDIATE already serialises writers;
    PostgreSQL takes a transaction-scoped advisory lock."""
    if is_postgres():
        database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_ADVISORY_LOCK,))


def reap(now: dt.datetime) -> int:
    """A running backup whose lease ran out (its process died): failed with backup.interrupted."""
    return (BackupRecord.update(state=FAILED, ok=False, error="backup.interrupted", finished_at=now, running=None,
                                lease_until=None)
            .where(BackupRecord.running == RUNNING, BackupRecord.lease_until < now).execute())


def running() -> BackupRecord | None:
    return BackupRecord.get_or_none(BackupRecord.running == RUNNING)


def oldest_queued() -> BackupRecord | None:
    return BackupRecord.select().where(BackupRecord.state == QUEUED).order_by(BackupRecord.id).first()


def last_finished() -> BackupRecord | None:
    return (BackupRecord.select().where(BackupRecord.state.in_((DONE, FAILED)))
            .order_by(BackupRecord.created_at.desc(), BackupRecord.id.desc()).first())


def last_good() -> BackupRecord | None:
    """The newest backup that finished well (the age GET /metrics reports)."""
    return (BackupRecord.select().where(BackupRecord.state == DONE)  # done is ok (failed is the other end)
            .order_by(BackupRecord.created_at.desc(), BackupRecord.id.desc()).first())


def finished_at(record: BackupRecord) -> dt.datetime:
    """When it finished; a backup restored from its own snapshot never wrote that, so: when it started."""
    return record.finished_at or record.started_at or record.created_at


def newest(limit: int) -> list[BackupRecord]:
    return list(BackupRecord.select().order_by(BackupRecord.id.desc()).limit(limit))


def begin(clock: Clock, trigger: str, backup_id: str, *, requested_by: int | None = None,
          queued: BackupRecord | None = None) -> BackupRecord | None:
    """Claim the lease and start a backup (a new row, or the queued one given); None when one is running already.
    Call inside a write transaction after lock_claims()."""
    now = clock.now()
    reap(now)
    lease = {"state": RUN, "running": RUNNING, "lease_until": now + LEASE, "started_at": now, "backup_id": backup_id}
    try:
        with database.atomic():  # a savepoint: a refused insert leaves the outer transaction usable
            if queued is None:
                return BackupRecord.create(trigger=trigger, requested_by=requested_by, created_at=now, **lease)
            changed = (BackupRecord.update(**lease)
                       .where(BackupRecord.id == queued.id, BackupRecord.state == QUEUED).execute())
    except peewee.IntegrityError:
        return None
    return BackupRecord.get_by_id(queued.id) if changed else None


def begin_now(clock: Clock, trigger: str, backup_id: str, requested_by: int | None = None) -> BackupRecord | None:
    """begin() in a transaction of its own (the CLI)."""
    with write_transaction():
        lock_claims()
        return begin(clock, trigger, backup_id, requested_by=requested_by)


def heartbeat(record_id: int, clock: Clock) -> None:
    (BackupRecord.update(lease_until=clock.now() + LEASE)
     .where(BackupRecord.id == record_id, BackupRecord.running == RUNNING).execute())


def request(clock: Clock, user, address: str | None) -> tuple[BackupRecord, bool]:
    """A backup asked for now (the API): queued for the scheduler, or the one already waiting. (record, new)."""
    with write_transaction():
        lock_claims()
        waiting = oldest_queued()
        if waiting is not None:
            return waiting, False
        record = BackupRecord.create(state=QUEUED, trigger="manual", requested_by=user.id, created_at=clock.now())
        audit.record(clock, "backup.requested", actor=user, address=address, target=f"backup:{record.id}")
    return record, True


def finish(record: BackupRecord, clock: Clock, *, path: Path, size: int, key_id: str, seconds: float,
           contents: dict) -> BackupRecord:
    now = clock.now()
    with write_transaction():
        (BackupRecord.update(state=DONE, ok=True, path=str(path), size=size, key_id=key_id, contents=contents,
                             finished_at=now, duration_seconds=round(seconds, 3), running=None, lease_until=None)
         .where(BackupRecord.id == record.id).execute())
        audit.record(clock, "backup.created", actor=record.requested_by, target=f"backup:{record.id}",
                     trigger=record.trigger, path=str(path), size=size, seconds=round(seconds, 1), key_id=key_id,
                     **contents)
    return BackupRecord.get_by_id(record.id)


def fail(record: BackupRecord, clock: Clock, key: str, params: dict, seconds: float) -> BackupRecord:
    now = clock.now()
    params = {k: str(v) for k, v in params.items()}
    with write_transaction():
        (BackupRecord.update(state=FAILED, ok=False, error=key, error_params=params or None, finished_at=now,
                             duration_seconds=round(seconds, 3), running=None, lease_until=None)
         .where(BackupRecord.id == record.id).execute())
        audit.record(clock, "backup.failed", actor=record.requested_by, target=f"backup:{record.id}",
                     trigger=record.trigger, error=key, **params)
    return BackupRecord.get_by_id(record.id)


def verified(record_id: int, clock: Clock, error: str | None) -> None:
    BackupRecord.update(verified_at=clock.now(), verify_error=error).where(BackupRecord.id == record_id).execute()


def pruned(record: BackupRecord, clock: Clock, reason: str) -> None:
    with write_transaction():
        BackupRecord.update(pruned_at=clock.now()).where(BackupRecord.id == record.id).execute()
        audit.record(clock, "backup.pruned", target=f"backup:{record.id}", path=record.path, reason=reason)


def after_restore(clock: Clock, backup_id: str, source: Path) -> None:
    """In a database just restored: the backup it came from was running in its own snapshot — it did finish (here
    it is); any other backup running then was cut off. And the restore itself is in the audit log."""
    now = clock.now()
    with write_transaction():
        (BackupRecord.update(state=DONE, ok=True, running=None, lease_until=None)
         .where(BackupRecord.backup_id == backup_id, BackupRecord.running == RUNNING).execute())
        (BackupRecord.update(state=FAILED, ok=False, error="backup.interrupted", finished_at=now, running=None,
                             lease_until=None)
         .where(BackupRecord.running == RUNNING).execute())
        audit.record(clock, "backup.restored", target=f"backup:{backup_id}", file=str(source))


def public(r: BackupRecord) -> dict:
    """A record as the API shows it (the admin panel)."""
    return {
        "id": r.id, "state": r.state, "trigger": r.trigger, "requested_by": r.requested_by,
        "created_at": iso(r.created_at), "started_at": iso(r.started_at), "finished_at": iso(r.finished_at),
        "duration_seconds": r.duration_seconds, "size": r.size, "path": r.path,
        "file": Path(r.path).name if r.path else None, "backup_id": r.backup_id, "key_id": r.key_id,
        "contents": r.contents or {}, "ok": r.ok,
        "error": {"key": r.error, "params": r.error_params or {}} if r.error else None,
        "verified": r.verified_at is not None and r.verify_error is None, "verified_at": iso(r.verified_at),
        "verify_error": r.verify_error, "pruned": r.pruned_at is not None, "pruned_at": iso(r.pruned_at),
    }
