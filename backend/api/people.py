"""People and teams over HTTP: who is in a team and in which role, new people (a first password, or a one-time
link printed for the admin), reset, disable, roles. A team admin manages the people of their teams; a site admin
everyone. Handlers authorise through the access layer and forward to services/users.py."""

from __future__ import annotations

from flask import Blueprint, g, request

from .. import auth
from ..errors import AppError, NotFound
from ..models import Role, User
from ..roles import Perm
from ..services import sessions, users
from ..services.users import Actor
from .auth import json_body
from .context import runtime
from .declare import TEAM_ID, boolean, obj, one_of, string, takes
from .guard import SIGNED_IN, SITE_ADMIN, public, requires

bp = Blueprint("people", __name__, url_prefix="/api")


def _actor() -> Actor:
    return Actor(g.access.user, auth.address())


def _managed_team_ids() -> list[int] | None:
    """None: everyone (a site admin); else the teams I manage."""
    return None if g.access.user.is_admin else g.access.teams_with(Perm.MANAGE)


def _person(user_id: int) -> User:
    """A person I may manage: a site admin any; a team admin one whose every team is one they manage (and no
    site admin). Another team's person looks missing."""
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise NotFound()
    managed = _managed_team_ids()
    if managed is None:
        return user
    theirs = users.team_ids_of(user.id)
    if not theirs & set(managed):
        raise NotFound()
    if user.is_admin or not theirs <= set(managed):
        raise AppError("auth.forbidden", 403)
    return user


def _link(token: str, expires_at) -> dict:
    from ..clock import iso

    return {"url": f"{request.host_url}set-password#{token}", "expires_at": iso(expires_at)}


@bp.get("/people")
@requires(Perm.MANAGE)
def people():
    """The people I manage: everyone for a site admin, the members of the teams I manage for a team admin."""
    managed = _managed_team_ids()
    if managed == []:
        raise AppError("auth.forbidden", 403)
    return {"people": users.people(managed)}


@bp.post("/people")
@requires(Perm.MANAGE)
@takes(body=obj(["username", "team_id"], username=string(), display_name=string(), team_id=TEAM_ID,
                 role=one_of(Role), password=string("none: the answer carries a one-time link"),
                 is_admin=boolean("a site admin (only a site admin makes one)")))
def create_person():
    """A new person in one of my teams. Without a password the answer carries a one-time link to set it."""
    body, rt = json_body(), runtime()
    team_id = body.get("team_id")
    team = g.access.team(team_id if isinstance(team_id, int) else None, Perm.MANAGE)
    is_admin = body.get("is_admin") is True
    if is_admin:
        g.access.site_admin()
    password = body.get("password")
    if password is not None and not isinstance(password, str):
        raise AppError("request.invalid", field="password")
    display = body.get("display_name") if isinstance(body.get("display_name"), str) else ""
    user = users.create_user(rt.clock, body.get("username"), password or None, is_admin=is_admin,
                             team=team, role=users.parse_role(body.get("role", "submitter")), display_name=display,
                             actor=_actor())
    out = {"person": _one(user.id)}
    if not password:
        out["link"] = _link(*users.issue_link(rt.clock, user, "setup", _actor()))
    return out, 201


def _one(user_id: int) -> dict:
    return users.people(None, only=user_id)[0]


@bp.post("/people/<int:user_id>/reset")
@requires(Perm.MANAGE)
def reset(user_id: int):
    """A one-time link for a new password; the person's sessions end now."""
    user = _person(user_id)
    link = _link(*users.issue_link(runtime().clock, user, "reset", _actor()))
    auth.end_sessions_of(user.id, "reset")
    return {"link": link}


@bp.post("/people/<int:user_id>/disable")
@requires(Perm.MANAGE)
def disable(user_id: int):
    """Disable a person I manage: they cannot sign in any more, and their sessions end now."""
    user = _person(user_id)
    users.set_disabled(runtime().clock, user, True, _actor())
    auth.end_sessions_of(user.id, "disabled")
    return {"person": _one(user.id)}


@bp.post("/people/<int:user_id>/enable")
@requires(Perm.MANAGE)
def enable(user_id: int):
    """Let a disabled person sign in again."""
    user = _person(user_id)
    users.set_disabled(runtime().clock, user, False, _actor())
    return {"person": _one(user.id)}


@bp.get("/teams")
@requires(SIGNED_IN)
def teams():
    """The teams I am in (a site admin: every team)."""
    rows = users.all_teams() if g.access.user.is_admin else g.access.teams
    return {"teams": [{"id": t.id, "name": t.name} for t in rows]}


@bp.post("/teams")
@requires(SITE_ADMIN)
@takes(body=obj(["name"], name=string(max_length=128)))
def create_team():
    """A new team (site admin)."""
    team = users.create_team(runtime().clock, json_body().get("name"), _actor())
    return {"team": {"id": team.id, "name": team.name}}, 201


@bp.get("/teams/<int:team_id>/members")
@requires(Perm.READ)
def members(team_id: int):
    """The members of one of my teams, with their roles."""
    team = g.access.team(team_id)
    return {"members": [{"id": p["id"], "username": p["username"], "display_name": p["display_name"],
                         "disabled": p["disabled"], "role": next(t["role"] for t in p["teams"] if t["id"] == team.id)}
                        for p in users.people([team.id])]}


@bp.put("/teams/<int:team_id>/members/<int:user_id>")
@requires(Perm.MANAGE)
@takes(body=obj(["role"], role=one_of(Role)))
def set_member(team_id: int, user_id: int):
    """Add a person to the team or change their role there."""
    team = g.access.team(team_id)
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise NotFound()
    if not g.access.user.is_admin:  # a team admin adds only people they already manage elsewhere
        _person(user_id)
    users.set_role(runtime().clock, team, user, users.parse_role(json_body().get("role")), _actor())
    _reconnect(user.id)
    return members(team_id)


@bp.delete("/teams/<int:team_id>/members/<int:user_id>")
@requires(Perm.MANAGE)
def remove_member(team_id: int, user_id: int):
    """Take a person out of the team (a team keeps its last admin)."""
    team = g.access.team(team_id)
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise NotFound()
    users.remove_member(runtime().clock, team, user, _actor())
    _reconnect(user.id)
    return members(team_id)


def _reconnect(user_id: int) -> None:
    """The person's sockets are dropped: they reconnect into the rooms of the teams they hold now."""
    auth.disconnect(sessions.sockets_of(user_id))


@bp.get("/auth/link")
@public
@takes(query={"token": string()}, required=["token"])
def link_info():
    """What a one-time link is for (setup or reset), for whom and until when; no session needed."""
    return users.link_info(runtime().clock, request.args.get("token"))


@bp.post("/auth/link")
@public
@takes(body=obj(["token", "password"], token=string(), password=string()))
def use_link():
    """Set the password a one-time link is for; the link dies and every session of that person ends."""
    body = json_body()
    user = users.use_link(runtime().clock, body.get("token"), body.get("password"), auth.address())
    auth.end_sessions_of(user.id, "password")
    return {"ok": True, "username": user.username}
