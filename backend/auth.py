"""Sessions and passwords, the Flask side: the cookie carries a random session token (signed by Flask), the
database says whether that session is live (backend/services/sessions.py). Used by the REST API and by socket
connects alike."""

from __future__ import annotations

import logging

from flask import g, request, session

from .api.context import runtime
from .models import User
from .services import sessions

log = logging.getLogger(__name__)

SESSION_KEY = "sid"


def address() -> str | None:
    return request.remote_addr


def login(user: User) -> None:
    token = sessions.start(runtime().clock, user, address(), request.user_agent.string)
    session.clear()
    session[SESSION_KEY] = token
    session.permanent = True
    g.pop("live_session", None)


def live() -> sessions.Live | None:
    """This request's live session (looked up once per request)."""
    if "live_session" not in g:
        rt = runtime()
        g.live_session = sessions.resolve(rt.clock, session.get(SESSION_KEY), sessions.Policy.of(rt.settings))
    return g.live_session


def current_user() -> User | None:
    found = live()
    return found.user if found else None


def logout() -> None:
    found = live()
    session.clear()
    if found is not None:
        disconnect(sessions.end([found.session.id], runtime().clock, "logout"))
    g.live_session = None


def end_sessions_of(user_id: int, reason: str, keep_current: bool = False) -> int:
    """End a person's sessions (all, or all but this browser's); their sockets are disconnected now."""
    found = live()
    keep = found.session.id if keep_current and found else None
    sids = sessions.end_all(user_id, runtime().clock, reason, keep)
    disconnect(sids)
    return len(sids)


def disconnect(sids: list[str]) -> None:
    """Disconnect sockets by sid: with Redis, whichever web process holds them (Socket.IO's message queue
    carries the request); a failure is logged, never raised (the session is already dead either way)."""
    from .extensions import socketio

    for sid in sids:
        try:
            socketio.server.disconnect(sid, namespace="/")
        except Exception:  # noqa: BLE001 - the session row is the truth; a socket left over dies on its next connect
            log.exception("could not disconnect socket %s", sid)
