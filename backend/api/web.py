"""Serve the built SPA (frontend/dist): real files as they are, every other path as index.html."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory

from .context import runtime
from .guard import public

bp = Blueprint("web", __name__)


def _dist() -> Path:
    return runtime().settings.frontend_dist


@bp.get("/")
@bp.get("/<path:path>")
@public
def spa(path: str = ""):
    if path.startswith(("api/", "socket.io/")):
        abort(404)
    dist = _dist()
    if path and (dist / path).is_file():
        # Vite fingerprints assets, so they can be cached for good; index.html never is.
        max_age = 31536000 if path.startswith("assets/") else 0
        return send_from_directory(dist, path, max_age=max_age)
    if not (dist / "index.html").is_file():
        return ("The web app is not built yet: run `make install`.", 503)
    return send_from_directory(dist, "index.html", max_age=0)
