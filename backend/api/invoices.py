"""Invoices of my teams: list (cursor pagination, updated_since), detail, original file, thumbnail."""

from __future__ import annotations

from flask import Blueprint, g, request, send_file

from ..errors import AppError, NotFound
from ..roles import Perm
from ..serializers import invoice_public
from ..services import activity, booking, bulk, corrections, identity, reconcile, search
from ..services.processing import preview_path, thumbnail_path
from .auth import json_body
from .context import runtime
from .guard import requires
from .params import id_list

bp = Blueprint("invoices", __name__, url_prefix="/api/invoices")

MAX_PAGE = 200
MAX_BULK = 5000


@bp.get("")
@requires(Perm.READ)
def list_invoices():
    """The board: a page of my teams' invoices for a filter, with its total, counts per status and facets."""
    return search.listing(g.access, request.args, invoice_public)


@bp.get("/<int:invoice_id>")
@requires(Perm.READ)
def detail(invoice_id: int):
    inv = g.access.invoice(invoice_id)
    return {"invoice": invoice_public(inv), "duplicates": identity.duplicates_of(inv),
            "reconcile": reconcile.detail(inv)}


@bp.get("/<int:invoice_id>/history")
@requires(Perm.READ)
def history(invoice_id: int):
    return {"items": activity.timeline(g.access.invoice(invoice_id))}


@bp.post("/<int:invoice_id>/unlink")
@requires(Perm.CORRECT)
def unlink(invoice_id: int):
    identity.unlink(runtime(), g.access.invoice(invoice_id), g.access.user)
    return {"invoice": invoice_public(g.access.invoice(invoice_id))}


@bp.post("/<int:invoice_id>/booking")
@requires(Perm.FINANCE)
def set_booking(invoice_id: int):
    body = json_body()
    inv = g.access.invoice(invoice_id)
    if body.get("booked") is False:
        why = booking.unbook(runtime(), inv, g.access.user)
    else:
        period, voucher = booking.parse(body.get("period"), body.get("voucher"))
        why = booking.book(runtime(), inv, g.access.user, period, voucher)
    if why is not None:
        raise AppError(why["key"], 409, **why["params"])
    return {"invoice": invoice_public(g.access.invoice(invoice_id))}


@bp.post("/bulk")
@requires(Perm.READ)
def bulk_action():
    """One action on the selected invoices (`ids`) or on every invoice matching a board filter (`query`)."""
    body = json_body()
    action, params = body.get("action"), body.get("params") or {}
    if action not in bulk.ACTIONS or not isinstance(params, dict):
        raise AppError("request.invalid", field="action")
    need = bulk.ACTIONS[action]
    if isinstance(body.get("query"), str):
        targets = [g.access.check(inv, need) for inv in search.matching(g.access, body["query"], bulk_limit=MAX_BULK)]
    else:
        targets = g.access.invoices_by_id(id_list(body.get("ids"), MAX_BULK), need)
    claim = None
    if action == "add_to_claim":
        claim_id = params.get("claim_id")
        if not isinstance(claim_id, int):
            raise AppError("request.invalid", field="claim_id")
        claim = g.access.claim(claim_id, Perm.CLAIM)
    return bulk.run(runtime(), g.access.user, action, targets, params, claim)


@bp.post("/<int:invoice_id>/fields")
@requires(Perm.CORRECT)
def correct_field(invoice_id: int):
    body = json_body()
    inv = g.access.invoice(invoice_id)
    corrections.correct(runtime(), inv, g.access.user, body.get("field"), body.get("value"))
    return {"invoice": invoice_public(g.access.invoice(invoice_id)), "corrections": corrections.history(inv)}


@bp.get("/<int:invoice_id>/corrections")
@requires(Perm.READ)
def correction_history(invoice_id: int):
    return {"corrections": corrections.history(g.access.invoice(invoice_id))}


@bp.get("/<int:invoice_id>/preview")
@requires(Perm.READ)
def preview(invoice_id: int):
    inv = g.access.invoice(invoice_id)
    path = preview_path(runtime(), inv.file.sha256)
    if not path.is_file():
        raise NotFound()
    return send_file(path, mimetype="image/jpeg", max_age=3600, conditional=True)


@bp.get("/<int:invoice_id>/file")
@requires(Perm.READ)
def original(invoice_id: int):
    inv = g.access.invoice(invoice_id)
    path = runtime().store.path_for(inv.file.sha256)
    return send_file(path, mimetype=inv.file.mime, as_attachment=True, download_name=inv.original_name,
                     max_age=0, conditional=True)


@bp.get("/<int:invoice_id>/thumbnail")
@requires(Perm.READ)
def thumbnail(invoice_id: int):
    inv = g.access.invoice(invoice_id)
    path = thumbnail_path(runtime(), inv.file.sha256)
    if not inv.has_thumbnail or not path.is_file():
        raise NotFound()
    return send_file(path, mimetype="image/jpeg", max_age=3600, conditional=True)
