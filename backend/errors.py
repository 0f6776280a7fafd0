"""Errors that carry a stable, translatable key. One shape for the API and the job log."""

from __future__ import annotations


class AppError(Exception):
    """An expected failure: `key` names it in the catalogs, `params` fill its message."""

    http_status = 400

    def __init__(self, key: str, http_status: int | None = None, **params) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
        if http_status is not None:
            self.http_status = http_status


class InputError(AppError):
    """The user's file or request is bad: retrying will not help."""

    http_status = 422


class NotFound(AppError):
    http_status = 404

    def __init__(self) -> None:
        super().__init__("not_found")

