"""When backups run and how long they are kept; the scheduler process's backup loop.

- **When**: every FAPIAO_BACKUP_INTERVAL_HOURS (default 24) after the last finished backup — an hour after it when
  that one failed, so a full disk is tried again soon — and at once for one an admin asked for (POST /api/backups
  queues it). Only when a passphrase or key file is configured; 0 hours: asked-for backups only.
- **Where**: the scheduler process (`fapiao scheduler`, started by `fapiao run`), in a thread of its own so due
  authority checks keep their cadence; never the web process. The claim and the "is one due?" check are one write
  transaction (under an advisory lock on PostgreSQL), and the `running` lease (records.py) lets one backup run at
  a time however many schedulers there are.
- **After**: each backup is verified from disk (a bad write is caught the day it happens), then retention runs.
- **Retention**: among finished backups whose file is in the backup dir, newest first, a backup is deleted when it
  is past the FAPIAO_BACKUP_KEEP newest or older than FAPIAO_BACKUP_KEEP_DAYS (0 turns either rule off); the
  newest good one is never deleted, whatever the rules say. Files the app did not make are never touched.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..clock import Clock, SystemClock
from ..db import database, write_transaction
from ..errors import AppError
from ..models import BackupRecord
from ..settings import Settings
from . import keys, records, service

log = logging.getLogger(__name__)

RETRY_AFTER_FAILURE = dt.timedelta(hours=1)


# --- when -----------------------------------------------------------------------------------------------

def next_run(settings: Settings, last: BackupRecord | None, now: dt.datetime) -> dt.datetime | None:
    """When the next scheduled backup is due (None: none is scheduled)."""
    if not settings.backup_configured or settings.backup_interval_hours <= 0:
        return None
    if last is None:
        return now
    interval = dt.timedelta(hours=settings.backup_interval_hours)
    gap = interval if last.ok else min(interval, RETRY_AFTER_FAILURE)
    return (last.started_at or last.created_at) + gap


def _due(settings: Settings, now: dt.datetime) -> bool:
    when = next_run(settings, records.last_finished(), now)
    return when is not None and when <= now


def wanted(settings: Settings, now: dt.datetime) -> bool:
    """A cheap read: is there anything to claim (asked for, due, or a dead run to reap)? Most ticks find nothing
    and take no write lock."""
    if not settings.backup_configured:
        return False
    current = records.running()
    if current is not None:
        return current.lease_until is not None and current.lease_until < now
    return records.oldest_queued() is not None or _due(settings, now)


def claim(settings: Settings, clock: Clock) -> BackupRecord | None:
    """The backup to run now, claimed: the oldest one asked for, else a scheduled one when due; None otherwise."""
    backup_id = secrets.token_hex(16)
    with write_transaction():
        records.lock_claims()
        now = clock.now()
        records.reap(now)
        if records.running() is not None:
            return None
        queued = records.oldest_queued()
        if queued is not None:
            return records.begin(clock, "manual", backup_id, queued=queued)
        if _due(settings, now):
            return records.begin(clock, "schedule", backup_id)
    return None


# --- running one ----------------------------------------------------------------------------------------

class Beat:
    """Renews the lease while a backup runs, at most every HEARTBEAT_SECONDS."""

    def __init__(self, record_id: int, clock: Clock) -> None:
        self.record_id, self.clock = record_id, clock
        self._last = time.monotonic()

    def __call__(self) -> None:
        if time.monotonic() - self._last < records.HEARTBEAT_SECONDS:
            return
        self._last = time.monotonic()
        with database.connection_context():
            records.heartbeat(self.record_id, self.clock)


def run(settings: Settings, clock: Clock, record: BackupRecord) -> BackupRecord:
    """Create the claimed backup, verify it from disk, apply retention; the record says how it went."""
    started = time.monotonic()
    try:
        secret = keys.configured(settings)
        created = service.create(settings, clock, secret, backup_id=record.backup_id, beat=Beat(record.id, clock))
    except AppError as exc:
        log.warning("backup %s failed: %s %s", record.id, exc.key, exc.params)
        with database.connection_context():
            return records.fail(record, clock, exc.key, exc.params, time.monotonic() - started)
    except Exception as exc:  # a bug must not leave the lease held until it expires
        log.exception("backup %s failed unexpectedly", record.id)
        with database.connection_context():
            return records.fail(record, clock, "backup.unexpected", {"detail": repr(exc)[:200]},
                                time.monotonic() - started)
    with database.connection_context():
        done = records.finish(record, clock, path=created.path, size=created.size, key_id=created.key_id,
                              seconds=created.seconds, contents=created.contents)
    log.info("backup %s: %s (%d bytes, %.1f s)", record.id, created.path, created.size, created.seconds)
    try:
        service.verify(created.path, secret)
        error = None
    except AppError as exc:
        log.error("backup %s does not verify: %s %s", record.id, exc.key, exc.params)
        error = exc.key
    with database.connection_context():
        records.verified(record.id, clock, error)
        prune(settings, clock)
        return BackupRecord.get_by_id(done.id)


def run_due(settings: Settings, clock: Clock) -> BackupRecord | None:
    """Claim and run, in this thread (tests; the loop below does the same in a thread of its own)."""
    with database.connection_context():
        record = claim(settings, clock) if wanted(settings, clock.now()) else None
    return run(settings, clock, record) if record is not None else None


class BackupLoop:
    """The scheduler's part: each tick, start a due backup in a thread unless this process runs one already."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings, self.clock = settings, clock or SystemClock()
        self._thread: threading.Thread | None = None
        if not settings.backup_configured:
            log.info("backups are off: set FAPIAO_BACKUP_PASSPHRASE or FAPIAO_BACKUP_KEY_FILE")

    def tick(self) -> None:
        if not self.settings.backup_configured or (self._thread is not None and self._thread.is_alive()):
            return
        try:
            with database.connection_context():
                record = claim(self.settings, self.clock) if wanted(self.settings, self.clock.now()) else None
        except Exception:  # the database away for a moment: the authority checks go on, the claim is tried again
            log.exception("cannot claim a backup")
            return
        if record is not None:
            # A daemon: stopped mid-backup, its lease runs out and the next claim reaps it.
            self._thread = threading.Thread(target=run, args=(self.settings, self.clock, record), name="backup",
                                            daemon=True)
            self._thread.start()


# --- retention ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Kept:
    """What retention looks at: a finished backup in the backup dir."""

    id: int
    created_at: dt.datetime
    ok: bool


def prune_plan(backups: list[Kept], now: dt.datetime, keep: int, keep_days: int) -> list[tuple[int, str]]:
    """(id, reason) of the backups to delete; `backups` newest first. The newest good one (not failing its
    verification) always stays."""
    keeper = next((b.id for b in backups if b.ok), None)
    out = []
    for rank, b in enumerate(backups):
        if b.id == keeper:
            continue
        if keep and rank >= keep:
            out.append((b.id, "count"))
        elif keep_days and now - b.created_at > dt.timedelta(days=keep_days):
            out.append((b.id, "age"))
    return out


def _in(directory: Path, path: str | None) -> bool:
    return bool(path) and Path(path).resolve().parent == directory.resolve()


def prune(settings: Settings, clock: Clock) -> list[int]:
    """Apply retention: delete the files, mark the records (and say so in the audit log); the ids pruned."""
    rows = [r for r in BackupRecord.select().where(BackupRecord.state == records.DONE, BackupRecord.pruned_at.is_null())
            .order_by(BackupRecord.created_at.desc(), BackupRecord.id.desc()) if _in(settings.backup_dir, r.path)]
    by_id = {r.id: r for r in rows}
    kept = [Kept(r.id, r.created_at, bool(r.ok) and r.verify_error is None) for r in rows]
    plan = prune_plan(kept, clock.now(), settings.backup_keep, settings.backup_keep_days)
    for record_id, reason in plan:
        record = by_id[record_id]
        Path(record.path).unlink(missing_ok=True)
        records.pruned(record, clock, reason)
        log.info("backup %s pruned (%s): %s", record_id, reason, record.path)
    return [record_id for record_id, _ in plan]
