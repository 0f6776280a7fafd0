"""Query-string parsing with the API's error format."""

from __future__ import annotations

import datetime as dt

from flask import request

from ..errors import AppError


def int_arg(name: str, default: int | None, lo: int, hi: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise AppError("request.invalid", field=name) from None
    if not lo <= value <= hi:
        raise AppError("request.invalid", field=name)
    return value


def datetime_arg(name: str) -> dt.datetime | None:
    """An ISO timestamp as naive UTC (how the database stores time)."""
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise AppError("request.invalid", field=name) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    return parsed


def split_page(rows: list, limit: int) -> tuple[list, bool]:
    """Rows fetched with limit + 1: the page itself, and whether more follow."""
    return rows[:limit], len(rows) > limit


MAX_IDS = 5000


def id_list(raw, limit: int = MAX_IDS) -> list[int]:
    """A JSON list of invoice ids (positive ints, no more than `limit`), duplicates dropped, order kept."""
    if not isinstance(raw, list) or not raw or len(raw) > limit:
        raise AppError("request.invalid", field="ids", limit=limit)
    if not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2**62 for i in raw):
        raise AppError("request.invalid", field="ids")
    return list(dict.fromkeys(raw))
