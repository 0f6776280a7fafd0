"""The audit log: every security- and money-relevant action driven through the API leaves an entry with who,
when and from where; the database refuses to change or remove one; auditors read it by team, filtered and page
by page, and export it (xlsx opens, formulas neutralised)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import peewee
import pytest

from backend.db import database
from backend.models import AuditEntry, Role, Team
from backend.services import audit
from backend.services.users import create_user

from . import factories
from .exports import export_csv
from .helpers import PASSWORD, login

OFFICE = "192.0.2.10"
EVIL = '=HYPERLINK("http://evil.example","x")'
LEDGER_ROW = {"发票代码": "1100094140", "发票号码": "87654321", "开票日期": "2026-01-04", "金额": "100.00",
              "税额": "13.00", "价税合计": "113.00", "发票状态": "正常", "是否正数发票": "是"}


def _client(app, username: str | None = None, address: str = OFFICE):
    c = app.test_client()
    c.environ_base.update(HTTP_X_REQUESTED_WITH="test", REMOTE_ADDR=address)
    if username:
        login(c, username)
    return c


def _entries(**where) -> list[AuditEntry]:
    with database.connection_context():
        q = AuditEntry.select().order_by(AuditEntry.id)
        for name, value in where.items():
            q = q.where(getattr(AuditEntry, name) == value)
        return list(q)


def _actions(**where) -> list[str]:
    return [e.action for e in _entries(**where)]


@pytest.fixture
def people(app, make_user):
    """Team A: alice (submitter), boss (accountant), audrey (auditor), adam (team admin); Team B: bob (admin);
    root, a site admin in Team A."""
    made = {name: make_user(name, "Team A", role) for name, role in (
        ("alice", Role.SUBMITTER), ("boss", Role.ACCOUNTANT), ("audrey", Role.AUDITOR), ("adam", Role.ADMIN))}
    made["bob"] = make_user("bob", "Team B", Role.ADMIN)
    with database.connection_context():
        made["root"] = create_user(app.extensions["fapiao"].clock, "root", PASSWORD, is_admin=True,
                                   team_name="Team A", role=Role.ADMIN)
        made["a"], made["b"] = Team.get(Team.name == "Team A"), Team.get(Team.name == "Team B")
    return made


def _invoice(team, user, **values):
    with database.connection_context():
        return factories.invoice(team, user, **values)


# --- what is recorded ----------------------------------------------------------------------------------------

def test_sign_ins_and_sign_outs_are_recorded_site_wide(app, people):
    c = _client(app)
    assert c.post("/api/auth/login", json={"username": "alice", "password": "wrong password"}).status_code == 401
    login(c, "alice")
    c.post("/api/auth/logout")
    login(c, "alice")
    c.post("/api/auth/logout-everywhere")
    alice = people["alice"].id
    mine = [(e.action, e.actor, e.address, e.team) for e in _entries(actor=alice) if e.action.startswith("auth.")]
    assert mine == [("auth.login_failed", alice, OFFICE, None), ("auth.login", alice, OFFICE, None),
                    ("auth.logout", alice, OFFICE, None), ("auth.login", alice, OFFICE, None),
                    ("auth.logout_everywhere", alice, OFFICE, None)]


def test_claim_steps_are_recorded(app, people, clock):
    team, alice, boss = people["a"], people["alice"], people["boss"]
    a, b = _invoice(team, alice, total="100.00"), _invoice(team, alice, total="250.50")
    mine, theirs = _client(app, "alice"), _client(app, "boss", "198.51.100.4")
    res = mine.post("/api/claims", json={"team_id": team.id, "purpose": "出差", "invoice_ids": [a.id, b.id]})
    claim = res.json["claim"]
    assert mine.delete(f"/api/claims/{claim['id']}/invoices/{b.id}").status_code == 200
    clock.advance(minutes=1)  # a return takes back what the claim held when it was returned, not what left before
    assert mine.post(f"/api/claims/{claim['id']}/submit").status_code == 200
    assert theirs.post(f"/api/claims/{claim['id']}/return", json={"note": "缺少行程单"}).status_code == 200
    assert mine.post(f"/api/claims/{claim['id']}/reopen").status_code == 200
    assert mine.post(f"/api/claims/{claim['id']}/submit").status_code == 200
    assert theirs.post(f"/api/claims/{claim['id']}/approve").status_code == 200
    steps = [(e.action, e.target, e.actor) for e in _entries(team=team.id) if e.action.startswith("claim.")]
    on_claim = f"claim:{claim['id']}"
    assert steps == [
        ("claim.created", on_claim, alice.id), ("claim.invoice_added", f"invoice:{a.id}", alice.id),
        ("claim.invoice_added", f"invoice:{b.id}", alice.id), ("claim.invoice_removed", f"invoice:{b.id}", alice.id),
        ("claim.submitted", on_claim, alice.id), ("claim.returned", on_claim, boss.id),
        ("claim.reopened", on_claim, alice.id), ("claim.invoice_added", f"invoice:{a.id}", alice.id),
        ("claim.submitted", on_claim, alice.id), ("claim.approved", on_claim, boss.id)]
    approved = _entries(action="claim.approved")[0]
    assert approved.address == "198.51.100.4" and approved.data == {
        "claim": claim["number"], "state": "approved", "count": 1, "total": "100.00", "invoices": [a.id]}
    assert _entries(action="claim.returned")[0].data["note"] == "缺少行程单"
    assert {e.address for e in _entries(actor=alice.id, team=team.id)} == {OFFICE}


def test_reimbursing_booking_and_corrections_are_recorded(app, people):
    team, alice, boss = people["a"], people["alice"], people["boss"]
    inv = _invoice(team, alice, total="88.00", seller_name="旧名称")
    finance, mine = _client(app, "boss"), _client(app, "alice")
    res = finance.post("/api/invoices/bulk", json={"action": "reimburse", "ids": [inv.id]})
    assert res.json["done"] == [inv.id], res.json
    url = f"/api/invoices/{inv.id}/booking"
    assert finance.post(url, json={"period": "2026-01", "voucher": "记-1"}).status_code == 200
    assert finance.post(url, json={"period": "2026-01", "voucher": "记-2"}).status_code == 200
    assert finance.post(url, json={"booked": False}).status_code == 200
    assert mine.post(f"/api/invoices/{inv.id}/fields", json={"field": "seller_name", "value": "新名称"}
                     ).status_code == 200
    got = {e.action: e for e in _entries(target=f"invoice:{inv.id}")}
    assert set(got) == {"invoice.reimbursed", "invoice.booked", "invoice.rebooked", "invoice.unbooked",
                        "invoice.corrected"}
    assert got["invoice.reimbursed"].data == {"amount": "88.00"} and got["invoice.reimbursed"].actor == boss.id
    assert got["invoice.rebooked"].data == {"period": "2026-01", "voucher": "记-2",
                                            "before": {"period": "2026-01", "voucher": "记-1"}}
    assert got["invoice.unbooked"].data == {"before": {"period": "2026-01", "voucher": "记-2"}}
    assert got["invoice.corrected"].data == {"field": "seller_name", "old": "旧名称", "new": "新名称"}
    assert (got["invoice.corrected"].actor, got["invoice.corrected"].address) == (alice.id, OFFICE)
    assert {e.team for e in got.values()} == {team.id}


def test_exports_ledger_imports_and_entities_are_recorded(app, people, queue):
    team, boss, adam = people["a"], people["boss"], people["adam"]
    inv = _invoice(team, people["alice"])
    finance, manager = _client(app, "boss"), _client(app, "adam")
    res = finance.get(f"/api/export?format=csv&ids={inv.id}")
    assert res.status_code == 200 and res.data
    res = finance.post("/api/ledger/import", data={"team_id": str(team.id),
                                                   "file": (io.BytesIO(export_csv([LEDGER_ROW])), "export.csv")})
    assert res.status_code == 202, res.json
    queue.run_all()
    body = {"name": "北京示例科技有限公司", "tax_id": "91110108MA01ABCD3X"}
    assert manager.post(f"/api/teams/{team.id}/entities", json=body).status_code == 201
    entity_id = manager.get(f"/api/teams/{team.id}/entities").json["entities"][0]["id"]
    assert manager.delete(f"/api/teams/{team.id}/entities/{entity_id}").status_code == 200
    [exported] = _entries(action="export.created")
    assert (exported.actor, exported.team, exported.address) == (boss.id, team.id, OFFICE)
    assert exported.data["rows"] == 1 and exported.data["format"] == "csv"
    import_id = res.json["import"]["id"]
    [queued] = _entries(action="ledger.import_queued")
    [imported] = _entries(action="ledger.imported")
    assert queued.target == imported.target == f"ledger_import:{import_id}" and queued.address == OFFICE
    assert imported.actor == boss.id and imported.address is None  # the worker has no request
    assert imported.data["inserted"] == 1 and imported.data["filename"] == "export.csv"
    added, removed = _entries(action="entity.added") + _entries(action="entity.removed")
    assert added.target == removed.target == f"entity:{entity_id}" and added.actor == removed.actor == adam.id
    assert removed.data == {"name": body["name"], "tax_id": body["tax_id"]}


def test_role_changes_are_recorded_with_the_team(app, people):
    manager = _client(app, "adam")
    alice = people["alice"]
    res = manager.put(f"/api/teams/{people['a'].id}/members/{alice.id}", json={"role": "accountant"})
    assert res.status_code == 200, res.json
    [changed] = _entries(action="member.role")
    assert (changed.team, changed.target, changed.actor) == (people["a"].id, f"user:{alice.id}", people["adam"].id)
    assert changed.data == {"username": "alice", "before": "submitter", "after": "accountant"}


# --- append-only -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("change", [
    "UPDATE audit_entry SET action = 'nothing.happened'",
    "UPDATE audit_entry SET address = NULL WHERE id = (SELECT MIN(id) FROM audit_entry)",
    "DELETE FROM audit_entry",
])
def test_the_database_refuses_to_change_or_remove_an_entry(app, people, change):
    before = [(e.id, e.action, e.address) for e in _entries()]
    assert before
    with database.connection_context():
        with pytest.raises(peewee.DatabaseError, match="append-only"), database.atomic():
            database.execute_sql(change)
        with pytest.raises(peewee.DatabaseError), database.atomic():
            AuditEntry.delete().where(AuditEntry.id == before[0][0]).execute()
    assert [(e.id, e.action, e.address) for e in _entries()] == before


# --- reading it ------------------------------------------------------------------------------------------

def _page(c, **args) -> dict:
    res = c.get("/api/audit", query_string=args)
    assert res.status_code == 200, res.json
    return res.json


def _activity(app, people):
    """Some of Team A's and Team B's actions, from their own people."""
    alice, bob = people["alice"], people["bob"]
    mine = _client(app, "alice")
    for purpose in ("一", "二", "三"):
        assert mine.post("/api/claims", json={"team_id": people["a"].id, "purpose": purpose}).status_code == 201
    theirs = _client(app, "bob", "203.0.113.9")
    assert theirs.post("/api/claims", json={"team_id": people["b"].id, "purpose": "B 的"}).status_code == 201
    return alice, bob


def test_a_submitter_may_not_read_it_and_a_team_auditor_sees_only_the_team(app, people):
    _activity(app, people)
    alice_reads = _client(app, "alice")
    assert alice_reads.get("/api/audit").status_code == 403
    assert alice_reads.get(f"/api/audit?team_id={people['a'].id}").status_code == 403
    assert alice_reads.get("/api/audit/export?format=csv").status_code == 403
    auditor = _client(app, "audrey")
    seen = _page(auditor)["entries"]
    assert seen and {e["team"] for e in seen} == {people["a"].id}  # no Team B, no site-wide entries (sign-ins)
    assert auditor.get(f"/api/audit?team_id={people['b'].id}").status_code == 404
    assert {e["team"] for e in _page(_client(app, "bob"))["entries"]} == {people["b"].id}
    site = {e["team"] for e in _page(_client(app, "root"))["entries"]}
    assert site == {people["a"].id, None}  # a site admin: the teams they audit and the site-wide entries
    assert _page(_client(app, "root"), team_id=people["a"].id)["entries"][0]["team"] == people["a"].id


def test_filters_and_the_cursor(app, people, clock):
    alice, _ = _activity(app, people)
    clock.advance(days=2)
    boss = _client(app, "boss")
    assert boss.post("/api/claims", json={"team_id": people["a"].id, "purpose": "后来"}).status_code == 201
    auditor, team = _client(app, "audrey"), people["a"].id
    created = _page(auditor, team_id=team, action="claim.created")["entries"]
    assert [e["data"]["purpose"] for e in created] == ["后来", "三", "二", "一"]  # newest first
    assert {e["action"] for e in _page(auditor, action="claim.*")["entries"]} == {"claim.created"}
    assert {e["actor_name"] for e in _page(auditor, actor="alice", action="claim.created")["entries"]} == {"alice"}
    assert len(_page(auditor, actor=str(alice.id), action="claim.created")["entries"]) == 3
    today = (clock.now() + audit.CHINA).date()
    assert [e["data"]["purpose"] for e in _page(auditor, action="claim.created", date_from=str(today))["entries"]
            ] == ["后来"]
    earlier = _page(auditor, action="claim.created", date_to=str(today - dt.timedelta(days=1)))["entries"]
    assert len(earlier) == 3
    first = _page(auditor, action="claim.created", limit=3)
    assert len(first["entries"]) == 3 and first["has_more"]
    rest = _page(auditor, action="claim.created", limit=3, before=first["next_before"])
    assert [e["data"]["purpose"] for e in rest["entries"]] == ["一"] and rest["next_before"] is None
    for bad in ({"action": "'; DROP TABLE"}, {"date_from": "yesterday"}, {"before": "-1"}, {"limit": "0"}):
        assert auditor.get("/api/audit", query_string=bad).status_code == 400, bad


def test_the_export_opens_and_neutralises_formulas(app, people):
    with database.connection_context():
        create_user(app.extensions["fapiao"].clock, EVIL, PASSWORD, team_name="Team A")
    sly = _client(app, EVIL)
    assert sly.post("/api/claims", json={"team_id": people["a"].id, "purpose": "+1+1"}).status_code == 201
    auditor = _client(app, "audrey")
    res = auditor.get(f"/api/audit/export?format=xlsx&team_id={people['a'].id}")
    assert res.status_code == 200 and res.headers["Content-Disposition"].startswith("attachment;")
    sheet = openpyxl.load_workbook(io.BytesIO(res.data)).active
    header = [c.value for c in sheet[1]]
    assert header[:6] == ["编号", "时间", "用户编号", "用户名", "团队", "操作"]
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == int(res.headers["X-Audit-Rows"]) == len(_entries(team=people["a"].id)) - 1  # not its own
    newest = dict(zip(header, rows[0], strict=True))
    assert newest["操作"].value == "新建报销单" and newest["团队"].value == "Team A"
    name = newest["用户名"]
    assert name.value == EVIL and name.data_type == "s" and name.quotePrefix  # text, never a formula
    csv_res = auditor.get(f"/api/audit/export?format=csv&team_id={people['a'].id}&action=claim.created",
                          headers={"Accept-Language": "en"})
    lines = list(csv.DictReader(io.StringIO(csv_res.data.decode("utf-8-sig"), newline="")))
    assert [r["User name"] for r in lines] == ["'" + EVIL] and lines[0]["Action"] == "Claim created"
    [exported, _] = _entries(action="audit.exported")
    assert exported.actor == people["audrey"].id and exported.team == people["a"].id and exported.data["rows"] > 1


def test_the_spa_offers_and_names_every_action_the_server_names():
    """The server's catalogs name each recorded action (`audit.<action>`); the SPA's filter lists them all and its
    own catalogs translate them (a new action without a name there fails here)."""
    import json
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    server = {k.removeprefix("audit.") for k in json.loads((root / "backend/i18n/en.json").read_text())
              if k.startswith("audit.") and k.count(".") >= 2 and not k.startswith("audit.col.")}
    listed = set(re.findall(r'"([a-z_]+\.[a-z_]+)"', (root / "frontend/src/lib/audit.ts").read_text()
                            .split("AUDIT_ACTIONS = [", 1)[1].split("]", 1)[0]))
    named = set(re.findall(r'"audit\.([a-z_]+\.[a-z_]+)"', (root / "frontend/src/i18n/ui.ts").read_text()))
    assert server - listed == set() and server - named == set()
