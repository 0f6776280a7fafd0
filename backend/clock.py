"""The one clock. Everything that needs "now" receives a Clock, so tests can drive time."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """Naive UTC: the database stores UTC without a zone on every backend."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._now = start or dt.datetime(2026, 1, 5, 9, 0, 0)

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, **delta: float) -> dt.datetime:
        self._now += dt.timedelta(**delta)
        return self._now


def iso(value: dt.datetime | None) -> str | None:
    """Naive-UTC datetime as an ISO string the browser parses as UTC."""
    return None if value is None else value.isoformat(timespec="milliseconds") + "Z"
