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


def file_name(raw: str | None, default: str) -> str:
    """A multipart file's name as text a database can hold: a NUL dropped (an upload named "a\\x00b.jpg" was a 500
    on PostgreSQL; screen() leaves multipart bodies to the routes that read them, after their permission)."""
    return (raw or "").replace("\x00", "") or default


def screen() -> None:
    """What no route can take, refused before any view reads the request (app.py, every /api/ call), as a 400:
    a JSON body nested deeper than the parser recurses (5000 brackets were a RecursionError, a 500), and a NUL
    character in a query key or value or anywhere in a JSON body (PostgreSQL's text takes none: every text that
    reached a query or a row was a 500 there — a sign-in name, a claim's purpose, a view's name, a filter...)."""
    for key, value in request.args.items(multi=True):
        if "\x00" in key or "\x00" in value:
            raise AppError("request.invalid", field=key.replace("\x00", ""))
    if not request.is_json:
        return
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        raise AppError("request.malformed", detail="JSON nested too deeply") from None
    stack = [(body, None)]
    while stack:  # by hand: a body nested as deep as the parser allows must not exhaust the stack here either
        value, field = stack.pop()
        if isinstance(value, str) and "\x00" in value:
            raise AppError("request.invalid", field=field or "body")
        if isinstance(value, dict):
            for key, item in value.items():
                name = field or key.replace("\x00", "")
                stack += [(key, name), (item, name)]
        elif isinstance(value, list):
            stack.extend((item, field) for item in value)
