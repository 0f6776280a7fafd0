"""The dashboard: counts and 价税合计 by status, month and seller; aging of what waits at the authority and for
reimbursement; one invoice counted once. Rows come from tests/factories.py (no OCR)."""

from __future__ import annotations

import datetime as dt

from backend.models import Invoice, Role, Team, User
from backend.services import dashboard, identity

from . import factories
from .helpers import login


def _alice():
    return User.get(User.username == "alice")


def _inv(team, **values):
    return factories.invoice(team, _alice(), **values)


def _set(inv, **changes):
    Invoice.update(**changes).where(Invoice.id == inv.id).execute()


def _summary(team, clock):
    return dashboard.summary(Invoice.team == team.id, clock.now())


def test_empty_team_has_zeros_in_every_bucket(team, clock):
    out = _summary(team, clock)
    assert out["totals"] == {"count": 0, "total": "0.00"}
    assert out["by_status"] == out["by_month"] == out["by_seller"] == []
    assert [b["count"] for b in out["aging"]["authority"]] == [0] * len(dashboard.BUCKETS)
    assert out["buckets"] == ["lt1", "d1_3", "d3_7", "d7_30", "d30_90", "gt90"]
    assert out["oldest"] == {"authority": [], "reimbursement": []}


def test_sums_by_status_month_and_seller_count_a_duplicate_once(rt, team, clock):
    first = _inv(team, invoice_number="10000001", total="500.00", issue_date="2025-12-03", seller_name="华为")
    identity.relink(rt, first)
    copy = _inv(team, invoice_number="10000001", total="500.00", issue_date="2025-12-03", seller_name="华为")
    identity.relink(rt, copy)  # another photo of the same invoice, read after the first
    assert Invoice.get_by_id(copy.id).duplicate_of_id == first.id
    _inv(team, total="100.10", issue_date="2025-12-30", seller_name="华为")
    _inv(team, total="0.20", issue_date="2026-01-02", seller_name="滴滴出行", status="not_found")
    out = _summary(team, clock)
    assert out["totals"] == {"count": 3, "total": "600.30"}
    assert out["duplicates"] == {"count": 1, "total": "500.00"}
    assert out["by_status"] == [{"status": "found", "count": 2, "total": "600.10"},
                                {"status": "not_found", "count": 1, "total": "0.20"}]
    assert out["by_month"] == [{"month": "2025-12", "count": 2, "total": "600.10"},
                               {"month": "2026-01", "count": 1, "total": "0.20"}]
    assert out["by_seller"] == [{"seller": "华为", "count": 2, "total": "600.10"},
                                {"seller": "滴滴出行", "count": 1, "total": "0.20"}]


def test_undated_invoices_are_their_own_month_last_and_other_teams_never_show(rt, team, make_user, clock):
    _inv(team, total="10.00", issue_date=None)
    _inv(team, total="20.00", issue_date="2025-11-11")
    make_user("bob", "Team B")
    _inv(Team.get(Team.name == "Team B"), total="999.00", issue_date="2025-11-11")
    out = _summary(team, clock)
    assert [(m["month"], m["total"]) for m in out["by_month"]] == [("2025-11", "20.00"), (None, "10.00")]
    assert out["totals"]["total"] == "30.00"


def test_authority_aging_by_time_waiting_oldest_first(team, clock):
    now = clock.now()
    ages = {"fresh": dt.timedelta(hours=5), "two": dt.timedelta(days=2), "week": dt.timedelta(days=6, hours=23),
            "month": dt.timedelta(days=20), "old": dt.timedelta(days=45), "ancient": dt.timedelta(days=400)}
    made = {}
    for name, age in ages.items():
        inv = _inv(team, status="pending_sync", total="1.00", seller_name=name)
        _set(inv, pending_since=now - age)
        made[name] = inv
    # No pending_since: aged from the upload. Found invoices do not wait at the authority.
    made["error"] = _inv(team, status="sync_error", total="2.00", created_at=now - dt.timedelta(days=3, hours=1))
    _inv(team, status="found", total="7.00", created_at=now - dt.timedelta(days=50))
    out = _summary(team, clock)
    counts = {b["bucket"]: b["count"] for b in out["aging"]["authority"]}
    assert counts == {"lt1": 1, "d1_3": 1, "d3_7": 2, "d7_30": 1, "d30_90": 1, "gt90": 1}
    assert {b["bucket"]: b["total"] for b in out["aging"]["authority"]}["d3_7"] == "3.00"
    oldest = out["oldest"]["authority"]
    assert [o["id"] for o in oldest] == [made[n].id for n in ("ancient", "old", "month", "week", "error")]
    assert oldest[0]["age_days"] == 400 and oldest[0]["since"].endswith("Z")


def test_reimbursement_aging_by_issue_date_leaves_out_what_is_never_reimbursed(rt, team, make_user, clock):
    # The fake clock says 2026-01-05 09:00 UTC: 17:00 in China, so "today" is 2026-01-05.
    waiting = _inv(team, issue_date="2026-01-05", total="1.00")
    old = _inv(team, issue_date="2025-09-01", total="2.00", status="not_found")
    claimed = _inv(team, issue_date="2025-12-20", total="4.00")
    _set(claimed, reimbursement="claimed")
    done = _inv(team, issue_date="2025-08-01", total="8.00")
    _set(done, reimbursement="reimbursed")
    _inv(team, issue_date="2025-01-01", total="16.00", status="voided")
    _inv(team, issue_date="2025-01-01", total="32.00", status="processing")
    out = _summary(team, clock)
    buckets = {b["bucket"]: (b["count"], b["total"]) for b in out["aging"]["reimbursement"]}
    assert buckets == {"lt1": (1, "1.00"), "d1_3": (0, "0.00"), "d3_7": (0, "0.00"), "d7_30": (1, "4.00"),
                       "d30_90": (0, "0.00"), "gt90": (1, "2.00")}
    oldest = out["oldest"]["reimbursement"]
    assert [(o["id"], o["since"], o["age_days"]) for o in oldest] == [
        (old.id, "2025-09-01", 126), (claimed.id, "2025-12-20", 16), (waiting.id, "2026-01-05", 0)]
    assert oldest[1]["reimbursement"] == "claimed"


def test_api_answers_for_my_team_only(client, alice, make_user, db, clock):
    team = Team.get(Team.name == "Team A")
    _inv(team, total="12.34", issue_date="2025-12-01", seller_name="京东")
    res = client.get("/api/dashboard")
    assert res.status_code == 200
    assert res.json["team_id"] == team.id and res.json["totals"] == {"count": 1, "total": "12.34"}
    assert res.json["by_seller"][0]["seller"] == "京东"
    make_user("bob", "Team B", role=Role.ADMIN)
    other = Team.get(Team.name == "Team B").id
    assert client.get(f"/api/dashboard?team_id={other}").status_code == 404
    bad = client.get("/api/dashboard?team_id=abc")
    assert bad.status_code == 400 and bad.json["error"]["key"] == "request.invalid"
    client.post("/api/auth/logout")
    assert client.get("/api/dashboard").status_code == 401
    login(client, "bob")
    assert client.get(f"/api/dashboard?team_id={other}").json["totals"]["count"] == 0
