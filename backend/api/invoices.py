"""Invoices of my teams: list (cursor pagination, updated_since), detail, original file, thumbnail."""

from __future__ import annotations

from flask import Blueprint, current_app, g, send_file

from ..errors import NotFound
from ..models import Invoice
from ..serializers import invoice_public
from ..services import corrections, events
from ..services.processing import preview_path, thumbnail_path
from .auth import json_body, login_required
from .params import datetime_arg, int_arg, split_page

bp = Blueprint("invoices", __name__, url_prefix="/api/invoices")

MAX_PAGE = 200


@bp.get("")
@login_required
def list_invoices():
    limit = int_arg("limit", 50, 1, MAX_PAGE)
    cursor = int_arg("cursor", None, 0, 2**62)
    since = datetime_arg("updated_since")
    # Read the event cursor first: anything that changes after this point arrives as an event.
    event_cursor = events.latest_cursor(g.access.team_ids)
    query = g.access.invoices().order_by(Invoice.id.desc())
    if cursor is not None:
        query = query.where(Invoice.id < cursor)
    if since is not None:
        query = query.where(Invoice.updated_at > since)
    rows, more = split_page(list(query.limit(limit + 1)), limit)
    return {
        "items": [invoice_public(inv) for inv in rows],
        "next_cursor": rows[-1].id if more else None,
        "event_cursor": event_cursor,
    }


@bp.get("/<int:invoice_id>")
@login_required
def detail(invoice_id: int):
    return {"invoice": invoice_public(g.access.invoice(invoice_id))}


@bp.post("/<int:invoice_id>/fields")
@login_required
def correct_field(invoice_id: int):
    body = json_body()
    inv = g.access.invoice(invoice_id)
    corrections.correct(current_app.extensions["fapiao"], inv, g.access.user, body.get("field"), body.get("value"))
    return {"invoice": invoice_public(g.access.invoice(invoice_id)), "corrections": corrections.history(inv)}


@bp.get("/<int:invoice_id>/corrections")
@login_required
def correction_history(invoice_id: int):
    return {"corrections": corrections.history(g.access.invoice(invoice_id))}


@bp.get("/<int:invoice_id>/preview")
@login_required
def preview(invoice_id: int):
    inv = g.access.invoice(invoice_id)
    path = preview_path(current_app.extensions["fapiao"], inv.file.sha256)
    if not path.is_file():
        raise NotFound()
    return send_file(path, mimetype="image/jpeg", max_age=3600, conditional=True)


@bp.get("/<int:invoice_id>/file")
@login_required
def original(invoice_id: int):
    inv = g.access.invoice(invoice_id)
    path = current_app.extensions["fapiao"].store.path_for(inv.file.sha256)
    return send_file(path, mimetype=inv.file.mime, as_attachment=True, download_name=inv.original_name,
                     max_age=0, conditional=True)


@bp.get("/<int:invoice_id>/thumbnail")
@login_required
def thumbnail(invoice_id: int):
    inv = g.access.invoice(invoice_id)
    path = thumbnail_path(current_app.extensions["fapiao"], inv.file.sha256)
    if not inv.has_thumbnail or not path.is_file():
        raise NotFound()
    return send_file(path, mimetype="image/jpeg", max_age=3600, conditional=True)
