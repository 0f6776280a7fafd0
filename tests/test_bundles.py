"""One file, many invoices: a bundle of invoices in one PDF is split into one invoice per page group, each read,
checked and de-duplicated on its own, all pointing back to the one stored file; the pages wait their turn.

The real reader reads the dev set's e-invoice PDFs (../shared/datasets/invoices-dev, kept out of git); those tests
skip, with the reason, when it is absent. The queue's fairness is tested with the fake reader on blank pages.
"""

from __future__ import annotations

import pytest

from backend.db import database
from backend.jobs.runner import recover
from backend.models import Invoice, InvoiceStatus, Job, JobState, StoredFile
from backend.services.bundles import in_flight

from . import media
from .bundles import DEV, dev_bytes, dev_labels, join, list_page
from .helpers import DONE, upload

PDFS = [row for row in dev_labels("pdf") if row["invoice_key"]]
needs_dev = pytest.mark.skipif(not PDFS, reason=f"dev data set not found at {DEV}")


def _invoices(file_sha: str) -> list[Invoice]:
    with database.connection_context():
        return list(Invoice.select().join(StoredFile).where(StoredFile.sha256 == file_sha).order_by(Invoice.id))


def _by_page(invoices: list[Invoice]) -> list[Invoice]:
    return sorted(invoices, key=lambda inv: (inv.pages or [1])[0])


@needs_dev
@pytest.mark.slow
def test_each_page_of_a_bundle_is_an_invoice_of_its_own(client, alice, queue):
    rows = PDFS[:8]
    res = upload(client, ("bundle.pdf", join(*map(dev_bytes, rows))))
    result = res.json["results"][0]
    assert result["status"] == "accepted" and result["invoice_count"] == 1  # not known before it is read
    queue.run_all(max_rounds=100)
    parts = _by_page(_invoices(result["invoice"]["file"]["sha256"]))
    assert [inv.pages for inv in parts] == [[i + 1] for i in range(len(rows))]
    assert [inv.key for inv in parts] == [row["invoice_key"] for row in rows]
    head = parts[0]
    assert head.id == result["invoice"]["id"] and head.parts == len(rows) and head.part_of is None
    assert all(inv.part_of == head.id and inv.parts is None for inv in parts[1:])
    assert all(inv.status in DONE and inv.page_count == 1 and inv.has_thumbnail for inv in parts)
    with database.connection_context():
        assert StoredFile.select().count() == 1  # the original is stored once
    # Each invoice previews its own page; the download is the one file.
    previews = {client.get(f"/api/invoices/{inv.id}/preview").data for inv in parts}
    assert len(previews) == len(rows)
    files = {client.get(f"/api/invoices/{inv.id}/file").data for inv in parts}
    assert len(files) == 1
    detail = client.get(f"/api/invoices/{parts[2].id}").json["invoice"]
    assert detail["pages"] == [3] and detail["part_of"] == head.id


@needs_dev
def test_an_invoice_and_its_list_page_stay_one(client, alice, queue):
    first, second = PDFS[0], PDFS[1]
    code, number = first["fields"]["invoice_code"], first["fields"]["invoice_number"]
    bundle = join(dev_bytes(first), list_page(code, number), dev_bytes(second), list_page(None, None))
    res = upload(client, ("with-list.pdf", bundle))
    queue.run_all(max_rounds=50)
    parts = _by_page(_invoices(res.json["results"][0]["invoice"]["file"]["sha256"]))
    # A 清单 naming its invoice joins it; one naming none joins the invoice before it.
    assert [inv.pages for inv in parts] == [[1, 2], [3, 4]]
    assert [inv.key for inv in parts] == [first["invoice_key"], second["invoice_key"]]
    assert [inv.page_count for inv in parts] == [2, 2]


@needs_dev
def test_a_list_page_naming_another_invoice_starts_its_own(client, alice, queue):
    first = PDFS[0]
    bundle = join(dev_bytes(first), list_page("011001900111", "12345678"))
    res = upload(client, ("mixed.pdf", bundle))
    queue.run_all(max_rounds=50)
    parts = _by_page(_invoices(res.json["results"][0]["invoice"]["file"]["sha256"]))
    assert [inv.pages for inv in parts] == [[1], [2]]
    assert parts[1].key == "011001900111-12345678"


@needs_dev
def test_the_same_invoice_alone_and_in_a_bundle_is_one(client, alice, queue):
    alone, other = PDFS[0], PDFS[1]
    single = upload(client, ("alone.pdf", dev_bytes(alone))).json["results"][0]["invoice"]
    queue.run_all()
    res = upload(client, ("bundle.pdf", join(dev_bytes(other), dev_bytes(alone))))
    queue.run_all(max_rounds=50)
    parts = _by_page(_invoices(res.json["results"][0]["invoice"]["file"]["sha256"]))
    assert [inv.key for inv in parts] == [other["invoice_key"], alone["invoice_key"]]
    assert parts[0].duplicate_of_id is None
    assert parts[1].status == InvoiceStatus.DUPLICATE.value and parts[1].duplicate_of_id == single["id"]
    # And the other way round: a page read before makes the later lone file its duplicate.
    later = upload(client, ("later.pdf", dev_bytes(other))).json["results"][0]["invoice"]
    queue.run_all()
    with database.connection_context():
        assert Invoice.get_by_id(later["id"]).duplicate_of_id == parts[0].id


@needs_dev
def test_the_same_bundle_again_is_a_duplicate_of_each_of_its_invoices(client, alice, queue):
    bundle = join(*map(dev_bytes, PDFS[:3]))
    first = upload(client, ("bundle.pdf", bundle)).json["results"][0]
    queue.run_all(max_rounds=50)
    again = upload(client, ("bundle-again.pdf", bundle)).json["results"][0]
    assert again["status"] == "duplicate" and again["invoice_count"] == 3
    assert queue.run_all() == 0  # nothing read twice
    invoices = _invoices(first["invoice"]["file"]["sha256"])
    originals = [inv for inv in invoices if inv.duplicate_of_id is None]
    copies = [inv for inv in invoices if inv.duplicate_of_id is not None]
    assert len(originals) == 3 and len(copies) == 3
    assert sorted((c.pages, c.duplicate_of_id) for c in copies) == sorted((o.pages, o.id) for o in originals)
    assert all(c.part_of == again["invoice"]["id"] for c in copies if c.id != again["invoice"]["id"])


def test_a_bundle_past_the_page_limit_is_refused_and_not_split(client, alice, queue, fake_reader):
    res = upload(client, ("500.pdf", media.pdf(500)))
    queue.run_all()
    inv = client.get(f"/api/invoices/{res.json['results'][0]['invoice']['id']}").json["invoice"]
    assert inv["status"] == "failed" and inv["reason"] == "error.pdf.too_many_pages"
    assert inv["reason_params"] == {"pages": 500, "limit": 50} and inv["parts"] is None
    with database.connection_context():
        assert Invoice.select().count() == 1


def test_pages_without_text_are_each_an_invoice(client, alice, queue, fake_reader):
    res = upload(client, ("scans.pdf", media.pdf(4)))
    queue.run_all(max_rounds=50)
    parts = _by_page(_invoices(res.json["results"][0]["invoice"]["file"]["sha256"]))
    assert [inv.pages for inv in parts] == [[1], [2], [3], [4]]
    assert all(inv.status in DONE for inv in parts)
    assert len(fake_reader.calls) == 4


def _run_one(queue, job_id: int) -> None:
    from backend.jobs.runner import run_job

    queue.dispatched.remove((job_id, 0))
    run_job(queue.runtime, job_id)


def test_a_bundle_does_not_starve_other_uploads(client, alice, queue, fake_reader, rt):
    bundle = upload(client, ("ten.pdf", media.pdf(10))).json["results"][0]["invoice"]
    assert in_flight(rt) < 9
    (head_job, _), = queue.dispatched
    _run_one(queue, head_job)  # read: split into ten, its next pages held for their turn
    lane = in_flight(rt)
    with database.connection_context():
        held = Job.select().where(Job.state == JobState.HELD.value).count()
    assert held == 9 - lane and len(queue.dispatched) == lane  # the head is done: `lane` of its nine pages queued
    other = upload(client, ("other.jpg", media.jpeg())).json["results"][0]["invoice"]
    with database.connection_context():
        other_job = Job.get(Job.invoice == other["id"]).id
    # Another upload waits behind at most `lane` of the bundle's pages, not its nine.
    assert [j for j, _ in queue.dispatched].index(other_job) <= lane
    queue.run_all(max_rounds=100)
    parts = _invoices(bundle["file"]["sha256"])
    assert len(parts) == 10 and all(inv.status in DONE for inv in parts)
    with database.connection_context():
        assert Job.select().where(Job.state != JobState.DONE.value).count() == 0


def test_recovery_releases_a_bundle_whose_chain_broke(client, alice, queue, fake_reader, clock):
    upload(client, ("many.pdf", media.pdf(3 * in_flight(queue.runtime))))
    (head_job, _), = queue.dispatched
    _run_one(queue, head_job)
    queue.dispatched.clear()  # the queue lost what was released (a Redis flush, a crash before enqueue)
    with database.connection_context():
        Job.update(state=JobState.FAILED.value).where(Job.state == JobState.QUEUED.value).execute()
    recover(queue.runtime)
    assert len(queue.dispatched) == in_flight(queue.runtime)
    queue.run_all(max_rounds=50)
    with database.connection_context():
        assert Job.select().where(Job.state == JobState.HELD.value).count() == 0


TAXIS = [row for row in dev_labels("photo") if row["invoice_type"] == "出租车票"]


def _jpeg(image) -> bytes:
    import cv2

    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()


def test_sheets_laid_side_by_side_are_found_each_upright():
    from backend.pipeline import documents

    from .bundles import photo_of

    sheets = [media.invoice_like(900, 1300, f"NO {i}") for i in range(3)]
    photo = photo_of(sheets, [-8, 3, 11], seed=1)
    quads = documents.find(photo)
    assert len(quads) == 3
    lefts = [documents.bounds(q)[0] for q in quads]
    assert lefts == sorted(lefts)  # reading order
    for quad in quads:
        cut = documents.cut(photo, quad)
        h, w = cut.shape[:2]
        assert 0.6 < w / h < 0.8  # a sheet of 900 × 1300, upright
        assert cut[h // 2, 5:w // 10].mean() > 150  # the sheet's white edge, not the table: deskewed onto it


def test_a_photo_of_one_sheet_is_not_split():
    from backend.pipeline import documents

    from .bundles import photo_of

    assert documents.find(photo_of([media.invoice_like(900, 1300)], [5])) == []
    assert documents.find(media.invoice_like(1200, 800)) == []  # the paper fills the photo


@needs_dev
def test_no_photo_of_the_dev_set_is_split():
    import cv2

    from backend.pipeline import documents

    rows = [r for kind in ("photo", "scan", "rendered") for r in dev_labels(kind)]
    split = [r["file"] for r in rows if documents.find(cv2.imread(str(DEV / "files" / r["file"])))]
    assert len(rows) > 40 and split == []


@pytest.mark.skipif(len(TAXIS) < 3, reason=f"dev data set not found at {DEV}")
@pytest.mark.slow
def test_a_photo_of_three_receipts_is_three_invoices(client, alice, queue):
    import cv2

    from .bundles import photo_of

    rows = TAXIS[:3]
    photo = photo_of([cv2.imread(str(DEV / "files" / r["file"])) for r in rows], [-6, 4, 9])
    res = upload(client, ("three.jpg", _jpeg(photo)))
    queue.run_all(max_rounds=50)
    parts = sorted(_invoices(res.json["results"][0]["invoice"]["file"]["sha256"]), key=lambda i: i.crop["box"][0])
    assert len(parts) == 3 and parts[0].parts == 3
    assert [inv.key for inv in parts] == [r["invoice_key"] for r in rows]
    assert all(inv.status in DONE and inv.has_thumbnail for inv in parts)
    # Each previews its own cut-out, about the size of the receipt (1400 px tall in the photo).
    for inv in parts:
        x0, y0, x1, y1 = inv.crop["box"]
        assert 1300 < y1 - y0 < 1700 and inv.height > 1300 and inv.width < inv.height
    assert len({client.get(f"/api/invoices/{inv.id}/preview").data for inv in parts}) == 3


OFDS = [row for row in dev_labels("ofd") if row["invoice_type"] == "增值税电子普通发票"]


@pytest.mark.skipif(len(OFDS) < 2, reason=f"dev data set not found at {DEV}")
def test_an_ofd_of_two_invoices_is_two(client, alice, queue):
    from .bundles import join_ofd

    rows = OFDS[:2]
    res = upload(client, ("two.ofd", join_ofd(*map(dev_bytes, rows))))
    queue.run_all(max_rounds=50)
    parts = _by_page(_invoices(res.json["results"][0]["invoice"]["file"]["sha256"]))
    assert [inv.pages for inv in parts] == [[1], [2]]
    assert [inv.key for inv in parts] == [row["invoice_key"] for row in rows]
    assert all(inv.status in DONE and inv.page_count == 1 for inv in parts)
    # The first's invoice XML (its check code among them) stays with its own page and reads into it only.
    assert parts[0].fields["check_code"]["value"] == rows[0]["fields"]["check_code"]


def test_an_ofd_past_the_page_limit_is_refused(client, alice, queue, fake_reader):
    res = upload(client, ("many.ofd", media.ofd(60)))
    queue.run_all()
    inv = client.get(f"/api/invoices/{res.json['results'][0]['invoice']['id']}").json["invoice"]
    assert inv["status"] == "failed" and inv["reason"] == "error.ofd.too_many_pages"
    assert inv["reason_params"] == {"pages": 60, "limit": 50}


def test_an_ofd_of_pages_without_text_is_one_invoice_a_page(client, alice, queue, fake_reader):
    res = upload(client, ("blank.ofd", media.ofd(3)))  # pages listed, nothing on them (no content parts)
    queue.run_all(max_rounds=50)
    parts = _by_page(_invoices(res.json["results"][0]["invoice"]["file"]["sha256"]))
    assert [inv.pages for inv in parts] == [[1], [2], [3]]
    assert all(inv.status in DONE and inv.page_count == 1 for inv in parts)


def test_a_split_cut_short_is_resumed_without_making_a_part_twice(client, alice, queue, fake_reader, db):
    from backend.services import bundles

    res = upload(client, ("five.pdf", media.pdf(5))).json["results"][0]["invoice"]
    head = Invoice.get_by_id(res["id"])

    def dies_on_page_four():
        yield from ({"pages": [p]} for p in (1, 2, 3))
        raise RuntimeError("the worker died")

    with pytest.raises(RuntimeError):
        bundles.split(queue.runtime, head, dies_on_page_four())
    assert Invoice.select().where(Invoice.part_of == head.id).count() == 2  # pages 2 and 3, made as found
    queue.run_all(max_rounds=50)  # the head's reading splits again
    parts = _by_page(_invoices(res["file"]["sha256"]))
    assert [inv.pages for inv in parts] == [[1], [2], [3], [4], [5]]
    assert parts[0].parts == 5 and all(inv.status in DONE for inv in parts)


def test_a_copy_uploaded_before_the_split_shows_its_originals_page(client, alice, queue, fake_reader):
    body = media.pdf(3)
    first = upload(client, ("three.pdf", body)).json["results"][0]["invoice"]
    copy = upload(client, ("again.pdf", body)).json["results"][0]["invoice"]  # before the first is read
    queue.run_all(max_rounds=50)
    head = client.get(f"/api/invoices/{first['id']}/thumbnail")
    assert head.status_code == 200
    assert client.get(f"/api/invoices/{copy['id']}/thumbnail").data == head.data


@needs_dev
def test_a_list_page_before_its_invoice_is_still_the_invoices(client, alice, queue):
    row = PDFS[0]
    code, number = row["fields"]["invoice_code"], row["fields"]["invoice_number"]
    res = upload(client, ("list-first.pdf", join(list_page(code, number), dev_bytes(row))))
    queue.run_all(max_rounds=50)
    (inv,) = _invoices(res.json["results"][0]["invoice"]["file"]["sha256"])
    assert inv.pages == [2, 1] and inv.key == row["invoice_key"]  # read from its invoice page, the list after
