"""Read the platform's 全量发票查询 export (xlsx or csv) into plain rows.

Sheet 发票基础信息 holds one row per invoice (19 columns; the 数电 number is headed 数电发票号码 in
some files and 数电票号码 in others); sheet 信息汇总表 adds line items, attached to their invoice.
Rows that cannot be used are reported with their row number and kept out; the rest go on.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from python_calamine import CalamineError, CalamineWorkbook

from .. import archive
from ..errors import InputError
from . import xlsx
from .matching import invoice_key

BASIC_SHEET = "发票基础信息"
ITEMS_SHEET = "信息汇总表"
# Our name → the headers it may have in an export.
COLUMNS = {
    "invoice_code": ("发票代码",),
    "invoice_number": ("发票号码",),
    "digital_number": ("数电发票号码", "数电票号码"),
    "seller_tax_id": ("销方识别号", "销售方纳税人识别号", "销售方识别号"),
    "seller_name": ("销方名称", "销售方纳税人名称", "销售方名称"),
    "buyer_tax_id": ("购方识别号", "购买方识别号"),
    "buyer_name": ("购买方名称", "购方名称"),
    "issue_date": ("开票日期",),
    "amount": ("金额",),
    "tax": ("税额", "票面税额"),
    "total": ("价税合计",),
    "source": ("发票来源",),
    "kind": ("发票票种", "票种"),
    "status": ("发票状态",),
    "positive": ("是否正数发票",),
    "risk": ("发票风险等级",),
    "remarks": ("备注",),
    # 入账 status (some exports), and the 抵扣勾选 export's own columns
    "entry_status": ("入账状态", "发票入账状态"),
    "selected": ("是否勾选", "勾选状态"),
    "deductible_tax": ("有效抵扣税额",),
    "red_lock": ("红字锁定标志",),
    "risk_state": ("风险状态",),
}
# Columns a file may lack without the row losing what the ledger already knows of them (the 抵扣勾选
# export has no buyer name, for one): only the columns the file has are written.
PARTIAL = ("invoice_code", "seller_tax_id", "seller_name", "buyer_tax_id", "buyer_name", "amount", "tax", "total",
           "kind", "risk", "remarks", "entry_status", "selected", "deductible_tax", "red_lock", "risk_state")
ITEM_COLUMNS = {
    "tax_class": ("税收分类编码",),
    "business": ("特定业务类型",),
    "name": ("货物或应税劳务名称",),
    "spec": ("规格型号",),
    "unit": ("单位",),
    "quantity": ("数量",),
    "price": ("单价",),
    "amount": ("金额",),
    "rate": ("税率",),
    "tax": ("税额",),
}
HEADER_SEARCH_ROWS = 5


@dataclass(frozen=True)
class ExportRow:
    line: int  # row number in the file, for error messages
    key: str
    values: dict  # LedgerRow columns
    row_hash: str


@dataclass
class ExportFile:
    rows: list[ExportRow] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)  # {line, key} of rows left out


def entry_of(value) -> tuple[str | None, str | None]:
    """The platform's 入账 status, given as its code (01/02/03/06) or in words, as (code, unbooked | booked |
    revoked). Words become their code: 已入账（企业所得税提前扣除）is 02, 已入账（企业所得税不扣除）03."""
    text = _text(value)
    if not text:
        return None, None
    if text.isdigit():
        code = text.zfill(2)
    elif "撤销" in text:
        code = "06"
    elif "未入账" in text:
        code = "01"
    elif "已入账" in text:
        code = "03" if "不扣除" in text else "02"
    else:
        return text[:8], None
    return code, ENTRY_CODES.get(code)


ENTRY_CODES = {"01": "unbooked", "02": "booked", "03": "booked", "06": "revoked"}


def _yes(value) -> bool | None:
    text = _text(value)
    if not text:
        return None
    return text in ("是", "已勾选", "Y", "y", "1", "true", "TRUE")


def state_of(status: str | None, positive: bool) -> str:
    text = status or ""
    if "作废" in text:
        return "voided"
    if "红冲" in text or "红字" in text:
        return "red_flushed"
    if "失控" in text or "异常" in text:
        return "abnormal"
    return "normal"


_PLAIN_MONEY = re.compile(r"-?\d+\.\d\d")
_PLAIN_DATE = re.compile(r"\d{4}-\d\d-\d\d")
EXCEL_EPOCH = dt.date(1899, 12, 30)


def _money(value) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, str) and _PLAIN_MONEY.fullmatch(value):
        return value  # already what we store: the common case, 10× cheaper than Decimal
    try:
        return str(Decimal(str(value).replace(",", "").replace("¥", "").strip()).quantize(Decimal("0.01")))
    except InvalidOperation:
        return None


def _date(value) -> str | None:
    if isinstance(value, str) and _PLAIN_DATE.match(value):
        return value[:10] if _valid_date(value[:10]) else None
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, int | float) and 1 < value < 2958466:  # an Excel serial day number
        return (EXCEL_EPOCH + dt.timedelta(days=int(value))).isoformat()
    text = str(value or "").strip().replace("/", "-").replace("年", "-").replace("月", "-").replace("日", "")
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return None


def _valid_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # numbers typed into cells as numbers
    text = str(value).strip()
    return text or None


def _header_map(header: tuple, columns: dict) -> dict[str, int]:
    names = [str(h).strip() if h is not None else "" for h in header]
    out = {}
    for ours, theirs in columns.items():
        for i, name in enumerate(names):
            if name in theirs:
                out[ours] = i
                break
    return out


def _find_header(rows: Iterator[tuple]) -> tuple[dict[str, int], int]:
    for line, row in enumerate(rows, start=1):
        mapping = _header_map(row, COLUMNS)
        if "invoice_number" in mapping or "digital_number" in mapping:
            missing = [c for c in ("issue_date",) if c not in mapping]
            if missing:
                raise InputError("ledger.missing_columns", columns="开票日期")
            return mapping, line
        if line >= HEADER_SEARCH_ROWS:
            break
    raise InputError("ledger.missing_columns", columns="发票号码 / 数电发票号码, 开票日期")


def _row(values: tuple, mapping: dict[str, int], line: int) -> ExportRow | dict:
    def get(name):
        i = mapping.get(name)
        return values[i] if i is not None and i < len(values) else None

    code = _text(get("invoice_code"))
    number = _text(get("digital_number")) if not code else None
    number = number or _text(get("invoice_number")) or _text(get("digital_number"))
    date = _date(get("issue_date"))
    if not number or not number.isdigit():
        column = mapping.get("digital_number" if "invoice_number" not in mapping else "invoice_number")
        return _problem(line, "invoice_number", column)
    if not date:
        return _problem(line, "issue_date", mapping.get("issue_date"))
    positive = (_text(get("positive")) or "是") not in ("否", "N", "n", "false", "0")
    status = _text(get("status"))
    entry_status, entry = entry_of(get("entry_status"))
    out = {
        "invoice_code": code, "invoice_number": number, "issue_date": date,
        "seller_tax_id": _text(get("seller_tax_id")), "seller_name": _text(get("seller_name")),
        "buyer_tax_id": _text(get("buyer_tax_id")), "buyer_name": _text(get("buyer_name")),
        "amount": _money(get("amount")), "tax": _money(get("tax")), "total": _money(get("total")),
        "state": state_of(status, positive), "positive": positive, "kind": _text(get("kind")),
        "risk": _text(get("risk")), "remarks": _text(get("remarks")), "entry_status": entry_status, "entry": entry,
        "selected": _yes(get("selected")), "deductible_tax": _money(get("deductible_tax")),
        "red_lock": _text(get("red_lock")), "risk_state": _text(get("risk_state")),
    }
    for name in PARTIAL:
        if name not in mapping and not (name == "invoice_code" and "digital_number" in mapping):
            del out[name]
    if "entry_status" not in out:
        del out["entry"]
    if "status" not in mapping:
        del out["state"]
    if "positive" not in mapping:
        del out["positive"]
    return ExportRow(line, invoice_key(code, number), out, row_hash(out))


def _problem(line: int, field: str, column: int | None) -> dict:
    """A row left out, and where: its line, the field, and the sheet's column letter (A, B, … AA) of it."""
    return {"line": line, "key": "ledger.row_unusable", "field": field,
            "column": _column_letter(column) if column is not None else None}


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def row_hash(values: dict) -> str:
    """What re-import compares: the same row imported again changes nothing."""
    text = "\x1f".join(f"{k}={values[k]!r}" for k in sorted(values))
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _rows(rows: Iterator[tuple], problems: list[dict], items: dict[str, list[dict]]) -> Iterator[ExportRow]:
    mapping, header_line = _find_header(rows)
    for line, values in enumerate(rows, start=header_line + 1):
        if not any(v not in (None, "") for v in values):
            continue
        row = _row(values, mapping, line)
        if not isinstance(row, ExportRow):
            problems.append(row)
        elif row.key in items:
            yield _with_items(row, items[row.key])
        else:
            yield row


def _items(rows: Iterator[tuple]) -> dict[str, list[dict]]:
    """Line items by invoice key; a sheet without key columns contributes nothing."""
    by_key: dict[str, list[dict]] = {}
    header = next(rows, None)
    if header is None:
        return by_key
    keys = _header_map(header, COLUMNS)
    items = _header_map(header, ITEM_COLUMNS)
    if "invoice_number" not in keys and "digital_number" not in keys:
        return by_key
    for values in rows:
        def get(mapping, name, values=values):
            i = mapping.get(name)
            return values[i] if i is not None and i < len(values) else None
        code = _text(get(keys, "invoice_code"))
        number = (_text(get(keys, "digital_number")) if not code else None) or _text(get(keys, "invoice_number"))
        if number:
            item = {k: _text(get(items, k)) for k in items}
            by_key.setdefault(invoice_key(code, number), []).append(item)
    return by_key


def read_export(data: bytes, filename: str = "") -> ExportFile:
    """Parse a whole (small) export in memory. Raises InputError for a file that cannot be read at all."""
    with open_export(io.BytesIO(data), filename) as stream:
        return ExportFile(list(stream.rows), stream.problems)


@dataclass
class ExportStream:
    rows: Iterator[ExportRow]  # read lazily: a million-row file never sits in memory at once
    problems: list[dict]  # grows while `rows` is read


@contextmanager
def open_export(fh: BinaryIO, filename: str = "") -> Iterator[ExportStream]:
    """Stream the rows of an export file (xlsx or csv) from a seekable binary file."""
    head = fh.read(4)
    fh.seek(0)
    problems: list[dict] = []
    if head == b"PK\x03\x04":
        with _xlsx_sheets(fh) as sheets:
            yield ExportStream(_xlsx_rows(sheets, problems), problems)
    elif filename.lower().endswith((".xlsx", ".xls")):
        raise InputError("ledger.unreadable", detail="not an xlsx (zip) file")
    else:
        text = io.TextIOWrapper(fh, encoding=_text_encoding(fh), newline="")
        try:
            yield ExportStream(_csv_rows(text, problems), problems)
        finally:
            text.detach()


def _csv_rows(text: io.TextIOWrapper, problems: list[dict]) -> Iterator[ExportRow]:
    try:
        yield from _rows(iter(csv.reader(text)), problems, {})
    except (UnicodeDecodeError, csv.Error) as exc:  # a damaged file: stop here, keep what was read
        raise InputError("ledger.unreadable", detail=type(exc).__name__) from None


def _text_encoding(fh: BinaryIO) -> str:
    """UTF-8 (with or without BOM) or GB18030, judged on the first 64 kB."""
    sample = fh.read(65536)
    fh.seek(0)
    if b"\x00" in sample[:4096]:
        raise InputError("ledger.unsupported_type")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=False)
        return "gb18030"
    except UnicodeDecodeError:
        raise InputError("ledger.unreadable", detail="unknown text encoding") from None


def _xlsx_rows(sheets: dict, problems: list[dict]) -> Iterator[ExportRow]:
    names = list(sheets)
    basic = BASIC_SHEET if BASIC_SHEET in names else (names[0] if len(names) == 1 else None)
    if basic is None:
        raise InputError("ledger.no_sheet")
    try:
        items = _items(sheets[ITEMS_SHEET]()) if ITEMS_SHEET in names else {}
        yield from _rows(sheets[basic](), problems, items)
    except (xlsx.XlsxError, CalamineError, ValueError) as exc:
        raise InputError("ledger.unreadable", detail=type(exc).__name__) from None


# Up to this size an xlsx is read by calamine (Rust: ~60k rows/s, but it holds the whole sheet,
# ~1.6 kB per row); above it, by the streaming reader in xlsx.py (~8k rows/s, bounded memory).
CALAMINE_MAX_BYTES = 16 * 1024 * 1024


@contextmanager
def _xlsx_sheets(fh: BinaryIO):
    size = fh.seek(0, io.SEEK_END)
    _check_archive(fh)
    fh.seek(0)
    reader = _calamine_sheets if size <= CALAMINE_MAX_BYTES else _streamed_sheets
    with reader(fh) as sheets:
        yield sheets


@contextmanager
def _calamine_sheets(fh: BinaryIO):
    try:
        book = CalamineWorkbook.from_filelike(fh)
    except (CalamineError, ValueError, OSError) as exc:
        raise InputError("ledger.unreadable", detail=type(exc).__name__) from None
    try:
        yield {name: (lambda name=name: book.get_sheet_by_name(name).iter_rows()) for name in book.sheet_names}
    finally:
        book.close()


def _check_archive(fh: BinaryIO) -> None:
    """Entries counted and declared sizes checked (backend/archive.py) before either reader
    starts: calamine inflates a sheet by itself, so a bomb is refused here or not at all."""
    try:
        with archive.open_zip(fh, archive.XLSX) as book:
            book.check_all()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError("ledger.unreadable", detail=type(exc).__name__) from None


@contextmanager
def _streamed_sheets(fh: BinaryIO):
    with ExitStack() as stack:
        try:
            book = stack.enter_context(archive.open_zip(fh, archive.XLSX))  # members inflate within its caps
            paths = xlsx.sheet_paths(book)
            strings = xlsx.shared_strings(book)
        except (zipfile.BadZipFile, OSError, xlsx.XlsxError) as exc:
            raise InputError("ledger.unreadable", detail=type(exc).__name__) from None
        yield {name: (lambda part=part: xlsx.iter_rows(book, part, strings)) for name, part in paths.items()}


def _with_items(row: ExportRow, items: list[dict]) -> ExportRow:
    values = {**row.values, "items": items}
    return ExportRow(row.line, row.key, values, row_hash(values))
