"""The scheduler process: every tick, queue the checks that are due and pull the authority's feed, and start a
backup when one is due or asked for (backend/backup/schedule.py: in a thread of its own, one at a time).

Several may run (one per host, or a spare): the one holding the "scheduler" lease (services/leases.py) acts, the
others stand by and take over within a lease period after it dies. Claiming a due check is a conditional UPDATE
anyway; the lease is what keeps two processes from pulling the same feed page and applying its rows twice.
No web machinery and no eventlet here; it only enqueues jobs (workers run them) and writes ledger rows.
"""

from __future__ import annotations

import logging
import time

from .. import metrics
from ..backup.schedule import BackupLoop
from ..clock import Clock
from ..db import database, open_database
from ..realtime.notifier import worker_notifier
from ..runtime import Runtime
from ..services import feed, leases
from ..settings import Settings
from ..supervisor import StopFlag
from .queue import Tasks

log = logging.getLogger(__name__)

LEASE = "scheduler"


def lease_seconds(settings: Settings) -> float:
    """Long enough that a slow tick (a feed page over a slow link) does not lose it; short enough that a stand-by
    takes over soon after the holder dies."""
    return max(15.0, 10 * settings.sync_tick_seconds)


class Scheduler:
    """One process's share: `tick` acts when this process holds the lease and says whether it did."""

    def __init__(self, rt: Runtime, backups: BackupLoop, clock: Clock | None = None) -> None:
        self.rt, self.backups = rt, backups
        self.clock = clock or rt.clock
        self.holder = leases.holder_id()
        self.leading: bool | None = None  # unknown until the first tick, which says which it is

    def tick(self) -> bool:
        if not self._lead():
            return False
        self.backups.tick()
        if self.rt.connector is None:
            return True
        try:
            with database.connection_context():
                queued, settled = feed.tick(self.rt)
        except Exception:  # the database restarting: the process stays up and the next tick tries again
            log.exception("scheduler tick failed")
            return True
        if queued or settled:
            log.info("tick: %d check(s) queued, %d invoice(s) settled by the feed", queued, settled)
        return True

    def stop(self) -> None:
        if self.leading is True:
            with database.connection_context():
                leases.release(LEASE, self.holder, self.clock.now())

    def _lead(self) -> bool:
        try:
            with database.connection_context():
                held = leases.take(LEASE, self.holder, self.clock.now(), lease_seconds(self.rt.settings))
        except Exception:  # the database away for a moment: act on nothing, try again next tick
            log.exception("cannot renew the scheduler lease")
            held = False
        if held != self.leading:
            log.info("scheduler %s: %s", self.holder, "acting" if held else "standing by (another holds the lease)")
            self.leading = held
        return held


def run_scheduler(settings: Settings) -> None:
    metrics.setup(settings)  # the feed's answers are authority checks too
    open_database(settings.db_url)
    rt = Runtime(settings, dispatch=Tasks.enqueue_only(settings).dispatch, notifier=worker_notifier(settings.redis_url))
    if rt.connector is None:
        log.info("sync is off (FAPIAO_CONNECTOR=off): the scheduler only runs backups")
    scheduler = Scheduler(rt, BackupLoop(settings))
    stop = StopFlag()
    while not stop.set:
        started = time.monotonic()
        scheduler.tick()
        time.sleep(max(0.05, settings.sync_tick_seconds - (time.monotonic() - started)))
    scheduler.stop()
