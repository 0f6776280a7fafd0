"""The audit log for auditors (Perm.AUDIT: a team's admins and auditors; site admins):

    GET /api/audit?team_id=&actor=&action=&date_from=&date_to=&before=<id>&limit=   newest first, by id cursor
    GET /api/audit/export?format=csv|xlsx&<the same filters>                        a file that streams

Without team_id: every team where the reader may audit, and for a site admin the site-wide entries too
(sign-ins, people and teams).
"""

from __future__ import annotations

from flask import Blueprint, Response, g, request, stream_with_context

from .. import auth
from ..errors import AppError
from ..i18n import pick_language
from ..roles import Perm
from ..services import audit
from .context import runtime
from .declare import MAX_ID, TEAM_ID, integer, one_of, string, takes
from .export import attachment
from .guard import requires
from .params import int_arg

bp = Blueprint("audit", __name__, url_prefix="/api/audit")
MAX_PAGE = 500
FILTER = {
    "team_id": TEAM_ID,
    "actor": string("a user id or a user name as typed", max_length=audit.MAX_FILTER_TEXT),
    "action": string("an action key, or a family of them: claim.*", max_length=audit.MAX_FILTER_TEXT,
                     fullmatch=audit.ACTION_FILTER.pattern),
    "date_from": string("first day (China time)", fmt="date"),
    "date_to": string("last day (China time), included", fmt="date"),
    "before": integer(1, MAX_ID - 1, "entries older than this id (the previous page's next_before)"),
}


def _scope() -> tuple[audit.Scope, int | None]:
    team_id = int_arg("team_id", None, 1, 2**62)
    if team_id is not None:
        return audit.Scope((g.access.team(team_id, Perm.AUDIT).id,)), team_id
    teams, site_wide = tuple(g.access.teams_with(Perm.AUDIT)), bool(g.access.user.is_admin)
    if not teams and not site_wide:
        raise AppError("auth.forbidden", 403)
    return audit.Scope(teams, site_wide), None


@bp.get("")
@requires(Perm.AUDIT)
@takes(query={**FILTER, "limit": integer(1, MAX_PAGE)})
def listing():
    """A page of the audit log, newest first; `next_before` (None at the end) asks for the next one."""
    scope, _ = _scope()
    entries, next_before = audit.page(scope, audit.parse_filter(request.args), int_arg("limit", 100, 1, MAX_PAGE))
    return {"entries": entries, "next_before": next_before, "has_more": next_before is not None}


@bp.get("/export")
@requires(Perm.AUDIT)
@takes(query={**FILTER, "format": one_of(audit.WRITERS)})
def download():
    """The audit log's entries that the filter matches, as an xlsx or csv file that streams as it is made."""
    if request.method == "HEAD":  # a probe (link checkers, previews) records nothing and reads nothing
        return Response(status=204, headers={"Cache-Control": "no-store"})
    scope, team_id = _scope()
    out = audit.export(runtime().clock, scope, audit.parse_filter(request.args), fmt=request.args.get("format", "xlsx"),
                       lang=pick_language(request.headers.get("Accept-Language")), actor=g.access.user,
                       address=auth.address(), team=team_id)
    return Response(stream_with_context(out.chunks), mimetype=out.mimetype, headers={
        "Content-Disposition": attachment(out.filename),
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "X-Audit-Rows": str(out.rows),
    })
