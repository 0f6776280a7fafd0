"""A property-based fuzz of the whole REST API from its own description (GET /api/openapi.json): schemathesis
generates requests for every operation, valid ones and, where an operation takes input, invalid ones, and sends
them to the app in-process as a signed-in site admin who is the admin of a team with invoices, a claim, a saved
view and a buyer entity. No answer may be a 500, every error must be the API's error object, and no route may
read a query or body key its declaration (api/declare.py) does not list.

The examples are derandomised (the same ones every run) and bounded per operation: about a minute on two cores
(FAPIAO_FUZZ_EXAMPLES raises the bound for a longer hunt).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass

import jsonschema
import pytest
import schemathesis
from flask import g, request
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from werkzeug.datastructures import ImmutableMultiDict

from backend import auth
from backend.api import openapi
from backend.api.declare import takes_of
from backend.db import database
from backend.models import Role, Team, User
from backend.services import claims, entities, sessions, views
from backend.services.users import create_user

from . import factories
from .helpers import PASSWORD, login

EXAMPLES = int(os.environ.get("FAPIAO_FUZZ_EXAMPLES", "15"))
CSRF = {"X-Requested-With": "fuzz"}
ERROR = jsonschema.Draft202012Validator(openapi.ERROR_SCHEMA)


# -- what each request reads ------------------------------------------------------------------------------
class _Recording(dict):
    """A JSON body that notes the keys read from it."""

    def __init__(self, data: dict, seen: set):
        super().__init__(data)
        self._seen = seen

    def get(self, key, default=None):
        self._seen.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self._seen.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._seen.add(key)
        return super().__contains__(key)


class _RecordingArgs(ImmutableMultiDict):
    """The query string, noting the keys read from it."""

    seen: set

    def get(self, key, default=None, type=None):  # noqa: A002 (MultiDict's own signature)
        self.seen.add(key)
        return super().get(key, default, type)

    def __getitem__(self, key):
        self.seen.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.seen.add(key)
        return super().__contains__(key)

    def getlist(self, key, type=None):  # noqa: A002
        self.seen.add(key)
        return super().getlist(key, type)


def _record_reads(app, undeclared: set) -> None:
    """Every request's query keys and JSON body keys read are checked against the route's declaration.
    (Form fields are not recorded: parsing the form here would change how a bad multipart body fails.)"""

    @app.before_request
    def wrap():
        g.fuzz_seen = set()
        args = _RecordingArgs(request.args)
        args.seen = g.fuzz_seen
        request.args = args
        if request.is_json:
            body = request.get_json(silent=True)
            if isinstance(body, dict):
                wrapped = _Recording(body, g.fuzz_seen)
                request._cached_json = (wrapped, wrapped)

    @app.after_request
    def check(response):
        view = app.view_functions.get(request.endpoint or "")
        if view is not None and request.path.startswith("/api/"):
            for key in g.get("fuzz_seen", set()) - takes_of(view).reads():
                undeclared.add(f"{request.method} {request.url_rule.rule}: reads {key!r}")
        return response


# -- the data the requests meet ---------------------------------------------------------------------------
def _seed(rt, clock) -> dict[str, list]:
    """A site admin (team admin of Team A), a submitter of Team A, another team with its own person; invoices
    of both teams, a claim of Team A, a saved view, a buyer entity: the path parameters half of the requests
    take (a claim's actions too)."""
    with database.connection_context():
        root = create_user(clock, "root", PASSWORD, is_admin=True, team_name="Team A", role=Role.ADMIN)
        sam = create_user(clock, "sam", PASSWORD, team_name="Team A", role=Role.SUBMITTER)
        bob = create_user(clock, "bob", PASSWORD, team_name="Team B", role=Role.ADMIN)
        team_a, team_b = Team.get(Team.name == "Team A"), Team.get(Team.name == "Team B")
        mine = [factories.invoice(team_a, root) for _ in range(3)] + [factories.invoice(team_a, sam)]
        dup = factories.invoice(team_a, sam, invoice_number=mine[0].fields["invoice_number"]["value"])
        theirs = factories.invoice(team_b, bob)
        claim = claims.create(rt, team_a, root, "出差 fuzz")
        claims.add(rt, claim, root, mine[:2])
        view = views.save(rt, root, team_a, "fuzz", "status=found&sort=-total")
        entities.add(rt, team_a, "北京示例科技有限公司", "91110108MA01ABCD3X")
        entity_ids = [row["id"] for row in entities.listing(team_a)]
    return {"invoice_id": [i.id for i in (*mine, dup, theirs)], "claim_id": [claim.id],
            "team_id": [team_a.id, team_b.id], "user_id": [root.id, sam.id, bob.id], "view_id": [view["id"]],
            "entity_id": entity_ids, "import_id": [1], "action": ["submit", "reopen", "approve", "return"]}


# which seeded rows a generated value of each key may become
POOLS = {"invoice_id": "invoice_id", "ids": "invoice_id", "invoice_ids": "invoice_id", "claim_id": "claim_id",
         "claim": "claim_id", "team_id": "team_id", "user_id": "user_id", "claimant_id": "user_id",
         "uploaded_by": "user_id", "view_id": "view_id", "entity_id": "entity_id", "import_id": "import_id",
         "action": "action"}


def _toward_rows(values, known: dict[str, list]) -> None:
    """Two of three generated ids (and claim actions) become seeded ones, chosen by the generated value, so the
    requests meet real rows and not only 404s; the third stays as generated (huge, zero, another team's)."""
    if not isinstance(values, dict):
        return
    for key, value in values.items():
        pool = known.get(POOLS.get(key, ""))
        if pool is None:
            if isinstance(value, dict):
                _toward_rows(value, known)  # a bulk action's params
            continue
        if isinstance(value, list):
            values[key] = [_pick(v, pool) for v in value]
        else:
            values[key] = _pick(value, pool)


def _pick(value, pool: list):
    """Ids become ids, words (a claim's action) words: a value of another type stays, for the invalid cases."""
    if isinstance(pool[0], str):
        number = len(value) if isinstance(value, str) else None
    else:
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
    return pool[number % len(pool)] if number is not None and number % 3 else value


@dataclass
class _Session:
    user_id: int
    cookie: str


def _cookie(app, rt, user_id: int) -> str:
    """A new session of the site admin, as a signed cookie (no password: the fuzz signs in wrongly on its own
    and would get the address throttled)."""
    with database.connection_context():
        User.update(disabled_at=None).where(User.id == user_id).execute()
        token = sessions.start(rt.clock, User.get_by_id(user_id), "127.0.0.1", "fuzz")
    return app.session_interface.get_signing_serializer(app).dumps({auth.SESSION_KEY: token, "_permanent": True})


# -- the fuzz ---------------------------------------------------------------------------------------------
def _request_text(case) -> str:
    """The request as a person reads it: method, path, query and body (no cookie, no headers)."""
    body = "" if case.body is None or type(case.body).__name__ == "NotSet" else f" body={case.body!r:.300}"
    query = f" query={case.query}" if case.query else ""
    return f"{case.method} {case.formatted_path}{query}{body}"


def _problems(app, rt, operation, ids, session, mode: GenerationMode) -> list[str]:
    found: list[str] = []
    name, user_id = app.config["SESSION_COOKIE_NAME"], session.user_id

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, print_blob=False,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink])
    @given(case=operation.as_strategy(generation_mode=mode))
    def one(case):
        for part in (case.path_parameters, case.query, case.body):
            _toward_rows(part, ids)
        response = case.call(headers=CSRF, cookies={name: session.cookie})
        if response.status_code == 401 and response.json()["error"]["key"] == "auth.required":
            session.cookie = _cookie(app, rt, user_id)  # a fuzzed sign-out (or reset) ended it: sign in again
            response = case.call(headers=CSRF, cookies={name: session.cookie})
        status, sent = response.status_code, _request_text(case)
        assert status < 500, f"{sent} → {status}: {response.text[:300]}"
        if status >= 400:
            body = response.json()
            # An upload refused whole answers each file's own result, each with the error object.
            answers = [{"error": r.get("error")} for r in body["results"]] if "results" in body else [body]
            errors = [e.message for answer in answers for e in ERROR.iter_errors(answer)]
            assert not errors, f"{sent} → {status}, not the error object: {errors} in {body}"

    try:
        one()
    except Exception as exc:  # the smallest failing request, as hypothesis shrank it
        found.append(f"{operation.label} ({mode.value}): {exc}".strip())
    return found


@pytest.fixture
def api(app, rt, clock):
    undeclared: set[str] = set()
    _record_reads(app, undeclared)
    ids = _seed(rt, clock)
    doc = app.test_client().get("/api/openapi.json").json
    schema = schemathesis.openapi.from_dict(doc)
    schema.app = app
    return schema, ids, undeclared


def test_no_request_is_a_server_error_and_every_error_is_the_error_object(app, rt, api):
    schema, ids, undeclared = api
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == sum(len(item) for item in openapi.cached(app)["paths"].values())
    problems, session = [], _Session(ids["user_id"][0], _cookie(app, rt, ids["user_id"][0]))
    for operation in operations:
        takes_input = bool(operation.path_parameters or operation.query or operation.body)
        modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if takes_input else [])
        for mode in modes:
            problems += _problems(app, rt, operation, ids, session, mode)
    assert problems == [], "\n\n".join(problems)
    assert sorted(undeclared) == []


# The 500s this fuzz found, and those of the same kind found beside them, as the smallest inputs: now refused.
WERE_500S = [
    ("get", "/api/invoices/9223372036854775808", None, 404),  # 2**63: SQLite OverflowError (every <int:id>)
    ("get", "/api/ledger/imports/9223372036854775808", None, 404),
    ("post", "/api/claims", {"team_id": 1, "purpose": "x", "claimant_id": []}, 400),  # a list as an id
    ("post", "/api/claims", {"team_id": 1, "purpose": "x", "claimant_id": 2**63}, 400),
    ("post", "/api/invoices/bulk", {"action": "add_to_claim", "query": "", "params": {"claim_id": 2**63}}, 400),
    ("get", "/api/invoices?uploaded_by=²", None, 400),  # isdigit() yet not int()
    ("get", "/api/invoices?limit=²", None, 400),
    ("get", "/api/export?claim=²", None, 400),
    # PostgreSQL takes no NUL in text: each of these reached a query or a row (the fuzz on PostgreSQL found the first)
    ("get", "/api/audit/export?actor=%00", None, 400),
    ("get", "/api/claims?team_id=1&state=%00", None, 400),
    ("post", "/api/auth/login", {"username": "a\x00", "password": "x"}, 400),
    ("post", "/api/claims", {"team_id": 1, "purpose": "a\x00"}, 400),
    ("post", "/api/views", {"team_id": 1, "name": "v", "query": "q=\x00"}, 400),
    ("post", "/api/invoices/bulk", {"action": "check", "query": "", "params": {"x": ["\x00"]}}, 400),
    ("post", "/api/validate", b"[" * 5000 + b"]" * 5000, 400),  # nested past json's recursion: RecursionError
    ("get", "/api/audit?date_from=0001-01-01", None, 400),  # China midnight before year 1: OverflowError
    ("get", "/api/audit?date_to=9999-12-31", None, 400),  # the day after it
]


@pytest.mark.parametrize(("method", "url", "body", "status"), WERE_500S)
def test_an_input_that_was_a_500_is_refused_with_its_error(app, client, clock, method, url, body, status):
    with database.connection_context():
        create_user(clock, "root", PASSWORD, is_admin=True, team_name="Team A", role=Role.ADMIN)
    login(client, "root")
    if isinstance(body, bytes):
        res = getattr(client, method)(url, data=body, content_type="application/json")
    else:
        res = getattr(client, method)(url, json=body) if body is not None else getattr(client, method)(url)
    assert res.status_code == status, res.json
    assert not list(ERROR.iter_errors(res.json))


def test_a_file_name_with_a_nul_is_kept_without_it(app, client, alice, fake_reader):
    from .media import jpeg

    res = client.post("/api/uploads", data={"files": [(io.BytesIO(jpeg()), "a\x00b.jpg")]},
                      content_type="multipart/form-data")
    assert res.status_code == 200, res.json  # it was a 500 on PostgreSQL
    assert res.json["results"][0]["invoice"]["original_name"] == "ab.jpg"


def test_a_key_read_without_its_declaration_is_caught(app, client):
    """The recorder above can fail: a route that reads a query key and a body key it does not declare."""
    from backend.api.declare import obj, string, takes
    from backend.api.guard import public

    @public
    @takes(query={"a": string()}, body=obj(b=string()))
    def probe():
        """A probe."""
        request.args.get("a"), request.args.get("sneaky")
        body = request.get_json(silent=True)
        return {"b": body.get("b"), "c": body.get("hidden")}

    app.add_url_rule("/api/probe", view_func=probe, methods=["POST"])
    undeclared: set[str] = set()
    _record_reads(app, undeclared)
    assert client.post("/api/probe?a=1&sneaky=2", json={"b": "x"}).status_code == 200
    assert undeclared == {"POST /api/probe: reads 'sneaky'", "POST /api/probe: reads 'hidden'"}
