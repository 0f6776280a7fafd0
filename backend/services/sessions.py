"""Server-side sessions: a browser is signed in while its LoginSession row is live. Ending a row (sign out, sign
out everywhere, a password change, a disabled person, a timeout) ends that browser's access at once: its cookie
answers 401 and its sockets are disconnected by whoever ended it (the ids returned here)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from ..clock import Clock, iso
from ..db import write_transaction
from ..models import LoginSession, SocketLink, User

# last_seen_at is written at most this often: a busy browser does not make every request a write.
TOUCH_EVERY = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class Policy:
    idle: dt.timedelta
    absolute: dt.timedelta

    @classmethod
    def of(cls, settings) -> Policy:
        return cls(dt.timedelta(minutes=settings.session_idle_minutes),
                   dt.timedelta(hours=settings.session_absolute_hours))


@dataclass(frozen=True)
class Live:
    session: LoginSession
    user: User


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(clock: Clock, user: User, address: str | None, user_agent: str | None) -> str:
    """A new session for `user`; the token goes into the cookie and is never stored."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    LoginSession.create(token_hash=_hash(token), user=user, created_at=now, last_seen_at=now,
                        address=(address or "")[:64] or None,
                        # A header is the client's text: PostgreSQL's text takes no NUL.
                        user_agent=(user_agent or "").replace("\x00", "")[:255] or None)
    return token


def resolve(clock: Clock, token: str | None, policy: Policy) -> Live | None:
    """The live session and its person for a cookie's token, or None (ended, timed out, person disabled)."""
    if not isinstance(token, str) or not token:
        return None
    row = (LoginSession.select(LoginSession, User).join(User)
           .where(LoginSession.token_hash == _hash(token)).first())
    if row is None or row.revoked_at is not None or row.user.disabled_at is not None:
        return None
    now = clock.now()
    if now - row.last_seen_at > policy.idle or now - row.created_at > policy.absolute:
        end([row.id], clock, "timeout")
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        LoginSession.update(last_seen_at=now).where(LoginSession.id == row.id).execute()
    return Live(row, row.user)


def end(session_ids: list[int], clock: Clock, reason: str) -> list[str]:
    """End these sessions; the sids of their sockets, to be disconnected."""
    if not session_ids:
        return []
    with write_transaction():
        LoginSession.update(revoked_at=clock.now(), revoked_reason=reason).where(
            LoginSession.id.in_(session_ids), LoginSession.revoked_at.is_null()).execute()
        sids = [s.sid for s in SocketLink.select(SocketLink.sid).where(SocketLink.session.in_(session_ids))]
        SocketLink.delete().where(SocketLink.session.in_(session_ids)).execute()
    return sids


def end_all(user_id: int, clock: Clock, reason: str, keep: int | None = None) -> list[str]:
    """End every live session of a person (but `keep`, the one asking, when given)."""
    query = LoginSession.select(LoginSession.id).where(LoginSession.user == user_id, LoginSession.revoked_at.is_null())
    if keep is not None:
        query = query.where(LoginSession.id != keep)
    return end([s.id for s in query], clock, reason)


def listing(user_id: int, clock: Clock, policy: Policy, current: int | None) -> list[dict]:
    """A person's live sessions, newest first (the "where am I signed in" list)."""
    now = clock.now()
    rows = (LoginSession.select().where(LoginSession.user == user_id, LoginSession.revoked_at.is_null(),
                                        LoginSession.last_seen_at > now - policy.idle,
                                        LoginSession.created_at > now - policy.absolute)
            .order_by(LoginSession.last_seen_at.desc()))
    return [{"id": r.id, "created_at": iso(r.created_at), "last_seen_at": iso(r.last_seen_at),
             "address": r.address, "user_agent": r.user_agent, "current": r.id == current} for r in rows]


def attach_socket(clock: Clock, session_id: int, sid: str) -> None:
    with write_transaction():
        SocketLink.delete().where(SocketLink.sid == sid).execute()
        SocketLink.create(sid=sid, session=session_id, connected_at=clock.now())


def detach_socket(sid: str) -> None:
    SocketLink.delete().where(SocketLink.sid == sid).execute()


def sockets_of(user_id: int) -> list[str]:
    return [s.sid for s in SocketLink.select(SocketLink.sid).join(LoginSession).where(LoginSession.user == user_id)]
