"""Upload one or many files (multipart field `files`). Each file gets its own result, so one
bad file never spoils the rest of the batch."""

from __future__ import annotations

from flask import Blueprint, g, request
from werkzeug.exceptions import BadRequest

from ..errors import AppError
from ..roles import Perm
from ..serializers import invoice_public
from ..services import intake
from .context import runtime
from .declare import TEAM_ID, array, binary, obj, takes
from .errors import error_body
from .guard import requires
from .params import file_name

bp = Blueprint("uploads", __name__, url_prefix="/api/uploads")


@bp.post("")
@requires(Perm.UPLOAD)
@takes(form=obj(["files"], files=array(binary()), team_id=TEAM_ID))
def upload():
    """Upload one file or many (multipart `files`) to one of my teams: each gets its own result, one bad
    file never spoils the rest; 422 when none was accepted."""
    rt = runtime()
    if request.mimetype != "multipart/form-data" or not request.mimetype_params.get("boundary"):
        raise AppError("request.malformed", detail="expected multipart/form-data with a boundary")
    try:
        files = request.files.getlist("files")
        team_id = request.form.get("team_id", type=int)
    except BadRequest as exc:
        raise AppError("request.malformed", detail=exc.description) from None
    if not files:
        raise AppError("request.no_files")
    if len(files) > rt.settings.max_files_per_request:
        raise AppError("request.too_many_files", limit=rt.settings.max_files_per_request)
    team = g.access.team(team_id)
    results = []
    for storage in files:
        name = file_name(storage.filename, "upload")
        try:
            accepted = intake.accept(rt, g.access.user, team, name, storage.stream)
        except AppError as exc:
            results.append({"name": name, "status": "rejected", "error": error_body(exc.key, exc.params)})
        else:
            results.append({
                "name": name,
                "status": "duplicate" if accepted.duplicate else "accepted",
                "invoice": invoice_public(accepted.invoice),
                "invoice_count": accepted.count,
            })
        finally:
            storage.close()
    accepted_any = any(r["status"] != "rejected" for r in results)
    return {"results": results}, 200 if accepted_any else 422
