"""Query-string parsing with the API's error format."""

from __future__ import annotations

import datetime as dt

from flask import request
from werkzeug.routing import IntegerConverter

from .. import parse
from ..errors import AppError


def int_arg(name: str, default: int | None, lo: int, hi: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = parse.whole(raw.strip(), hi)  # not int(): it takes "+1", "1_0", "١" and refuses 4300+ digits
    except ValueError:
        raise AppError("request.invalid", field=name) from None
    if value < lo:
        raise AppError("request.invalid", field=name)
    return value


def datetime_arg(name: str) -> dt.datetime | None:
    """An ISO timestamp as naive UTC (how the database stores time)."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return parse.utc_datetime(raw)
    except ValueError:  # not a timestamp, or one UTC cannot hold (0001-01-01T00:00+14:00)
        raise AppError("request.invalid", field=name) from None


def split_page(rows: list, limit: int) -> tuple[list, bool]:
    """Rows fetched with limit + 1: the page itself, and whether more follow."""
    return rows[:limit], len(rows) > limit


MAX_IDS = 5000


def is_id(value) -> bool:
    """A JSON id: an int (not a bool) the databases can hold (a larger one was an OverflowError on SQLite)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**62


def id_list(raw, limit: int = MAX_IDS) -> list[int]:
    """A JSON list of invoice ids (positive ints, no more than `limit`), duplicates dropped, order kept."""
    if not isinstance(raw, list) or not raw or len(raw) > limit:
        raise AppError("request.invalid", field="ids", limit=limit)
    if not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**62 for i in raw):
        raise AppError("request.invalid", field="ids")
    return list(dict.fromkeys(raw))


class IdConverter(IntegerConverter):
    """`<int:...>` in a route: an id, so at most 2**62. Unbounded, 2**63 reached SQLite as an OverflowError (a 500);
    now a larger number matches no route (404), and the API description says the bound (api/openapi.py)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = 2**62,  # noqa: A002
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)
