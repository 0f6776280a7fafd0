"""The one way status messages leave the server: typed event payloads pushed to a team's room.

A failing push is logged and swallowed: the database is the truth, and clients catch up from
their cursor on reconnect, so an observer can never fail the work it observes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

from ..models import Event
from ..serializers import event_public

log = logging.getLogger(__name__)

SOCKET_EVENT = "event"


def room_for(team_id: int) -> str:
    return f"team:{team_id}"


class Notifier(Protocol):
    def publish(self, events: Iterable[Event]) -> None: ...


class NullNotifier:
    """Embedded mode, outside the web process: the web process's relay reads the events table."""

    def publish(self, events: Iterable[Event]) -> None:
        return None


class SocketNotifier:
    """Emits through a Flask-SocketIO server, or through its Redis message queue from a worker."""

    def __init__(self, socketio) -> None:
        self.socketio = socketio

    def publish(self, events: Iterable[Event]) -> None:
        for ev in events:
            try:
                self.socketio.emit(SOCKET_EVENT, event_public(ev), to=room_for(ev.team_id))
            except Exception:  # noqa: BLE001 - an observer never fails the job
                log.exception("could not push event %s", ev.id)


def worker_notifier(redis_url: str) -> Notifier:
    """What a worker process pushes through: Redis when configured, otherwise nothing."""
    if not redis_url:
        return NullNotifier()
    import socketio

    # The write-only manager Flask-SocketIO makes for a process without an app (on its default channel, the web
    # processes'), made directly: through Flask-SocketIO a worker also imported Flask and eventlet (+27 MB). Its
    # rule for which: Redis for redis:// and rediss://, Kombu for any other URL (the web side listens there).
    manager = socketio.RedisManager if redis_url.startswith(("redis://", "rediss://")) else socketio.KombuManager
    return SocketNotifier(manager(redis_url, channel="flask-socketio", write_only=True))
