"""Log in, log out, who am I."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, g, request

from .. import auth
from ..access import Access
from ..errors import AppError
from ..serializers import user_public

bp = Blueprint("auth", __name__, url_prefix="/api/auth")


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        user = auth.current_user()
        if user is None:
            raise AppError("auth.required", http_status=401)
        g.access = Access(user)
        return view(*args, **kwargs)

    return wrapper


def json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise AppError("request.malformed", detail="expected a JSON object")
    return body


@bp.post("/login")
def login():
    body = json_body()
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise AppError("request.invalid", field="username/password")
    user = auth.authenticate(username.strip(), password)
    if user is None:
        raise AppError("auth.invalid", http_status=401)
    auth.login(user)
    access = Access(user)
    return {"user": user_public(user, access.teams, access.can_manage)}


@bp.post("/logout")
def logout():
    auth.logout()
    return {"ok": True}


@bp.get("/me")
@login_required
def me():
    return {"user": user_public(g.access.user, g.access.teams, g.access.can_manage)}
