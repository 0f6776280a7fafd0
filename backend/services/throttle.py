"""Sign-in throttling: failed sign-ins are counted per account (`user:<name>`) and per address (`addr:<ip>`).

A few failures cost nothing (a typo, a forgotten caps lock); past them each failure blocks its key for a delay
that doubles, up to a cap, and while a key is blocked no password is even checked (a blocked guesser spends
none of the server's hashing time either). A success clears the account's counter — not the address's: signing
in to one's own account must not buy a guesser at the same address new tries. A key quiet for FORGET_AFTER
starts again from nothing. With the rules below a guesser gets 18 tries at one account in the first hour and 4
an hour after that (the issue saw 200 in 33 s).

All times come from the injected clock; rows are LoginThrottle (one per key, counted by an upsert, so two
failures at the same moment both count).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from ..clock import Clock
from ..db import write_transaction
from ..models import LoginThrottle

MAX_NAME = 150  # of the key's text: a typed name is kept as typed, cut to fit the column


@dataclass(frozen=True)
class Rule:
    free: int  # failures that block nothing
    base: dt.timedelta  # the block after the first failure past the free ones; each further one doubles it
    cap: dt.timedelta

    def delay(self, failures: int) -> dt.timedelta | None:
        over = failures - self.free
        if over <= 0:
            return None
        return min(self.cap, self.base * 2 ** min(over - 1, 32))


# An address is often a whole office behind one NAT: it gets more free failures than one account.
ACCOUNT = Rule(free=5, base=dt.timedelta(seconds=1), cap=dt.timedelta(minutes=15))
ADDRESS = Rule(free=20, base=dt.timedelta(seconds=1), cap=dt.timedelta(minutes=15))
FORGET_AFTER = dt.timedelta(hours=1)  # longer than the cap: a blocked key is remembered past its block


@dataclass(frozen=True)
class Blocked:
    key: str
    wait_seconds: int  # whole seconds, rounded up: what Retry-After says


def account_key(username: str) -> str:
    return f"user:{username[:MAX_NAME]}"


def address_key(address: str | None) -> str | None:
    return f"addr:{address[:MAX_NAME]}" if address else None


def _keys(username: str, address: str | None) -> list[tuple[str, Rule]]:
    keys = [(account_key(username), ACCOUNT)]
    addr = address_key(address)
    if addr:
        keys.append((addr, ADDRESS))
    return keys


def blocked(clock: Clock, username: str, address: str | None) -> Blocked | None:
    """The longest block on this name or address now, None when a sign-in may be tried."""
    now = clock.now()
    rows = LoginThrottle.select().where(LoginThrottle.key.in_([k for k, _ in _keys(username, address)]),
                                        LoginThrottle.blocked_until > now)
    longest = max(rows, key=lambda r: r.blocked_until, default=None)
    if longest is None:
        return None
    return Blocked(longest.key, max(1, math.ceil((longest.blocked_until - now).total_seconds())))


def failed(clock: Clock, username: str, address: str | None) -> Blocked | None:
    """Count one failed sign-in on the name and the address; the block it starts, if any."""
    now = clock.now()
    started: list[Blocked] = []
    with write_transaction():
        # Quiet keys are forgotten (this also keeps the table to the keys that failed within the hour).
        LoginThrottle.delete().where(LoginThrottle.last_failure_at <= now - FORGET_AFTER).execute()
        for key, rule in _keys(username, address):
            failures = _count(key, now)
            delay = rule.delay(failures)
            if delay is not None:
                LoginThrottle.update(blocked_until=now + delay).where(LoginThrottle.key == key).execute()
                started.append(Blocked(key, math.ceil(delay.total_seconds())))
    return max(started, key=lambda b: b.wait_seconds, default=None)


def _count(key: str, now: dt.datetime) -> int:
    """One more failure on `key`; the count now (the caller has forgotten the quiet keys first)."""
    (LoginThrottle.insert(key=key, failures=1, last_failure_at=now)
     .on_conflict(conflict_target=[LoginThrottle.key],
                  update={LoginThrottle.failures: LoginThrottle.failures + 1, LoginThrottle.last_failure_at: now})
     .execute())
    return LoginThrottle.select(LoginThrottle.failures).where(LoginThrottle.key == key).scalar()


def succeeded(username: str) -> None:
    """The right password: the account's counter starts again (the address's does not)."""
    with write_transaction():
        LoginThrottle.delete().where(LoginThrottle.key == account_key(username)).execute()
