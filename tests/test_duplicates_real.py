"""One invoice, counted once, on real files: photos of one paper invoice, and a PDF with a picture of it.

Slow (real OCR); the files come from ../shared/datasets/invoices-dev (kept out of git) and the tests are
skipped, with the reason, only when it is absent.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from .helpers import upload

DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "invoices-dev"
FILES = DEV / "files"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (DEV / "labels.jsonl").is_file(), reason=f"dev data set not found at {DEV}"),
]


def _send(client, queue, name: str, body: bytes) -> dict:
    res = upload(client, (name, body))
    assert res.status_code == 200, res.json
    queue.run_all()
    return client.get(f"/api/invoices/{res.json['results'][0]['invoice']['id']}").json["invoice"]


def test_two_photos_of_one_paper_invoice_are_one_invoice(client, alice, queue):
    first = _send(client, queue, "desk.jpg", (FILES / "fuxijia__vat_0004.jpg").read_bytes())
    second = _send(client, queue, "again.jpg", (FILES / "fuxijia__vat_0041.jpg").read_bytes())
    assert first["duplicate_of"] is None and first["key"] == "1100171320-12356976"
    assert second["duplicate_of"] == first["id"] and second["status"] == "duplicate"
    proof = second["duplicate"]
    assert proof["basis"] == "same_key" and proof["key"] == first["key"]
    assert proof["original"] == {**proof["original"], "id": first["id"], "name": "desk.jpg", "uploaded_by": "alice"}
    assert {"issue_date", "total"} <= set(proof["agree"])
    assert second["next_check_at"] is None  # never checked at the authority again


def test_a_pdf_and_a_picture_of_it_are_one_invoice(client, alice, queue):
    import pypdfium2 as pdfium

    name = "384863451-invoice_ocr__13d8f1de-6cc7-4fb2-9e69-f1c18570765f.pdf"
    pdf_bytes = (FILES / name).read_bytes()
    page = pdfium.PdfDocument(pdf_bytes)[0].render(scale=2).to_pil()
    picture = io.BytesIO()
    page.save(picture, "PNG")
    original = _send(client, queue, "invoice.pdf", pdf_bytes)
    shot = _send(client, queue, "screenshot.png", picture.getvalue())
    assert original["key"] == "044032100111-63435756" and original["duplicate_of"] is None
    assert shot["duplicate_of"] == original["id"] and shot["duplicate"]["basis"] == "same_key"
    assert "total" in shot["duplicate"]["agree"]
