"""Saved views: a board filter (the query string of the board's URL) a person keeps under a name, per team.

Saving under a name that exists replaces that view's query (people re-save a view after adjusting it)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from ..clock import iso
from ..db import write_transaction
from ..errors import AppError, NotFound
from ..models import SavedView, Team, User
from ..runtime import Runtime

MAX_NAME = 64
MAX_QUERY = 2000
MAX_PER_USER = 50


def public(view: SavedView) -> dict:
    return {"id": view.id, "name": view.name, "query": view.query, "team_id": view.team_id,
            "created_at": iso(view.created_at)}


def listing(user: User, team_ids: list[int]) -> list[dict]:
    query = (SavedView.select().where(SavedView.user == user.id, SavedView.team.in_(team_ids))
             .order_by(SavedView.name, SavedView.id))
    return [public(v) for v in query]


def _clean(name, query) -> tuple[str, str]:
    name = " ".join(name.split()) if isinstance(name, str) else ""
    if not name or len(name) > MAX_NAME:
        raise AppError("view.invalid_name", 422, limit=MAX_NAME)
    query = query.strip().removeprefix("?") if isinstance(query, str) else None
    if query is None or len(query) > MAX_QUERY or "\n" in query or "#" in query:
        raise AppError("view.invalid_query", 422, limit=MAX_QUERY)
    parse_qsl(query, max_num_fields=100)  # what the board would read back; too many fields raise ValueError
    return name, query


def save(rt: Runtime, user: User, team: Team, name, query) -> dict:
    try:
        name, query = _clean(name, query)
    except ValueError:
        raise AppError("view.invalid_query", 422, limit=MAX_QUERY) from None
    with write_transaction():
        existing = SavedView.get_or_none(SavedView.user == user.id, SavedView.team == team.id, SavedView.name == name)
        if existing is not None:
            existing.query = query
            existing.save()
            return public(existing)
        if SavedView.select().where(SavedView.user == user.id).count() >= MAX_PER_USER:
            raise AppError("view.too_many", 409, limit=MAX_PER_USER)
        view = SavedView.create(user=user.id, team=team.id, name=name, query=query, created_at=rt.clock.now())
    return public(view)


def delete(user: User, view_id: int) -> None:
    """Only one's own views; another person's looks missing (404)."""
    with write_transaction():
        if not SavedView.delete().where(SavedView.id == view_id, SavedView.user == user.id).execute():
            raise NotFound()
