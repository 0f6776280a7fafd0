"""What a request handler needs from the app besides the user: the process's Runtime."""

from __future__ import annotations

from flask import current_app

from ..runtime import Runtime

EXTENSION = "fapiao"


def runtime() -> Runtime:
    return current_app.extensions[EXTENSION]
