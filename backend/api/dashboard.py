"""The dashboard of one team: GET /api/dashboard?team_id. The handler picks the team; services/dashboard.py
does the counting."""

from __future__ import annotations

from flask import Blueprint, g

from ..models import Invoice
from ..roles import Perm
from ..services import dashboard
from .context import runtime
from .declare import TEAM_ID, takes
from .guard import requires
from .params import int_arg

bp = Blueprint("dashboard", __name__, url_prefix="/api/dashboard")


@bp.get("")
@requires(Perm.READ)
@takes(query={"team_id": TEAM_ID})
def summary():
    """The dashboard of one of my teams: its invoices counted by status, reimbursement, booking and age."""
    team = g.access.team(int_arg("team_id", None, 1, 2**62))
    return {"team_id": team.id, **dashboard.summary(Invoice.team == team.id, runtime().clock.now())}
