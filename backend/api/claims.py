"""Claims (报销单) over HTTP. Handlers authenticate, authorise and forward to services/claims.py.

Members create claims, add their team's invoices and submit; approving and returning need an accountant or
an admin of the claim's team.
"""

from __future__ import annotations

from flask import Blueprint, g, request

from ..errors import AppError, NotFound
from ..models import Claim, User
from ..services import claims
from .auth import json_body, login_required
from .context import runtime
from .params import id_list, int_arg

bp = Blueprint("claims", __name__, url_prefix="/api/claims")


def _claim(claim_id: int) -> Claim:
    return claims.get(claim_id, g.access.team_ids)


def _editable(claim: Claim) -> Claim:
    """The claimant, its creator, or a manager of the team may change a claim's contents."""
    if g.access.user.id not in (claim.claimant_id, claim.created_by):
        g.access.manage(claim.team_id)
    return claim


@bp.get("")
@login_required
def listing():
    team = g.access.team(int_arg("team_id", None, 1, 2**62))
    state = request.args.get("state") or None
    return {"claims": claims.listing(team, state)}


@bp.post("")
@login_required
def create():
    body = json_body()
    team = g.access.team(body.get("team_id") if isinstance(body.get("team_id"), int) else None)
    claimant = None
    if body.get("claimant_id") not in (None, g.access.user.id):
        g.access.manage(team.id)  # claiming for someone else
        claimant = User.get_or_none(User.id == body.get("claimant_id"))
        if claimant is None or not g.access.is_member_of(claimant.id, team.id):
            raise AppError("request.invalid", field="claimant_id")
    claim = claims.create(runtime(), team, g.access.user, body.get("purpose"), claimant)
    out = claims.detail(claim)
    ids = body.get("invoice_ids")
    if ids:
        out["added"] = claims.add(runtime(), claim, g.access.user, g.access.invoices_by_id(id_list(ids)))
        out.update(claims.detail(claims.get(claim.id, g.access.team_ids)))
    return out, 201


@bp.get("/<int:claim_id>")
@login_required
def detail(claim_id: int):
    return claims.detail(_claim(claim_id))


@bp.post("/<int:claim_id>/invoices")
@login_required
def add(claim_id: int):
    claim = _editable(_claim(claim_id))
    result = claims.add(runtime(), claim, g.access.user, g.access.invoices_by_id(id_list(json_body().get("ids"))))
    if not result["done"] and result["refused"]:
        first = result["refused"][0]
        raise AppError(first["key"], 409, **first["params"], refused=result["refused"])
    return {**result, **claims.detail(_claim(claim_id))}


@bp.delete("/<int:claim_id>/invoices/<int:invoice_id>")
@login_required
def remove(claim_id: int, invoice_id: int):
    claim = _editable(_claim(claim_id))
    claims.remove(runtime(), claim, g.access.user, g.access.invoice(invoice_id))
    return claims.detail(_claim(claim_id))


@bp.post("/<int:claim_id>/<action>")
@login_required
def act(claim_id: int, action: str):
    claim = _claim(claim_id)
    rt, user = runtime(), g.access.user
    if action == "submit":
        claims.submit(rt, _editable(claim), user)
    elif action == "reopen":
        claims.reopen(rt, _editable(claim), user)
    elif action in ("approve", "return"):
        g.access.manage(claim.team_id)
        if action == "approve":
            claims.approve(rt, claim, user)
        else:
            body = request.get_json(silent=True)  # a list or a string is no note (a 422, not a 500)
            claims.return_(rt, claim, user, body.get("note") if isinstance(body, dict) else None)
    else:
        raise NotFound()
    return claims.detail(_claim(claim_id))
