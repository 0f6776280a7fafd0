"""The scheduler process: every tick, queue the checks that are due and pull the authority's feed, and start a
backup when one is due or asked for (backend/backup/schedule.py: in a thread of its own, one at a time).

One process is enough and several are safe: claiming a due check is a conditional UPDATE. No web
machinery and no eventlet here; it only enqueues jobs (workers run them) and writes ledger rows.
"""

from __future__ import annotations

import logging
import time

from ..backup.schedule import BackupLoop
from ..db import open_database
from ..realtime.notifier import worker_notifier
from ..runtime import Runtime
from ..services import feed
from ..settings import Settings
from ..supervisor import StopFlag
from .queue import Tasks

log = logging.getLogger(__name__)


def run_scheduler(settings: Settings) -> None:
    db = open_database(settings.db_url)
    rt = Runtime(settings, dispatch=Tasks.enqueue_only(settings).dispatch, notifier=worker_notifier(settings.redis_url))
    if rt.connector is None:
        log.info("sync is off (FAPIAO_CONNECTOR=off): the scheduler idles")
    backups = BackupLoop(settings)
    stop = StopFlag()
    while not stop.set:
        started = time.monotonic()
        backups.tick()
        if rt.connector is not None:
            with db.connection_context():
                queued, settled = feed.tick(rt)
            if queued or settled:
                log.info("tick: %d check(s) queued, %d invoice(s) settled by the feed", queued, settled)
        time.sleep(max(0.05, settings.sync_tick_seconds - (time.monotonic() - started)))
