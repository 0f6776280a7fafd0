"""A streaming xlsx writer: sheets of inline strings and numbers, deflated into a zip as rows arrive.

Why not a library: openpyxl keeps every cell as a Python object until it saves (gigabytes at 100k rows) and
xlsxwriter's constant_memory mode still writes the whole file to disk before the first byte can be sent.
This writes each batch of rows straight into the zip member of its sheet and hands back the compressed bytes
(`take()`), so memory stays at one batch and a download starts at once; bench/export.py measures all three.

What it writes is what the spreadsheet needs and no more: one style sheet (dates, date-times, 0.00, a bold
header, text marked as text), a frozen header row with an autofilter, column widths, and inline strings (a
shared-string table would need every string before the first sheet). Sheets are written one after another.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from xml.sax.saxutils import quoteattr

from . import cells
from .cells import Column, Kind

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 1_048_576  # Excel's rows per sheet, the header included
ZIP64_FROM_ROWS = 400_000  # a sheet this long may pass zip's 2 GiB member limit; smaller ones stay plain zip
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# Every .xml part without an override is a worksheet: the content types can be written first, before the
# number of sheets is known.
CONTENT_TYPES = _HEAD + (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>")
ROOT_RELS = _HEAD + (
    f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')

# Cell styles, by index into cellXfs below.
S_DATE, S_DATETIME, S_TWO_DECIMALS, S_HEADER, S_TEXT_MARKED = 1, 2, 3, 4, 5
STYLES = _HEAD + (
    f'<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="6"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    # quotePrefix: what Excel itself stores for text typed as '=…: shown as typed, never run as a formula.
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>")

_STRIP = {c: None for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF)}
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", **_STRIP})
_needs_escape = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]").search  # cheaper than a translate


class SheetFull(Exception):
    """The sheet already holds as many rows as Excel opens."""


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def escape(text: str) -> str:
    if len(text) > cells.MAX_CELL_TEXT:
        text = text[:cells.MAX_CELL_TEXT]
    return text.translate(_ESCAPE) if _needs_escape(text) else text


# Cell writers: (start, row, value) → the cell's XML, where start is '<c r="B' for column B and row the row
# number as text. These run once per cell (4 million at 100k invoices), hence the plain code: exact class
# checks, no helper calls on the common path.
def _text(start: str, row: str, value) -> str:
    text = value if value.__class__ is str else str(value)
    if _needs_escape(text) or len(text) > cells.MAX_CELL_TEXT:
        text = escape(text)
    marked = f' s="{S_TEXT_MARKED}"' if text.startswith(cells.FORMULA_STARTS) else ""
    # Spaces at the ends need xml:space or readers drop them (strip() hands back the same string when there
    # are none; were it ever a copy, the attribute is merely written where it is not needed).
    space = "" if text.strip() is text else ' xml:space="preserve"'
    return f'{start}{row}" t="inlineStr"{marked}><is><t{space}>{text}</t></is></c>'


def _number(style: str) -> Callable[[str, str, object], str]:
    def cell(start: str, row: str, value) -> str:
        kind = value.__class__
        if kind is str:
            literal = value if cells.is_number(value) else None
        elif kind is float:
            literal = repr(value) if value - value == 0 else None  # NaN and infinities are no numbers in xlsx
        else:
            literal = cells.number_text(value)
        if literal is None:
            return _text(start, row, value)
        return f'{start}{row}"{style}><v>{literal}</v></c>'

    return cell


def _date(start: str, row: str, value) -> str:
    day = cells.as_date(value)
    if day is None:
        return _text(start, row, value)
    return f'{start}{row}" s="{S_DATE}"><v>{cells.excel_serial(day)}</v></c>'


def _datetime(start: str, row: str, value) -> str:
    if not hasattr(value, "hour"):
        return _date(start, row, value)
    return f'{start}{row}" s="{S_DATETIME}"><v>{cells.excel_serial(value):.10f}</v></c>'


CELL_WRITERS: dict[Kind, Callable[[str, str, object], str]] = {
    Kind.TEXT: _text, Kind.INTEGER: _number(""), Kind.NUMBER: _number(""),
    Kind.TWO_DECIMALS: _number(f' s="{S_TWO_DECIMALS}"'), Kind.DATE: _date, Kind.DATETIME: _datetime,
}

# A batch is written column by column: one list comprehension per column writes the common case inline (plain
# text, numbers already numbers or numeric text) and hands anything else to the cell writer above; the rows
# are then joined from the columns. A function call per cell costs more than the cell itself (1.7x slower).
Cells = Callable[[str, list[str], Sequence, Callable], list[str]]


def _text_column(start: str, rows: list[str], values: Sequence, write: Callable) -> list[str]:
    starts = cells.FORMULA_STARTS
    return ["" if v is None or v == "" else
            f'{start}{n}" t="inlineStr"><is><t>{v}</t></is></c>'
            if v.__class__ is str and not _needs_escape(v) and not v.startswith(starts) and len(v) <= _LONG
            and v.strip() is v
            else write(start, n, v) for n, v in zip(rows, values, strict=True)]


def _number_column(style: str) -> Cells:
    def column(start: str, rows: list[str], values: Sequence, write: Callable) -> list[str]:
        is_number = cells.is_number
        return ["" if v is None or v == "" else
                f'{start}{n}"{style}><v>{v!r}</v></c>' if v.__class__ is float and v - v == 0 else
                f'{start}{n}"{style}><v>{v}</v></c>' if v.__class__ is int or v.__class__ is str and is_number(v)
                else write(start, n, v) for n, v in zip(rows, values, strict=True)]

    return column


def _any_column(start: str, rows: list[str], values: Sequence, write: Callable) -> list[str]:
    return ["" if v is None or v == "" else write(start, n, v) for n, v in zip(rows, values, strict=True)]


_LONG = cells.MAX_CELL_TEXT
COLUMN_WRITERS: dict[Kind, Cells] = {
    Kind.TEXT: _text_column, Kind.INTEGER: _number_column(""), Kind.NUMBER: _number_column(""),
    Kind.TWO_DECIMALS: _number_column(f' s="{S_TWO_DECIMALS}"'), Kind.DATE: _any_column,
    Kind.DATETIME: _any_column,
}


class XlsxStream:
    """begin(sheet) → rows(batch)… → begin(next sheet) … → finish(); take() after any of them."""

    mimetype = MIMETYPE
    extension = "xlsx"

    def __init__(self, compresslevel: int = 1) -> None:
        # Level 1: a third larger than level 6 and twice as fast; the file is downloaded once.
        self._out = _Sink()
        self._zip = zipfile.ZipFile(self._out, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self._zip.writestr("[Content_Types].xml", CONTENT_TYPES)
        self._zip.writestr("_rels/.rels", ROOT_RELS)
        self._zip.writestr("xl/styles.xml", STYLES)
        self._sheets: list[tuple[str, int, int]] = []  # title, columns, rows written (header included)
        self._part = None
        self._writers: list[tuple[str, Callable]] = []
        self._row = 0

    def begin(self, title: str, columns: Sequence[Column], expected_rows: int = 0) -> None:
        self._end_sheet()
        name = f"xl/worksheets/sheet{len(self._sheets) + 1}.xml"
        self._part = self._zip.open(name, "w", force_zip64=expected_rows >= ZIP64_FROM_ROWS)
        self._sheets.append((title, len(columns), 0))
        self._writers = [(f'<c r="{column_letter(i)}', COLUMN_WRITERS[c.kind], CELL_WRITERS[c.kind])
                         for i, c in enumerate(columns)]
        widths = "".join(f'<col min="{i}" max="{i}" width="{c.display_width():.1f}" customWidth="1"/>'
                         for i, c in enumerate(columns, 1))
        tab = ' tabSelected="1"' if len(self._sheets) == 1 else ""
        header = "".join(f'{start}1" t="inlineStr" s="{S_HEADER}"><is><t>{escape(c.header)}</t></is></c>'
                         for (start, _, _), c in zip(self._writers, columns, strict=True))
        self._part.write((
            f'{_HEAD}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><sheetViews><sheetView workbookViewId="0"{tab}>'
            '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
            '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/><cols>{widths}</cols><sheetData>'
            f'<row r="1">{header}</row>').encode())
        self._row = 1

    def rows(self, rows: Iterable[Sequence]) -> None:
        """Append rows to the current sheet: values in column order, None for an empty cell."""
        batch = list(rows)
        room = MAX_ROWS - self._row
        if batch[room:]:
            self.rows(batch[:room])
            raise SheetFull(MAX_ROWS)
        if not batch:
            return
        numbers = [str(n) for n in range(self._row + 1, self._row + 1 + len(batch))]
        columns = [column(start, numbers, values, cell) for (start, column, cell), values
                   in zip(self._writers, zip(*batch, strict=True), strict=True)]
        by_row = zip(numbers, zip(*columns, strict=True), strict=True)
        xml = "".join([f'<row r="{n}">{"".join(row)}</row>' for n, row in by_row])
        self._part.write(xml.encode())
        self._row += len(batch)

    def _end_sheet(self) -> None:
        if self._part is None:
            return
        title, ncols, _ = self._sheets[-1]
        self._sheets[-1] = (title, ncols, self._row)
        last = f"{column_letter(ncols - 1)}{self._row}"
        self._part.write(f'</sheetData><autoFilter ref="A1:{last}"/></worksheet>'.encode())
        self._part.close()
        self._part = None

    def finish(self) -> None:
        self._end_sheet()
        self._zip.writestr("xl/workbook.xml", self._workbook())
        rels = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                       for i in range(1, len(self._sheets) + 1))
        styles = len(self._sheets) + 1
        self._zip.writestr("xl/_rels/workbook.xml.rels", f'{_HEAD}<Relationships xmlns="{_PKG}">{rels}'
                           f'<Relationship Id="rId{styles}" Type="{_REL}/styles" Target="styles.xml"/>'
                           "</Relationships>")
        self._zip.close()

    def _workbook(self) -> str:
        sheets = "".join(f'<sheet name={quoteattr(title)} sheetId="{i}" r:id="rId{i}"/>'
                         for i, (title, _, _) in enumerate(self._sheets, 1))
        # Excel keeps an autofilter's range as this hidden name; without it, it offers to repair the file.
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
            f"{_quote_sheet(title)}!$A$1:${column_letter(ncols - 1)}${rows}</definedName>"
            for i, (title, ncols, rows) in enumerate(self._sheets))
        return (f'{_HEAD}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/></bookViews>'
                f"<sheets>{sheets}</sheets><definedNames>{names}</definedNames></workbook>")

    def take(self) -> bytes:
        return self._out.take()


def _quote_sheet(title: str) -> str:
    return "'" + escape(title.replace("'", "''")) + "'"


class _Sink:
    """A write-only, unseekable file for zipfile: it collects what is written until taken (zipfile then
    writes each member's sizes after its data, as streaming zips do)."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._pos = 0

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        self._pos += len(data)
        return len(data)

    def tell(self) -> int:
        return self._pos

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data
