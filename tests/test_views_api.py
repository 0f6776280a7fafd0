"""Saved views: per user, named, the board's query string kept as given; bad input gets a clear error."""

from __future__ import annotations

from .helpers import login


def test_save_list_replace_and_delete_a_view(alice, client):
    res = client.post("/api/views", json={"name": " 华为  未报销 ", "query": "?q=华为&reimbursement=unclaimed"})
    assert res.status_code == 201, res.json
    view = res.json["view"]
    assert (view["name"], view["query"]) == ("华为 未报销", "q=华为&reimbursement=unclaimed")
    client.post("/api/views", json={"name": "已入账", "query": "booking=booked&view=table"})
    names = [v["name"] for v in client.get("/api/views").json["views"]]
    assert sorted(names) == sorted(["华为 未报销", "已入账"])

    # Saving under the same name replaces that view's query.
    again = client.post("/api/views", json={"name": "华为 未报销", "query": "q=华为"}).json["view"]
    assert again["id"] == view["id"]
    assert len(client.get("/api/views").json["views"]) == 2

    assert client.delete(f"/api/views/{view['id']}").status_code == 200
    assert [v["name"] for v in client.get("/api/views").json["views"]] == ["已入账"]
    assert client.delete(f"/api/views/{view['id']}").status_code == 404


def test_views_are_per_user(alice, client, make_user):
    mine = client.post("/api/views", json={"name": "mine", "query": "status=found"}).json["view"]
    make_user("bob", "Team A")
    login(client, "bob")
    assert client.get("/api/views").json["views"] == []
    assert client.delete(f"/api/views/{mine['id']}").status_code == 404  # not bob's: it looks missing


def test_bad_views_are_refused_with_a_translated_reason(alice, client):
    for body, key in [({"name": "", "query": "q=x"}, "view.invalid_name"),
                      ({"name": "x" * 65, "query": "q=x"}, "view.invalid_name"),
                      ({"name": "long", "query": "q=" + "长" * 2000}, "view.invalid_query"),
                      ({"name": "fields", "query": "&".join(f"a{i}=1" for i in range(150))}, "view.invalid_query"),
                      ({"name": "type", "query": 12}, "view.invalid_query")]:
        res = client.post("/api/views", json=body)
        assert res.status_code == 422, body
        assert res.json["error"]["key"] == key
    assert client.post("/api/views", json={"name": "x", "query": "", "team_id": 999}).status_code == 404


def test_at_most_fifty_views_a_person(alice, client):
    for i in range(50):
        assert client.post("/api/views", json={"name": f"v{i}", "query": f"q={i}"}).status_code == 201
    res = client.post("/api/views", json={"name": "one more", "query": "q=x"})
    assert (res.status_code, res.json["error"]["key"]) == (409, "view.too_many")
    assert client.post("/api/views", json={"name": "v3", "query": "q=again"}).status_code == 201  # replacing is fine
