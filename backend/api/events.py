"""Catch-up: the events of my teams after a cursor. Clients call this on every (re)connect."""

from __future__ import annotations

from flask import Blueprint, g

from ..roles import Perm
from ..serializers import event_public
from ..services import events
from .declare import integer, takes
from .guard import requires
from .params import int_arg, split_page

bp = Blueprint("events", __name__, url_prefix="/api/events")

PAGE = 500


@bp.get("")
@requires(Perm.READ)
@takes(query={"after": integer(0, 2**62, "the cursor of the last event I have"), "limit": integer(1, PAGE)})
def after_cursor():
    """The events of my teams after a cursor, oldest first (clients call this on every reconnect)."""
    cursor = int_arg("after", 0, 0, 2**62)
    limit = int_arg("limit", PAGE, 1, PAGE)
    rows, more = split_page(events.after(g.access.team_ids, cursor, limit + 1), limit)
    return {
        "events": [event_public(e) for e in rows],
        "cursor": rows[-1].id if rows else cursor,
        "has_more": more,
    }
