"""A ledger import names where each row it left out is: its line, the field and the sheet's column."""

from __future__ import annotations

from backend.services import ledger
from backend.sync.exportfile import read_export

from .exports import BASIC_HEADER, export_xlsx

GOOD = {"发票代码": "1100094140", "发票号码": "87654321", "开票日期": "2026-01-04", "金额": "100.00", "税额": "13.00",
        "价税合计": "113.00", "发票状态": "正常"}


def _letter(header: str) -> str:
    return chr(ord("A") + BASIC_HEADER.index(header))


def test_each_left_out_row_says_its_line_field_and_column():
    rows = [GOOD, {**GOOD, "发票号码": "ABC"}, {**GOOD, "发票号码": "87654322", "开票日期": "someday"}]
    problems = read_export(export_xlsx(rows), "x.xlsx").problems
    assert problems == [
        {"line": 3, "key": "ledger.row_unusable", "field": "invoice_number", "column": _letter("发票号码")},
        {"line": 4, "key": "ledger.row_unusable", "field": "issue_date", "column": _letter("开票日期")},
    ]


def test_the_import_summary_keeps_them(rt, team):
    summary = ledger.import_file(rt, team, export_xlsx([GOOD, {**GOOD, "发票号码": ""}]), "x.xlsx").as_dict()
    assert summary["problem_count"] == 1
    assert summary["problems"] == [{"line": 3, "key": "ledger.row_unusable", "field": "invoice_number",
                                    "column": "C"}]
