"""Users and teams."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from ..auth import hash_password
from ..clock import Clock
from ..db import write_transaction
from ..errors import AppError
from ..models import Membership, Role, Team, User

DEFAULT_TEAM = "默认团队"


def create_user(clock: Clock, username: str, password: str, *, is_admin: bool = False,
                team_name: str | None = DEFAULT_TEAM, role: Role = Role.MEMBER) -> User:
    username = username.strip()
    if not username or len(username) > 64:
        raise AppError("request.invalid", field="username")
    if len(password) < 8:
        raise AppError("request.invalid", field="password")
    now = clock.now()
    with write_transaction():
        if User.select().where(User.username == username).exists():
            raise AppError("request.invalid", field="username")
        user = User.create(username=username, password_hash=hash_password(password), is_admin=is_admin,
                           created_at=now)
        if team_name:
            team, _ = Team.get_or_create(name=team_name, defaults={"created_at": now})
            Membership.create(user=user, team=team, role=role.value)
    return user


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
