"""Our reimbursement and booking against the authority's 入账 status and voiding, flag by flag."""

from __future__ import annotations

from backend.models import Invoice, LedgerRow, User
from backend.services import booking, claims, ledger
from backend.services.reconcile import flags_for

from . import factories
from .exports import BASIC_HEADER, DEDUCTION_HEADER, table_xlsx

NUMBER = "25112000000012345678"  # a 数电 invoice: the key is the bare number


def _import(rt, team, rows, header=None, sheet="发票基础信息"):
    data = table_xlsx(sheet, header or [*BASIC_HEADER, "入账状态"], rows)
    return ledger.import_file(rt, team, data, "export.xlsx")


def _invoice(team, **values):
    return factories.invoice(team, User.get(User.username == "alice"), invoice_code=None, invoice_number=NUMBER,
                             **values)


def _row(**cells):
    return {"数电发票号码": NUMBER, "开票日期": "2026-01-03", "金额": "442.48", "税额": "57.52", "价税合计": "500.00",
            "发票状态": "正常", "购买方名称": "北京示例科技有限公司", "销方名称": "上海华为技术有限公司", **cells}


def test_the_rules_alone():
    base = dict(status="found", reimbursement="unclaimed", booking="unbooked", duplicate=False, entry=None,
                ledger_state=None)
    assert flags_for(**base) == ()
    assert flags_for(**{**base, "booking": "booked", "entry": "unbooked"}) == ("booked_not_at_authority",)
    assert flags_for(**{**base, "booking": "booked", "entry": "revoked"}) == ("booked_not_at_authority",)
    assert flags_for(**{**base, "entry": "booked"}) == ("authority_booked_not_reimbursed",)
    assert flags_for(**{**base, "entry": "booked", "reimbursement": "reimbursed"}) == ()
    assert flags_for(**{**base, "reimbursement": "claimed", "ledger_state": "red_flushed"}) == (
        "reimbursed_then_voided",)
    assert flags_for(**{**base, "status": "voided", "booking": "booked"}) == ("booked_then_voided",)
    assert flags_for(**{**base, "duplicate": True, "reimbursement": "reimbursed"}) == ("duplicate_claimed",)


def test_booked_here_and_not_there(rt, team, boss):
    inv = _invoice(team)
    booking.book(rt, inv, boss, "2026-01", "记-7")
    _import(rt, team, [_row(入账状态="01")])
    assert LedgerRow.get().entry == "unbooked" and LedgerRow.get().entry_status == "01"
    assert Invoice.get_by_id(inv.id).flags == "|booked_not_at_authority|"
    _import(rt, team, [_row(入账状态="已入账（企业所得税提前扣除）")])
    assert Invoice.get_by_id(inv.id).flags is None  # agrees now: the flag goes
    assert LedgerRow.get().entry_status == "02"


def test_booked_there_and_not_reimbursed_here(rt, team, boss):
    inv = _invoice(team)
    _import(rt, team, [_row(入账状态="02")])
    assert Invoice.get_by_id(inv.id).flags == "|authority_booked_not_reimbursed|"
    claims.reimburse(rt, Invoice.get_by_id(inv.id), boss)
    assert Invoice.get_by_id(inv.id).flags is None


def test_reimbursed_then_voided_there_settles_the_found_invoice_again(rt, team, boss):
    inv = _invoice(team)
    claims.reimburse(rt, inv, boss)
    summary = _import(rt, team, [_row(发票状态="已作废", 入账状态=None)])
    after = Invoice.get_by_id(inv.id)
    assert summary.settled == 1 and after.status == "voided"
    assert after.flags == "|reimbursed_then_voided|" and after.reimbursement == "reimbursed"


def test_the_deduction_export_adds_its_columns_and_keeps_what_it_lacks(rt, team):
    inv = _invoice(team)
    _import(rt, team, [_row(备注="项目A 差旅", 入账状态="01")])
    deduction = {"是否勾选": "是", "数电发票号码": NUMBER, "开票日期": "2026-01-03", "金额": "442.48",
                 "票面税额": "57.52", "有效抵扣税额": "57.52", "发票状态": "正常", "红字锁定标志": "否",
                 "风险状态": "正常"}
    summary = _import(rt, team, [deduction], header=DEDUCTION_HEADER, sheet="发票基础信息")
    assert summary.rows == 1 and not summary.problems
    row = LedgerRow.get()
    assert row.selected is True and row.deductible_tax == "57.52" and row.red_lock == "否"
    assert row.buyer_name == "北京示例科技有限公司" and row.entry == "unbooked"  # kept from the first file
    assert row.remarks == "项目A 差旅"
    assert "项目a 差旅" in Invoice.get_by_id(inv.id).search_text  # remarks are searchable


def test_the_invoice_page_shows_both_sides(rt, team, client):
    inv = _invoice(team)
    _import(rt, team, [_row(入账状态="03")])
    body = client.get(f"/api/invoices/{inv.id}").json
    assert body["reconcile"]["authority"]["entry"] == "booked"
    assert body["reconcile"]["flags"] == ["authority_booked_not_reimbursed"]
    assert body["invoice"]["flags"] == ["authority_booked_not_reimbursed"]
