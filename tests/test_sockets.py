import pytest

from backend.access import Access
from backend.db import database
from backend.extensions import socketio
from backend.realtime.notifier import SocketNotifier
from backend.realtime.relay import EventRelay

from . import media
from .helpers import DONE, login, upload

# Not about reading: the worker reads with a fake (no ONNX per upload).
pytestmark = pytest.mark.usefixtures("fake_reader")


def socket_for(app, http_client):
    return socketio.test_client(app, flask_test_client=http_client)


def pushed(sock):
    return [m["args"][0] for m in sock.get_received() if m["name"] == "event"]


def relay():
    return EventRelay(SocketNotifier(socketio))


def test_unauthenticated_socket_is_refused(app, client):
    sock = socket_for(app, client)
    assert not sock.is_connected()


def test_pushes_reach_own_team_only(app, client, alice, make_user):
    make_user("bob", "Team B")
    bob_http = app.test_client()
    bob_http.environ_base["HTTP_X_REQUESTED_WITH"] = "test"
    login(bob_http, "bob")
    alice_sock, bob_sock = socket_for(app, client), socket_for(app, bob_http)
    assert alice_sock.is_connected() and bob_sock.is_connected()
    upload(client, ("a.jpg", media.jpeg()))
    assert relay().poll_once() == 1
    events = pushed(alice_sock)
    assert [e["kind"] for e in events] == ["invoice.created"]
    assert events[0]["invoice"]["status"] == "received" and events[0]["cursor"] == 1
    assert pushed(bob_sock) == []


def test_subscribe_to_another_teams_room_is_refused(app, client, alice, make_user):
    bob = make_user("bob", "Team B")
    with database.connection_context():
        team_b = Access(bob).team_ids[0]
        team_a = Access(alice).team_ids[0]
    sock = socket_for(app, client)
    assert sock.emit("subscribe", {"team_id": team_b}, callback=True) == {"ok": False, "error": "auth.forbidden"}
    assert sock.emit("subscribe", {"team_id": "x"}, callback=True) == {"ok": False, "error": "request.invalid"}
    assert sock.emit("subscribe", {"team_id": team_a}, callback=True) == {"ok": True}
    # Even after asking, bob's team's events do not reach alice.
    bob_http = app.test_client()
    bob_http.environ_base["HTTP_X_REQUESTED_WITH"] = "test"
    login(bob_http, "bob")
    upload(bob_http, ("b.jpg", media.jpeg(text="bob")))
    relay().poll_once()
    assert pushed(sock) == []


def test_catch_up_after_reconnect_misses_nothing(app, client, alice, queue):
    r = relay()
    sock = socket_for(app, client)
    upload(client, ("a.jpg", media.jpeg()))
    r.poll_once()
    cursor = pushed(sock)[-1]["cursor"]
    sock.disconnect()
    # While the client is away: another upload, and both invoices get processed.
    upload(client, ("b.jpg", media.jpeg(text="second")))
    queue.run_all()
    r.poll_once()  # pushed to nobody
    sock = socket_for(app, client)
    assert pushed(sock) == []
    missed = client.get(f"/api/events?after={cursor}").json["events"]
    final = {}
    for e in missed:
        final[e["invoice"]["id"]] = e["invoice"]["status"]
    assert set(final) == {1, 2} and set(final.values()) <= DONE
    assert [e["cursor"] for e in missed] == list(range(cursor + 1, cursor + 1 + len(missed)))


def test_failing_push_never_fails_the_work(app, client, alice, queue, caplog):
    class Broken:
        def emit(self, *a, **k):
            raise OSError("socket gone")

    queue.runtime.notifier = SocketNotifier(Broken())
    upload(client, ("a.jpg", media.jpeg()))
    queue.run_all()
    assert client.get("/api/invoices/1").json["invoice"]["status"] in DONE
    assert "could not push event" in caplog.text
