"""Connectors to the tax authority: look one invoice up; pull ledger rows changed since a cursor.

`HttpConnector` speaks the platform API as our simulator serves it (backend/simulator/app.py), with the
installation's bearer token (FAPIAO_SIMULATOR_TOKEN); an adapter for a commercial verification provider
implements the same two calls. `LedgerOnly` is the `ledger` setting: no online service, only what was
imported from export files. Every failure of the far side becomes a stable key (connector.down / timeout /
unauthorized / bad_response), never an exception that could mark an invoice found or lose it.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import requests

from ..errors import AppError
from ..parse import utc_datetime
from .types import Outcome, Query, Result, checkable_number

_OUTCOMES = {o.value: o for o in Outcome}
_NO_QUOTA = {Outcome.QUOTA, Outcome.UNAVAILABLE}


class ConnectorError(AppError):
    """The authority could not be asked (the key says why); nothing was learned."""

    http_status = 503


class Connector(Protocol):
    name: str
    online: bool  # False: look-ups cannot be made, only imported rows are known

    def lookup(self, query: Query) -> Result: ...

    def changes(self, cursor: str | None, buyers: list[str]) -> tuple[list[dict], str | None]: ...

    def issue(self, fields: dict) -> None: ...


class HttpConnector:
    name = "authority"
    online = True
    refused: list[str] = []  # taxpayers the last ledger call was refused for
    more = False  # whether the last ledger page was full: more rows follow at once
    served = 0  # rows on the last ledger page, those dropped here (no number to check) included

    def __init__(self, base_url: str, timeout: float, session: requests.Session | None = None,
                 token: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()
        self._headers = {"Authorization": f"Bearer {token}"}

    def _call(self, method: str, path: str, **kwargs) -> dict:
        try:
            res = self.session.request(method, self.base_url + path, timeout=self.timeout, headers=self._headers,
                                       **kwargs)
        except requests.Timeout:
            raise ConnectorError("connector.timeout") from None
        except requests.RequestException:
            raise ConnectorError("connector.down") from None
        if res.status_code >= 500:
            # An announced maintenance says so, and until when (the schedule waits for that end); anything else is
            # an outage.
            failure = _json(res)
            if isinstance(failure, dict) and failure.get("error") == "maintenance":
                raise ConnectorError("connector.maintenance", status=res.status_code,
                                     until=_naive_utc(failure.get("until")))
            raise ConnectorError("connector.down", status=res.status_code)
        if res.status_code in (401, 403):
            # The token is wrong or missing: a setting to fix, which says nothing about any invoice.
            raise ConnectorError("connector.unauthorized", status=res.status_code)
        try:
            body = res.json()
        except ValueError:
            raise ConnectorError("connector.bad_response") from None
        if not isinstance(body, dict) or res.status_code >= 400:
            raise ConnectorError("connector.bad_response", status=res.status_code)
        return body

    def lookup(self, query: Query) -> Result:
        try:
            body = self._call("POST", "/api/v1/verify", json=query.as_dict())
        except ConnectorError as exc:
            return Result(Outcome.UNAVAILABLE, error=exc.key, maintenance_until=exc.params.get("until"))
        outcome = _OUTCOMES.get(body.get("outcome"))
        fields = body.get("fields") or {}
        if outcome is None or not isinstance(fields, dict) or outcome == Outcome.UNAVAILABLE:
            return Result(Outcome.UNAVAILABLE, error="connector.bad_response")
        if outcome == Outcome.FOUND and str(fields.get("invoice_number") or "") != query.invoice_number:
            # Garbage that merely looks like "found" must never mark an invoice found.
            return Result(Outcome.UNAVAILABLE, error="connector.bad_response")
        diffs = body.get("differences") or []
        return Result(outcome, fields, tuple(str(d) for d in diffs if isinstance(d, str)),
                      remaining=body.get("remaining") if isinstance(body.get("remaining"), int) else None,
                      spent_quota=outcome not in _NO_QUOTA)

    def changes(self, cursor: str | None, buyers: list[str]) -> tuple[list[dict], str | None]:
        """The ledger rows of these taxpayers (buyer tax IDs) changed since the cursor. The platform shows a
        taxpayer only their own ledger: with none named there is nothing to ask for. The taxpayers it refused
        (the installation holds no authorisation for them) are left in `refused`; whether the page was full (more
        rows follow at once) in `more`; how many rows it had, before those of no checkable number were dropped, in
        `served`. The cursor is the platform's, opaque: stored and sent back unchanged."""
        if not buyers:
            return [], cursor
        params = {"buyer": ",".join(buyers), **({"since": cursor} if cursor else {})}
        body = self._call("GET", "/api/v1/ledger", params=params)
        refused = body.get("refused") or []
        self.refused = sorted({str(t).upper() for t in refused if isinstance(t, str)}) if isinstance(
            refused, list) else []
        self.more = body.get("more") is True
        rows, new_cursor = body.get("rows"), body.get("cursor")
        if not isinstance(rows, list) or not isinstance(new_cursor, str):
            raise ConnectorError("connector.bad_response")
        self.served = len(rows)
        rows = [r for r in rows if isinstance(r, dict) and checkable_number(str(r.get("invoice_number") or ""))]
        return rows, new_cursor

    def issue(self, fields: dict) -> None:
        self._call("POST", "/api/v1/invoices", json=fields)


def _json(res):
    try:
        return res.json()
    except ValueError:
        return None


def _naive_utc(raw) -> dt.datetime | None:
    """An ISO time of the far side as naive UTC; None when it is none or no time (never an exception: a far side's
    odd `until` is not a reason for a check to fail)."""
    try:
        return utc_datetime(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


class LedgerOnly:
    """No online look-ups: an invoice is known only from imported export files."""

    name = "ledger"
    online = False

    def lookup(self, query: Query) -> Result:
        return Result(Outcome.NOT_FOUND)

    def changes(self, cursor: str | None, buyers: list[str]) -> tuple[list[dict], str | None]:
        return [], cursor

    def issue(self, fields: dict) -> None:
        return None


def make_connector(kind: str, url: str, timeout: float, token: str = "") -> Connector | None:
    if kind == "simulator":
        return HttpConnector(url, timeout, token=token)
    if kind == "ledger":
        return LedgerOnly()
    return None
