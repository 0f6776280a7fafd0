"""Embedded mode's bridge from workers to browsers: the web process tails the events table.

Workers cannot reach the web process's sockets without a message broker, and the default
install has none; the database they already share is the broker. Polling `id > last` on an
indexed integer is a cheap query, so a 50 ms interval costs little and bounds push latency.
"""

from __future__ import annotations

import logging

from ..db import database
from ..models import Event
from .notifier import Notifier

log = logging.getLogger(__name__)

BATCH = 500


class EventRelay:
    def __init__(self, notifier: Notifier, start_after: int = 0) -> None:
        self.notifier = notifier
        self.last = start_after

    def poll_once(self) -> int:
        """Push every event newer than the last one pushed; returns how many were pushed."""
        with database.connection_context():
            events = list(Event.select().where(Event.id > self.last).order_by(Event.id).limit(BATCH))
        if events:
            self.notifier.publish(events)
            self.last = events[-1].id
        return len(events)

    def run_forever(self, sleep, interval: float) -> None:
        """Loop for a Socket.IO background task; `sleep` is the server's own (green or not)."""
        while True:
            try:
                while self.poll_once() == BATCH:
                    pass
            except Exception:  # noqa: BLE001 - keep relaying after a transient DB error
                log.exception("event relay poll failed")
            sleep(interval)
