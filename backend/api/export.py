"""GET /api/export?format=xlsx|csv&<the board's filters> (or ids=1,2,3): a download that streams as it is made.

The export is recorded (and its selection checked) before the first byte; then the file streams while the
request context stays open for the database reads (stream_with_context).
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, g, request, stream_with_context

from .. import auth
from ..errors import AppError
from ..i18n import pick_language
from ..roles import Perm
from ..services import export
from .context import runtime
from .declare import FILTER, ID, array, one_of, takes
from .guard import requires
from .params import MAX_IDS, id_list, int_arg

bp = Blueprint("export", __name__, url_prefix="/api/export")


@bp.get("")
@requires(Perm.EXPORT)
@takes(query={"format": one_of(export.WRITERS), "ids": array(ID, max_items=MAX_IDS), **FILTER})
def download():
    """A spreadsheet of my invoices, streamed as it is made: the invoices `ids`, or every invoice the board's
    filter selects (the same keys as GET /api/invoices). The export is recorded before the first byte."""
    if request.method == "HEAD":  # a probe (link checkers, previews) records nothing and reads nothing
        return Response(status=204, headers={"Cache-Control": "no-store"})
    out = export.start(runtime().clock, g.access, fmt=request.args.get("format", "xlsx"),
                       team_id=int_arg("team_id", None, 1, 2**62), ids=_ids(request.args.get("ids")),
                       args=request.args, query_text=request.query_string.decode("utf-8", "replace"),
                       lang=pick_language(request.headers.get("Accept-Language")), address=auth.address())
    return Response(stream_with_context(out.chunks), mimetype=out.mimetype, headers={
        "Content-Disposition": attachment(out.filename),
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "X-Export-Records": ",".join(map(str, out.records)),
        "X-Export-Rows": str(out.rows),
    })


def _ids(raw: str | None) -> list[int] | None:
    if raw is None:
        return None
    try:
        return id_list([int(part) for part in raw.split(",") if part.strip()])
    except ValueError:
        raise AppError("request.invalid", field="ids") from None


def attachment(filename: str) -> str:
    """Content-Disposition for a non-ASCII name (RFC 6266 + RFC 5987): an ASCII fallback for old clients and
    the UTF-8 name every current browser uses."""
    plain = filename.encode("ascii", "ignore").decode().lstrip("-")
    fallback = filename if plain == filename else f"export-{plain}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
