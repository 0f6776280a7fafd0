"""Every route of the app's URL map × every role, in its own team and in another: what the route declares
(backend/api/guard.py) against what backend/roles.py grants, so a route added without a declaration, or one
whose view lets a role through that the table does not, fails here.

Requests carry a valid example body where one is needed, so that a refusal is the access layer's and an
acceptance is not a validation error standing in for one. Own-only rules and per-action needs have their own
tests below and in tests/test_people.py."""

from __future__ import annotations

import re

import pytest

from backend.api.guard import PUBLIC, SIGNED_IN, SITE_ADMIN, permission_of
from backend.db import database
from backend.models import BuyerEntity, Claim, LedgerImport, Membership, Role, SavedView, Team, User
from backend.roles import grants

from . import factories
from .helpers import PASSWORD, login

ROLES = ("submitter", "accountant", "admin", "auditor", "site_admin")
# Routes whose effect would end the caller's own session or password: checked last, each on a fresh login.
LAST = ("auth.logout", "auth.logout_everywhere", "auth.change_password")


def _routes(app) -> list[tuple[str, str, str]]:
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, rule.rule))
    return sorted(out, key=lambda r: (LAST.index(r[0]) if r[0] in LAST else -1, r))


@pytest.fixture
def world(app, clock, make_user):
    """Team A with one person of each role, Team B with its own admin, and rows of Team A to point at."""
    people = {role: make_user(role, "Team A", role=Role(role)) for role in ROLES[:4]}
    site = make_user("site_admin", "Team A", role=Role.ADMIN)
    User.update(is_admin=True).where(User.id == site.id).execute()
    people["site_admin"] = site
    outsider = make_user("outsider", "Team B", role=Role.ADMIN)
    victim = make_user("victim", "Team A", role=Role.SUBMITTER)
    team = Team.get(Team.name == "Team A")
    with database.connection_context():
        inv = factories.invoice(team, people["submitter"])
        claim = Claim.create(team=team, number="BX-1", claimant=people["submitter"], purpose="差旅",
                             created_at=clock.now(), updated_at=clock.now(), created_by=people["submitter"].id)
        entity = BuyerEntity.create(team=team, name="我们公司", tax_id="91110000MA0000000X", created_at=clock.now())
        record = LedgerImport.create(team=team, filename="x.xlsx", sha256="0" * 64, state="done",
                                     created_at=clock.now())
    return {"people": people, "outsider": outsider, "victim": victim, "team": team, "invoice": inv, "claim": claim,
            "entity": entity, "import": record}


def _path(rule: str, world: dict, role: str) -> str:
    values = {"invoice_id": world["invoice"].id, "claim_id": world["claim"].id, "team_id": world["team"].id,
              "user_id": world["victim"].id, "entity_id": world["entity"].id, "import_id": world["import"].id,
              "action": "submit", "path": "index.html"}
    if "view_id" in rule:
        view = SavedView.create(user=world["people"][role], team=world["team"], name=f"v{SavedView.select().count()}",
                                query="q=1", created_at=world["invoice"].created_at)
        values["view_id"] = view.id
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule)


def _body(endpoint: str, world: dict) -> dict:
    inv, team = world["invoice"].id, world["team"].id
    return {
        "auth.login": {"username": "victim", "password": PASSWORD},
        "auth.change_password": {"current": PASSWORD, "new": "a much longer passphrase 42"},
        "claims.create": {"purpose": "差旅", "team_id": team},
        "claims.add": {"ids": [inv]},
        "invoices.set_booking": {"period": "2026-01", "voucher": "记-1"},
        "invoices.bulk_action": {"action": "check", "ids": [inv]},
        "invoices.correct_field": {"field": "seller_name", "value": "上海某某有限公司"},
        "sync.accept_candidate": {"key": "1100171320-00000001"},
        "sync.add_entity": {"name": "另一公司", "tax_id": "91110000MA0000001X"},
        "views.save": {"name": "mine", "query": "q=1", "team_id": team},
        "people.create_person": {"username": "newbie", "team_id": team, "role": "submitter"},
        "people.set_member": {"role": "auditor"},
        "people.create_team": {"name": "Team C"},
        "people.use_link": {"token": "nope", "password": "a much longer passphrase 42"},
        "validation.check": {"family": "vat_normal", "fields": {}},
    }.get(endpoint, {})


def _allowed(declared, role: str) -> bool:
    if declared in (PUBLIC, SIGNED_IN):
        return True
    if declared == SITE_ADMIN:
        return role == "site_admin"
    return declared in grants(role, site_admin=role == "site_admin")


def _call(client, method: str, path: str, body: dict):
    return client.open(path, method=method, json=body if method != "GET" else None)


def test_every_route_declares_what_it_needs(app):
    missing = [(e, r) for e, _, r in _routes(app) if permission_of(app.view_functions[e]) is None]
    assert missing == []


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_its_grants_say_on_every_route(app, world, role):
    failures = []
    for endpoint, method, rule in _routes(app):
        declared = permission_of(app.view_functions[endpoint])
        client = app.test_client()
        client.environ_base["HTTP_X_REQUESTED_WITH"] = "test"
        login(client, role)
        res = _call(client, method, _path(rule, world, role), _body(endpoint, world))
        allowed = _allowed(declared, role)
        refused = res.status_code in (403, 404) and (res.json or {}).get("error", {}).get("key") in (
            "auth.forbidden", "auth.not_own", "not_found")
        if res.status_code >= 500 or res.status_code == 401 or (allowed and res.status_code == 403) \
                or (not allowed and not refused):
            failures.append((method, rule, declared, res.status_code, (res.json or {}).get("error")))
    assert failures == [], '\n'.join(map(str, failures))


def test_another_teams_rows_are_missing_for_every_route_that_names_one(app, world):
    """Team B's admin holds every team permission, but in Team B: Team A's rows look missing (404), never there."""
    failures = []
    for endpoint, method, rule in _routes(app):
        if not re.search(r"<(?:\w+:)?(invoice_id|claim_id|team_id|import_id|entity_id)>", rule):
            continue
        client = app.test_client()
        client.environ_base["HTTP_X_REQUESTED_WITH"] = "test"
        login(client, "outsider")
        res = _call(client, method, _path(rule, world, "admin"), _body(endpoint, world))
        if res.status_code != 404:
            failures.append((method, rule, res.status_code))
    assert failures == [], '\n'.join(map(str, failures))


def test_signed_out_gets_401_on_every_route_that_is_not_public(app, world):
    failures = []
    for endpoint, method, rule in _routes(app):
        if permission_of(app.view_functions[endpoint]) == PUBLIC:
            continue
        client = app.test_client()
        client.environ_base["HTTP_X_REQUESTED_WITH"] = "test"
        res = _call(client, method, _path(rule, world, "admin"), _body(endpoint, world))
        if res.status_code != 401:
            failures.append((method, rule, res.status_code))
    assert failures == [], '\n'.join(map(str, failures))


def test_a_submitter_corrects_and_claims_only_her_own_uploads(app, world, client):
    mine, theirs = world["invoice"], factories.invoice(world["team"], world["people"]["accountant"])
    login(client, "submitter")
    body = {"field": "seller_name", "value": "上海某某有限公司"}
    assert client.post(f"/api/invoices/{mine.id}/fields", json=body).status_code == 200
    res = client.post(f"/api/invoices/{theirs.id}/fields", json=body)
    assert res.status_code == 403 and res.json["error"]["key"] == "auth.not_own"
    res = client.post(f"/api/claims/{world['claim'].id}/invoices", json={"ids": [theirs.id]})
    assert res.status_code == 403 and res.json["error"]["key"] == "auth.not_own"
    assert client.get(f"/api/invoices/{theirs.id}").status_code == 200  # she still sees the team's board


def test_per_action_needs_of_claims_and_bulk(app, world, client):
    login(client, "submitter")
    claim = world["claim"].id
    res = client.post(f"/api/claims/{claim}/approve")
    assert res.status_code == 403 and res.json["error"]["key"] == "auth.forbidden"
    res = client.post("/api/invoices/bulk", json={"action": "reimburse", "ids": [world["invoice"].id]})
    assert res.status_code == 403
    login(client, "accountant")
    res = client.post("/api/invoices/bulk", json={"action": "book", "ids": [world["invoice"].id],
                                                  "params": {"period": "2026-01", "voucher": "记-9"}})
    assert res.status_code == 200, res.json
    assert Membership.select().count() >= 6  # the world is intact


@pytest.mark.parametrize("role", ROLES)
def test_socket_events_by_role(app, world, role):
    """Every role may watch its team's board live; nobody joins another team's room; signed out, no socket."""
    from backend.extensions import socketio

    client = app.test_client()
    client.environ_base["HTTP_X_REQUESTED_WITH"] = "test"
    assert not socketio.test_client(app, flask_test_client=client).is_connected()
    login(client, role)
    sock = socketio.test_client(app, flask_test_client=client)
    assert sock.is_connected()
    team_b = Team.get(Team.name == "Team B").id
    assert sock.emit("subscribe", {"team_id": world["team"].id}, callback=True) == {"ok": True}
    assert sock.emit("subscribe", {"team_id": team_b}, callback=True) == {"ok": False, "error": "auth.forbidden"}
    assert sock.emit("subscribe", ["not", "a", "dict"], callback=True) == {"ok": False, "error": "request.invalid"}
    sock.disconnect()
