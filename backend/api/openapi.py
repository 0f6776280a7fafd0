"""The API's description, made from the routes themselves so it cannot drift: GET /api/openapi.json (OpenAPI 3.1)
and a page that shows it, GET /api/docs (its script and style are files of their own: no inline code, no CDN).

Every /api/ rule of the URL map and each of its methods is an operation: its path parameters come from the rule's
converters, its summary and description from the view's docstring, its permission from guard.permission_of
(`x-permission`, and the security it implies), its query parameters and body from declare.takes_of. The document
is made on the first request and kept for the process (the routes do not change while it runs).
"""

from __future__ import annotations

import inspect
import re
from importlib import metadata
from pathlib import Path

from flask import Blueprint, Flask, current_app, jsonify, send_from_directory
from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter, BaseConverter, NumberConverter, PathConverter

from .declare import Takes, takes_of
from .guard import PUBLIC, permission_of, public

bp = Blueprint("openapi", __name__, url_prefix="/api")

STATIC = Path(__file__).with_name("static")
EXTENSION = "openapi"
_SAFE = {"GET", "HEAD", "OPTIONS"}
_UNDOCUMENTED_METHODS = {"HEAD", "OPTIONS"}  # Flask adds them to every GET / every rule
_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")

ERROR_SCHEMA = {  # api/errors.py error_body
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["key", "message", "params"],
        "properties": {
            "key": {"type": "string", "description": "stable: the SPA translates it (backend/i18n)"},
            "message": {"type": "string", "description": "in the request's language (Accept-Language)"},
            "params": {"type": "object", "description": "what the message names (a field, a limit...)"},
        },
    }},
}


@bp.get("/openapi.json")
@public
def document():
    """This description of the API (OpenAPI 3.1), made from the routes themselves."""
    return jsonify(cached(current_app))


@bp.get("/docs")
@public
def docs_page():
    """A readable page of this description: paths, methods, permissions, parameters."""
    return send_from_directory(STATIC, "docs.html", max_age=0)


@bp.get("/docs/<any('docs.js', 'docs.css'):asset>")
@public
def docs_asset(asset: str):
    """The docs page's script and style (files of their own, for a Content-Security-Policy without inline code)."""
    return send_from_directory(STATIC, asset, max_age=0)


def cached(app: Flask) -> dict:
    if EXTENSION not in app.extensions:
        app.extensions[EXTENSION] = build(app)
    return app.extensions[EXTENSION]


def api_rules(app: Flask) -> list[Rule]:
    return sorted((r for r in app.url_map.iter_rules() if r.rule.startswith("/api/")), key=lambda r: r.rule)


def gaps(app: Flask) -> list[str]:
    """What the description cannot say: a rule whose view declares no permission (any rule, the SPA's too), an
    /api/ view without a docstring."""
    out = [f"{r.rule} ({r.endpoint}): no permission declared (guard.requires / guard.public)"
           for r in app.url_map.iter_rules() if permission_of(app.view_functions[r.endpoint]) is None]
    out += [f"{r.rule} ({r.endpoint}): no docstring" for r in api_rules(app)
            if not inspect.getdoc(app.view_functions[r.endpoint])]
    return out


def build(app: Flask) -> dict:
    paths: dict[str, dict] = {}
    for rule in api_rules(app):
        view = app.view_functions[rule.endpoint]
        path = _VARIABLE.sub(r"{\1}", rule.rule)
        for method in sorted(rule.methods - _UNDOCUMENTED_METHODS):
            paths.setdefault(path, {})[method.lower()] = operation(rule, view, method)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Fapiao Tracker API", "version": _version(),
                 "description": "JSON over HTTP. Errors are {\"error\": {\"key\", \"message\", \"params\"}}. Sign in "
                                "with POST /api/auth/login (a session cookie); every call that is not a GET "
                                f"needs the header {_csrf_header()} (any value)."},
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR_SCHEMA},
            "responses": {"Error": {"description": "Refused or failed", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}},
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": app.config["SESSION_COOKIE_NAME"],
                            "description": "set by POST /api/auth/login"},
                "csrf": {"type": "apiKey", "in": "header", "name": _csrf_header(),
                         "description": "required on every call that is not a GET (a cross-site form cannot set it)"},
            },
        },
    }


def operation(rule: Rule, view, method: str) -> dict:
    doc = inspect.getdoc(view) or ""
    perm = str(permission_of(view))
    declared = takes_of(view)
    out = {
        "operationId": f"{rule.endpoint}.{method.lower()}" if len(rule.methods - _UNDOCUMENTED_METHODS) > 1
        else rule.endpoint,
        "tags": [rule.endpoint.split(".")[0]],
        "summary": doc.split("\n\n")[0].replace("\n", " "),
        "description": f"{doc}\n\nPermission: `{perm}`.",
        "x-permission": perm,
        "security": _security(perm, method),
        "parameters": path_parameters(rule) + query_parameters(declared),
        "responses": {"2XX": {"description": "Done"}, "4XX": {"$ref": "#/components/responses/Error"}},
    }
    body = request_body(declared)
    if body and method not in _SAFE:
        out["requestBody"] = body
    return out


def _security(perm: str, method: str) -> list[dict]:
    needs = ([] if perm == PUBLIC else ["session"]) + ([] if method in _SAFE else ["csrf"])
    return [{name: [] for name in needs}] if needs else []


def path_parameters(rule: Rule) -> list[dict]:
    return [{"name": name, "in": "path", "required": True, "schema": converter_schema(converter)}
            for name, converter in rule._converters.items()]


def converter_schema(converter: BaseConverter) -> dict:
    """What a converter lets through: int → an integer (never negative unless signed), any() → its items."""
    if isinstance(converter, NumberConverter):
        lo = converter.min if converter.min is not None else (None if converter.signed else 0)
        out = {"type": "integer" if converter.num_convert is int else "number"}
        if lo is not None:
            out["minimum"] = lo
        if converter.max is not None:
            out["maximum"] = converter.max
        return out
    if isinstance(converter, AnyConverter):
        return {"type": "string", "enum": sorted(converter.items)}
    if isinstance(converter, PathConverter):
        return {"type": "string", "minLength": 1}
    return {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}


def query_parameters(declared: Takes) -> list[dict]:
    out = []
    for name, schema in declared.query.items():
        param = {"name": name, "in": "query", "required": name in declared.required, "schema": schema}
        if schema.get("description"):
            param["description"] = schema["description"]
        if schema.get("type") == "array":  # read as one comma-separated value (a,b,c)
            param.update(style="form", explode=False)
        out.append(param)
    return out


def request_body(declared: Takes) -> dict | None:
    if declared.form is not None:
        return {"required": True, "content": {"multipart/form-data": {"schema": declared.form}}}
    if declared.body is not None:
        return {"required": declared.body_required, "content": {"application/json": {"schema": declared.body}}}
    return None


def _csrf_header() -> str:
    from ..app import CSRF_HEADER  # here, not at the top: app.py imports this module

    return CSRF_HEADER


def _version() -> str:
    try:
        return metadata.version("fapiao-tracker")
    except metadata.PackageNotFoundError:
        return "0"
