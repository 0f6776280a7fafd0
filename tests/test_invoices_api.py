import datetime as dt

from backend.db import database
from backend.models import Invoice

from . import media
from .helpers import DONE, login, upload


def _upload_n(client, n):
    ids = []
    for i in range(n):
        res = upload(client, (f"{i}.jpg", media.jpeg(text=f"INVOICE {i}")))
        ids.append(res.json["results"][0]["invoice"]["id"])
    return ids


def test_list_is_newest_first_with_cursor_pagination(client, alice):
    ids = _upload_n(client, 5)
    first = client.get("/api/invoices?limit=2").json
    assert [i["id"] for i in first["items"]] == ids[::-1][:2]
    second = client.get(f"/api/invoices?limit=2&cursor={first['next_cursor']}").json
    third = client.get(f"/api/invoices?limit=2&cursor={second['next_cursor']}").json
    seen = [i["id"] for page in (first, second, third) for i in page["items"]]
    assert seen == ids[::-1] and third["next_cursor"] is None
    assert first["event_cursor"] == 5


def test_updated_since(client, alice, clock, queue):
    ids = _upload_n(client, 3)
    mark = clock.advance(minutes=5)
    with database.connection_context():
        Invoice.update(updated_at=mark).where(Invoice.id == ids[1]).execute()
    since = (mark - dt.timedelta(seconds=1)).isoformat() + "Z"
    res = client.get("/api/invoices", query_string={"updated_since": since})
    assert [i["id"] for i in res.json["items"]] == [ids[1]]


def test_bad_query_values(client, alice):
    for qs in ("limit=201", "limit=abc", "cursor=-1", "updated_since=yesterday", "status=bogus", "sort=name"):
        res = client.get(f"/api/invoices?{qs}")
        assert res.status_code == 400 and res.json["error"]["key"] == "request.invalid", qs


def test_teams_never_see_each_other(app, client, alice, make_user):
    (mine,) = _upload_n(client, 1)
    make_user("bob", "Team B")
    bob = app.test_client()
    bob.environ_base["HTTP_X_REQUESTED_WITH"] = "test"
    login(bob, "bob")
    assert bob.get("/api/invoices").json["items"] == []
    for path in (f"/api/invoices/{mine}", f"/api/invoices/{mine}/file", f"/api/invoices/{mine}/thumbnail"):
        res = bob.get(path)
        assert res.status_code == 404 and res.json["error"]["key"] == "not_found", path
    assert bob.get("/api/events?after=0").json["events"] == []


def test_download_original_and_thumbnail(client, alice, queue):
    body = media.jpeg()
    (inv_id,) = [upload(client, ("scan 1.jpg", body)).json["results"][0]["invoice"]["id"]]
    res = client.get(f"/api/invoices/{inv_id}/file")
    assert res.status_code == 200 and res.data == body and res.mimetype == "image/jpeg"
    assert "scan 1.jpg" in res.headers["Content-Disposition"]
    assert client.get(f"/api/invoices/{inv_id}/thumbnail").status_code == 404  # not processed yet
    queue.run_all()
    thumb = client.get(f"/api/invoices/{inv_id}/thumbnail")
    assert thumb.status_code == 200 and thumb.data[:3] == b"\xff\xd8\xff"


def test_events_after_cursor_page_through(client, alice, queue):
    _upload_n(client, 3)
    queue.run_all()  # each invoice: created, processing, processed
    page = client.get("/api/events?after=0&limit=4").json
    assert [e["cursor"] for e in page["events"]] == [1, 2, 3, 4] and page["has_more"]
    rest = client.get(f"/api/events?after={page['cursor']}").json
    # Per invoice: created, one event per reader stage (6), and the result.
    assert len(page["events"]) + len(rest["events"]) == 3 * 8 and not rest["has_more"]
    last = {e["invoice"]["id"]: e["invoice"]["status"] for e in page["events"] + rest["events"]}
    assert set(last.values()) <= DONE
    assert client.get(f"/api/events?after={rest['cursor']}").json == {
        "events": [], "cursor": rest["cursor"], "has_more": False}


def test_spa_is_served_with_fallback(app, client, settings):
    settings.frontend_dist.mkdir(parents=True)
    (settings.frontend_dist / "index.html").write_text("<html>spa</html>")
    assert client.get("/").data == b"<html>spa</html>"
    assert client.get("/board/42").data == b"<html>spa</html>"
