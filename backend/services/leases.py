"""Named leases: a role that one process at a time may play, whichever of several runs it (the scheduler's).

The holder renews its lease every round; while it does, `take` answers False to everyone else. A holder that
dies (kill -9, its host gone) simply stops renewing, and once `until` has passed the next `take` by another
process wins it. Every step is one conditional write, so two processes racing for a free lease cannot both win:
the UPDATE matches one row for one of them, and the INSERT of a missing row fails on the primary key for the
second. A holder whose lease lapsed (it stalled past `seconds`) learns it at its next `take` and stands by.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket

import peewee

from ..db import write_transaction
from ..models import Lease


def holder_id() -> str:
    """This process, told apart from a later one with the same PID (a restart) by a random tail."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"[:96]


def take(name: str, holder: str, now: dt.datetime, seconds: float) -> bool:
    """Take or renew `name` for `holder` until now + seconds; False when another holder has it."""
    until = now + dt.timedelta(seconds=seconds)
    mine_or_lapsed = (Lease.holder == holder) | (Lease.until < now)
    with write_transaction():
        changed = (Lease.update(holder=holder, until=until,
                                acquired_at=peewee.Case(None, [(Lease.holder == holder, Lease.acquired_at)], now))
                   .where(Lease.name == name, mine_or_lapsed).execute())
        if changed:
            return True
    try:
        with write_transaction():
            Lease.insert(name=name, holder=holder, acquired_at=now, until=until).execute()
        return True
    except peewee.IntegrityError:  # someone holds it (the UPDATE above saw it live), or just inserted it
        return False


def release(name: str, holder: str, now: dt.datetime) -> None:
    """Give it up at once (a clean stop), so a stand-by takes over at its next round, not after `seconds`."""
    with write_transaction():
        Lease.update(until=now - dt.timedelta(seconds=1)).where(Lease.name == name, Lease.holder == holder).execute()


def current(name: str) -> Lease | None:
    return Lease.get_or_none(Lease.name == name)
