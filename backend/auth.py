"""Sessions and passwords. Used by the REST API and by socket connects alike."""

from __future__ import annotations

from flask import session
from werkzeug.security import check_password_hash, generate_password_hash

from .models import User

SESSION_KEY = "uid"
# A constant hash to compare against when the user does not exist, so a login attempt takes
# the same time whether or not the name is taken.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def authenticate(username: str, password: str) -> User | None:
    user = User.get_or_none(User.username == username)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def login(user: User) -> None:
    session.clear()
    session[SESSION_KEY] = user.id
    session.permanent = True


def logout() -> None:
    session.clear()


def current_user() -> User | None:
    uid = session.get(SESSION_KEY)
    return User.get_or_none(User.id == uid) if isinstance(uid, int) else None
