"""The status machine of an invoice at the authority.

    extracted / needs_review → pending_sync → found | mismatch | voided | red_flushed | not_found | sync_error

`pending_sync` turns into `not_found` once the invoice is overdue (past the sync window and its
slack); connector failures never decide anything about the invoice itself, except that many in a
row for one invoice end in `sync_error` for a person to look at.
"""

from __future__ import annotations

import datetime as dt

from ..models import InvoiceStatus as S
from .types import Outcome

ENTRY = {S.EXTRACTED.value, S.NEEDS_REVIEW.value}
# Statuses the scheduler keeps looking at; the rest are settled until a person changes a field.
WATCHED = {S.PENDING_SYNC.value, S.NOT_FOUND.value, S.SYNC_ERROR.value}
SYNC_STATUSES = WATCHED | {S.FOUND.value, S.MISMATCH.value, S.VOIDED.value, S.RED_FLUSHED.value}
ERRORS_BEFORE_SYNC_ERROR = 5

_SETTLED = {
    Outcome.FOUND: S.FOUND,
    Outcome.INCONSISTENT: S.MISMATCH,
    Outcome.VOIDED: S.VOIDED,
    Outcome.RED_FLUSHED: S.RED_FLUSHED,
    Outcome.TOO_OLD: S.NOT_FOUND,
    Outcome.UNSUPPORTED: S.NOT_FOUND,
}
# These outcomes end the automatic re-checks: asking again gives the same answer.
STOPS_CHECKING = set(_SETTLED)


def next_status(outcome: Outcome, *, now: dt.datetime, overdue_at: dt.datetime, errors_in_row: int) -> str:
    if outcome in _SETTLED:
        return _SETTLED[outcome].value
    if outcome == Outcome.UNAVAILABLE and errors_in_row >= ERRORS_BEFORE_SYNC_ERROR:
        return S.SYNC_ERROR.value
    return (S.NOT_FOUND if now >= overdue_at else S.PENDING_SYNC).value
