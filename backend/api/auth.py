"""Sign in, sign out (here or everywhere), who am I, my sessions, my password."""

from __future__ import annotations

import logging

from flask import Blueprint, g, request

from .. import auth
from ..access import Access
from ..errors import AppError
from ..models import User
from ..serializers import user_public
from ..services import audit, passwords, sessions, throttle, users
from .context import runtime
from .declare import obj, string, takes
from .errors import error_response
from .guard import SIGNED_IN, public, requires

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__, url_prefix="/api/auth")


def json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise AppError("request.malformed", detail="expected a JSON object")
    return body


def _text(body: dict, key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise AppError("request.invalid", field=key)
    return value


@bp.post("/login")
@public
@takes(body=obj(["username", "password"], username=string(), password=string()))
def login():
    """Sign in: a session cookie for this person; 401 `auth.invalid` otherwise, and 429 `auth.throttled` (its
    wait in `wait_seconds` and Retry-After) while the name or the address is blocked for failing too often
    (services/throttle.py): then no password is checked at all. Every outcome is audited."""
    body = json_body()
    username, password = _text(body, "username").strip(), _text(body, "password")
    clock, address = runtime().clock, auth.address()
    held = throttle.blocked(clock, username, address)
    if held is not None:
        log.warning("sign-in refused: %s is blocked for %d s more", held.key, held.wait_seconds)
        audit.record(clock, "auth.throttled", actor_name=username, address=address, key=held.key,
                     wait_seconds=held.wait_seconds)
        response, status = error_response("auth.throttled", 429, {"wait_seconds": held.wait_seconds})
        response.headers["Retry-After"] = str(held.wait_seconds)
        return response, status
    user = passwords.verify(username, password)
    if user is None:
        started = throttle.failed(clock, username, address)
        if started is not None:
            log.warning("sign-in failed: %s is now blocked for %d s", started.key, started.wait_seconds)
        audit.record(clock, "auth.login_failed", actor=User.select(User.id).where(User.username == username).scalar(),
                     actor_name=username, address=address, blocked=started.key if started else None)
        raise AppError("auth.invalid", http_status=401)
    throttle.succeeded(username)
    audit.record(clock, "auth.login", actor=user, address=address)
    auth.login(user)
    return {"user": user_public(user, Access(user))}


@bp.post("/logout")
@public
def logout():
    """Sign out here: this session ends (its sockets too)."""
    user = auth.current_user()
    auth.logout()
    if user is not None:
        audit.record(runtime().clock, "auth.logout", actor=user, address=auth.address())
    return {"ok": True}


@bp.get("/me")
@requires(SIGNED_IN)
def me():
    """Who I am: my teams, with my role and permissions in each."""
    return {"user": user_public(g.access.user, g.access)}


@bp.get("/sessions")
@requires(SIGNED_IN)
def my_sessions():
    """My live sessions, this one marked `current`."""
    rt, current = runtime(), auth.live()
    return {"sessions": sessions.listing(g.access.user.id, rt.clock, sessions.Policy.of(rt.settings),
                                         current.session.id if current else None)}


@bp.post("/logout-everywhere")
@requires(SIGNED_IN)
def logout_everywhere():
    """Every session of mine ends, this one included."""
    ended = auth.end_sessions_of(g.access.user.id, "everywhere")
    auth.logout()
    audit.record(runtime().clock, "auth.logout_everywhere", actor=g.access.user, address=auth.address(),
                 sockets_closed=ended)
    return {"ok": True, "sockets_closed": ended}


@bp.post("/password")
@requires(SIGNED_IN)
@takes(body=obj(["current", "new"], current=string(), new=string()))
def change_password():
    """A new password for me: needs the current one; every other session of mine ends."""
    body = json_body()
    users.change_password(runtime().clock, g.access.user, _text(body, "current"), _text(body, "new"), auth.address())
    auth.end_sessions_of(g.access.user.id, "password", keep_current=True)
    return {"ok": True}
