"""With Redis: each web process tells its browsers, every few seconds, the newest event cursor of each team that
had events since the last round. A browser behind that cursor catches up over REST.

Pushes go from workers through Redis; a push made while Redis restarts, or lost with a message-queue hiccup, is
gone, and a browser that stayed connected would never ask for it (it catches up on reconnect only). The beacon
bounds that staleness to one interval at the cost of one indexed query per web process per round and a few bytes
per team room. Embedded mode needs none: its relay tails the events table itself.
"""

from __future__ import annotations

import logging

from peewee import fn

from ..db import database
from ..models import Event
from .notifier import room_for

log = logging.getLogger(__name__)

SOCKET_CURSOR = "cursor"
MAX_TEAMS = 1000  # teams with news in one round; more wait for the next one


class Beacon:
    def __init__(self, socketio, start_after: int = 0) -> None:
        self.socketio = socketio
        self.last = start_after

    def beam_once(self) -> int:
        """Tell each team's room its newest cursor, for teams with events after the last round; how many rooms."""
        with database.connection_context():
            rows = list(Event.select(Event.team_id, fn.MAX(Event.id).alias("top"))
                        .where(Event.id > self.last).group_by(Event.team_id).limit(MAX_TEAMS).tuples())
        for team_id, top in rows:
            self.socketio.emit(SOCKET_CURSOR, {"team_id": team_id, "cursor": top}, to=room_for(team_id))
        if rows:
            self.last = max(top for _, top in rows)
        return len(rows)

    def run_forever(self, sleep, interval: float) -> None:
        while True:
            try:
                self.beam_once()
            except Exception:  # noqa: BLE001 - the database or Redis restarting: the next round tries again
                log.exception("cursor beacon failed")
            sleep(interval)
