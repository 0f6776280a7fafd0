"""A correction is held to the live hints' own rules: values no invoice could hold are refused with the
reason, the soft rules come back as warnings; buyer entities are held to the same tax-ID rule."""

from __future__ import annotations

from backend.models import BuyerEntity, FieldCorrection, Invoice, Role
from backend.validate import REFUSED, validate
from backend.validate.codes import Family

from . import factories


def _save(client, inv_id, field, value):
    return client.post(f"/api/invoices/{inv_id}/fields", json={"field": field, "value": value})


def test_a_total_that_is_no_number_is_refused_and_the_invoice_kept(client, team, alice):
    inv = factories.invoice(team, alice, status="found", total="500.00")
    res = _save(client, inv.id, "total", "abc")
    assert res.status_code == 400
    assert res.json["error"]["key"] == "correction.amount_format" and res.json["error"]["params"]["field"] == "total"
    assert "价税合计" in res.json["error"]["message"] or "Total" in res.json["error"]["message"]
    kept = Invoice.get_by_id(inv.id)
    assert kept.fields["total"]["value"] == "500.00" and kept.status == "found"
    assert not FieldCorrection.select().where(FieldCorrection.invoice == inv.id).exists()


def test_a_tax_id_that_cannot_be_one_is_refused_a_doubtful_one_warns(client, team, alice):
    inv = factories.invoice(team, alice, status="extracted")
    res = _save(client, inv.id, "buyer_tax_id", "12345")
    assert res.status_code == 400 and res.json["error"]["key"] == "correction.tax_id_format"
    assert res.json["error"]["params"]["field"] == "buyer_tax_id"
    ok = _save(client, inv.id, "buyer_tax_id", "91110108MA01ABCD30")  # 18 characters, check digit off: soft
    assert ok.status_code == 200
    assert [w["key"] for w in ok.json["warnings"]] == ["uscc_check_digit"]
    assert ok.json["invoice"]["fields"]["buyer_tax_id"]["value"] == "91110108MA01ABCD30"


def test_a_clean_save_has_no_warnings_and_a_cleared_amount_is_allowed(client, team, alice):
    inv = factories.invoice(team, alice, status="extracted")
    res = _save(client, inv.id, "total", "500.00")
    assert res.status_code == 200 and res.json["warnings"] == []
    assert _save(client, inv.id, "tax", None).status_code == 200


def test_live_hints_flag_what_the_save_refuses(client, alice):
    res = client.post("/api/validate", json={"family": "vat_normal", "fields": {"total": "abc", "amount": "NaN",
                                                                                "buyer_tax_id": "12345"}})
    found = {(f["key"], f["fields"][0]) for f in res.json["findings"]}
    assert {("amount_format", "total"), ("amount_format", "amount"), ("tax_id_format", "buyer_tax_id")} <= found


def test_refused_rules_are_errors_of_the_one_validator():
    findings = validate({"total": "abc", "issue_date": "2026-13-40", "seller_tax_id": "x"}, Family.UNKNOWN,
                        factories._now().date())
    assert {f.key for f in findings if f.refused} == REFUSED
    assert all(f.severity == "error" for f in findings if f.refused)


def test_one_buyer_entity_once_and_only_with_a_tax_id(client, team, make_user):
    from .helpers import login

    make_user("admin", "Team A", role=Role.ADMIN)  # buyer entities are the team admin's
    login(client, "admin")
    url = f"/api/teams/{team.id}/entities"
    assert client.post(url, json={"name": "甲公司", "tax_id": "91110108MA01ABCD3X"}).status_code == 201
    again = client.post(url, json={"name": "甲公司", "tax_id": "91110108MA01ABCD4X"})
    assert again.status_code == 409 and again.json["error"]["key"] == "entity.name_exists"
    assert again.json["error"]["params"]["field"] == "name"
    bad = client.post(url, json={"name": "乙公司", "tax_id": "12345"})
    assert bad.status_code == 422 and bad.json["error"]["key"] == "entity.tax_id_format"
    assert BuyerEntity.select().where(BuyerEntity.team == team.id).count() == 1
