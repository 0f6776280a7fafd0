"""Password hashing and checking: the one place that knows how passwords are stored."""

from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import AppError
from ..models import User

# A constant hash to compare against when the user does not exist, so a sign-in attempt takes
# the same time whether or not the name is taken.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def verify(username: str, password: str) -> User | None:
    """The person with this name and password, if they may sign in."""
    user = User.get_or_none(User.username == username)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    ok = check_password_hash(user.password_hash, password)
    return user if ok and user.disabled_at is None else None


MIN_LENGTH = 8


def check_policy(password, username: str = "") -> None:
    """Refuse a password that is too short (the common-password list: backend/services/passwords.py TODO)."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise AppError("password.too_short", 400, min=MIN_LENGTH)


def matches(user: User, password: str) -> bool:
    return isinstance(password, str) and check_password_hash(user.password_hash, password)
