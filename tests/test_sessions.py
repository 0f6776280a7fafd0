"""Server-side sessions: signing out, signing out everywhere, a password change, a disabled person and the
timeouts end a session at once — its cookie answers 401 and its sockets are disconnected, in REST and Socket.IO
alike. Time moves by the FakeClock."""

from __future__ import annotations

import pytest

from backend.db import database
from backend.extensions import socketio
from backend.models import LoginSession, Role, SocketLink, User

from .helpers import PASSWORD, login
from .helpers import client_for as _client

pytestmark = pytest.mark.usefixtures("fake_reader")
NEW_PASSWORD = "a much longer passphrase 42"


def _sock(app, http):
    return socketio.test_client(app, flask_test_client=http)


def test_the_cookie_holds_a_token_whose_hash_alone_is_stored(app, client, alice):
    row = LoginSession.get(LoginSession.user == alice.id)
    with client.session_transaction() as s:
        token = s["sid"]
    assert token not in row.token_hash and len(row.token_hash) == 64
    assert client.get("/api/auth/me").status_code == 200


def test_logout_kills_the_cookie_and_the_socket(app, client, alice):
    with client.session_transaction() as s:
        old_cookie = dict(s)
    sock = _sock(app, client)
    assert sock.is_connected() and SocketLink.select().count() == 1
    assert client.post("/api/auth/logout").status_code == 200
    assert not sock.is_connected()
    # The old cookie, replayed, is dead: REST and a new socket alike.
    replay = _client(app)
    with replay.session_transaction() as s:
        s.update(old_cookie)
    assert replay.get("/api/auth/me").status_code == 401
    assert not _sock(app, replay).is_connected()


def test_sign_out_everywhere_ends_every_browser(app, alice):
    one, two = _client(app, "alice"), _client(app, "alice")
    sock = _sock(app, two)
    res = one.post("/api/auth/logout-everywhere")
    assert res.status_code == 200 and res.json["sockets_closed"] == 1
    assert one.get("/api/auth/me").status_code == 401 and two.get("/api/auth/me").status_code == 401
    assert not sock.is_connected()
    assert LoginSession.select().where(LoginSession.revoked_at.is_null()).count() == 0


def test_a_password_change_ends_the_other_sessions_but_this_one(app, alice):
    here, there = _client(app, "alice"), _client(app, "alice")
    sock = _sock(app, there)
    res = here.post("/api/auth/password", json={"current": "wrong", "new": NEW_PASSWORD})
    assert res.status_code == 401 and there.get("/api/auth/me").status_code == 200
    res = here.post("/api/auth/password", json={"current": PASSWORD, "new": NEW_PASSWORD})
    assert res.status_code == 200, res.json
    assert here.get("/api/auth/me").status_code == 200
    assert there.get("/api/auth/me").status_code == 401 and not sock.is_connected()
    fresh = _client(app)
    assert fresh.post("/api/auth/login", json={"username": "alice", "password": PASSWORD}).status_code == 401
    assert fresh.post("/api/auth/login", json={"username": "alice", "password": NEW_PASSWORD}).status_code == 200


def test_disabling_a_person_ends_their_sessions_and_sockets_now(app, make_user):
    make_user("boss", "Team A", role=Role.ADMIN)
    alice = make_user("alice", "Team A")
    admin, victim = _client(app, "boss"), _client(app, "alice")
    sock = _sock(app, victim)
    res = admin.post(f"/api/people/{alice.id}/disable")
    assert res.status_code == 200 and res.json["person"]["disabled"] is True
    assert victim.get("/api/auth/me").status_code == 401 and not sock.is_connected()
    assert _client(app).post("/api/auth/login", json={"username": "alice", "password": PASSWORD}).status_code == 401
    assert admin.post(f"/api/people/{alice.id}/enable").status_code == 200
    assert _client(app).post("/api/auth/login", json={"username": "alice", "password": PASSWORD}).status_code == 200


def test_idle_and_absolute_timeouts(app, clock, alice, client, settings):
    clock.advance(minutes=settings.session_idle_minutes - 1)
    assert client.get("/api/auth/me").status_code == 200  # used: the idle clock starts again
    clock.advance(minutes=settings.session_idle_minutes - 1)
    assert client.get("/api/auth/me").status_code == 200
    clock.advance(minutes=settings.session_idle_minutes + 1)
    assert client.get("/api/auth/me").status_code == 401
    assert LoginSession.get(LoginSession.user == alice.id).revoked_reason == "timeout"
    busy = _client(app, "alice")
    for _ in range(settings.session_absolute_hours // 4 + 1):  # however busy, it ends at the absolute limit
        clock.advance(hours=4)
        status = busy.get("/api/auth/me").status_code
    assert status == 401


def test_removing_a_member_drops_their_sockets_out_of_the_team_room(app, make_user):
    make_user("boss", "Team A", role=Role.ADMIN)
    bob = make_user("bob", "Team A")
    with database.connection_context():
        from backend.models import Membership, Team

        team_b, _ = Team.get_or_create(name="Team B", defaults={"created_at": bob.created_at})
        Membership.create(user=bob, team=team_b, role="submitter")
        team_a = Team.get(Team.name == "Team A")
    admin, bob_http = _client(app, "boss"), _client(app, "bob")
    sock = _sock(app, bob_http)
    res = admin.delete(f"/api/teams/{team_a.id}/members/{bob.id}")
    assert res.status_code == 200, res.json
    assert not sock.is_connected()
    assert bob_http.get(f"/api/teams/{team_a.id}/members").status_code == 404  # Team A is gone for him
    assert _sock(app, bob_http).is_connected()  # he comes back, into Team B's room only


def test_my_sessions_list_marks_this_one(app, alice, client):
    _client(app, "alice")
    res = client.get("/api/auth/sessions")
    assert res.status_code == 200 and len(res.json["sessions"]) == 2
    assert [s["current"] for s in res.json["sessions"]].count(True) == 1
    assert User.get_by_id(alice.id).disabled_at is None


def test_the_clients_address_comes_from_the_proxy_only_when_it_is_trusted(app, settings, clock, alice):
    from backend.app import create_app

    forwarded = {"HTTP_X_FORWARDED_FOR": "203.0.113.9", "HTTP_X_REQUESTED_WITH": "test"}
    plain = app.test_client()
    plain.environ_base.update(forwarded)
    login(plain, "alice")
    behind = create_app(settings.with_(proxy_hops=1), clock=clock).test_client()
    behind.environ_base.update(forwarded)
    login(behind, "alice")
    addresses = [s.address for s in LoginSession.select().order_by(LoginSession.id)]
    assert addresses[-2:] == ["127.0.0.1", "203.0.113.9"]
