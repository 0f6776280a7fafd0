"""Search and filters over a team's invoices (placeholder until the search work lands: ids only)."""

from __future__ import annotations

from ..errors import AppError


def matching(access, query: str, bulk_limit: int):
    raise AppError("request.invalid", field="query")
