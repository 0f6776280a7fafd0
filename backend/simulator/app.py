"""The simulator's HTTP API (JSON). Shapes are what backend/sync/connector.py expects.

    POST /api/v1/verify                 one 查验 (counts against the invoice's daily quota)
    GET  /api/v1/ledger?since=&buyer=   the named taxpayers' invoices that became findable or changed since a
                                        cursor (`buyer` is required: a ledger is one taxpayer's, never all); a
                                        page, its cursor (opaque) and whether more follow at once (`more`)
    POST /api/v1/invoices               issue an invoice (findable after a sampled or given delay)
    POST /api/v1/invoices/<key>/state   void (作废) or red-flush (红冲) it
    POST /api/v1/import                 seed from an official export file (findable at once)
    GET|PUT /api/v1/config              outage windows, latency, error rate
    GET  /health                        the only call without the token

Every other call needs `Authorization: Bearer <FAPIAO_SIMULATOR_TOKEN>` (401 otherwise). It listens on
127.0.0.1 unless FAPIAO_SIMULATOR_HOST says otherwise.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
import time

from flask import Flask, jsonify, request

from ..clock import Clock, SystemClock
from ..errors import AppError
from ..parse import utc_datetime
from ..settings import Settings, SettingsError
from ..sync.exportfile import read_export
from ..sync.matching import invoice_key
from ..sync.types import Query
from . import auth, store
from .rules import authorised, in_ledger, is_down, maintenance_until, sync_delay, verify

FEED_PAGE = 1000
STATES = ("normal", "voided", "red_flushed")
QUERY_FIELDS = ("invoice_code", "invoice_number", "issue_date", "amount", "total", "check_code")
ISSUED_FIELDS = ("invoice_code", "invoice_number", "issue_date", "amount", "tax", "total", "check_code",
                 "buyer_name", "buyer_tax_id", "seller_name", "seller_tax_id")
_BAD: dict = {}  # the answer of _body() for a body it cannot use (compared by identity)


class SimState:
    def __init__(self, settings: Settings, clock: Clock, rng: random.Random) -> None:
        self.config = settings.simulator
        self.time_scale = settings.time_scale
        self.clock = clock
        self.rng = rng


def create_simulator(settings: Settings, clock: Clock | None = None, rng: random.Random | None = None) -> Flask:
    if not settings.simulator_token:
        raise SettingsError("the simulator needs a token: FAPIAO_SIMULATOR_TOKEN, or DATA_DIR/simulator_token")
    app = Flask("fapiao_simulator")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store.open_store(str(settings.data_dir / "simulator.db"))
    state = SimState(settings, clock or SystemClock(), rng or random.Random(settings.simulator.seed))
    app.extensions["sim"] = state
    if settings.simulator.ledger_file:
        seed_from_export(settings.simulator.ledger_file.read_bytes(), settings.simulator.ledger_file.name,
                         state.clock.now())

    @app.before_request
    def authenticate():
        if request.path == "/health":
            return None
        if not auth.token_ok(auth.bearer(request.headers.get("Authorization")), settings.simulator_token):
            return jsonify(error="unauthorized"), 401, {"WWW-Authenticate": "Bearer"}
        return None

    @app.before_request
    def faults():
        if request.path.startswith("/api/v1/config"):
            return None  # the operator can always reach the controls
        cfg = state.config
        if cfg.latency_ms:
            time.sleep(cfg.latency_ms / 1000)
        until = maintenance_until(state.clock.now(), cfg)
        if until is not None:
            return jsonify(error="maintenance", until=until.isoformat() + "Z"), 503, {"Retry-After": "3600"}
        if is_down(state.clock.now(), cfg):
            return jsonify(error="down"), 503
        if cfg.error_rate and state.rng.random() < cfg.error_rate:
            return jsonify(error="internal"), 500
        return None

    @app.errorhandler(AppError)
    def app_error(exc: AppError):
        return jsonify(error=exc.key, params=exc.params), exc.http_status

    @app.get("/health")
    def health():
        return jsonify(ok=True, now=state.clock.now().isoformat())

    @app.post("/api/v1/verify")
    def verify_one():
        body = _body(QUERY_FIELDS)
        number = body.get("invoice_number") or ""
        if body is _BAD or not (number.isascii() and number.isdigit()):
            return jsonify(error="bad_request"), 400
        query = Query(body.get("invoice_code") or None, number, body.get("issue_date"), body.get("amount"),
                      body.get("total"), body.get("check_code"))
        now = state.clock.now()
        before = store.count_lookup(query.key, now, state.time_scale)
        row = store.get(query.key)
        result = verify(row.as_issued() if row else None, query, now=now, lookups_today=before,
                        config=state.config)
        return jsonify(result.as_dict())

    @app.get("/api/v1/ledger")
    def ledger():
        since = request.args.get("since")
        try:
            since_at = _position(since) if since else None
        except (ValueError, OverflowError):
            return jsonify(error="bad_cursor"), 400
        buyers = auth.taxpayers(request.args.get("buyer"))
        if buyers is None:
            return jsonify(error="buyer_required"), 400
        now = state.clock.now()
        refused = [b for b in buyers if not authorised(b, state.config)]
        rows = store.changed(since_at, now, [b for b in buyers if b not in refused], FEED_PAGE)
        more = len(rows) == FEED_PAGE
        return jsonify(rows=[{**r.fields, "key": r.key, "state": r.state} for r in rows
                             if in_ledger(r.fields, now, state.config)],
                       cursor=_cursor(*_page_end(rows, now, more)), more=more, refused=refused)

    @app.post("/api/v1/invoices")
    def issue():
        body = _body(ISSUED_FIELDS)
        if body is _BAD:
            return jsonify(error="bad_request"), 400
        key = invoice_key(body.get("invoice_code"), body.get("invoice_number"))
        if key is None or body.get("state", "normal") not in STATES:
            return jsonify(error="bad_request"), 400
        now = state.clock.now()
        hours = body.get("delay_hours")
        if hours is not None and not _number(hours, 0, 24 * 366 * 10):
            return jsonify(error="bad_request", field="delay_hours"), 400
        delay = (dt.timedelta(hours=float(hours) * state.time_scale) if hours is not None
                 else sync_delay(state.rng, state.config, state.time_scale))
        fields = {k: body.get(k) for k in ISSUED_FIELDS}
        row, created = store.issue(key, fields, now, now + delay, body.get("state", "normal"),
                                   replace=bool(body.get("replace")))
        return jsonify(key=row.key, visible_at=row.visible_at.isoformat(), created=created), 201 if created else 200

    @app.post("/api/v1/invoices/<key>/state")
    def set_state(key: str):
        body = request.get_json(silent=True)
        new = body.get("state") if isinstance(body, dict) else None
        if not isinstance(new, str) or new not in STATES:
            return jsonify(error="bad_request"), 400
        if not store.set_state(key, new, state.clock.now()):
            return jsonify(error="not_found"), 404
        return jsonify(key=key, state=new)

    @app.post("/api/v1/import")
    def import_export():
        upload = request.files.get("file")
        if upload is None:
            return jsonify(error="bad_request"), 400
        rows, added, problems = seed_from_export(upload.read(), upload.filename or "", state.clock.now())
        return jsonify(rows=rows, added=added, problems=problems)

    @app.get("/api/v1/config")
    def get_config():
        return jsonify(_config_json(state.config))

    @app.put("/api/v1/config")
    def put_config():
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return jsonify(error="bad_request"), 400
        try:
            changes = _config_changes(body, state.config)
        except (TypeError, ValueError, OverflowError) as exc:
            return jsonify(error="bad_request", field=str(exc)), 400
        state.config = dataclasses.replace(state.config, **changes)
        return jsonify(_config_json(state.config))

    return app


# What PUT /api/v1/config may change, and the range each must lie in.
_CONFIG_RANGES = {"error_rate": (0.0, 1.0), "latency_ms": (0, 60_000), "daily_quota": (0, 10_000),
                  "delay_median_hours": (0.0, 24.0 * 366), "offline_share": (0.0, 1.0)}


def _config_changes(body: dict, config) -> dict:
    """The changes a config body asks for; ValueError (naming the field) for any it cannot apply."""
    changes: dict = {}
    for name in ("outages", "maintenance"):
        if name in body:
            changes[name] = _windows(body[name], name)
    for name, (lo, hi) in _CONFIG_RANGES.items():
        if name in body:
            if not _number(body[name], lo, hi):
                raise ValueError(name)
            changes[name] = type(getattr(config, name))(body[name])
    if "taxpayers" in body:
        ids = body["taxpayers"]
        if not isinstance(ids, list) or not all(isinstance(t, str) and 0 < len(t) <= auth.MAX_TAX_ID for t in ids):
            raise ValueError("taxpayers")
        changes["taxpayers"] = tuple(t.upper() for t in ids)
    if "unsupported_regions" in body:
        regions = body["unsupported_regions"]
        if not isinstance(regions, list) or not all(isinstance(r, str) and len(r) == 2 for r in regions):
            raise ValueError("unsupported_regions")
        changes["unsupported_regions"] = tuple(regions)
    return changes


def _windows(windows, name: str) -> tuple:
    if not isinstance(windows, list) or not all(isinstance(w, list) and len(w) == 2 for w in windows):
        raise ValueError(name)
    try:
        return tuple((utc_datetime(a), utc_datetime(b)) for a, b in windows)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(name) from None


def _body(text_fields: tuple[str, ...]) -> dict:
    """The JSON object of the request, its invoice fields text or null; _BAD otherwise."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not all(isinstance(body.get(k), str | None) for k in text_fields):
        return _BAD
    return body


def _number(value, lo: float, hi: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and lo <= value <= hi


def _page_end(rows: list, now: dt.datetime, more: bool) -> tuple[dt.datetime, int]:
    """Where the next page starts: after the last row sent when the page was full; otherwise before every row of
    this very time, which may still change at it (a row of a smaller id voided at the same instant), so those rows
    come again (only on a clock that stands still: the fake one) and the ledger keeps them as they are."""
    if more:
        return rows[-1].changed_at, rows[-1].id
    return now, 0


def _cursor(at: dt.datetime, row_id: int) -> str:
    """The feed's position as the app gets it: opaque to the app, which stores it and sends it back unchanged."""
    return f"{at.isoformat()}/{row_id}"


def _position(cursor: str) -> tuple[dt.datetime, int]:
    """A cursor as (changed_at, id). A plain time is a cursor from before the id broke ties (an installation
    upgraded mid-feed): it reads as (time, before any row), so rows at that very time are sent again, never lost."""
    at, _, row_id = cursor.partition("/")
    if row_id and not (row_id.isascii() and row_id.isdigit() and len(row_id) <= 18):
        raise ValueError(cursor)
    return utc_datetime(at), int(row_id or 0)


def seed_from_export(data: bytes, filename: str, now: dt.datetime) -> tuple[int, int, list[dict]]:
    """Invoices in an official export are already at the platform: findable at once."""
    parsed = read_export(data, filename)
    added = sum(store.issue(r.key, r.values, now, now, r.values["state"], replace=True)[1] for r in parsed.rows)
    return len(parsed.rows), added, parsed.problems


def _config_json(cfg) -> dict:
    out = dataclasses.asdict(cfg)
    out["outages"] = [[a.isoformat(), b.isoformat()] for a, b in cfg.outages]
    out["maintenance"] = [[a.isoformat(), b.isoformat()] for a, b in cfg.maintenance]
    out["ledger_file"] = str(cfg.ledger_file) if cfg.ledger_file else None
    return out


def bind_address(settings: Settings) -> tuple[str, int]:
    """Where `fapiao simulator` listens: FAPIAO_SIMULATOR_HOST (127.0.0.1 by default, whatever FAPIAO_HOST
    says: the web app may face the network, its stand-in for the authority does not), on port + 1."""
    from urllib.parse import urlsplit

    return settings.simulator_host, urlsplit(settings.authority_url).port or settings.port + 1


def serve(settings: Settings) -> None:
    """`fapiao simulator`: a plain threaded WSGI server on port + 1 (not eventlet: nothing patched)."""
    from werkzeug.serving import run_simple

    # One access line per feed poll (every tick) would drown the app's own log.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    host, port = bind_address(settings)
    run_simple(host, port, create_simulator(settings), threaded=True, use_reloader=False)
