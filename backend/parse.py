"""Text from outside (a query string, a JSON value) read as a number or a time, or refused with ValueError:
never another exception. The traps: str.isdigit() takes "²" (int() refuses it) and other scripts' digits;
int() refuses more than 4300 digits; an aware time near year 1 or 9999 overflows on its way to UTC."""

from __future__ import annotations

import datetime as dt

MAX_ID = 2**62  # the largest id any parser takes: both databases hold it, and no row will reach it


def whole(raw: str, hi: int = MAX_ID) -> int:
    """ASCII digits, at most `hi`; ValueError for anything else (a sign, a space, a fraction, "²")."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(hi)) or int(raw) > hi:
        raise ValueError(f"not a whole number up to {hi}")
    return int(raw)


def utc_datetime(raw: str) -> dt.datetime:
    """An ISO timestamp (with Z, an offset, or none: UTC) as naive UTC, as the databases keep time."""
    parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed
    try:
        return parsed.astimezone(dt.UTC).replace(tzinfo=None)
    except OverflowError:
        raise ValueError("outside the years UTC can hold") from None
