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


# The platform's calendar is China's (UTC+8, no daylight saving): its day turns at 16:00 UTC.
CHINA = dt.timedelta(hours=8)
# A China midnight to count days from: at time scale 1 any one gives the calendar, and a recent one keeps the demo's
# many short days (120 a real day at 1/120) inside what a date can hold.
_DAY_ZERO = dt.datetime(2026, 1, 1) - CHINA


def platform_day_length(time_scale: float = 1.0) -> dt.timedelta:
    return max(dt.timedelta(days=1) * time_scale, dt.timedelta(seconds=1))  # never a day of no length


def _platform_days(now: dt.datetime, time_scale: float) -> tuple[int, dt.timedelta]:
    length = platform_day_length(time_scale)
    return (now - _DAY_ZERO) // length, length


def platform_day_start(now: dt.datetime, time_scale: float = 1.0) -> dt.datetime:
    """Start (naive UTC) of the platform's day that contains `now`: the day its 5 look-ups a day are counted in.

    At time scale 1 (production) the China calendar day. At a demo scale a day lasts 24 h × scale (12 minutes at
    1/120), as every other spacing does, so a demo's invoice that spent its look-ups waits a demo night, not the
    real midnight. The one definition for the app's schedule and the simulator's count."""
    days, length = _platform_days(now, time_scale)
    return _DAY_ZERO + days * length


def platform_date(now: dt.datetime, time_scale: float = 1.0) -> dt.date:
    """The platform's day as a date, the key its look-ups are counted under: at time scale 1 the China date; at a
    demo scale one date per demo day (a date of no calendar: the demo's days run 1/scale times faster)."""
    days, _ = _platform_days(now, time_scale)
    return _DAY_ZERO.date() + dt.timedelta(days=days + 1)
