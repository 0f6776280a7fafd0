"""Claims (报销单) over HTTP. Handlers authenticate, authorise and forward to services/claims.py.

A submitter makes claims of the invoices they uploaded and submits them; accountants and admins claim any of
the team's invoices, for anyone of the team, and approve or return (backend/roles.py).
"""

from __future__ import annotations

from flask import Blueprint, g, request

from .. import auth
from ..errors import AppError, NotFound
from ..models import ClaimState, User
from ..roles import Perm
from ..services import claims
from .auth import json_body
from .context import runtime
from .declare import ID, TEAM_ID, array, obj, one_of, string, takes
from .guard import requires
from .params import MAX_IDS, id_list, int_arg, is_id

bp = Blueprint("claims", __name__, url_prefix="/api/claims")


@bp.get("")
@requires(Perm.READ)
@takes(query={"team_id": TEAM_ID, "state": one_of(ClaimState)})
def listing():
    """The claims of one of my teams, newest first; `state` keeps those in one state."""
    team = g.access.team(int_arg("team_id", None, 1, 2**62))
    state = request.args.get("state") or None
    return {"claims": claims.listing(team, state)}


@bp.post("")
@requires(Perm.CLAIM)
@takes(body=obj(["team_id", "purpose"], team_id=TEAM_ID, purpose=string(max_length=claims.MAX_PURPOSE),
                 claimant_id=ID, invoice_ids=array(ID)))
def create():
    """A new claim (报销单) in one of my teams, of some invoices at once if `invoice_ids` are given; claiming
    for another member (`claimant_id`) needs finance."""
    body = json_body()
    team = g.access.team(body.get("team_id") if isinstance(body.get("team_id"), int) else None)
    claimant = None
    if body.get("claimant_id") not in (None, g.access.user.id):
        g.access.team(team.id, Perm.FINANCE)  # claiming for someone else
        claimant = User.get_or_none(User.id == body["claimant_id"]) if is_id(body.get("claimant_id")) else None
        if claimant is None or not g.access.is_member_of(claimant.id, team.id):
            raise AppError("request.invalid", field="claimant_id")
    claim = claims.create(runtime(), team, g.access.user, body.get("purpose"), claimant, address=auth.address())
    out = claims.detail(claim)
    ids = body.get("invoice_ids")
    if ids:
        out["added"] = claims.add(runtime(), claim, g.access.user, g.access.invoices_by_id(id_list(ids)),
                                  address=auth.address())
        out.update(claims.detail(g.access.claim(claim.id)))
    return out, 201


@bp.get("/<int:claim_id>")
@requires(Perm.READ)
def detail(claim_id: int):
    """One claim with its invoices and totals."""
    return claims.detail(g.access.claim(claim_id))


@bp.post("/<int:claim_id>/invoices")
@requires(Perm.CLAIM)
@takes(body=obj(["ids"], ids=array(ID, max_items=MAX_IDS)))
def add(claim_id: int):
    """Add invoices to a claim; 409 with the refusals when none of them could be added."""
    claim = g.access.claim(claim_id)
    result = claims.add(runtime(), claim, g.access.user, g.access.invoices_by_id(id_list(json_body().get("ids"))),
                        address=auth.address())
    if not result["done"] and result["refused"]:
        first = result["refused"][0]
        raise AppError(first["key"], 409, **first["params"], refused=result["refused"])
    return {**result, **claims.detail(g.access.claim(claim_id))}


@bp.delete("/<int:claim_id>/invoices/<int:invoice_id>")
@requires(Perm.CLAIM)
def remove(claim_id: int, invoice_id: int):
    """Take one invoice out of a claim."""
    claim = g.access.claim(claim_id)
    claims.remove(runtime(), claim, g.access.user, g.access.invoice(invoice_id), address=auth.address())
    return claims.detail(g.access.claim(claim_id))


@bp.post("/<int:claim_id>/<action>")
@requires(Perm.CLAIM)
@takes(body=obj(note=string(max_length=claims.MAX_NOTE)), body_required=False)
def act(claim_id: int, action: str):
    """Move a claim on: `submit` or `reopen` it (the claim permission), `approve` it or `return` it with a
    `note` (finance). Any other action is a 404."""
    rt, user, address = runtime(), g.access.user, auth.address()
    if action in ("submit", "reopen"):
        claim = g.access.claim(claim_id)
        (claims.submit if action == "submit" else claims.reopen)(rt, claim, user, address=address)
    elif action in ("approve", "return"):
        claim = g.access.claim(claim_id, Perm.FINANCE)
        if action == "approve":
            claims.approve(rt, claim, user, address=address)
        else:
            body = request.get_json(silent=True)  # a list or a string is no note (a 422, not a 500)
            claims.return_(rt, claim, user, body.get("note") if isinstance(body, dict) else None, address=address)
    else:
        raise NotFound()
    return claims.detail(g.access.claim(claim_id))
