"""Exports to Excel and CSV: read back with openpyxl and calamine, the selection, team scoping, the record
and the timeline, the CLI. Invoices come from tests/factories.py (no OCR)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from urllib.parse import quote

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from backend import cli
from backend.db import database
from backend.models import ExportItem, ExportRecord, Invoice, LedgerRow, Membership, Team
from backend.services import booking, claims, export
from backend.sheets import xlsxstream
from backend.sheets.cells import Column, Kind
from backend.sheets.csvstream import CsvStream

from . import factories

INJECTIONS = ('=HYPERLINK("http://evil.example","点我")', "+86 10 1234", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd")


def _team(name="Team A") -> Team:
    return Team.get(Team.name == name)


def _ledger_items(team: Team, inv, items: list[dict]) -> None:
    LedgerRow.create(team=team, key=inv.key, invoice_code=inv.fields["invoice_code"]["value"],
                     invoice_number=inv.fields["invoice_number"]["value"], items=items, source="import",
                     row_hash="x", updated_at=inv.created_at)


def _get(client, **params):
    return client.get("/api/export", query_string=params)


def _xlsx(res) -> openpyxl.Workbook:
    assert res.status_code == 200, res.data[:300]
    return openpyxl.load_workbook(io.BytesIO(res.data))


def _header(ws) -> list[str]:
    return [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))]


def _row_by_id(ws, invoice_id: int) -> dict:
    header = _header(ws)
    for row in ws.iter_rows(min_row=2):
        if row[0].value == invoice_id:
            return dict(zip(header, row, strict=False))
    raise AssertionError(f"invoice {invoice_id} not in the sheet")


@pytest.fixture
def alice(make_user, client):
    """Here Alice is her team's accountant: exporting is an accountant's (and an auditor's) work."""
    from backend.models import Role

    from .helpers import login

    user = make_user("alice", "Team A", role=Role.ACCOUNTANT)
    login(client, "alice")
    return user


@pytest.fixture
def team_a(alice, db) -> Team:
    return _team()


def test_xlsx_opens_with_real_dates_numbers_and_a_frozen_header(client, team_a, alice):
    inv = factories.invoice(team_a, alice, seller_name=INJECTIONS[0], amount="-10.62", tax="-1.38", total="-12.00",
                            issue_date="2026-01-03", name="红字.pdf")
    _ledger_items(team_a, inv, [{"name": "*信息技术服务*软件服务费", "quantity": "2", "price": "-5.31",
                                 "amount": "-10.62", "rate": "13%", "tax": "-1.38"},
                                {"name": "=1+1", "quantity": "1", "price": "0", "amount": "0.00", "rate": "13%",
                                 "tax": "0.00"}])
    book = _xlsx(_get(client, format="xlsx", ids=str(inv.id)))
    assert book.sheetnames == ["发票", "明细"]
    ws = book["发票"]
    assert ws.freeze_panes == "A2"
    header = _header(ws)
    assert header[:4] == ["编号", "文件名", "发票代码", "发票号码"] and "价税合计" in header and "上传时间" in header
    row = _row_by_id(ws, inv.id)
    assert row["开票日期"].value == dt.datetime(2026, 1, 3) and row["开票日期"].is_date
    assert row["开票日期"].number_format == "yyyy-mm-dd"
    for name, value in (("金额", -10.62), ("税额", -1.38), ("价税合计", -12.0)):
        assert row[name].value == value and row[name].data_type == "n", name  # a negative amount stays a number
        assert row[name].number_format == "0.00", name
    assert row["价税合计置信度"].value == 0.99
    assert row["上传时间"].value == dt.datetime(2026, 1, 5, 17, 0) and row["上传时间"].is_date  # 09:00 UTC, China time
    assert row["文件名"].value == "红字.pdf" and row["状态"].value == "已查到" and row["报销状态"].value == "未报销"
    assert row["票种"].value == "增值税普通发票" and row["入账状态"].value == "未入账"
    seller = row["销售方名称"]
    assert seller.value == INJECTIONS[0] and seller.data_type == "s" and seller.quotePrefix  # text, never a formula
    assert row["购买方名称"].quotePrefix is False
    assert ws.column_dimensions["A"].width >= 6 and ws.column_dimensions["H"].width >= 20  # 销售方名称 is wide
    items = book["明细"]
    assert items.freeze_panes == "A2"
    lines = [[c.value for c in r] for r in items.iter_rows(min_row=2)]
    assert [r[:4] for r in lines] == [[inv.id, "1100171320", inv.key.split("-")[1], 1],
                                      [inv.id, "1100171320", inv.key.split("-")[1], 2]]
    item_header = _header(items)
    first = dict(zip(item_header, next(items.iter_rows(min_row=2)), strict=True))
    assert first["数量"].value == 2 and first["金额"].value == -10.62 and first["金额"].number_format == "0.00"
    second = dict(zip(item_header, list(items.iter_rows(min_row=3))[0], strict=True))
    assert second["货物或应税劳务名称"].value == "=1+1" and second["货物或应税劳务名称"].quotePrefix


def test_another_reader_sees_the_same_types(client, team_a, alice):
    inv = factories.invoice(team_a, alice, issue_date="2025-12-31", total="1234.50")
    res = _get(client, format="xlsx", ids=str(inv.id))
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(res.data)).get_sheet_by_name("发票").to_python()
    header, row = sheet[0], sheet[1]
    values = dict(zip(header, row, strict=True))
    assert values["开票日期"] == dt.date(2025, 12, 31)
    assert values["价税合计"] == 1234.5 and values["编号"] == inv.id
    assert values["上传时间"] == dt.datetime(2026, 1, 5, 17, 0)


def test_every_formula_start_is_neutralised_in_both_formats(client, team_a, alice):
    ids = [factories.invoice(team_a, alice, buyer_name=text).id for text in INJECTIONS]
    ws = _xlsx(_get(client, format="xlsx", ids=",".join(map(str, ids))))["发票"]
    for invoice_id, text in zip(ids, INJECTIONS, strict=True):
        cell = _row_by_id(ws, invoice_id)["购买方名称"]
        assert cell.data_type == "s" and cell.quotePrefix, text
        assert cell.value.replace("\r", "\n") == text.replace("\r", "\n")  # XML keeps a CR as a newline
    rows = _csv(_get(client, format="csv", ids=",".join(map(str, ids))))
    assert [r["购买方名称"] for r in rows] == ["'" + t for t in INJECTIONS]


def _csv(res) -> list[dict]:
    assert res.status_code == 200 and res.mimetype == "text/csv"
    assert res.data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8 only with it
    text = res.data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_is_utf8_with_bom_and_plain_values(client, team_a, alice):
    inv = factories.invoice(team_a, alice, total="-12.5", amount="-11.06", seller_name="上海华为技术有限公司")
    res = _get(client, format="csv", ids=str(inv.id))
    assert b"\r\n" in res.data
    (row,) = _csv(res)
    assert row["编号"] == str(inv.id) and row["开票日期"] == "2026-01-03"
    assert row["价税合计"] == "-12.50" and row["金额"] == "-11.06"  # numbers: not neutralised, two decimals
    assert row["销售方名称"] == "上海华为技术有限公司" and row["上传时间"] == "2026-01-05 17:00:00"
    assert row["价税合计置信度"] == "0.99" and row["重复于（编号）"] == ""


def test_headers_follow_the_request_language(client, team_a, alice):
    inv = factories.invoice(team_a, alice)
    res = client.get("/api/export", query_string={"format": "xlsx", "ids": inv.id},
                     headers={"Accept-Language": "en-US,en;q=0.9"})
    book = _xlsx(res)
    assert book.sheetnames == ["Invoices", "Line items"]
    header = _header(book["Invoices"])
    assert header[:3] == ["ID", "File name", "Invoice code"] and "Total confidence" in header
    assert _row_by_id(book["Invoices"], inv.id)["Status"].value == "Found"
    assert "filename*=UTF-8''invoices-2026-01-05.xlsx" in res.headers["Content-Disposition"]


def test_download_name_and_streaming(client, team_a, alice):
    inv = factories.invoice(team_a, alice)
    res = _get(client, format="xlsx", ids=str(inv.id))
    assert res.is_streamed
    assert res.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = res.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="export-2026-01-05.xlsx"')
    assert f"filename*=UTF-8''{quote('发票导出-2026-01-05.xlsx')}" in disposition
    assert res.headers["X-Export-Rows"] == "1"


def test_a_selection_keeps_its_order_and_nothing_else(client, team_a, alice):
    a, b, c = (factories.invoice(team_a, alice) for _ in range(3))
    rows = _csv(_get(client, format="csv", ids=f"{c.id},{a.id}"))
    assert [int(r["编号"]) for r in rows] == [c.id, a.id]


def test_ids_of_another_team_are_not_found(client, team_a, alice, make_user):
    mine = factories.invoice(team_a, alice)
    make_user("bob", "Team B")
    theirs = factories.invoice(_team("Team B"))
    for ids in (str(theirs.id), f"{mine.id},{theirs.id}", "999999"):
        res = _get(client, format="csv", ids=ids)
        assert res.status_code == 404 and res.json["error"]["key"] == "not_found", ids
        res = _get(client, format="csv", ids=ids, team_id=team_a.id)
        assert res.status_code == 404, ids
    assert ExportRecord.select().count() == 0  # a refused export leaves no record


def test_a_person_in_two_teams_exports_both_as_the_board_shows_them(client, team_a, alice, make_user):
    make_user("bob", "Team B")
    team_b = _team("Team B")
    Membership.create(user=alice, team=team_b, role="accountant")  # alice belongs to both
    one, two = factories.invoice(team_a, alice), factories.invoice(team_b, alice)
    factories.invoice(team_b, total="1.00")
    res = _get(client, format="csv", ids=f"{two.id},{one.id}")
    assert [int(r["编号"]) for r in _csv(res)] == [two.id, one.id]
    records = [ExportRecord.get_by_id(int(i)) for i in res.headers["X-Export-Records"].split(",")]
    assert sorted((r.team_id, r.rows) for r in records) == [(team_a.id, 1), (team_b.id, 1)]
    res = _get(client, format="csv", sort="-total")  # no team_id: all of alice's teams, in one order
    assert [r["价税合计"] for r in _csv(res)] == ["500.00", "500.00", "1.00"]
    res = _get(client, format="csv", team_id=team_a.id, ids=two.id)  # that team only
    assert res.status_code == 404


def test_bad_requests(client, team_a, alice):
    inv = factories.invoice(team_a, alice)
    for params in ({"format": "pdf", "ids": inv.id}, {"format": "csv", "ids": "1,x"}, {"format": "csv", "ids": ""},
                   {"format": "csv", "ids": "-3"}, {"format": "csv", "ids": inv.id, "team_id": "abc"}):
        res = _get(client, **params)
        assert res.status_code == 400 and res.json["error"]["key"] == "request.invalid", params
    client.post("/api/auth/logout")
    assert _get(client, format="csv", ids=inv.id).status_code == 401


def test_the_export_is_recorded_and_shown_on_the_timeline(client, team_a, alice):
    a, b = factories.invoice(team_a, alice), factories.invoice(team_a, alice)
    res = _get(client, format="xlsx", ids=f"{b.id},{a.id}")
    assert res.status_code == 200
    record = ExportRecord.get_by_id(int(res.headers["X-Export-Records"]))
    assert (record.team_id, record.user, record.format, record.rows) == (team_a.id, alice.id, "xlsx", 2)
    assert record.query == f"format=xlsx&ids={b.id},{a.id}"
    items = ExportItem.select().where(ExportItem.export == record.id).order_by(ExportItem.id)
    assert [i.invoice for i in items] == [b.id, a.id]
    history = client.get(f"/api/invoices/{a.id}/history").json["items"]
    exported = [h for h in history if h["kind"] == "exported"]
    assert exported == [{"at": "2026-01-05T09:00:00.000Z", "kind": "exported", "by": "alice", "by_id": alice.id,
                         "data": {"format": "xlsx", "rows": 2}}]


def test_rows_are_read_in_batches(client, team_a, alice, monkeypatch):
    monkeypatch.setattr(export, "BATCH", 2)
    made = [factories.invoice(team_a, alice) for _ in range(5)]
    for inv in made:
        _ledger_items(team_a, inv, [{"name": f"item {inv.id}", "amount": "1.00"}])
    ids = ",".join(str(i.id) for i in made)
    res = _get(client, format="xlsx", ids=ids)
    chunks = list(res.response)
    assert len(chunks) >= 7  # the start, three batches of invoices, three of items, the end
    book = openpyxl.load_workbook(io.BytesIO(b"".join(chunks)))
    assert [r[0].value for r in book["发票"].iter_rows(min_row=2)] == [i.id for i in made]
    assert [r[4 + 2].value for r in book["明细"].iter_rows(min_row=2)] == [f"item {i.id}" for i in made]


def test_windows_skip_the_ids_of_an_export_made_at_the_same_time(team_a, alice, clock, monkeypatch):
    monkeypatch.setattr(export, "BATCH", 3)
    made = [factories.invoice(team_a, alice) for _ in range(7)]
    ours, theirs = (ExportRecord.create(team=team_a, format="csv", rows=0, at=clock.now()) for _ in range(2))
    for inv in made:  # interleaved ids, as two exports inserting at once may leave them
        ExportItem.create(export=ours, invoice=inv.id)
        ExportItem.create(export=theirs, invoice=inv.id)
    batches = list(export._batches((ours.id,), lambda first, last: export._invoice_query((ours.id,), first, last)))
    assert [r[1] for b in batches for r in b] == [i.id for i in made]
    assert max(len(b) for b in batches) <= 3


def test_a_second_file_of_an_invoice_lists_its_items_once(client, team_a, alice):
    first = factories.invoice(team_a, alice, invoice_number="44556677")
    second = factories.invoice(team_a, alice, invoice_number="44556677")
    _ledger_items(team_a, first, [{"name": "咖啡", "amount": "30.00"}])
    book = _xlsx(_get(client, format="xlsx", ids=f"{first.id},{second.id}"))
    assert book["发票"].max_row == 3
    assert [[c.value for c in r][:4] for r in book["明细"].iter_rows(min_row=2)] == [
        [first.id, "1100171320", "44556677", 1]]


def test_too_many_rows_for_a_sheet_is_refused_before_anything_is_kept(client, team_a, alice, monkeypatch):
    monkeypatch.setattr(export, "XLSX_MAX_ROWS", 1)
    ids = ",".join(str(factories.invoice(team_a, alice).id) for _ in range(2))
    res = _get(client, format="xlsx", ids=ids)
    assert res.status_code == 400 and res.json["error"]["key"] == "export.too_many_rows"
    assert res.json["error"]["params"] == {"rows": 2, "limit": 1}
    assert ExportRecord.select().count() == 0 and ExportItem.select().count() == 0
    assert len(_csv(_get(client, format="csv", ids=ids))) == 2  # CSV has no such limit


def test_claim_and_booking_columns(client, team_a, alice, rt):
    first = factories.invoice(team_a, alice, invoice_number="11112222")
    claim = claims.create(rt, team_a, alice, "差旅")
    claims.add(rt, claim, alice, [first])
    booking.book(rt, Invoice.get_by_id(first.id), alice, "2026-01", "记-15")
    row = _csv(_get(client, format="csv", ids=str(first.id)))[0]
    assert row["报销状态"] == "报销中" and row["报销单号"] == claim.number
    assert row["入账状态"] == "已入账" and row["会计期间"] == "2026-01" and row["凭证号"] == "记-15"
    assert row["入账时间"] == "2026-01-05 17:00:00" and row["上传人"] == "alice"



def test_the_cli_writes_a_file(settings, team_a, alice, monkeypatch, tmp_path, capsys):
    inv = factories.invoice(team_a, alice, seller_name="上海华为技术有限公司")
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    monkeypatch.setenv("FAPIAO_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FAPIAO_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("FAPIAO_SECRET_KEY", "x")
    out = tmp_path / "out" / "发票.xlsx"
    out.parent.mkdir()
    assert cli.main(["export", str(out), "--team", "Team A"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["rows"] == 1 and summary["format"] == "xlsx"
    ws = openpyxl.load_workbook(out)["发票"]
    assert _row_by_id(ws, inv.id)["销售方名称"].value == "上海华为技术有限公司"
    assert [p.name for p in out.parent.iterdir()] == ["发票.xlsx"]  # no .part left behind
    csv_out = tmp_path / "out" / "en.csv"
    # The first team, the format from the suffix, a filter as the board's.
    assert cli.main(["export", str(csv_out), "--lang", "en", "--status", "found", "--date-from", "2026-01-01"]) == 0
    rows = list(csv.DictReader(io.StringIO(csv_out.read_text(encoding="utf-8-sig"), newline="")))
    assert [r["ID"] for r in rows] == [str(inv.id)]
    assert cli.main(["export", str(csv_out), "--status", "lost"]) == 1  # a bad filter value says so
    assert cli.main(["export", str(tmp_path / "x.csv"), "--team", "Nobody"]) == 1
    assert not (tmp_path / "x.csv").exists()
    database.connect(reuse_if_open=True)
    record = ExportRecord.select().order_by(ExportRecord.id.desc()).first()
    assert (record.user, record.format, record.rows) == (None, "csv", 1)
    assert record.query == "status=found&date_from=2026-01-01"


def test_the_boards_filter_selects_and_orders_the_export(client, team_a, alice, make_user):
    cheap = factories.invoice(team_a, alice, total="100.00", seller_name="华为技术有限公司")
    dear = factories.invoice(team_a, alice, total="900.00", seller_name="华为终端有限公司")
    factories.invoice(team_a, alice, total="500.00", seller_name="小米科技")
    factories.invoice(team_a, alice, total="700.00", seller_name="华为云", status="needs_review")
    make_user("bob", "Team B")
    factories.invoice(_team("Team B"), total="800.00", seller_name="华为技术有限公司")
    rows = _csv(_get(client, format="csv", q="华为", status="found", sort="-total"))
    assert [int(r["编号"]) for r in rows] == [dear.id, cheap.id]
    rows = _csv(_get(client, format="csv", amount_min="150", sort="total"))
    assert [r["价税合计"] for r in rows] == ["500.00", "700.00", "900.00"]  # never Team B's 800.00
    everything = _csv(_get(client, format="csv"))
    assert len(everything) == 4 and all(r["编号"] != "" for r in everything)


def test_an_export_of_nothing_is_a_file_with_its_header(client, team_a, alice):
    factories.invoice(team_a, alice)
    book = _xlsx(_get(client, format="xlsx", q="没有这样的发票"))
    assert book["发票"].max_row == 1 and _header(book["发票"])[0] == "编号" and book["明细"].max_row == 1
    res = _get(client, format="csv", status="voided")
    assert res.data.decode("utf-8-sig").count("\r\n") == 1 and _csv(res) == []
    assert ExportRecord.select().where(ExportRecord.rows == 0).count() == 2


def test_a_bad_filter_is_refused_before_anything_is_recorded(client, team_a, alice, make_user):
    for params in ({"date_from": "yesterday"}, {"status": "lost"}, {"sort": "colour"}, {"amount_min": "x"}):
        res = _get(client, format="csv", **params)
        assert res.status_code == 400 and res.json["error"]["key"] == "request.invalid", params
    make_user("bob", "Team B")
    assert _get(client, format="csv", team_id=_team("Team B").id).status_code == 404  # not my team
    assert ExportRecord.select().count() == 0


@pytest.mark.subprocess
def test_the_real_server_streams_a_download(tmp_path):
    """`fapiao serve` (eventlet): the export streams in chunks, reads the database after the handler returned
    (more rows than one batch) and arrives whole."""
    from backend.db import open_database

    from .procs import Stack

    with Stack(tmp_path) as stack:
        open_database(f"sqlite:///{stack.data / 'fapiao.db'}")
        with database.connection_context(), database.atomic():
            team = _team()
            made = [factories.invoice(team, total=f"{i}.00") for i in range(export.BATCH + 100)]
        stack.start("web", "serve")
        stack.wait_http()
        res = stack.session().get(stack.url + "/api/export", params={"format": "xlsx", "sort": "total"}, stream=True)
        assert res.status_code == 200 and res.headers.get("Transfer-Encoding") == "chunked"
        assert "filename*=UTF-8''" in res.headers["Content-Disposition"]
        body = b"".join(res.iter_content(chunk_size=None))
    ws = openpyxl.load_workbook(io.BytesIO(body))["发票"]
    assert [r[0].value for r in ws.iter_rows(min_row=2)] == [i.id for i in made]

# --- the writers on their own ------------------------------------------------------------------------------

def _book(columns, rows, title="表") -> bytes:
    writer = xlsxstream.XlsxStream()
    writer.begin(title, columns)
    writer.rows(rows)
    writer.finish()
    return writer.take()


def _sheet_xml(data: bytes, n: int = 1) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(f"xl/worksheets/sheet{n}.xml").decode()


KINDS = list(Kind)
_values = st.one_of(
    st.none(), st.just(""), st.text(max_size=12), st.sampled_from(["=1+1", "-3", "+x", "@a", "\tq", "a&b<c>", "\x07"]),
    st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.decimals(allow_nan=False, allow_infinity=False, places=2), st.from_regex(r"-?[0-9]{1,6}(\.[0-9]{1,3})?",
                                                                                fullmatch=True),
    st.dates(min_value=dt.date(1900, 3, 1)), st.datetimes(min_value=dt.datetime(1900, 3, 1)),
    st.sampled_from(["2026-02-30", "2026-01-03", "１２", float("nan"), float("-inf"), -0.0, 1e300, True]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(KINDS), min_size=1, max_size=6).flatmap(
    lambda kinds: st.tuples(st.just(kinds), st.lists(st.tuples(*[_values for _ in kinds]), max_size=5))))
def test_a_batch_is_written_as_its_cells_would_be_one_by_one(case):
    kinds, rows = case
    columns = [Column(f"c{i}", k) for i, k in enumerate(kinds)]
    xml = _sheet_xml(_book(columns, rows))
    expected = []
    for n, row in enumerate(rows, 2):
        cells_xml = "".join(xlsxstream.CELL_WRITERS[k](f'<c r="{xlsxstream.column_letter(i)}', str(n), v)
                            for i, (k, v) in enumerate(zip(kinds, row, strict=True)) if v is not None and v != "")
        expected.append(f'<row r="{n}">{cells_xml}</row>')
    body = xml.split("</row>", 1)[1].split("</sheetData>")[0]  # the rows after the header
    assert body == "".join(expected)
    openpyxl.load_workbook(io.BytesIO(_book(columns, rows)))  # and it is a workbook that opens


def test_what_xml_cannot_hold_is_dropped_and_long_text_cut():
    columns = [Column("a"), Column("b")]
    data = _book(columns, [("bell\x07 & <tag>", "x" * 40_000), ("  padded ", "\u3000全角")], title="O'Brien & <Co>")
    xml = _sheet_xml(data)
    assert '<c r="A3" t="inlineStr"><is><t xml:space="preserve">  padded </t>' in xml  # else readers may trim it
    assert '<c r="A2" t="inlineStr"><is><t>bell &amp; &lt;tag&gt;</t>' in xml
    book = openpyxl.load_workbook(io.BytesIO(data))
    ws = book["O'Brien & <Co>"]
    assert ws["A2"].value == "bell & <tag>" and len(ws["B2"].value) == 32_767
    assert ws["A3"].value == "  padded " and ws["B3"].value == "\u3000全角"
    assert ws.auto_filter.ref == "A1:B3"


def test_a_sheet_stops_at_the_rows_excel_opens(monkeypatch):
    monkeypatch.setattr(xlsxstream, "MAX_ROWS", 3)
    writer = xlsxstream.XlsxStream()
    writer.begin("t", [Column("n", Kind.INTEGER)])
    writer.rows([(1,)])
    with pytest.raises(xlsxstream.SheetFull):
        writer.rows([(2,), (3,), (4,)])
    writer.finish()
    ws = openpyxl.load_workbook(io.BytesIO(writer.take()))["t"]
    assert [r[0].value for r in ws.iter_rows(min_row=2)] == [1, 2]


def test_csv_values_by_kind():
    writer = CsvStream()
    columns = [Column("t"), Column("n", Kind.NUMBER), Column("m", Kind.TWO_DECIMALS), Column("d", Kind.DATE),
               Column("dt", Kind.DATETIME)]
    writer.begin("x", columns)
    writer.rows([("=cmd", "-3", "12.5", "2026-01-03", dt.datetime(2026, 1, 5, 17, 0, 1, 500)),
                 ("a,b\n\"c\"", "abc", 0.987, dt.date(2026, 2, 1), None),
                 (None, 7, "-0.10", "soon", "")])
    writer.finish()
    data = writer.take()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows == [["t", "n", "m", "d", "dt"], ["'=cmd", "-3", "12.50", "2026-01-03", "2026-01-05 17:00:01"],
                    ['a,b\n"c"', "abc", "0.99", "2026-02-01", ""], ["", "7", "-0.10", "soon", ""]]


def test_an_empty_sheet_is_a_workbook_with_its_header():
    data = _book([Column("编号", Kind.INTEGER), Column("名称")], [])
    ws = openpyxl.load_workbook(io.BytesIO(data))["表"]
    assert [c.value for c in ws[1]] == ["编号", "名称"] and ws.max_row == 1 and ws.freeze_panes == "A2"
    assert ws["A1"].font.b


def test_a_head_request_records_no_export(client, alice):
    from backend.db import database
    from backend.models import ExportRecord

    assert client.head("/api/export?format=csv").status_code == 204
    database.connect(reuse_if_open=True)
    assert ExportRecord.select().count() == 0
