"""The Flask application factory. It wires; it does no work."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Flask, request

from . import metrics
from .api import (
    audit,
    auth,
    backups,
    claims,
    context,
    dashboard,
    errors,
    events,
    export,
    headers,
    health,
    invoices,
    openapi,
    params,
    people,
    sync,
    uploads,
    validation,
    views,
    web,
)
from .clock import Clock, SystemClock
from .db import database, open_database
from .errors import AppError
from .extensions import socketio
from .realtime import handlers
from .realtime.notifier import NullNotifier, SocketNotifier
from .runtime import Dispatch, Runtime
from .settings import Settings

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
CSRF_HEADER = "X-Requested-With"


def create_app(settings: Settings | None = None, *, dispatch: Dispatch | None = None,
               clock: Clock | None = None) -> Flask:
    settings = settings or Settings.from_env()
    if settings.frontend_dist is None:
        settings = settings.with_(frontend_dist=Path(__file__).resolve().parent.parent / "frontend" / "dist")
    metrics.setup(settings)  # this process's samples go where GET /metrics sums every process's
    app = Flask(__name__, static_folder=None)
    if settings.proxy_hops:
        # Behind nginx: the client's address (sign-in throttling, the audit log) and scheme come from the
        # X-Forwarded-* headers the given number of trusted proxies set; never trusted without this setting.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops)
    app.url_map.converters["int"] = params.IdConverter  # before any route: every <int:id> is bounded
    app.config.update(
        SECRET_KEY=settings.secret_key,
        # A batch may hold several files; each one is checked against max_upload_bytes on its own.
        MAX_CONTENT_LENGTH=settings.max_upload_bytes * 4,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        # The cookie lives as long as a session may; the database decides whether it still does (api/guard.py).
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings.session_absolute_hours),
        SESSION_REFRESH_EACH_REQUEST=False,
        JSON_AS_ASCII=False,
    )
    open_database(settings.db_url)
    socketio.init_app(app, async_mode=settings.async_mode, message_queue=settings.redis_url or None)
    # Embedded mode: the relay started by the server pushes events; pushing here too would
    # deliver them twice. With Redis every process pushes its own through the message queue.
    notifier = NullNotifier() if settings.embedded else SocketNotifier(socketio)
    app.extensions[context.EXTENSION] = Runtime(settings, dispatch=dispatch or _queue_dispatch(settings),
                                       notifier=notifier, clock=clock or SystemClock())
    for bp in (auth.bp, uploads.bp, invoices.bp, claims.bp, dashboard.bp, sync.bp, events.bp, validation.bp, views.bp,
               export.bp, people.bp, openapi.bp, audit.bp, backups.bp, health.bp, web.bp):
        app.register_blueprint(bp)
    errors.register(app)
    headers.register(app, settings)  # CSP, frame and sniffing guards, HSTS behind HTTPS
    handlers.register(socketio)
    _register_request_hooks(app)
    return app


def _queue_dispatch(settings: Settings) -> Dispatch:
    from .jobs.queue import Tasks

    return Tasks.enqueue_only(settings).dispatch


def _register_request_hooks(app: Flask) -> None:
    @app.before_request
    def open_connection():
        if not getattr(app.view_functions.get(request.endpoint), "own_connection", False):  # api/health.py
            database.connect(reuse_if_open=True)
        # A cross-site form cannot set a custom header: requiring one on every state-changing
        # API call is the CSRF defence (cookies are also SameSite=Lax).
        if (request.path.startswith("/api/") and request.method not in _SAFE_METHODS
                and not request.headers.get(CSRF_HEADER)):
            raise AppError("request.csrf", http_status=403)
        if request.path.startswith("/api/"):
            params.screen()  # odd input no route can take (NUL, JSON nested too deep): a 400 before any view

    @app.teardown_request
    def close_connection(exc):
        if not database.is_closed():
            database.close()
