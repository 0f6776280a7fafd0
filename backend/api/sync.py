"""The authority side over HTTP: check now, timeline, accept a near miss, ledger import, buyer entities,
connector health. Handlers only authenticate, authorise and forward to services."""

from __future__ import annotations

from flask import Blueprint, g, request

from .. import auth
from ..errors import AppError
from ..roles import Perm
from ..serializers import invoice_public
from ..services import corrections, entities, health, ledger, sync
from .auth import json_body
from .context import runtime
from .declare import TEAM_ID, binary, obj, string, takes
from .guard import requires
from .params import file_name, int_arg

bp = Blueprint("sync", __name__, url_prefix="/api")
MAX_LEDGER_BYTES = 200 * 1024 * 1024  # a 1M-row export is about 120 MB as csv


@bp.post("/invoices/<int:invoice_id>/check")
@requires(Perm.UPLOAD)
def check_now(invoice_id: int):
    """Ask the tax authority about the invoice now: queued (202)."""
    out = sync.request_check(runtime(), g.access.invoice(invoice_id), g.access.user.id)
    return out, 202


@bp.get("/invoices/<int:invoice_id>/checks")
@requires(Perm.READ)
def checks(invoice_id: int):
    """The invoice's checks at the authority: what was asked, when, and the answers."""
    return sync.check_panel(runtime(), g.access.invoice(invoice_id))


@bp.post("/invoices/<int:invoice_id>/accept-candidate")
@requires(Perm.CORRECT)
@takes(body=obj(["key"], key=string()))
def accept_candidate(invoice_id: int):
    """Take the authority's near-miss reading (`key`) for the invoice's fields."""
    key = json_body().get("key")
    if not isinstance(key, str):
        raise AppError("request.invalid", field="key")
    corrections.accept_candidate(runtime(), g.access.invoice(invoice_id), g.access.user, key, address=auth.address())
    return {"invoice": invoice_public(g.access.invoice(invoice_id))}


@bp.get("/sync/health")
@requires(Perm.READ)
def sync_health():
    """The connector to the tax authority: how it is doing and its recent errors."""
    return {"health": health.snapshot(runtime())}


@bp.post("/ledger/import")
@requires(Perm.FINANCE)
@takes(query={"team_id": TEAM_ID}, form=obj(["file"], file=binary(), team_id=TEAM_ID))
def import_ledger():
    """Import a ledger export of the tax authority (multipart `file`, xlsx or csv) for one of my teams:
    queued (202)."""
    team = g.access.team(request.form.get("team_id", type=int) or request.args.get("team_id", type=int))
    upload = request.files.get("file")
    if upload is None:
        raise AppError("request.no_files")
    record = ledger.queue_import(runtime(), team, g.access.user.id, file_name(upload.filename, ""), upload.stream,
                                 MAX_LEDGER_BYTES, address=auth.address())
    return {"import": ledger.import_public(record)}, 202


@bp.get("/ledger/imports/<int:import_id>")
@requires(Perm.READ)
def import_status(import_id: int):
    """A ledger import's progress and result."""
    return {"import": ledger.import_public(ledger.import_record(import_id, g.access.team_ids))}


@bp.get("/ledger")
@requires(Perm.READ)
@takes(query={"team_id": TEAM_ID})
def ledger_info():
    """How many ledger rows one of my teams holds."""
    team = g.access.team(int_arg("team_id", None, 1, 2**62))
    return {"team_id": team.id, "rows": ledger.row_count(team)}


@bp.get("/teams/<int:team_id>/entities")
@requires(Perm.READ)
def list_entities(team_id: int):
    """The team's buyer entities (the names and tax ids invoices should be made out to)."""
    return {"entities": entities.listing(g.access.team(team_id))}


@bp.post("/teams/<int:team_id>/entities")
@requires(Perm.MANAGE)
@takes(body=obj(["name", "tax_id"], name=string(max_length=128), tax_id=string(max_length=24)))
def add_entity(team_id: int):
    """Add a buyer entity to the team."""
    body = json_body()
    team = g.access.team(team_id)
    entities.add(runtime(), team, body.get("name"), body.get("tax_id"), actor=g.access.user, address=auth.address())
    return {"entities": entities.listing(team)}, 201


@bp.delete("/teams/<int:team_id>/entities/<int:entity_id>")
@requires(Perm.MANAGE)
def remove_entity(team_id: int, entity_id: int):
    """Remove a buyer entity from the team."""
    team = g.access.team(team_id)
    entities.remove(runtime(), team, entity_id, actor=g.access.user, address=auth.address())
    return {"entities": entities.listing(team)}
