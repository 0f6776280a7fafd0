"""A streaming CSV writer in the shape Excel opens without a wizard: UTF-8 with a BOM, CRLF, one table.

Values are written as their kind reads in a spreadsheet (ISO dates, numbers with two decimals where the
column has them); text that a spreadsheet would take for a formula gets a leading apostrophe — in CSV there
is no cell type to mark it with.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence

from . import cells
from .cells import Column, Kind

MIMETYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"


# Formatters run once per cell; the common cases (text, amounts already written with two decimals, float
# confidences) take the short path.
def _text(value) -> str:
    text = value if value.__class__ is str else str(value)
    return "'" + text if text.startswith(cells.FORMULA_STARTS) else text


def _number(value) -> str:
    literal = cells.number_text(value)
    return _text(value) if literal is None else literal


def _two_decimals(value) -> str:
    if value.__class__ is str and len(value) > 3 and value[-3] == "." and cells.is_number(value):
        return value  # "1234.50", as the reader stores amounts
    if value.__class__ is float and value == value and abs(value) != float("inf"):
        return f"{value:.2f}"
    literal = cells.number_text(value)
    return _text(value) if literal is None else cells.two_decimals(literal)


def _date(value) -> str:
    day = cells.as_date(value)
    return _text(value) if day is None else day.isoformat()


def _datetime(value) -> str:
    if not hasattr(value, "hour"):
        return _date(value)
    return value.replace(microsecond=0).isoformat(sep=" ")


FORMATTERS: dict[Kind, Callable[[object], str]] = {
    Kind.TEXT: _text, Kind.INTEGER: _number, Kind.NUMBER: _number, Kind.TWO_DECIMALS: _two_decimals,
    Kind.DATE: _date, Kind.DATETIME: _datetime,
}


class CsvStream:
    """begin(table) → rows(batch)… → finish(); take() after any of them. One table per file."""

    mimetype = MIMETYPE
    extension = "csv"

    def __init__(self) -> None:
        self._buf = io.StringIO()
        self._csv = csv.writer(self._buf)  # excel dialect: CRLF, quotes where needed
        self._formats: list[Callable[[object], str]] | None = None
        self._buf.write(BOM)

    def begin(self, title: str, columns: Sequence[Column], expected_rows: int = 0) -> None:
        if self._formats is not None:
            raise ValueError("a CSV file holds one table")
        self._formats = [FORMATTERS[c.kind] for c in columns]
        self._csv.writerow([c.header for c in columns])

    def rows(self, rows: Iterable[Sequence]) -> None:
        formats = self._formats
        self._csv.writerows([["" if v is None else f(v) for f, v in zip(formats, row, strict=True)] for row in rows])

    def finish(self) -> None:
        pass

    def take(self) -> bytes:
        data = self._buf.getvalue().encode("utf-8")
        self._buf.seek(0)
        self._buf.truncate()
        return data
