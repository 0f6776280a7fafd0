"""People, teams and memberships: create, invite by one-time link, reset, disable, roles. Every change is audited;
the callers (backend/api/people.py, the CLI) have already checked who may make it (backend/access.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from ..clock import Clock, iso
from ..db import write_transaction
from ..errors import AppError, NotFound
from ..models import Membership, OneTimeLink, Role, Team, User
from . import audit
from .passwords import check_policy, hash_password, matches

DEFAULT_TEAM = "默认团队"
LINK_LIFETIME = dt.timedelta(days=3)
LINK_PURPOSES = ("setup", "reset")


@dataclass(frozen=True)
class Actor:
    """Who makes a change, and from where (for the audit log)."""

    user: User | None
    address: str | None = None


SYSTEM = Actor(None)


def _username(raw) -> str:
    name = raw.strip() if isinstance(raw, str) else ""
    if not name or len(name) > 64 or any(c.isspace() or ord(c) < 32 for c in name):
        raise AppError("request.invalid", field="username")
    return name


def parse_role(raw) -> Role:
    try:
        return Role(raw)
    except ValueError:
        raise AppError("request.invalid", field="role") from None


def create_user(clock: Clock, username: str, password: str | None, *, is_admin: bool = False,
                team_name: str | None = DEFAULT_TEAM, role: Role = Role.SUBMITTER, display_name: str = "",
                actor: Actor = SYSTEM, team: Team | None = None) -> User:
    """A new person, with a password (checked against the policy) or none yet (they set it by a one-time link)."""
    username = _username(username)
    if password is not None:
        check_policy(password, username)
    now = clock.now()
    with write_transaction():
        if User.select().where(User.username == username).exists():
            raise AppError("person.exists", 409, username=username)
        user = User.create(username=username, display_name=(display_name or "")[:128],
                           password_hash=hash_password(password) if password is not None else "!",
                           is_admin=is_admin, created_at=now, password_changed_at=now if password else None)
        if team is None and team_name:
            team, _ = Team.get_or_create(name=team_name, defaults={"created_at": now})
        if team is not None:
            Membership.create(user=user, team=team, role=role.value)
        audit.record(clock, "person.created", actor=actor.user, address=actor.address, target=f"user:{user.id}",
                     team=team.id if team else None, username=username, role=role.value if team else None,
                     is_admin=is_admin)
    return user


def change_password(clock: Clock, user: User, current: str, new: str, address: str | None = None) -> None:
    if not matches(user, current):
        raise AppError("auth.invalid", 401)
    _set_password(clock, user, new)
    audit.record(clock, "person.password_changed", actor=user, address=address, target=f"user:{user.id}")


def _set_password(clock: Clock, user: User, password: str) -> None:
    check_policy(password, user.username)
    User.update(password_hash=hash_password(password), password_changed_at=clock.now()).where(
        User.id == user.id).execute()


def issue_link(clock: Clock, user: User, purpose: str, actor: Actor) -> tuple[str, dt.datetime]:
    """A one-time link token for `user` (setup: the first password; reset: a new one). Earlier unused links of
    the person die: only the newest works."""
    now = clock.now()
    token = secrets.token_urlsafe(24)
    with write_transaction():
        OneTimeLink.update(used_at=now).where(OneTimeLink.user == user.id, OneTimeLink.used_at.is_null()).execute()
        OneTimeLink.create(token_hash=_hash(token), user=user, purpose=purpose,
                           created_by=actor.user.id if actor.user else None, created_at=now,
                           expires_at=now + LINK_LIFETIME)
        audit.record(clock, f"person.link_{purpose}", actor=actor.user, address=actor.address,
                     target=f"user:{user.id}", username=user.username)
    return token, now + LINK_LIFETIME


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _live_link(clock: Clock, token) -> OneTimeLink:
    if not isinstance(token, str) or not token or len(token) > 200:
        raise AppError("link.invalid", 404)
    link = OneTimeLink.get_or_none(OneTimeLink.token_hash == _hash(token))
    if link is None or link.used_at is not None or link.expires_at <= clock.now() or link.user.disabled_at:
        raise AppError("link.invalid", 404)
    return link


def link_info(clock: Clock, token) -> dict:
    link = _live_link(clock, token)
    return {"username": link.user.username, "purpose": link.purpose, "expires_at": iso(link.expires_at)}


def use_link(clock: Clock, token, password, address: str | None = None) -> User:
    """Set the password a one-time link is for; the link dies. Returns the person (their sessions must end)."""
    if not isinstance(password, str):
        raise AppError("request.invalid", field="password")
    with write_transaction():
        link = _live_link(clock, token)
        user = link.user
        _set_password(clock, user, password)
        done = OneTimeLink.update(used_at=clock.now()).where(OneTimeLink.id == link.id,
                                                            OneTimeLink.used_at.is_null()).execute()
        if not done:  # used by a concurrent request a moment ago
            raise AppError("link.invalid", 404)
        audit.record(clock, "person.password_set", actor=user, address=address, target=f"user:{user.id}",
                     purpose=link.purpose)
    return user


def set_disabled(clock: Clock, user: User, disabled: bool, actor: Actor) -> None:
    if actor.user is not None and actor.user.id == user.id and disabled:
        raise AppError("person.self", 409)
    if disabled and user.is_admin and _other_admins(user) == 0:
        raise AppError("person.last_admin", 409)
    User.update(disabled_at=clock.now() if disabled else None).where(User.id == user.id).execute()
    audit.record(clock, "person.disabled" if disabled else "person.enabled", actor=actor.user,
                 address=actor.address, target=f"user:{user.id}", username=user.username)


def _other_admins(user: User) -> int:
    return User.select().where(User.is_admin == True, User.disabled_at.is_null(),  # noqa: E712
                               User.id != user.id).count()


def set_role(clock: Clock, team: Team, user: User, role: Role, actor: Actor) -> None:
    """Give `user` this role in `team` (adding them to it when they are not a member yet)."""
    with write_transaction():
        row = Membership.get_or_none(Membership.user == user.id, Membership.team == team.id)
        before = row.role if row else None
        if row is None:
            Membership.create(user=user, team=team, role=role.value)
        elif before != role.value:
            _keep_a_team_admin(team, user, role)
            Membership.update(role=role.value).where(Membership.id == row.id).execute()
        audit.record(clock, "member.role", actor=actor.user, address=actor.address, team=team.id,
                     target=f"user:{user.id}", username=user.username, before=before, after=role.value)


def remove_member(clock: Clock, team: Team, user: User, actor: Actor) -> None:
    with write_transaction():
        row = Membership.get_or_none(Membership.user == user.id, Membership.team == team.id)
        if row is None:
            raise NotFound()
        _keep_a_team_admin(team, user, None)
        row.delete_instance()
        audit.record(clock, "member.removed", actor=actor.user, address=actor.address, team=team.id,
                     target=f"user:{user.id}", username=user.username, before=row.role)


def _keep_a_team_admin(team: Team, user: User, role: Role | None) -> None:
    """A team keeps at least one admin: the last one cannot be demoted or removed (a site admin can still add one)."""
    if role == Role.ADMIN:
        return
    others = Membership.select().where(Membership.team == team.id, Membership.role == Role.ADMIN.value,
                                       Membership.user != user.id).count()
    mine = Membership.get_or_none(Membership.user == user.id, Membership.team == team.id)
    if mine is not None and mine.role == Role.ADMIN.value and others == 0:
        raise AppError("member.last_admin", 409)


def create_team(clock: Clock, name, actor: Actor) -> Team:
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 128:
        raise AppError("request.invalid", field="name")
    with write_transaction():
        if Team.select().where(Team.name == name).exists():
            raise AppError("team.exists", 409, name=name)
        team = Team.create(name=name, created_at=clock.now())
        if actor.user is not None:  # its creator runs it until they hand it over (a team keeps one admin)
            Membership.create(user=actor.user, team=team, role=Role.ADMIN.value)
        audit.record(clock, "team.created", actor=actor.user, address=actor.address, team=team.id, name=name)
    return team


def all_teams() -> list[Team]:
    return list(Team.select().order_by(Team.id))


def team_ids_of(user_id: int) -> set[int]:
    return {m.team_id for m in Membership.select(Membership.team).where(Membership.user == user_id)}


def person_public(user: User, teams: list[dict]) -> dict:
    return {"id": user.id, "username": user.username, "display_name": user.display_name or user.username,
            "is_admin": user.is_admin, "disabled": user.disabled_at is not None, "created_at": iso(user.created_at),
            "password_set": user.password_hash != "!", "teams": teams}


def people(team_ids: list[int] | None, only: int | None = None) -> list[dict]:
    """Everyone (team_ids None: a site admin's list) or the members of these teams, with their roles there;
    `only`: just that person."""
    rows = (Membership.select(Membership, Team).join(Team).order_by(Team.id))
    if team_ids is not None:
        rows = rows.where(Membership.team.in_(team_ids))
    if only is not None:
        rows = rows.where(Membership.user == only)
    by_user: dict[int, list[dict]] = {}
    for m in rows:
        by_user.setdefault(m.user_id, []).append({"id": m.team.id, "name": m.team.name, "role": m.role})
    users = User.select().order_by(User.username)
    if only is not None:
        users = users.where(User.id == only)
    if team_ids is not None:
        users = users.where(User.id.in_(list(by_user)))
    return [person_public(u, by_user.get(u.id, [])) for u in users]


@dataclass(frozen=True)
class Bootstrap:
    user: User | None  # None when an admin already existed
    password: str | None  # set when it was generated and must be shown once


def ensure_admin(clock: Clock, password: str = "") -> Bootstrap:
    """Create the first admin (`admin`) unless an admin exists."""
    if User.select().where(User.is_admin == True).exists():  # noqa: E712 - peewee expression
        return Bootstrap(None, None)
    generated = not password
    password = password or secrets.token_urlsafe(12)
    user = create_user(clock, "admin", password, is_admin=True, role=Role.ADMIN)
    return Bootstrap(user, password if generated else None)
