"""What a cell holds, decided once for every writer: its kind, how a value of that kind is told apart from
text, and which text must be neutralised before a spreadsheet program sees it."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Kind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"  # general number format (quantities, unit prices)
    TWO_DECIMALS = "two_decimals"  # 0.00: amounts, taxes, totals, confidences
    DATE = "date"
    DATETIME = "datetime"


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = Kind.TEXT
    width: float | None = None  # in characters; None: from the header and the kind

    def display_width(self) -> float:
        if self.width is not None:
            return self.width
        return max(text_width(self.header) + 2, MIN_WIDTH[self.kind])


MIN_WIDTH = {Kind.TEXT: 12, Kind.INTEGER: 8, Kind.NUMBER: 10, Kind.TWO_DECIMALS: 12, Kind.DATE: 11,
             Kind.DATETIME: 19}

# Excel (and LibreOffice, Google Sheets) start a formula at these; a tab or CR can hide one after it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain decimal literal, as the reader stores amounts (-12.00, 3, 0.5): ASCII digits only, since a cell's
# <v> takes nothing else. Called as is_number(text): a match, or None.
is_number = re.compile(r"-?[0-9]+(?:\.[0-9]+)?").fullmatch
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
EXCEL_EPOCH = dt.date(1899, 12, 30).toordinal()  # serial 0 (Excel's 1900 system, past its 1900 leap-year bug)
MAX_CELL_TEXT = 32_767  # Excel's limit on one cell


def risky(text: str) -> bool:
    """Text a spreadsheet program would take for a formula (or a DDE call) when opened or re-saved."""
    return text.startswith(FORMULA_STARTS)


def number_text(value) -> str | None:
    """The value as a plain decimal literal when it is a number (a numeric string counts); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else None
    if isinstance(value, float):
        return repr(value) if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, str) and is_number(value):
        return value
    return None


def as_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def excel_serial(value: dt.date | dt.datetime) -> float | int:
    """Days since Excel's epoch; a datetime adds the time of day as a fraction."""
    days = value.toordinal() - EXCEL_EPOCH
    if not isinstance(value, dt.datetime):
        return days
    seconds = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    return days + seconds / 86400


def two_decimals(text: str) -> str:
    return format(Decimal(text).quantize(Decimal("0.01")), "f")


def text_width(text: str) -> float:
    """Width in Excel's character units: CJK and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
