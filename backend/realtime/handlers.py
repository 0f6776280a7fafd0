"""Socket.IO handlers: authenticate, authorize, join rooms. Nothing else (the socket's link to its session, so
that ending the session disconnects it, is recorded through services/sessions.py).

A connect without a live session is refused. On connect the socket joins the rooms of the user's teams;
`subscribe` lets a client ask for one team's room and is refused for teams the user does not belong to. Updates
are pushed by the notifier; clients catch up by REST. Ending a session (sign out, a disabled person, a password
change, a role change) disconnects its sockets: a client that comes back gets only its current rooms.
"""

from __future__ import annotations

from flask import request
from flask_socketio import SocketIO, join_room

from .. import auth, metrics
from ..access import Access
from ..api.context import runtime
from ..db import database
from ..roles import Perm
from ..services import sessions
from .notifier import room_for


def register(socketio: SocketIO) -> None:
    @socketio.on("connect")
    def connect(auth_payload=None):
        with database.connection_context():
            live = auth.live()
            if live is None:
                raise ConnectionRefusedError("auth.required")
            teams = Access(live.user).teams_with(Perm.READ)
            sessions.attach_socket(runtime().clock, live.session.id, request.sid)
        for team_id in teams:
            join_room(room_for(team_id))
        metrics.socket_connected()
        return True

    @socketio.on("disconnect")
    def disconnect(reason=None):
        metrics.socket_disconnected()  # only a socket whose connect was accepted gets here
        with database.connection_context():
            sessions.detach_socket(request.sid)

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
            allowed = user is not None and team_id in Access(user).teams_with(Perm.READ)
        if not allowed:
            return {"ok": False, "error": "auth.forbidden"}
        join_room(room_for(team_id))
        return {"ok": True}
