"""Socket.IO handlers: authenticate, authorize, join rooms. Nothing else (no DB writes).

A connect without a logged-in session is refused. On connect the socket joins the rooms of
the user's teams; `subscribe` lets a client ask for one team's room and is refused for teams
the user does not belong to. Updates are pushed by the notifier; clients catch up by REST.
"""

from __future__ import annotations

from flask_socketio import SocketIO, join_room

from .. import auth
from ..access import Access, is_member
from ..db import database
from .notifier import room_for


def register(socketio: SocketIO) -> None:
    @socketio.on("connect")
    def connect(auth_payload=None):
        with database.connection_context():
            user = auth.current_user()
            if user is None:
                raise ConnectionRefusedError("auth.required")
            teams = Access(user).team_ids
        for team_id in teams:
            join_room(room_for(team_id))
        return True

    @socketio.on("rtt")
    def rtt(payload=None):
        # Echo for round-trip measurement (the bench, and a client that wants to show latency).
        return payload

    @socketio.on("subscribe")
    def subscribe(payload):
        team_id = payload.get("team_id") if isinstance(payload, dict) else None
        if not isinstance(team_id, int):
            return {"ok": False, "error": "request.invalid"}
        with database.connection_context():
            user = auth.current_user()
            allowed = user is not None and is_member(user.id, team_id)
        if not allowed:
            return {"ok": False, "error": "auth.forbidden"}
        join_room(room_for(team_id))
        return {"ok": True}
