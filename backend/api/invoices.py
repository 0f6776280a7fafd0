"""Invoices of my teams: list (cursor pagination, updated_since), detail, original file, thumbnail."""

from __future__ import annotations

from flask import Blueprint, g, request, send_file

from .. import auth
from ..errors import AppError, NotFound
from ..roles import Perm
from ..serializers import invoice_public
from ..services import activity, booking, bulk, corrections, identity, reconcile, search, sync
from ..services.bundles import image_key
from ..services.processing import preview_path, thumbnail_path
from .auth import json_body
from .context import runtime
from .declare import FILTER, ID, array, boolean, integer, obj, one_of, string, takes
from .guard import requires
from .params import id_list, is_id

bp = Blueprint("invoices", __name__, url_prefix="/api/invoices")

MAX_PAGE = 200
MAX_BULK = 5000


@bp.get("")
@requires(Perm.READ)
@takes(query={**FILTER, "limit": integer(0, search.MAX_PAGE), "offset": integer(0, 10**9),
              "cursor": integer(0, 2**62, "catch-up: older than this id"),
              "updated_since": string("catch-up: changed after this time", fmt="date-time")})
def list_invoices():
    """The board: a page of my teams' invoices for a filter, with its total, counts per status and facets."""
    rt = runtime()
    # Each card's diagnosis is the invoice page's as of now (services/sync.board_diagnosis).
    return search.listing(g.access, request.args,
                          lambda inv: {**invoice_public(inv), "diagnosis": sync.board_diagnosis(rt, inv)})


@bp.get("/<int:invoice_id>")
@requires(Perm.READ)
def detail(invoice_id: int):
    """One invoice with its duplicates and its reconciliation with the ledger."""
    inv = g.access.invoice(invoice_id)
    # The diagnosis as of now (services/sync.current_diagnosis): the stored one rests on premises that expire.
    return {"invoice": {**invoice_public(inv), "diagnosis": sync.current_diagnosis(runtime(), inv)},
            "duplicates": identity.duplicates_of(inv), "reconcile": reconcile.detail(inv)}


@bp.get("/<int:invoice_id>/history")
@requires(Perm.READ)
def history(invoice_id: int):
    """The invoice's timeline: what happened to it, when and by whom."""
    return {"items": activity.timeline(g.access.invoice(invoice_id))}


@bp.post("/<int:invoice_id>/unlink")
@requires(Perm.CORRECT)
def unlink(invoice_id: int):
    """Not a duplicate after all: the invoice stands on its own again."""
    identity.unlink(runtime(), g.access.invoice(invoice_id), g.access.user)
    return {"invoice": invoice_public(g.access.invoice(invoice_id))}


@bp.post("/<int:invoice_id>/booking")
@requires(Perm.FINANCE)
@takes(body=obj(booked=boolean("false: unbook"), period=string("YYYY-MM", fullmatch=booking.PERIOD.pattern),
                 voucher=string(max_length=booking.MAX_VOUCHER)))
def set_booking(invoice_id: int):
    """Book the invoice (已入账: an accounting period and a voucher number), or unbook it (`booked: false`)."""
    body = json_body()
    inv = g.access.invoice(invoice_id)
    if body.get("booked") is False:
        why = booking.unbook(runtime(), inv, g.access.user, address=auth.address())
    else:
        period, voucher = booking.parse(body.get("period"), body.get("voucher"))
        why = booking.book(runtime(), inv, g.access.user, period, voucher, address=auth.address())
    if why is not None:
        raise AppError(why["key"], 409, **why["params"])
    return {"invoice": invoice_public(g.access.invoice(invoice_id))}


@bp.post("/bulk")
@requires(Perm.UPLOAD)  # the least an action needs (check); each action's own need is checked per invoice
@takes(body=obj(["action"], action=one_of(bulk.ACTIONS), ids=array(ID, max_items=MAX_BULK),
                 query=string("a board query string: every invoice it selects"),
                 params=obj(claim_id=ID, period=string(), voucher=string())))
def bulk_action():
    """One action on the selected invoices (`ids`) or on every invoice matching a board filter (`query`)."""
    body = json_body()
    action, params = body.get("action"), body.get("params") or {}
    if not isinstance(action, str) or action not in bulk.ACTIONS or not isinstance(params, dict):
        raise AppError("request.invalid", field="action")
    need = bulk.ACTIONS[action]
    if isinstance(body.get("query"), str):
        targets = [g.access.check(inv, need) for inv in search.matching(g.access, body["query"], bulk_limit=MAX_BULK)]
    else:
        targets = g.access.invoices_by_id(id_list(body.get("ids"), MAX_BULK), need)
    claim = None
    if action == "add_to_claim":
        claim_id = params.get("claim_id")
        if not is_id(claim_id):
            raise AppError("request.invalid", field="claim_id")
        claim = g.access.claim(claim_id, Perm.CLAIM)
    return bulk.run(runtime(), g.access.user, action, targets, params, claim, address=auth.address())


@bp.post("/<int:invoice_id>/fields")
@requires(Perm.CORRECT)
@takes(body=obj(["field"], field=one_of(corrections.FIELD_NAMES),
                 value={"type": ["string", "null"], "maxLength": 200}))
def correct_field(invoice_id: int):
    """Correct one read field by hand (kept in the invoice's corrections): a value no invoice could hold is
    refused (400, `correction.<rule>`, `field`); what the live hints would still say comes back as `warnings`."""
    body = json_body()
    inv = g.access.invoice(invoice_id)
    if not isinstance(body.get("field"), str):  # a list or an object is no field name (it was a 500: unhashable)
        raise AppError("request.invalid", field="field")
    warnings = corrections.correct(runtime(), inv, g.access.user, body.get("field"), body.get("value"),
                                   address=auth.address())
    return {"invoice": invoice_public(g.access.invoice(invoice_id)), "corrections": corrections.history(inv),
            "warnings": warnings}


@bp.get("/<int:invoice_id>/corrections")
@requires(Perm.READ)
def correction_history(invoice_id: int):
    """The hand corrections of the invoice."""
    return {"corrections": corrections.history(g.access.invoice(invoice_id))}


@bp.get("/<int:invoice_id>/preview")
@requires(Perm.READ)
def preview(invoice_id: int):
    """The invoice's preview image (JPEG), once it is processed."""
    inv = g.access.invoice(invoice_id)
    path = preview_path(runtime(), image_key(inv))
    if not path.is_file():
        raise NotFound()
    return send_file(path, mimetype="image/jpeg", max_age=3600, conditional=True)


@bp.get("/<int:invoice_id>/file")
@requires(Perm.READ)
def original(invoice_id: int):
    """The original file as it was uploaded (a download)."""
    inv = g.access.invoice(invoice_id)
    path = runtime().store.path_for(inv.file.sha256)
    if not path.is_file():  # the data dir lost it (a restore without files): say so, not a 500
        raise NotFound()
    return send_file(path, mimetype=inv.file.mime, as_attachment=True, download_name=inv.original_name,
                     max_age=0, conditional=True)


@bp.get("/<int:invoice_id>/thumbnail")
@requires(Perm.READ)
def thumbnail(invoice_id: int):
    """The invoice's thumbnail (JPEG), once it is processed."""
    inv = g.access.invoice(invoice_id)
    path = thumbnail_path(runtime(), image_key(inv))
    if not inv.has_thumbnail or not path.is_file():
        raise NotFound()
    return send_file(path, mimetype="image/jpeg", max_age=3600, conditional=True)
