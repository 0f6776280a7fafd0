"""Live hints for a person typing a correction: the reader's own rules, on demand."""

from __future__ import annotations

from flask import Blueprint

from ..errors import AppError
from ..validate import validate
from ..validate.codes import Family
from .auth import json_body
from .context import runtime
from .declare import obj, one_of, takes
from .guard import SIGNED_IN, requires

bp = Blueprint("validation", __name__, url_prefix="/api/validate")


@bp.post("")
@requires(SIGNED_IN)
@takes(body=obj(["fields"], fields={"type": "object", "additionalProperties": {"type": ["string", "null"]}},
                 family=one_of(Family)))
def check():
    """The reader's rules on field values as they are typed: the findings; nothing is stored."""
    body = json_body()
    fields = body.get("fields")
    if not isinstance(fields, dict) or not all(isinstance(v, str | None) for v in fields.values()):
        raise AppError("request.invalid", field="fields")
    try:
        family = Family(body.get("family") or "unknown")
    except ValueError:
        raise AppError("request.invalid", field="family") from None
    today = runtime().clock.now().date()
    return {"findings": [f.as_dict() for f in validate(fields, family, today)]}
