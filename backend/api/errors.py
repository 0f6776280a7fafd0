"""One JSON error format for the whole API:

    {"error": {"key": "upload.too_large", "message": "...", "params": {...}}}

`key` is stable (the SPA translates it); `message` is in the request's language for others.
"""

from __future__ import annotations

import logging

import peewee
from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..errors import AppError
from ..i18n import catalog, pick_language, translate

log = logging.getLogger(__name__)

_HTTP_KEYS = {
    400: "request.malformed",
    401: "auth.required",
    403: "auth.forbidden",
    404: "not_found",
    405: "request.malformed",
    413: "request.too_large",
    415: "upload.unsupported_type",
}


def error_body(key: str, params: dict | None = None) -> dict:
    lang = pick_language(request.headers.get("Accept-Language")) if request else "zh"
    params = params or {}
    words = dict(params)
    if isinstance(params.get("field"), str) and f"field.{params['field']}" in catalog(lang):
        words["field"] = catalog(lang)[f"field.{params['field']}"]  # the message names the field in words
    return {"key": key, "message": translate(f"error.{key}", lang, words), "params": params}


def error_response(key: str, status: int, params: dict | None = None):
    return jsonify(error=error_body(key, params)), status


def register(app: Flask) -> None:
    @app.errorhandler(AppError)
    def app_error(exc: AppError):
        return error_response(exc.key, exc.http_status, exc.params)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc):
        limit = app.config.get("MAX_CONTENT_LENGTH") or 0
        return error_response("request.too_large", 413, {"limit_mb": round(limit / 2**20)})

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if not request.path.startswith("/api/"):
            return exc
        key = _HTTP_KEYS.get(exc.code or 500, "request.malformed")
        return error_response(key, exc.code or 500, {"detail": exc.description or ""})

    @app.errorhandler(peewee.OperationalError)
    @app.errorhandler(peewee.InterfaceError)
    def database_away(exc: Exception):
        # The database restarting or failing over (its connections cut, none to be had for a moment): nothing was
        # written, and the same request will work in a few seconds. A 503 the client may retry, not a 500.
        log.warning("database unavailable on %s %s: %s", request.method, request.path, str(exc).strip()[:200])
        response, status = error_response("server.unavailable", 503)
        response.headers["Retry-After"] = "2"
        return response, status

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response("server", 500)
