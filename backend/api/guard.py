"""What each route needs, declared on the route itself: who may call it is read off the view, so the
role × route tests (tests/test_roles_matrix.py) and the API description list every route with its permission.

    @bp.post("/<int:invoice_id>/booking")
    @requires(Perm.FINANCE)
    def booking(invoice_id): ...          # g.access.invoice(invoice_id) now checks FINANCE in its team

`requires` signs the caller in (401 `auth.required` without a live session) and hands the access layer the
permission as its default; the access layer does the checking, once, where the team is known.
"""

from __future__ import annotations

from functools import wraps

from flask import g

from .. import auth
from ..access import Access
from ..errors import AppError
from ..roles import Perm

SIGNED_IN = "signed_in"  # any live session, nothing of a team (who am I, my saved views, a pure validation)
SITE_ADMIN = "site_admin"  # people and teams, site-wide
PUBLIC = "public"  # no session at all (sign-in, the SPA's files, the API description)


def requires(perm: Perm | str):
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = auth.current_user()
            if user is None:
                raise AppError("auth.required", http_status=401)
            g.access = Access(user, perm if isinstance(perm, Perm) else Perm.READ)
            if perm == SITE_ADMIN:
                g.access.site_admin()
            elif isinstance(perm, Perm) and not user.is_admin and not g.access.teams_with(perm):
                # Nowhere allowed: refused before the request is even read (the team-level check follows later).
                raise AppError("auth.forbidden", 403)
            return view(*args, **kwargs)

        wrapper.permission = perm
        return wrapper

    return decorate


def public(view):
    view.permission = PUBLIC
    return view


def permission_of(view) -> str | None:
    return getattr(view, "permission", None)
