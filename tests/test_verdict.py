"""A file that is not an invoice is told apart from an invoice that is hard to read, and an OFD has a page.

- A photo of a landscape (drawn here with OpenCV: sky, sun, hills, a house, trees; no text) read by the real
  reader ends "not an invoice" with its translated reason, not a bare "needs review, unknown type".
- The verdict's signs: an invoice's vocabulary, a QR, a code/number structure; any one of them makes an
  empty reading "hard to read" instead.
- An OFD, which has no pixels, gets the page preview and thumbnail its invoice page and card show, drawn from
  the text the reader reads, the size of the page its field boxes are in.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from backend.i18n import translate
from backend.pipeline import verdict
from backend.pipeline.textlayer import MM_TO_PX
from backend.pipeline.types import TextLine

from . import media
from .helpers import upload


def _line(text: str) -> TextLine:
    return TextLine(text, (0.0, 0.0, 100.0, 20.0), 0.9, "ocr")


@pytest.mark.slow
def test_a_landscape_photo_is_not_an_invoice(client, alice, queue):
    res = upload(client, ("IMG_2041.jpg", media.landscape()))
    invoice_id = res.json["results"][0]["invoice"]["id"]
    queue.run_all()
    inv = client.get(f"/api/invoices/{invoice_id}").json["invoice"]
    assert inv["status"] == "needs_review"
    assert inv["reason"] == verdict.NOT_INVOICE, inv["reason"]
    assert all(f["value"] is None for f in (inv["fields"] or {}).values())
    for lang in ("zh", "en"):
        message = translate(verdict.NOT_INVOICE, lang, inv["reason_params"])
        assert message != verdict.NOT_INVOICE and "{" not in message
    assert "发票" in translate(verdict.NOT_INVOICE, "zh", {}) and "invoice" in translate(verdict.NOT_INVOICE, "en", {})
    # Its history's "Read" entry says why too (the SPA shows activity.read_<why>, not "unknown type").
    read = next(h for h in client.get(f"/api/invoices/{invoice_id}/history").json["items"] if h["kind"] == "read")
    assert read["data"]["reason"] == verdict.NOT_INVOICE
    assert translate("activity.read_not_invoice", "zh", {}) == "不是发票"


@pytest.mark.parametrize(("lines", "qr", "expected"), [
    ([], None, verdict.NOT_INVOICE),  # a readable page with no text at all
    (["SUMMER 2025", "Lake Como"], None, verdict.NOT_INVOICE),
    (["电话 021-555"], None, verdict.NOT_INVOICE),  # 电话 is an everyday word, not an invoice's
    (["发票代码 ?", "x"], None, verdict.HARD_TO_READ),
    (["价税合计"], None, verdict.HARD_TO_READ),
    (["No 12356976"], None, verdict.HARD_TO_READ),  # a number's structure
    ([], "01,10,,12356976,", verdict.HARD_TO_READ),  # a QR
])
def test_the_signs_of_an_invoice_decide_between_not_one_and_hard_to_read(lines, qr, expected):
    why, params = verdict.verdict([_line(t) for t in lines], qr, looked=True, found=False)
    assert why == expected
    assert (params == {"lines": len(lines)}) == (expected == verdict.NOT_INVOICE)


def test_fields_read_or_nothing_to_look_at_are_no_verdict_of_the_kind():
    assert verdict.verdict([_line("SUMMER")], None, looked=True, found=True) == (None, {})
    assert verdict.verdict([], None, looked=False, found=False) == (verdict.NOTHING, {})
    for key in (verdict.NOT_INVOICE, verdict.HARD_TO_READ):
        for lang in ("zh", "en"):
            assert translate(key, lang, {"lines": 2}) != key


def test_an_ofd_has_a_page_preview_the_size_of_its_boxes_page(client, alice, queue):
    ofd = media.ofd_invoice([(60, 7, "江苏增值税电子普通发票"), (140, 6, "发票代码:"), (164, 6, "032001600511"),
                             (140, 12, "发票号码:"), (164, 12, "31471858")])
    res = upload(client, ("einvoice.ofd", ofd))
    invoice_id = res.json["results"][0]["invoice"]["id"]
    queue.run_all()
    inv = client.get(f"/api/invoices/{invoice_id}").json["invoice"]
    assert inv["has_thumbnail"] is True
    for what in ("preview", "thumbnail"):
        got = client.get(f"/api/invoices/{invoice_id}/{what}")
        assert got.status_code == 200 and got.mimetype == "image/jpeg", what
    image = cv2.imdecode(np.frombuffer(client.get(f"/api/invoices/{invoice_id}/preview").data, np.uint8),
                         cv2.IMREAD_GRAYSCALE)
    width, height = inv["reading"]["page_size"]
    assert abs(image.shape[1] / image.shape[0] - width / height) < 0.01
    assert (round(width), round(height)) == (round(210 * MM_TO_PX), round(140 * MM_TO_PX))
    # Ink where the reader placed the 发票代码 label (x 140 mm, y 6 mm), paper where it placed nothing.
    sx = image.shape[1] / width
    label = image[int(6 * MM_TO_PX * sx):int(11 * MM_TO_PX * sx), int(140 * MM_TO_PX * sx):int(160 * MM_TO_PX * sx)]
    empty = image[int(80 * MM_TO_PX * sx):int(120 * MM_TO_PX * sx), int(20 * MM_TO_PX * sx):int(100 * MM_TO_PX * sx)]
    assert label.min() < 128 and empty.min() > 200
