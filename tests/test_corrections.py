

from .helpers import read_generated


def test_worker_stores_the_reading_and_a_preview(client, alice, queue):
    inv_id = read_generated(client, queue)
    inv = client.get(f"/api/invoices/{inv_id}").json["invoice"]
    assert inv["status"] in ("extracted", "needs_review") and inv["family"] == "vat_normal"
    assert inv["fields"]["invoice_number"]["value"] == "12356976"
    assert inv["fields"]["invoice_number"]["box"] and inv["qr_text"].startswith("01,04,")
    assert inv["reading"]["page_size"] == [2000.0, 1250.0]
    assert client.get(f"/api/invoices/{inv_id}/preview").data[:3] == b"\xff\xd8\xff"


def test_a_correction_is_kept_with_who_and_when_and_revalidated(client, alice, queue, clock):
    inv_id = read_generated(client, queue)
    res = client.post(f"/api/invoices/{inv_id}/fields", json={"field": "total", "value": "610.00"})
    assert res.status_code == 200
    inv = res.json["invoice"]
    assert inv["fields"]["total"]["value"] == "610.00" and inv["fields"]["total"]["source"] == "manual"
    assert inv["fields"]["total"]["corrected_by"] == "alice" and inv["fields"]["total"]["previous"] == "600.00"
    assert "sum_mismatch" in {f["key"] for f in inv["validation"]} and inv["status"] == "needs_review"
    (entry,) = res.json["corrections"]
    assert (entry["field"], entry["old"], entry["new"], entry["by"]) == ("total", "600.00", "610.00", "alice")
    back = client.post(f"/api/invoices/{inv_id}/fields", json={"field": "total", "value": "600.00"}).json
    assert "sum_mismatch" not in {f["key"] for f in back["invoice"]["validation"]}
    assert len(back["corrections"]) == 2


def test_bad_corrections_are_refused(client, alice, queue):
    inv_id = read_generated(client, queue)
    for body in ({"field": "nope", "value": "1"}, {"field": "total", "value": 5}, {"field": "total"}):
        res = client.post(f"/api/invoices/{inv_id}/fields", json=body)
        if body.get("field") == "total" and "value" not in body:
            assert res.status_code == 200  # clearing a field is allowed
        else:
            assert res.status_code == 400 and res.json["error"]["key"] == "request.invalid"


def test_live_hints_use_the_same_rules(client, alice):
    res = client.post("/api/validate", json={"family": "vat_normal", "fields": {
        "invoice_code": "1100171320", "invoice_number": "1235697", "amount": "1.00", "tax": "0.13", "total": "2.00"}})
    keys = {f["key"] for f in res.json["findings"]}
    assert {"number_format", "sum_mismatch"} <= keys
    assert client.post("/api/validate", json={"fields": {"a": 1}}).status_code == 400
    assert client.post("/api/validate", json={"fields": {}, "family": "bogus"}).status_code == 400
