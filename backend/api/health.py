"""Liveness, readiness and metrics, for what watches the app (systemd, a load balancer, Prometheus).

    GET /healthz   alive: the process answers. Touches nothing, the database included: cheap to ask often
    GET /readyz    ready: the database, the job queue and the authority connector, each check with its result
    GET /metrics   Prometheus text, every process of this host summed (backend/metrics.py): to a client on this
                   host, or one with the bearer FAPIAO_METRICS_TOKEN; a 404 to anyone else

No sign-in and no CSRF header (they are GETs); outside /api/, so not in the API description. They open their
own database connection, or none (`own_connection`): the request hook's would turn a database that is away into
the API's 503 before /readyz could say which check failed, and /healthz must not need one at all.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Callable

from flask import Blueprint, Response, abort, jsonify, request

from .. import jobrows, metrics
from ..backup import records
from ..db import database
from ..jobs import queue
from ..runtime import Runtime
from ..services import health
from .context import runtime
from .guard import public

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

CONNECTOR_STATES = ("ok", "degraded", "down", "off")
NO_STORE = {"Cache-Control": "no-store"}


def own_connection(view):
    """The request hook opens no database connection for this view (app.py)."""
    view.own_connection = True
    return view


@bp.get("/healthz")
@public
@own_connection
def healthz():
    """Alive: this process serves requests. Nothing else is asked."""
    return {"ok": True}, 200, NO_STORE


@bp.get("/readyz")
@public
@own_connection
def readyz():
    """Ready: the database answers a query and the job queue's storage (the SQLite file, or Redis) its depth;
    503 when either does not (uploads would fail). The authority connector's health (services/health.py) is
    reported but never makes a 503: degraded or down, the app still accepts and reads uploads, and the scheduler
    retries the authority by itself."""
    rt = runtime()
    checks = {"database": _check(_database_answers), "queue": _check(lambda: queue.depth(rt.settings)),
              "connector": _connector(rt)}
    ready = checks["database"]["ok"] and checks["queue"]["ok"]
    return jsonify(ok=ready, checks=checks), 200 if ready else 503, NO_STORE


def _check(probe: Callable[[], object]) -> dict:
    try:
        probe()
    except Exception as exc:  # noqa: BLE001 - any failure is the answer; the detail goes to the log only
        log.warning("readiness: %s", exc)
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def _database_answers() -> None:
    with database.connection_context():
        database.execute_sql("SELECT 1")


def _connector(rt: Runtime) -> dict:
    try:
        with database.connection_context():
            snap = health.snapshot(rt)
    except Exception as exc:  # noqa: BLE001 - its state lives in the database, which is away
        return {"ok": False, "state": "unknown", "error": type(exc).__name__}
    state = health.condition(snap)
    return {"ok": state in ("ok", "off"), "state": state, "failures": snap["failures"],
            "last_error": snap["last_error"], "down_since": snap["down_since"]}


@bp.get("/metrics")
@public
@own_connection
def metrics_text():
    """Prometheus text exposition. A 404 unless the client is on this host or sends the metrics token."""
    rt = runtime()
    if not (_from_this_host() or _has_token(rt.settings.metrics_token)):
        abort(404)
    body, content_type = metrics.render(lambda: _scraped(rt))
    return Response(body, content_type=content_type, headers=NO_STORE)


def _has_token(token: str) -> bool:
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def _from_this_host() -> bool:
    """The TCP peer is this host and no proxy forwarded the request. The peer as the server saw it, not
    remote_addr after ProxyFix (FAPIAO_PROXY_HOPS), which X-Forwarded-For fills; and since nginx on this host is a
    loopback peer for every outside client, a forwarded request is never local (nginx answers /metrics with a 404
    itself, too)."""
    if request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded"):
        return False
    environ = request.environ
    peer = environ.get("werkzeug.proxy_fix.orig", environ).get("REMOTE_ADDR") or ""
    try:
        addr = ipaddress.ip_address(peer)
    except ValueError:
        return False
    mapped = getattr(addr, "ipv4_mapped", None)  # ::ffff:127.0.0.1 on a dual-stack socket
    return (mapped or addr).is_loopback


# -- read from the database at scrape time -----------------------------------------------------------------------
_kinds_seen: set[str] = set()  # a job kind once seen keeps its series (at 0) in this process


def _scraped(rt: Runtime) -> list[metrics.Family]:
    out: list[metrics.Family] = []
    try:
        with database.connection_context():
            for read in (_queue_depth, _connector_state, _backup_age):
                try:
                    out.extend(read(rt))
                except Exception:  # noqa: BLE001 - one reading missing, the others still scraped
                    log.warning("metrics: %s not read", read.__name__, exc_info=True)
    except Exception as exc:  # noqa: BLE001
        log.warning("metrics: the database is away, its readings left out: %s", exc)
    return out


def _queue_depth(rt: Runtime) -> list[metrics.Family]:
    counts = jobrows.depth()
    _kinds_seen.update(kind for kind, _ in counts)
    samples = tuple(((kind, state), float(counts.get((kind, state), 0)))
                    for kind in sorted(_kinds_seen) for state in jobrows.ACTIVE)
    return [metrics.Family("fapiao_queue_depth", "Jobs not finished, by kind and state (the job table)",
                           ("kind", "state"), samples)]


def _connector_state(rt: Runtime) -> list[metrics.Family]:
    snap = health.snapshot(rt)
    state = health.condition(snap)
    return [metrics.Family("fapiao_connector_state", "The authority connector's health: 1 for the state it is in",
                           ("state",), tuple(((s,), float(s == state)) for s in CONNECTOR_STATES)),
            metrics.Family("fapiao_connector_failures", "Failed authority calls in a row", (),
                           (((), float(snap["failures"])),))]


def _backup_age(rt: Runtime) -> list[metrics.Family]:
    last = records.last_good()
    if last is None:  # absent, not 0: no backup is not a fresh one
        return []
    age = (rt.clock.now() - records.finished_at(last)).total_seconds()
    return [metrics.Family("fapiao_backup_age_seconds", "Seconds since the last backup that finished well", (),
                           (((), max(0.0, age)),))]
