"""Saved views of the board over HTTP (per user, in one of their teams). Handlers forward to services/views.py."""

from __future__ import annotations

from flask import Blueprint, g

from ..roles import Perm
from ..services import views
from .auth import json_body
from .context import runtime
from .declare import TEAM_ID, obj, string, takes
from .guard import SIGNED_IN, requires

bp = Blueprint("views", __name__, url_prefix="/api/views")


@bp.get("")
@requires(SIGNED_IN)
def listing():
    """My saved views of the board, in all my teams."""
    return {"views": views.listing(g.access.user, g.access.team_ids)}


@bp.post("")
@requires(Perm.READ)
@takes(body=obj(["team_id", "name", "query"], team_id=TEAM_ID, name=string(max_length=views.MAX_NAME),
                 query=string("the board's query string", max_length=views.MAX_QUERY)))
def save():
    """Save a view of the board (a name and the board's query string) in one of my teams."""
    body = json_body()
    team = g.access.team(body.get("team_id") if isinstance(body.get("team_id"), int) else None)
    return {"view": views.save(runtime(), g.access.user, team, body.get("name"), body.get("query"))}, 201


@bp.delete("/<int:view_id>")
@requires(SIGNED_IN)
def delete(view_id: int):
    """Delete one of my saved views."""
    views.delete(g.access.user, view_id)
    return {"ok": True}
