"""One invoice, counted once: files of the same key are linked, with evidence; near misses are noted."""

from __future__ import annotations

import pytest

from backend.models import Activity, Invoice, Team
from backend.services import corrections, identity

from . import factories


def _user(name="alice"):
    from backend.models import User

    return User.get(User.username == name)


def _read(rt, team, user=None, **values):
    """An invoice as the worker leaves it once read, then linked the way processing links it."""
    inv = factories.invoice(team, user or _user(), status="extracted", **values)
    identity.relink(rt, inv)
    return Invoice.get_by_id(inv.id)


def test_a_second_file_of_the_same_key_is_linked_with_evidence(rt, team, clock):
    first = _read(rt, team, invoice_number="03159334", name="photo-a.jpg")
    clock.advance(minutes=5)
    second = _read(rt, team, invoice_number="03159334", name="photo-b.jpg", total="510.00")
    assert first.duplicate_of_id is None and first.status == "extracted"
    assert second.duplicate_of_id == first.id and second.status == "duplicate"
    proof = second.duplicate
    assert proof["basis"] == "same_key" and proof["key"] == "1100171320-03159334"
    assert proof["original"]["id"] == first.id and proof["original"]["uploaded_by"] == "alice"
    assert proof["original"]["name"] == "photo-a.jpg"
    assert "issue_date" in proof["agree"] and "seller_tax_id" in proof["agree"]
    assert proof["differ"] == [{"field": "total", "ours": "510.00", "theirs": "500.00"}]
    assert second.reason == "note.duplicate_key" and second.reason_params["invoice_id"] == first.id
    assert [d["id"] for d in identity.duplicates_of(first)] == [second.id]
    assert Activity.get(Activity.invoice == second.id).kind == "duplicate_linked"


def test_the_same_number_under_another_code_is_a_near_miss_not_a_duplicate(rt, team):
    first = _read(rt, team, invoice_number="03159334", invoice_code="1100153350")
    other = _read(rt, team, invoice_number="03159334", invoice_code="1100153351")
    assert other.duplicate_of_id is None and other.status == "extracted"
    assert other.duplicate["basis"] == "near"
    assert other.duplicate["near"][0] == {"id": first.id, "key": first.key, "kind": "code_differs",
                                          "name": first.original_name}


def test_the_same_code_and_total_with_a_number_one_slip_away_is_a_near_miss(rt, team):
    first = _read(rt, team, invoice_number="12356976")
    other = _read(rt, team, invoice_number="12356967")  # neighbours swapped
    unrelated = _read(rt, team, invoice_number="12356977", total="99.00")
    assert other.duplicate["near"][0]["id"] == first.id and other.duplicate["near"][0]["kind"] == "number_differs"
    assert unrelated.duplicate is None


def test_teams_never_share_identity(rt, team, make_user):
    make_user("bob", "Team B")
    mine = _read(rt, team, invoice_number="55555555")
    theirs = _read(rt, Team.get(Team.name == "Team B"), _user("bob"), invoice_number="55555555")
    assert mine.duplicate_of_id is None and theirs.duplicate_of_id is None


def test_a_person_unlinks_a_wrong_match_and_it_stays_unlinked(rt, team, clock):
    first = _read(rt, team, invoice_number="03159334")
    second = _read(rt, team, invoice_number="03159334")
    clock.advance(minutes=1)
    identity.unlink(rt, second, _user())
    second = Invoice.get_by_id(second.id)
    assert second.duplicate_of_id is None and second.not_duplicate_of == [first.id]
    assert second.status == "extracted"
    entry = Activity.get(Activity.invoice == second.id, Activity.kind == "duplicate_unlinked")
    assert entry.user == _user().id and entry.data == {"original": first.id}
    identity.relink(rt, second)  # read again: still its own invoice
    assert Invoice.get_by_id(second.id).duplicate_of_id is None


def test_unlinking_something_not_linked_is_refused(rt, team):
    from backend.errors import AppError

    lone = _read(rt, team, invoice_number="11112222")
    with pytest.raises(AppError) as err:
        identity.unlink(rt, lone, _user())
    assert err.value.key == "duplicate.not_linked"


def test_a_correction_that_changes_the_key_releases_the_duplicate(rt, team):
    first = _read(rt, team, invoice_number="03159334")
    second = _read(rt, team, invoice_number="03159334")
    corrections.correct(rt, second, _user(), "invoice_number", "03159335")
    second = Invoice.get_by_id(second.id)
    assert second.duplicate_of_id is None and second.key.endswith("03159335")
    assert second.status in ("extracted", "needs_review")
    assert identity.duplicates_of(Invoice.get_by_id(first.id)) == []


def test_when_the_first_file_changes_key_its_duplicates_pass_the_key_on(rt, team):
    first = _read(rt, team, invoice_number="03159334")
    second = _read(rt, team, invoice_number="03159334")
    third = _read(rt, team, invoice_number="03159334")
    corrections.correct(rt, first, _user(), "invoice_number", "03159399")
    second, third = Invoice.get_by_id(second.id), Invoice.get_by_id(third.id)
    assert second.duplicate_of_id is None and second.status != "duplicate"
    assert third.duplicate_of_id == second.id and third.duplicate["original"]["id"] == second.id


def test_a_correction_that_makes_two_invoices_share_a_key_links_them(rt, team, client):
    first = _read(rt, team, invoice_number="40000001")
    second = _read(rt, team, invoice_number="40000002")
    res = client.post(f"/api/invoices/{second.id}/fields", json={"field": "invoice_number", "value": "40000001"})
    assert res.status_code == 200, res.json
    inv = res.json["invoice"]
    assert inv["duplicate_of"] == first.id and inv["status"] == "duplicate"
    assert inv["duplicate"]["basis"] == "same_key" and inv["key"] == first.key
    detail = client.get(f"/api/invoices/{first.id}").json
    assert [d["id"] for d in detail["duplicates"]] == [second.id]
    history = client.get(f"/api/invoices/{second.id}/history").json["items"]
    kinds = [h["kind"] for h in history]
    assert "duplicate_linked" in kinds and "corrected" in kinds and kinds[-1] == "uploaded"


def test_unlink_over_http_and_another_teams_invoice_is_404(rt, team, client, make_user):
    first = _read(rt, team, invoice_number="03159334")
    second = _read(rt, team, invoice_number="03159334")
    res = client.post(f"/api/invoices/{second.id}/unlink")
    assert res.status_code == 200 and res.json["invoice"]["duplicate_of"] is None
    make_user("bob", "Team B")
    theirs = _read(rt, Team.get(Team.name == "Team B"), _user("bob"), invoice_number="77777777")
    assert client.post(f"/api/invoices/{theirs.id}/unlink").status_code == 404
    assert first.duplicate_of_id is None


def test_byte_identical_upload_shows_what_the_first_read(client, alice, queue):
    from . import media
    from .helpers import upload

    body = media.jpeg()
    upload(client, ("a.jpg", body))
    queue.run_all()
    again = upload(client, ("b.jpg", body)).json["results"][0]
    assert again["status"] == "duplicate"
    inv = again["invoice"]
    assert inv["duplicate"]["basis"] == "same_file" and inv["duplicate"]["original"]["name"] == "a.jpg"
    unlinked = client.post(f"/api/invoices/{inv['id']}/unlink").json["invoice"]
    assert unlinked["duplicate_of"] is None and unlinked["status"] in ("extracted", "needs_review")
    assert unlinked["fields"] == inv["fields"]  # the same bytes read the same: no need to read them again
    kinds = [h["kind"] for h in client.get(f"/api/invoices/{inv['id']}/history").json["items"]]
    assert "duplicate_unlinked" in kinds


def test_unlinking_a_copy_of_a_file_not_read_yet_reads_it(client, alice, queue):
    from . import media
    from .helpers import upload

    body = media.jpeg()
    upload(client, ("a.jpg", body))
    copy = upload(client, ("b.jpg", body)).json["results"][0]["invoice"]
    unlinked = client.post(f"/api/invoices/{copy['id']}/unlink").json["invoice"]
    assert unlinked["status"] == "received" and unlinked["duplicate_of"] is None
    assert queue.run_all() == 2


def test_a_copy_uploaded_before_the_first_is_read_shows_its_reading(client, alice, queue):
    from . import media
    from .helpers import upload

    body = media.jpeg()
    first = upload(client, ("a.jpg", body)).json["results"][0]["invoice"]
    copy = upload(client, ("b.jpg", body)).json["results"][0]["invoice"]
    assert copy["status"] == "duplicate" and copy["fields"] is None
    queue.run_all()
    read = client.get(f"/api/invoices/{first['id']}").json["invoice"]
    copy = client.get(f"/api/invoices/{copy['id']}").json["invoice"]
    assert copy["fields"] == read["fields"] and copy["has_thumbnail"] == read["has_thumbnail"]
    assert copy["status"] == "duplicate" and copy["duplicate"]["basis"] == "same_file"
