"""Who may speak to the simulated platform, and which taxpayers' ledger a request may read.

One bearer token per installation (FAPIAO_SIMULATOR_TOKEN, or generated into the data dir, mode 0600):
the app's connector holds it, as a registered service provider holds its credentials at the platform.
A ledger is never served whole: like the platform's 全量发票查询, it shows the invoices made out to the
taxpayers the request names, and only those.
"""

from __future__ import annotations

import hashlib
import hmac

MAX_TAXPAYERS = 2000  # per ledger request (a team may register 200 buyer entities)
MAX_TAX_ID = 24


def bearer(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None for any other header."""
    scheme, _, token = (header or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def token_ok(given: str | None, expected: str) -> bool:
    """Constant time in the token's content and length: both sides are hashed to one size first."""
    if not given or not expected:
        return False
    return hmac.compare_digest(hashlib.sha256(given.encode()).digest(), hashlib.sha256(expected.encode()).digest())


def taxpayers(raw: str | None) -> list[str] | None:
    """The `buyer` list of a ledger request (comma-separated tax IDs), upper-cased and unique; None when it is
    missing, too long or holds something that is no tax ID."""
    ids = list(dict.fromkeys(b.strip().upper() for b in (raw or "").split(",") if b.strip()))
    if not ids or len(ids) > MAX_TAXPAYERS:
        return None
    if not all(len(b) <= MAX_TAX_ID and b.isascii() and b.isalnum() for b in ids):
        return None
    return ids
