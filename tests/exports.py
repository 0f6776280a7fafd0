"""Build export files in the platform's 全量发票查询 format (xlsx and csv) for tests and benches."""

from __future__ import annotations

import csv
import io

BASIC_HEADER = ["序号", "发票代码", "发票号码", "数电发票号码", "销方识别号", "销方名称", "购方识别号", "购买方名称",
                "开票日期", "金额", "税额", "价税合计", "发票来源", "发票票种", "发票状态", "是否正数发票",
                "发票风险等级", "开票人", "备注"]
ITEMS_HEADER = ["序号", "发票代码", "发票号码", "数电发票号码", "税收分类编码", "特定业务类型", "货物或应税劳务名称",
                "规格型号", "单位", "数量", "单价", "金额", "税率", "税额"]


def _header(spelling: str) -> list[str]:
    return [spelling if h == "数电发票号码" else h for h in BASIC_HEADER]


def export_xlsx(rows: list[dict], items: list[dict] = (), spelling: str = "数电发票号码",
                sheet: str = "发票基础信息") -> bytes:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    basic = book.create_sheet(sheet)
    header = _header(spelling)
    basic.append(header)
    for i, row in enumerate(rows, start=1):
        basic.append([i if h == "序号" else row.get("数电发票号码" if h == spelling else h) for h in header])
    if items:
        sheet_items = book.create_sheet("信息汇总表")
        sheet_items.append(ITEMS_HEADER)
        for i, item in enumerate(items, start=1):
            sheet_items.append([i if h == "序号" else item.get(h) for h in ITEMS_HEADER])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_csv(rows: list[dict], spelling: str = "数电发票号码", encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    header = _header(spelling)
    writer.writerow(header)
    for i, row in enumerate(rows, start=1):
        writer.writerow([i if h == "序号" else row.get("数电发票号码" if h == spelling else h, "") for h in header])
    return out.getvalue().encode(encoding)


def table_xlsx(sheet: str, header: list[str], rows: list[dict]) -> bytes:
    """Any one-sheet export (e.g. the 抵扣勾选 export): `rows` map header names to cells."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    ws.append(header)
    for i, row in enumerate(rows, start=1):
        ws.append([i if h == "序号" else row.get(h) for h in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


DEDUCTION_HEADER = ["序号", "是否勾选", "数电发票号码", "开票日期", "金额", "票面税额", "有效抵扣税额", "购买方识别号",
                    "销售方纳税人名称", "销售方纳税人识别号", "发票来源", "票种", "发票状态", "红字锁定标志",
                    "发票风险等级", "风险状态"]
