"""The simulator's HTTP API (JSON). Shapes are what backend/sync/connector.py expects.

    POST /api/v1/verify                 one 查验 (counts against the invoice's daily quota)
    GET  /api/v1/ledger?since=&buyer=   invoices that became findable or changed since a cursor
    POST /api/v1/invoices               issue an invoice (findable after a sampled or given delay)
    POST /api/v1/invoices/<key>/state   void (作废) or red-flush (红冲) it
    POST /api/v1/import                 seed from an official export file (findable at once)
    GET|PUT /api/v1/config              outage windows, latency, error rate
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
from ..settings import Settings
from ..sync.exportfile import read_export
from ..sync.matching import invoice_key
from ..sync.types import Query
from . import store
from .rules import is_down, sync_delay, verify

FEED_PAGE = 1000
STATES = ("normal", "voided", "red_flushed")


class SimState:
    def __init__(self, settings: Settings, clock: Clock, rng: random.Random) -> None:
        self.config = settings.simulator
        self.time_scale = settings.time_scale
        self.clock = clock
        self.rng = rng


def create_simulator(settings: Settings, clock: Clock | None = None, rng: random.Random | None = None) -> Flask:
    app = Flask("fapiao_simulator")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store.open_store(str(settings.data_dir / "simulator.db"))
    state = SimState(settings, clock or SystemClock(), rng or random.Random(settings.simulator.seed))
    app.extensions["sim"] = state
    if settings.simulator.ledger_file:
        seed_from_export(settings.simulator.ledger_file.read_bytes(), settings.simulator.ledger_file.name,
                         state.clock.now())

    @app.before_request
    def faults():
        if request.path.startswith("/api/v1/config"):
            return None  # the operator can always reach the controls
        cfg = state.config
        if cfg.latency_ms:
            time.sleep(cfg.latency_ms / 1000)
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
        body = request.get_json(silent=True) or {}
        number = str(body.get("invoice_number") or "")
        if not number.isdigit():
            return jsonify(error="bad_request"), 400
        query = Query(body.get("invoice_code") or None, number, body.get("issue_date"), body.get("amount"),
                      body.get("total"), body.get("check_code"))
        now = state.clock.now()
        before = store.count_lookup(query.key, now)
        row = store.get(query.key)
        result = verify(row.as_issued() if row else None, query, now=now, lookups_today=before,
                        config=state.config)
        return jsonify(result.as_dict())

    @app.get("/api/v1/ledger")
    def ledger():
        since = request.args.get("since")
        try:
            since_at = dt.datetime.fromisoformat(since) if since else None
        except ValueError:
            return jsonify(error="bad_cursor"), 400
        buyers = [b for b in request.args.get("buyer", "").split(",") if b]
        now = state.clock.now()
        rows = store.changed(since_at, now, buyers, FEED_PAGE)
        cursor = rows[-1].changed_at if len(rows) == FEED_PAGE else now
        return jsonify(rows=[{**r.fields, "key": r.key, "state": r.state} for r in rows],
                       cursor=cursor.isoformat())

    @app.post("/api/v1/invoices")
    def issue():
        body = request.get_json(silent=True) or {}
        key = invoice_key(body.get("invoice_code"), body.get("invoice_number"))
        if key is None or body.get("state", "normal") not in STATES:
            return jsonify(error="bad_request"), 400
        now = state.clock.now()
        hours = body.get("delay_hours")
        delay = (dt.timedelta(hours=float(hours) * state.time_scale) if hours is not None
                 else sync_delay(state.rng, state.config, state.time_scale))
        fields = {k: body.get(k) for k in ("invoice_code", "invoice_number", "issue_date", "amount", "tax", "total",
                                            "check_code", "buyer_name", "buyer_tax_id", "seller_name",
                                            "seller_tax_id")}
        row, created = store.issue(key, fields, now, now + delay, body.get("state", "normal"),
                                   replace=bool(body.get("replace")))
        return jsonify(key=row.key, visible_at=row.visible_at.isoformat(), created=created), 201 if created else 200

    @app.post("/api/v1/invoices/<key>/state")
    def set_state(key: str):
        new = (request.get_json(silent=True) or {}).get("state")
        if new not in STATES:
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
        body = request.get_json(silent=True) or {}
        changes = {}
        if "outages" in body:
            changes["outages"] = tuple((dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b))
                                       for a, b in body["outages"])
        for name in ("error_rate", "latency_ms", "daily_quota", "delay_median_hours", "offline_share"):
            if name in body:
                changes[name] = type(getattr(state.config, name))(body[name])
        if "unsupported_regions" in body:
            changes["unsupported_regions"] = tuple(body["unsupported_regions"])
        state.config = dataclasses.replace(state.config, **changes)
        return jsonify(_config_json(state.config))

    return app


def seed_from_export(data: bytes, filename: str, now: dt.datetime) -> tuple[int, int, list[dict]]:
    """Invoices in an official export are already at the platform: findable at once."""
    parsed = read_export(data, filename)
    added = sum(store.issue(r.key, r.values, now, now, r.values["state"], replace=True)[1] for r in parsed.rows)
    return len(parsed.rows), added, parsed.problems


def _config_json(cfg) -> dict:
    out = dataclasses.asdict(cfg)
    out["outages"] = [[a.isoformat(), b.isoformat()] for a, b in cfg.outages]
    out["ledger_file"] = str(cfg.ledger_file) if cfg.ledger_file else None
    return out


def serve(settings: Settings) -> None:
    """`fapiao simulator`: a plain threaded WSGI server on port + 1 (not eventlet: nothing patched)."""
    from urllib.parse import urlsplit

    from werkzeug.serving import run_simple

    # One access line per feed poll (every tick) would drown the app's own log.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = urlsplit(settings.authority_url).port or settings.port + 1
    run_simple(settings.host, port, create_simulator(settings), threaded=True, use_reloader=False)
