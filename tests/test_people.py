"""People management: create with a first password or a one-time link, the link used once, reset, disable,
roles per team, the last admin kept, a team admin limited to the people of their teams; every change audited."""

from __future__ import annotations

from backend.models import AuditEntry, Membership, OneTimeLink, Role, Team, User

from .helpers import PASSWORD, login
from .helpers import client_for as _client

NEW = "a much longer passphrase 42"


def _token(link: dict) -> str:
    assert "/set-password#" in link["url"]
    return link["url"].split("#", 1)[1]


def test_a_team_admin_invites_a_person_by_a_one_time_link(app, make_user, clock):
    make_user("boss", "Team A", role=Role.ADMIN)
    team = Team.get(Team.name == "Team A")
    admin = _client(app, "boss")
    res = admin.post("/api/people", json={"username": "carol", "display_name": "王小红", "team_id": team.id,
                                          "role": "accountant"})
    assert res.status_code == 201, res.json
    person, link = res.json["person"], res.json["link"]
    assert person["password_set"] is False and person["teams"] == [{"id": team.id, "name": "Team A",
                                                                    "role": "accountant"}]
    token = _token(link)
    assert OneTimeLink.select().where(OneTimeLink.token_hash == token).count() == 0  # only its hash is kept
    carol = _client(app)
    assert carol.post("/api/auth/login", json={"username": "carol", "password": ""}).status_code in (400, 401)
    info = carol.get("/api/auth/link", query_string={"token": token})
    assert info.status_code == 200 and info.json["username"] == "carol" and info.json["purpose"] == "setup"
    weak = carol.post("/api/auth/link", json={"token": token, "password": "short"})
    assert weak.status_code == 400 and weak.json["error"]["key"].startswith("password.")
    assert carol.post("/api/auth/link", json={"token": token, "password": NEW}).status_code == 200
    again = carol.post("/api/auth/link", json={"token": token, "password": NEW + "x"})
    assert again.status_code == 404 and again.json["error"]["key"] == "link.invalid"  # used once
    res = carol.post("/api/auth/login", json={"username": "carol", "password": NEW})
    assert res.status_code == 200
    assert "finance" in res.json["user"]["teams"][0]["permissions"]
    actions = [e.action for e in AuditEntry.select().order_by(AuditEntry.id)]
    assert {"person.created", "person.link_setup", "person.password_set"} <= set(actions)


def test_a_link_expires_and_a_reset_kills_the_old_one(app, make_user, clock):
    make_user("boss", "Team A", role=Role.ADMIN)
    bob = make_user("bob", "Team A")
    admin = _client(app, "boss")
    first = _token(admin.post(f"/api/people/{bob.id}/reset").json["link"])
    second = _token(admin.post(f"/api/people/{bob.id}/reset").json["link"])
    anon = _client(app)
    assert anon.get("/api/auth/link", query_string={"token": first}).status_code == 404  # superseded
    clock.advance(days=4)
    assert anon.post("/api/auth/link", json={"token": second, "password": NEW}).status_code == 404  # expired
    assert anon.get("/api/auth/link", query_string={"token": "x" * 500}).status_code == 404


def test_roles_change_and_the_last_team_admin_stays(app, make_user):
    boss = make_user("boss", "Team A", role=Role.ADMIN)
    bob = make_user("bob", "Team A")
    team = Team.get(Team.name == "Team A")
    admin = _client(app, "boss")
    res = admin.put(f"/api/teams/{team.id}/members/{bob.id}", json={"role": "auditor"})
    assert res.status_code == 200 and {m["username"]: m["role"] for m in res.json["members"]}["bob"] == "auditor"
    res = admin.put(f"/api/teams/{team.id}/members/{bob.id}", json={"role": "overlord"})
    assert res.status_code == 400 and res.json["error"]["params"]["field"] == "role"
    res = admin.put(f"/api/teams/{team.id}/members/{boss.id}", json={"role": "submitter"})
    assert res.status_code == 409 and res.json["error"]["key"] == "member.last_admin"
    entry = AuditEntry.get(AuditEntry.action == "member.role")
    assert entry.data == {"username": "bob", "before": "submitter", "after": "auditor"} and entry.actor == boss.id


def test_a_team_admin_manages_only_the_people_of_their_teams(app, make_user):
    make_user("boss", "Team A", role=Role.ADMIN)
    stranger = make_user("stranger", "Team B")
    both = make_user("both", "Team A")
    Membership.create(user=both, team=Team.get(Team.name == "Team B"), role="submitter")
    admin = _client(app, "boss")
    names = {p["username"] for p in admin.get("/api/people").json["people"]}
    assert "stranger" not in names and {"boss", "both"} <= names
    assert admin.post(f"/api/people/{stranger.id}/disable").status_code == 404
    res = admin.post(f"/api/people/{both.id}/disable")  # also in a team boss does not run: a site admin's call
    assert res.status_code == 403
    team_b = Team.get(Team.name == "Team B")
    res = admin.post("/api/people", json={"username": "x1", "team_id": team_b.id, "role": "submitter"})
    assert res.status_code == 404
    res = admin.post("/api/people", json={"username": "x2", "team_id": Team.get(Team.name == "Team A").id,
                                          "role": "submitter", "is_admin": True})
    assert res.status_code == 403 and not User.select().where(User.username == "x2").exists()
    assert admin.post("/api/teams", json={"name": "Team C"}).status_code == 403


def test_a_site_admin_runs_teams_and_people_everywhere(app, make_user):
    root = make_user("root", "Team A", role=Role.ADMIN)
    User.update(is_admin=True).where(User.id == root.id).execute()
    stranger = make_user("stranger", "Team B")
    site = _client(app, "root")
    res = site.post("/api/teams", json={"name": "审计部"})
    assert res.status_code == 201
    made = res.json["team"]["id"]  # its creator runs it, so people can be added to it at once
    res = site.post("/api/people", json={"username": "newbie", "team_id": made, "role": "auditor", "password": NEW})
    assert res.status_code == 201, res.json
    assert site.post("/api/teams", json={"name": "审计部"}).json["error"]["key"] == "team.exists"
    assert {p["username"] for p in site.get("/api/people").json["people"]} >= {"root", "stranger"}
    assert site.post(f"/api/people/{stranger.id}/disable").status_code == 200
    res = site.post(f"/api/people/{root.id}/disable")
    assert res.status_code == 409 and res.json["error"]["key"] == "person.self"
    team_a = Team.get(Team.name == "Team A")
    res = site.post("/api/people", json={"username": "stranger", "team_id": team_a.id, "role": "submitter",
                                         "password": NEW})
    assert res.status_code == 409 and res.json["error"]["key"] == "person.exists"


def test_a_person_created_with_a_password_signs_in_at_once(app, make_user):
    make_user("boss", "Team A", role=Role.ADMIN)
    admin = _client(app, "boss")
    team = Team.get(Team.name == "Team A")
    res = admin.post("/api/people", json={"username": "dave", "team_id": team.id, "role": "auditor",
                                          "password": PASSWORD})
    assert res.status_code == 201 and "link" not in res.json
    me = login(_client(app), "dave")
    assert sorted(me["teams"][0]["permissions"]) == ["audit", "export", "read"] and me["teams"][0]["own_only"] == []
    assert login(_client(app), "boss")["teams"][0]["own_only"] == []  # a team admin is not limited
    res = admin.post("/api/people", json={"username": "erin", "team_id": team.id, "role": "submitter",
                                          "password": PASSWORD})
    assert login(_client(app), "erin")["teams"][0]["own_only"] == ["claim", "correct"]
