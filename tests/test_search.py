"""Server-side search and filters: the databases' own text search (SQLite FTS5 trigram, PostgreSQL pg_trgm),
Chinese substrings of two characters and more, digit fragments, counts for the same filter, hostile input."""

from __future__ import annotations

import pytest

from backend.models import Role, Team, User
from backend.services import claims

from . import factories
from .helpers import login


def _alice():
    return User.get(User.username == "alice")


@pytest.fixture
def sample(team, make_user):
    """Five invoices of Team A, one of Team B with the same seller."""
    a = _alice()
    rows = {
        "huawei": factories.invoice(team, a, seller_name="上海华为技术有限公司", invoice_number="12345678",
                                    total="500.00", issue_date="2026-01-03", name="华为发票.jpg"),
        "huawei2": factories.invoice(team, a, seller_name="深圳华为终端有限公司", invoice_number="22345678",
                                     total="1200.00", issue_date="2025-12-20", status="pending_sync"),
        "didi": factories.invoice(team, a, seller_name="滴滴出行科技有限公司", invoice_number="33345678",
                                  total="36.50", issue_date="2026-01-04", family="taxi", status="not_found"),
        "hotel": factories.invoice(team, a, seller_name="北京饭店有限责任公司", buyer_name="北京示例科技有限公司",
                                   invoice_number="44345678", total="880.00", issue_date="2025-11-02",
                                   seller_tax_id="91110000101100000X"),
        "plain": factories.invoice(team, a, seller_name=None, invoice_number="55345678", total=None, issue_date=None,
                                   name="scan_0001.pdf", status="needs_review"),
    }
    bob = make_user("bob", "Team B")
    rows["other_team"] = factories.invoice(Team.get(Team.name == "Team B"), bob, seller_name="上海华为技术有限公司",
                                           invoice_number="12345678")
    return {k: v.id for k, v in rows.items()}


def _ids(client, qs: str) -> list[int]:
    res = client.get(f"/api/invoices?{qs}")
    assert res.status_code == 200, res.json
    return [i["id"] for i in res.json["items"]]


def test_chinese_substrings_of_two_and_more_characters(client, sample):
    s = sample
    assert set(_ids(client, "q=华为")) == {s["huawei"], s["huawei2"]}  # two characters: below a trigram
    assert _ids(client, "q=华为技术") == [s["huawei"]]
    assert _ids(client, "q=饭店") == [s["hotel"]]
    assert len(_ids(client, "q=示例科技")) == 5  # the buyer every invoice of mine is made out to
    assert _ids(client, "q=有限责任公司") == [s["hotel"]]


def test_every_term_must_match(client, sample):
    assert _ids(client, "q=华为 深圳") == [sample["huawei2"]]
    assert _ids(client, "q=华为 滴滴") == []


def test_digit_fragments_and_file_names(client, sample):
    s = sample
    assert _ids(client, "q=3345") == [s["didi"]]  # part of the number
    assert _ids(client, "q=101100") == [s["hotel"]]  # part of the seller's tax id
    assert _ids(client, "q=SCAN_00") == [s["plain"]]  # file name, any case, _ is no wildcard
    assert _ids(client, "q=1100171320") and len(_ids(client, "q=1100171320")) == 5  # the code, on all of mine


def test_full_width_and_case_are_folded(client, sample):
    assert _ids(client, "q=３３４５") == [sample["didi"]]  # full-width digits (NFKC)


def test_filters_combine_and_counts_are_for_the_same_filter(client, sample):
    s = sample
    res = client.get("/api/invoices?q=华为&amount_min=600").json
    assert [i["id"] for i in res["items"]] == [s["huawei2"]] and res["total"] == 1
    res = client.get("/api/invoices?date_from=2026-01-01&date_to=2026-01-31").json
    assert {i["id"] for i in res["items"]} == {s["huawei"], s["didi"]}
    res = client.get("/api/invoices?q=有限公司&status=found").json
    assert res["total"] == 2  # huawei and hotel
    # What each status chip would give for the same text:
    assert res["counts"] == {"found": 2, "pending_sync": 1, "not_found": 1, "needs_review": 1}
    assert res["facets"]["reimbursement"] == {"unclaimed": 2}
    assert _ids(client, "family=taxi") == [s["didi"]]
    assert _ids(client, "status=needs_review,pending_sync&sort=created") == [s["huawei2"], s["plain"]]


def test_reimbursement_booking_duplicate_claim_and_uploader_filters(rt, client, sample, make_user):
    s = sample
    boss = make_user("boss", "Team A", role=Role.ACCOUNTANT)
    from backend.models import Invoice
    from backend.services import booking

    claim = claims.create(rt, Team.get(Team.name == "Team A"), _alice(), "差旅")
    claims.add(rt, claim, _alice(), [Invoice.get_by_id(s["huawei"])])
    booking.book(rt, Invoice.get_by_id(s["hotel"]), boss, "2026-01", "记-1")
    assert _ids(client, "reimbursement=claimed") == [s["huawei"]]
    assert _ids(client, f"claim={claim.id}") == [s["huawei"]]
    assert _ids(client, "booking=booked") == [s["hotel"]]
    assert len(_ids(client, "booking=unbooked")) == 4
    assert _ids(client, "duplicate=true") == []
    assert len(_ids(client, f"uploaded_by={_alice().id}")) == 5
    facets = client.get("/api/invoices?limit=0").json["facets"]
    assert facets["reimbursement"] == {"claimed": 1, "unclaimed": 4} and facets["booking"]["booked"] == 1


def test_sorts_put_empty_values_last_and_page_by_offset(client, sample):
    s = sample
    assert _ids(client, "sort=-total") == [s["huawei2"], s["hotel"], s["huawei"], s["didi"], s["plain"]]
    assert _ids(client, "sort=total") == [s["didi"], s["huawei"], s["hotel"], s["huawei2"], s["plain"]]
    assert _ids(client, "sort=date")[-1] == s["plain"] and _ids(client, "sort=-date")[-1] == s["plain"]
    assert _ids(client, "sort=seller")[-1] == s["plain"]
    first = client.get("/api/invoices?sort=-total&limit=2").json
    assert first["next_offset"] == 2 and first["total"] == 5
    second = client.get("/api/invoices?sort=-total&limit=2&offset=2").json
    assert [i["id"] for i in first["items"] + second["items"]] == _ids(client, "sort=-total")[:4]
    assert client.get("/api/invoices?limit=0").json["items"] == []


def test_another_teams_invoices_never_show_or_count(client, sample):
    res = client.get("/api/invoices?q=华为技术").json
    assert [i["id"] for i in res["items"]] == [sample["huawei"]] and res["total"] == 1
    other_team = Team.get(Team.name == "Team B").id
    assert client.get(f"/api/invoices?team_id={other_team}").status_code == 404
    login(client, "bob")
    assert _ids(client, "q=华为") == [sample["other_team"]]


@pytest.mark.parametrize("q", ['"', '""', '*', 'NEAR', 'NEAR(华为 有限)', 'a AND b', 'OR', '(', ')', ':', '^',
                               '华为*', 'body:华为', '%', '_', '\\', "'; DROP TABLE invoice; --", "x" * 10_000,
                               "华 为 有 限 公 司 科 技 北 京 上 海", "🙂"])
def test_hostile_queries_are_just_text(client, sample, q):
    res = client.get("/api/invoices", query_string={"q": q})
    assert res.status_code == 200, res.json
    assert res.json["total"] == len(res.json["items"])


def test_a_nul_in_the_query_is_a_clear_400(client, sample):
    """PostgreSQL's text takes no NUL: it is refused with its key before any query (api/params.py screen)."""
    res = client.get("/api/invoices", query_string={"q": "华\x00为"})
    assert res.status_code == 400 and res.json["error"]["params"]["field"] == "q"


def test_percent_and_underscore_are_no_wildcards(client, team):
    plain = factories.invoice(team, _alice(), name="abc.jpg")
    odd = factories.invoice(team, _alice(), name="a%c_x.jpg")
    assert _ids(client, "q=%25") == [odd.id]
    assert _ids(client, "q=_") == [odd.id]
    assert plain.id not in _ids(client, "q=a%25c")


@pytest.mark.parametrize("qs", ["status=bogus", "reimbursement=paid", "date_from=2026-13-01", "amount_min=abc",
                                "amount_max=1e30", "uploaded_by=-3", "duplicate=maybe", "sort=password",
                                "offset=-1", "limit=1000", "flag=nope", "claim=0"])
def test_bad_parameters_are_a_clear_400(client, team, qs):
    res = client.get(f"/api/invoices?{qs}")
    assert res.status_code == 400 and res.json["error"]["key"] == "request.invalid"


def test_bulk_on_all_matching_a_filter(client, sample, make_user):
    make_user("boss", "Team A", role=Role.ACCOUNTANT)
    login(client, "boss")
    out = client.post("/api/invoices/bulk", json={"action": "book", "query": "q=华为",
                                                  "params": {"period": "2026-01", "voucher": "记-9"}}).json
    assert sorted(out["done"]) == sorted([sample["huawei"], sample["huawei2"]])  # never Team B's
    assert client.post("/api/invoices/bulk", json={"action": "book", "query": "status=bogus"}).status_code == 400
