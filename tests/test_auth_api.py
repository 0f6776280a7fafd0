from .helpers import PASSWORD, login


def test_login_me_logout(client, make_user):
    make_user("alice", "Team A")
    assert client.get("/api/auth/me").status_code == 401
    user = login(client, "alice")
    assert user["username"] == "alice" and user["teams"][0]["name"] == "Team A"
    assert client.get("/api/auth/me").json["user"]["id"] == user["id"]
    assert client.post("/api/auth/logout").status_code == 200
    assert client.get("/api/auth/me").status_code == 401


def test_wrong_password_and_unknown_user_look_the_same(client, make_user):
    make_user("alice")
    bad = client.post("/api/auth/login", json={"username": "alice", "password": "nope"})
    unknown = client.post("/api/auth/login", json={"username": "nobody", "password": PASSWORD})
    assert bad.status_code == unknown.status_code == 401
    assert bad.json["error"]["key"] == unknown.json["error"]["key"] == "auth.invalid"


def test_errors_are_translated_by_accept_language(client):
    zh = client.get("/api/auth/me")
    en = client.get("/api/auth/me", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert zh.json["error"] == {"key": "auth.required", "message": "请先登录。", "params": {}}
    assert en.json["error"]["message"] == "Please log in."


def test_state_changing_calls_need_the_csrf_header(app, make_user):
    make_user("alice")
    bare = app.test_client()
    res = bare.post("/api/auth/login", json={"username": "alice", "password": PASSWORD})
    assert res.status_code == 403 and res.json["error"]["key"] == "request.csrf"


def test_malformed_json_login(client):
    res = client.post("/api/auth/login", data="{not json", content_type="application/json")
    assert res.status_code == 400 and res.json["error"]["key"] == "request.malformed"
    res = client.post("/api/auth/login", json={"username": 3, "password": None})
    assert res.status_code == 400 and res.json["error"]["key"] == "request.invalid"


def test_unknown_api_path_is_json_404(client):
    res = client.get("/api/nope")
    assert res.status_code == 404 and res.json["error"]["key"] == "not_found"
