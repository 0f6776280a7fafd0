"""No odd input gives a 500: a bad parameter is a 400 naming it, and any odd value is a 4xx with an error key.

Two tables. The first: parameters the API reads, each with the values that used to break a parser (digits
`int()` refuses though `isdigit()` takes them, more digits than `int()` reads, times UTC cannot hold, JSON of
the wrong shape), each a 400 naming the field. The second: every API route, every parameter it declares
(api/declare.py), each with the same traps, never a 500. (tests/test_api_fuzz.py generates requests from
the API's description; these are the hand-picked values a generator rarely reaches.)"""

from __future__ import annotations

import pytest

from backend.api.declare import takes_of
from backend.db import database
from backend.models import Role, Team
from backend.services.users import create_user

from . import factories
from .helpers import PASSWORD, login

HUGE = "9" * 5000  # past the 4300 digits int() reads
# Query-string values that broke parsers: int("²") after isdigit(); int(HUGE); an aware time next to year 1
# or 9999 on its way to UTC; a number no database column holds.
TRAPS = ["²", HUGE, "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "9" * 20]
# JSON values of the wrong shape or size: unhashable where a key is looked up, ints no column holds.
JSON_TRAPS = [[], {"a": 1}, 2**70, -(2**70), 1e308, HUGE, True]
SKIP = ("/api/auth/logout",)  # would end the test's own session


@pytest.fixture
def world(app, client, clock):
    """A site admin signed in, with one of everything a route may name by id."""
    with database.connection_context():
        create_user(clock, "root", PASSWORD, is_admin=True, team_name="Team A", role=Role.ADMIN)
        other = create_user(clock, "other", PASSWORD, team_name="Team A", role=Role.SUBMITTER)
        team = Team.get(Team.name == "Team A")
        inv = factories.invoice(team, other, status="extracted")
    login(client, "root")
    claim = client.post("/api/claims", json={"team_id": team.id, "purpose": "trip"}).json
    view = client.post("/api/views", json={"team_id": team.id, "name": "v", "query": "q=x"}).json
    client.post(f"/api/teams/{team.id}/entities", json={"name": "甲", "tax_id": "91110000MA00000001"})
    entities = client.get(f"/api/teams/{team.id}/entities").json.get("entities") or [{"id": 1}]
    return {"invoice_id": inv.id, "claim_id": (claim.get("claim") or claim).get("id", 1), "team_id": team.id,
            "user_id": other.id, "view_id": (view.get("view") or {}).get("id", 1), "entity_id": entities[0]["id"]}


# -- table 1: a bad value is a 400 naming its parameter -------------------------------------------------------
QUERY_TABLE = [
    ("/api/invoices", "updated_since", ["yesterday", "2026-13-01", "0001-01-01T00:00:00+14:00",
                                        "9999-12-31T23:59:59-14:00", "9999-12-31T23:59:59.999999-00:01"]),
    ("/api/invoices", "limit", ["x", "-1", "201", "+5", "1_0", "1e3", "²", "١٢", HUGE]),
    ("/api/invoices", "offset", ["x", "-1", "²", HUGE]),
    ("/api/invoices", "cursor", ["x", "²", HUGE, str(2**63)]),
    ("/api/invoices", "team_id", ["x", "0", "²", HUGE, str(2**63)]),
    ("/api/invoices", "uploaded_by", ["x", "0", "²", HUGE]),
    ("/api/invoices", "claim", ["x", "²", HUGE]),
    ("/api/invoices", "date_from", ["2026-02-30", "x", "²"]),
    ("/api/invoices", "amount_min", ["x", "NaN", "inf", "1e400", HUGE]),
    ("/api/invoices", "duplicate", ["maybe"]),
    ("/api/invoices", "sort", ["nonsense"]),
    ("/api/invoices", "status", ["nonsense"]),
    ("/api/events", "after", ["x", "-1", "²", HUGE, str(2**63)]),
    ("/api/events", "limit", ["x", "0", "501", HUGE]),
    ("/api/claims", "team_id", ["x", "0", "²", HUGE]),
    ("/api/dashboard", "team_id", ["x", "0", "²", HUGE]),
    ("/api/ledger", "team_id", ["x", "0", "²", HUGE]),
    ("/api/export", "ids", ["x", "1,x", "²", HUGE, str(2**63), ",".join(["1"] * 5001)]),
    ("/api/export", "team_id", ["x", "²", HUGE]),
    ("/api/export", "uploaded_by", ["²", HUGE]),
    ("/api/audit", "before", ["x", "0", "²", HUGE]),
]


@pytest.mark.parametrize(("path", "key", "values"), QUERY_TABLE, ids=[f"{p}?{k}" for p, k, _ in QUERY_TABLE])
def test_a_bad_query_parameter_is_a_400_naming_it(client, world, path, key, values):
    for value in values:
        res = client.get(path, query_string={key: value})
        assert res.status_code == 400, (key, value[:30], res.status_code, res.json)
        assert res.json["error"]["key"] == "request.invalid"
        assert res.json["error"]["params"].get("field") == key, (value[:30], res.json)


BODY_TABLE = [
    ("/api/invoices/bulk", {"ids": [1]}, "action", [[], {"a": 1}, 7, None, "nonsense"]),
    ("/api/invoices/{invoice_id}/fields", {"value": "x"}, "field", [[], {"a": 1}, 7, None, "nonsense"]),
    ("/api/claims", {"team_id": "{team_id}", "purpose": "p"}, "claimant_id", [[], {"a": 1}, 2**70, 1e308, "x"]),
]


@pytest.mark.parametrize(("path", "base", "key", "values"), BODY_TABLE, ids=[f"{p} {k}" for p, _, k, _ in BODY_TABLE])
def test_a_bad_body_value_is_a_400_naming_it(client, world, path, base, key, values):
    path = path.format(**world)
    base = {k: world[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v for k, v in base.items()}
    for value in values:
        res = client.post(path, json={**base, key: value})
        assert res.status_code == 400, (key, value, res.status_code, res.json)
        assert res.json["error"]["key"] == "request.invalid"
        assert res.json["error"]["params"].get("field") == key, (value, res.json)


# -- table 2: every declared parameter of every route, with every trap: never a 500 -------------------------
def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and not rule.rule.startswith(SKIP):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield rule, method, takes_of(app.view_functions[rule.endpoint])


def _path(rule, ids: dict) -> str:
    out = rule.rule
    for name in rule.arguments:
        for conv in ("int:", "string:", "path:", ""):
            out = out.replace(f"<{conv}{name}>", str(ids.get(name, 1)))
    return out


def _improper(res) -> str | None:
    """Why an answer is not a proper one: a 500, or a JSON 4xx without an error key; None when it is."""
    if res.status_code >= 500 and res.status_code != 503:
        return str(res.status_code)
    if 400 <= res.status_code < 500 and res.is_json:
        err = (res.json or {}).get("error")
        if not isinstance(err, dict) or not err.get("key"):
            return f"{res.status_code} without a key"
    return None


def test_no_declared_parameter_of_any_route_gives_a_500(app, client, world):
    failures, tried = [], 0
    for rule, method, takes in _routes(app):
        path = _path(rule, world)
        body_keys = list((takes.body or {}).get("properties", {}))
        for key in takes.query:
            for value in TRAPS:
                tried += 1
                if why := _improper(client.open(path, method=method, query_string={key: value})):
                    failures.append(f"{method} {rule.rule} ?{key}={value[:26]}…: {why}")
        for key in body_keys:
            for value in JSON_TRAPS:
                tried += 1
                if why := _improper(client.open(path, method=method, json={key: value})):
                    failures.append(f"{method} {rule.rule} {{{key}: {str(value)[:26]}}}: {why}")
        if method != "GET":
            login(client, "root")  # a route may have changed the session (a password, the person's own role)
    assert tried > 200  # the declarations were found: this is a sweep, not an empty loop
    assert failures == [], "\n".join(failures)


def test_a_database_that_is_away_is_a_503_to_retry_not_a_500(client, make_user, monkeypatch):
    """PostgreSQL restarting: a connection cannot be had. The request is refused for now (503, Retry-After), in
    the JSON error format, translated; the next one, with the database back, works."""
    import peewee

    make_user("alice")
    login(client, "alice")

    def refused(*args, **kwargs):
        raise peewee.OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    monkeypatch.setattr(database.obj, "connect", refused)  # the proxy's database, as the request hook reaches it
    res = client.get("/api/invoices", headers={"Accept-Language": "en"})
    assert res.status_code == 503 and res.headers["Retry-After"] == "2"
    assert res.json["error"]["key"] == "server.unavailable" and "try again" in res.json["error"]["message"]
    monkeypatch.undo()
    assert client.get("/api/invoices").status_code == 200
