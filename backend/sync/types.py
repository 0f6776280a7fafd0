"""What the authority answers, as frozen values shared by connectors, the machine and diagnosis."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    """Stable keys of a look-up's outcome, mirrored by the SPA (timeline) and translated there."""

    FOUND = "found"  # found and consistent
    NOT_FOUND = "not_found"  # 查无此票
    INCONSISTENT = "inconsistent"  # 不一致: found, but fields differ
    SAME_DAY = "same_day"  # 当天票: issued today, cannot be verified yet
    QUOTA = "quota_exceeded"  # 超次数: 5 look-ups of this invoice today
    TOO_OLD = "too_old"  # 超五年
    VOIDED = "voided"  # 作废
    RED_FLUSHED = "red_flushed"  # 红冲
    UNSUPPORTED = "unsupported"  # region/type the platform cannot verify
    UNAVAILABLE = "unavailable"  # the connector failed: down, timeout, garbage


def checkable_number(text: str | None) -> str | None:
    """The invoice number as the platform takes it, ASCII digits (isdigit() alone takes "²"); None when
    there is none or it is no such number (a paper train ticket's red serial, E066712)."""
    return text if text and text.isascii() and text.isdigit() else None


# Outcomes that say something about the invoice (not about the connector).
DEFINITIVE = {Outcome.FOUND, Outcome.INCONSISTENT, Outcome.VOIDED, Outcome.RED_FLUSHED, Outcome.TOO_OLD,
              Outcome.UNSUPPORTED}


@dataclass(frozen=True)
class Query:
    """What a look-up sends: the key plus the fields the platform compares."""

    invoice_code: str | None
    invoice_number: str
    issue_date: str | None  # YYYY-MM-DD
    amount: str | None  # 金额 (pre-tax), what 01/04/10 are checked with
    total: str | None  # 价税合计, what 数电 31/32 are checked with
    check_code: str | None  # the platform asks for the last 6 characters

    @property
    def key(self) -> str:
        return f"{self.invoice_code}-{self.invoice_number}" if self.invoice_code else self.invoice_number

    def as_dict(self) -> dict:
        return {"invoice_code": self.invoice_code, "invoice_number": self.invoice_number,
                "issue_date": self.issue_date, "amount": self.amount, "total": self.total,
                "check_code": self.check_code}


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    fields: dict = field(default_factory=dict)  # the authority's fields when it has the invoice
    differences: tuple[str, ...] = ()  # field names that differ (inconsistent)
    error: str | None = None  # stable key when UNAVAILABLE: connector.down / timeout / bad_response
    remaining: int | None = None  # look-ups of this invoice left today, when the platform says
    spent_quota: bool = False  # this look-up counted against the daily quota
    maintenance_until: dt.datetime | None = None  # UNAVAILABLE for an announced maintenance: its announced end
    at: dt.datetime | None = None

    def as_dict(self) -> dict:
        return {"outcome": self.outcome.value, "fields": self.fields, "differences": list(self.differences),
                "error": self.error, "remaining": self.remaining}
