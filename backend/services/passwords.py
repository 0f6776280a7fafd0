"""Password hashing and checking: the one place that knows how passwords are stored.

New hashes are argon2id (memory-hard: a GPU guessing them pays in memory as well as time). Hashes made before
(werkzeug's pbkdf2 and scrypt) still verify, and a successful sign-in replaces them with argon2id, as it does an
argon2 hash made with other parameters than today's (`needs_rehash`).

The policy (`check_policy`) refuses a password shorter than MIN_LENGTH, one of the 30,000 most common passwords
(zxcvbn's frequency list, the same list its estimator uses; also with digits or symbols added at the end, the
commonest variation) and the person's own user name. Ten characters, with that list and the sign-in throttle
(services/throttle.py), rule out what an online guesser would try first, while a passphrase of a few words
still fits easily.
"""

from __future__ import annotations

import contextlib
import functools
import re
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from werkzeug.security import check_password_hash

from ..db import write_transaction
from ..errors import AppError
from ..models import User

MIN_LENGTH = 10
ARGON2_PREFIX = "$argon2"
WERKZEUG_METHODS = ("pbkdf2:", "scrypt:")  # what werkzeug's generate_password_hash wrote before argon2id


@dataclass(frozen=True)
class Cost:
    """argon2id's work factors: passes over the memory, KiB of memory, lanes."""

    time_cost: int
    memory_kib: int
    parallelism: int = 1


# About 75 ms a hash on the project's 2-core machine (min of 15, 85 ms median with the cores busy), stronger
# than OWASP's argon2id minimum (19 MiB, 2 passes). One lane: with two cores shared by the web process and the
# workers, more lanes only add threads.
PRODUCTION = Cost(time_cost=2, memory_kib=32 * 1024, parallelism=1)
# The least argon2 allows: for tests, which sign in thousands of times (tests/conftest.py).
CHEAPEST = Cost(time_cost=1, memory_kib=8, parallelism=1)


class _Hasher:
    """The argon2id hasher in use and a hash made by it to check against when nobody has this name."""

    def __init__(self, cost: Cost) -> None:
        self.cost = cost
        self.argon2 = PasswordHasher(time_cost=cost.time_cost, memory_cost=cost.memory_kib,
                                     parallelism=cost.parallelism, type=Type.ID)
        # A constant hash to compare against when the user does not exist (or has no password yet), so a
        # sign-in attempt takes the same time whether or not the name is taken.
        self.dummy = self.argon2.hash("not-a-real-password")


_hasher = _Hasher(PRODUCTION)


def use_cost(cost: Cost) -> None:
    """Hash with other work factors from now on (tests lower them; hashes made before still verify and are
    rehashed at the next sign-in)."""
    global _hasher
    if cost != _hasher.cost:
        _hasher = _Hasher(cost)


def hash_password(password: str) -> str:
    return _hasher.argon2.hash(password)


def _check(stored: str, password: str) -> bool:
    """Whether `password` is the one `stored` was made of; costs a hash's time whatever `stored` is."""
    if stored.startswith(ARGON2_PREFIX):
        try:
            return _hasher.argon2.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    if stored.startswith(WERKZEUG_METHODS):
        return check_password_hash(stored, password)
    _spend()  # "!" (no password set yet) or anything unknown: matches nothing, in the same time
    return False


def _spend() -> None:
    with contextlib.suppress(VerifyMismatchError):
        _hasher.argon2.verify(_hasher.dummy, "a password that is not it")


def needs_rehash(stored: str) -> bool:
    """A hash that is not argon2id with today's parameters."""
    if not stored.startswith(ARGON2_PREFIX):
        return True
    try:
        return _hasher.argon2.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def verify(username: str, password: str) -> User | None:
    """The person with this name and password, if they may sign in. An old or outdated hash is replaced by an
    argon2id one with today's parameters, now that the password is known."""
    user = User.get_or_none(User.username == username) if isinstance(username, str) else None
    if user is None or not isinstance(password, str):
        _spend()
        return None
    if not _check(user.password_hash, password) or user.disabled_at is not None:
        return None
    if needs_rehash(user.password_hash):
        _rehash(user, password)
    return user


def _rehash(user: User, password: str) -> None:
    fresh = hash_password(password)
    with write_transaction():
        # Only if it is still the hash just checked: a password changed meanwhile stays changed.
        User.update(password_hash=fresh).where(User.id == user.id,
                                               User.password_hash == user.password_hash).execute()
    user.password_hash = fresh


def matches(user: User, password: str) -> bool:
    return isinstance(password, str) and _check(user.password_hash, password)


# The end people add to a common password to make it "new": Password2024!, dragon_88.
_ADDED_END = re.compile(r"[\d\W_]+$")


def check_policy(password, username: str = "") -> None:
    """Refuse a password that is too short, common or the user name (AppError with the reason's key)."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise AppError("password.too_short", 400, min=MIN_LENGTH)
    lowered = password.lower()
    stem = _ADDED_END.sub("", lowered)
    common = _common()
    if lowered in common or (stem != lowered and stem in common):
        raise AppError("password.common", 400)
    name = username.strip().lower() if isinstance(username, str) else ""
    if name and name in (lowered, stem):
        raise AppError("password.username", 400)


@functools.cache
def _common() -> frozenset[str]:
    """zxcvbn's list of the 30,000 most common passwords (lower case), loaded on first use (about 40 ms)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])
