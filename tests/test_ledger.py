"""Importing the platform's 全量发票查询 export: both spellings, both sheets, xlsx and csv, idempotent,
and bad files give clear errors while the good rows are kept."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from backend.db import database
from backend.errors import InputError
from backend.models import LedgerRow, Role, Team
from backend.services import ledger
from backend.sync.exportfile import read_export

from .exports import export_csv, export_xlsx
from .helpers import login

ROWS = [
    {"发票代码": "1100094140", "发票号码": "87654321", "开票日期": "2026-01-04 10:11:12", "金额": "100.00",
     "税额": "13.00", "价税合计": "113.00", "发票状态": "正常", "是否正数发票": "是",
     "购方识别号": "91110000MA00000001", "购买方名称": "甲公司", "销方名称": "乙公司", "发票票种": "增值税专用发票"},
    {"数电发票号码": "25112000000012345678", "开票日期": "2026-01-05", "金额": "1,000.00", "税额": "60",
     "价税合计": "1060", "发票状态": "已作废", "是否正数发票": "是"},
    {"数电发票号码": "25112000000012345679", "开票日期": "2026/01/06", "金额": "-100", "税额": "-6", "价税合计": "-106",
     "发票状态": "正常", "是否正数发票": "否"},
    {"数电发票号码": "25112000000012345670", "开票日期": "2026-01-06", "价税合计": "50", "发票状态": "已红冲"},
]


@pytest.fixture(params=["calamine", "streamed"], autouse=True)
def xlsx_reader(request, monkeypatch):
    """Every test runs with both xlsx readers: calamine (small files) and the streaming one (big files)."""
    if request.param == "streamed":
        monkeypatch.setattr("backend.sync.exportfile.CALAMINE_MAX_BYTES", 0)
    return request.param


@pytest.mark.parametrize("spelling", ["数电发票号码", "数电票号码"])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_both_spellings_and_formats(spelling, fmt):
    # The helper writes the 数电 number under the header spelling asked for.
    data = export_xlsx(ROWS, spelling=spelling) if fmt == "xlsx" else export_csv(ROWS, spelling=spelling)
    assert spelling.encode() in data or fmt == "xlsx"
    parsed = read_export(data, f"export.{fmt}")
    assert parsed.problems == []
    by_key = {r.key: r.values for r in parsed.rows}
    assert set(by_key) == {"1100094140-87654321", "25112000000012345678", "25112000000012345679",
                           "25112000000012345670"}
    first = by_key["1100094140-87654321"]
    assert (first["issue_date"], first["amount"], first["total"], first["state"]) == \
        ("2026-01-04", "100.00", "113.00", "normal")
    assert by_key["25112000000012345678"]["state"] == "voided"
    assert by_key["25112000000012345678"]["amount"] == "1000.00"
    assert by_key["25112000000012345679"]["positive"] is False
    assert by_key["25112000000012345670"]["state"] == "red_flushed"


def test_line_items_sheet_is_attached():
    items = [{"发票代码": "1100094140", "发票号码": "87654321", "货物或应税劳务名称": "*办公用品*纸", "数量": 2,
              "单价": "50", "金额": "100.00", "税率": "13%", "税额": "13.00"}]
    parsed = read_export(export_xlsx(ROWS[:1], items=items), "x.xlsx")
    assert parsed.rows[0].values["items"][0]["name"] == "*办公用品*纸"
    assert parsed.rows[0].values["items"][0]["quantity"] == "2"


def test_gbk_csv_and_bad_rows_are_reported_not_fatal():
    rows = [*ROWS[:1], {"发票号码": "", "开票日期": "2026-01-01"}, {"发票号码": "ABC", "开票日期": "2026-01-01"},
            {"发票号码": "12345678", "开票日期": "someday"}]
    parsed = read_export(export_csv(rows, encoding="gb18030"), "export.csv")
    assert len(parsed.rows) == 1
    assert [p["line"] for p in parsed.problems] == [3, 4, 5]


@pytest.mark.parametrize("data,name,key", [
    (b"PK\x03\x04garbage-zip", "export.xlsx", "ledger.unreadable"),
    (b"not a zip at all", "export.xlsx", "ledger.unreadable"),
    ("名称,金额\n甲,1\n".encode(), "export.csv", "ledger.missing_columns"),
    ("发票号码,金额\n1,1\n".encode(), "export.csv", "ledger.missing_columns"),
    (b"\x00\x01\x02binary", "export.csv", "ledger.unsupported_type"),
])
def test_unreadable_files_raise_a_keyed_error(data, name, key):
    with pytest.raises(InputError) as err:
        read_export(data, name)
    assert err.value.key == key


def test_truncated_xlsx_is_a_clear_error():
    data = export_xlsx(ROWS * 50)
    with pytest.raises(InputError) as err:
        read_export(data[: len(data) // 2], "export.xlsx")
    assert err.value.key == "ledger.unreadable"


def test_wrong_sheet_name_is_reported():
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "别的表"
    book.create_sheet("另一个表")
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(InputError) as err:
        read_export(out.getvalue(), "x.xlsx")
    assert err.value.key == "ledger.no_sheet"


def test_reimport_changes_nothing_and_duplicates_collapse(rt, make_user):
    make_user("alice", "Team A")
    database.connect(reuse_if_open=True)
    team = Team.get(Team.name == "Team A")
    data = export_xlsx([*ROWS, ROWS[0]])
    first = ledger.import_file(rt, team, data, "x.xlsx").as_dict()
    assert (first["rows"], first["inserted"], first["unchanged"]) == (5, 4, 1)
    again = ledger.import_file(rt, team, data, "x.xlsx").as_dict()
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 5)
    changed = [dict(ROWS[0], 发票状态="作废"), *ROWS[1:]]
    third = ledger.import_file(rt, team, export_xlsx(changed), "x.xlsx").as_dict()
    assert (third["inserted"], third["updated"]) == (0, 1)
    assert LedgerRow.get(LedgerRow.key == "1100094140-87654321").state == "voided"
    assert LedgerRow.select().count() == 4


def test_import_over_http_runs_in_a_worker_job(client, make_user, queue):
    make_user("acc", "Team A", role=Role.ACCOUNTANT)
    login(client, "acc")
    team_id = client.get("/api/auth/me").json["user"]["teams"][0]["id"]
    res = client.post("/api/ledger/import",
                      data={"team_id": str(team_id), "file": (io.BytesIO(export_csv(ROWS)), "export.csv")})
    assert res.status_code == 202, res.json
    import_id = res.json["import"]["id"]
    assert res.json["import"]["state"] == "queued"
    queue.run_all()
    done = client.get(f"/api/ledger/imports/{import_id}").json["import"]
    assert done["state"] == "done" and done["summary"]["inserted"] == 4
    bad = client.post("/api/ledger/import",
                      data={"team_id": str(team_id), "file": (io.BytesIO(b"PK\x03\x04junk"), "export.xlsx")})
    queue.run_all()
    failed = client.get(f"/api/ledger/imports/{bad.json['import']['id']}").json["import"]
    assert failed["state"] == "failed" and failed["error"]["key"] == "ledger.unreadable"
    assert client.get(f"/api/ledger?team_id={team_id}").json["rows"] == 4
    assert client.get("/api/ledger/imports/999").status_code == 404


def test_cli_import(tmp_path):
    env = {"FAPIAO_DATA_DIR": str(tmp_path / "data"), "FAPIAO_SECRET_KEY": "x", "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "backend.cli", "user", "create", "bob", "--password", "ledger-pw-4821",
                    "--team", "Finance"], env=env, check=True, capture_output=True)
    path = tmp_path / "export.xlsx"
    path.write_bytes(export_xlsx(ROWS))
    out = subprocess.run([sys.executable, "-m", "backend.cli", "ledger", "import", str(path), "--team", "Finance"],
                         env=env, check=True, capture_output=True, text=True)
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["inserted"] == 4
    again = subprocess.run([sys.executable, "-m", "backend.cli", "ledger", "import", str(path), "--team", "Finance"],
                           env=env, check=True, capture_output=True, text=True)
    assert json.loads(again.stdout.strip().splitlines()[-1])["unchanged"] == 4


def test_a_file_that_breaks_half_way_keeps_what_came_before(rt, make_user):
    make_user("alice", "Team A")
    database.connect(reuse_if_open=True)
    team = Team.get(Team.name == "Team A")
    rows = [dict(ROWS[0], 发票号码=f"{10000000 + i}") for i in range(5000)]
    data = export_csv(rows)
    cut = data.index(b"10004000")
    broken = data[:cut] + b"\xff\xfe\xfa" + data[cut:]  # a damaged byte sequence at row ~4000
    summary = ledger.import_file(rt, team, broken, "export.csv").as_dict()
    assert summary["stopped"]["key"] == "ledger.unreadable"
    assert 0 < summary["inserted"] <= 4000 and LedgerRow.select().count() == summary["inserted"]
    again = ledger.import_file(rt, team, data, "export.csv").as_dict()  # the whole file later
    assert again["inserted"] == 5000 - summary["inserted"] and again["stopped"] is None
