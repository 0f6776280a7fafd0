"""Stage: read e-invoices from their text layer (PDF via pdfium, OFD from its XML), no OCR."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from xml.etree import ElementTree

from .. import archive
from ..errors import InputError
from .decode import open_pdf
from .types import TextLine

MM_TO_PX = 2500 / 297  # OFD units are mm; scale to the same ~2500 px long side PDFs render at


def pdf_lines(data: bytes, long_side: float = 2500, pdf=None, index: int = 0
              ) -> tuple[tuple[TextLine, ...], tuple[float, float]]:
    """Text runs of a page (the first unless `index` says) with boxes in pixels of a render whose long side
    is `long_side`.

    Runs are built from the characters and their own boxes, not from pdfium's text rectangles:
    those overlap on some generators (a seal's rotated glyphs, a date split across runs), and the
    text inside a rectangle then picks up its neighbours' characters ("2025年" "5年" "12月" "2月")."""
    own = pdf is None
    pdf = open_pdf(data) if own else pdf
    try:
        page = pdf[index]
        width, height = page.get_size()
        scale = long_side / max(width, height)
        tp = page.get_textpage()
        lines = []
        for run in _runs(tp):
            text = clean("".join(c for c, _ in run))
            if text:
                left = min(b[0] for _, b in run)
                right = max(b[2] for _, b in run)
                bottom = min(b[1] for _, b in run)
                top = max(b[3] for _, b in run)
                box = (left * scale, (height - top) * scale, right * scale, (height - bottom) * scale)
                lines.append(TextLine(text, box, 1.0, "text_layer"))
        return tuple(lines), (width * scale, height * scale)
    finally:
        if own:
            pdf.close()


GAP = 1.2  # a horizontal gap wider than this many character heights starts a new run


def _runs(tp) -> list[list[tuple[str, tuple[float, float, float, float]]]]:
    """Characters grouped into runs: consecutive in the content stream, on one baseline, with no
    wide gap between them. Spaces and line breaks only separate."""
    runs: list[list[tuple[str, tuple[float, float, float, float]]]] = []
    current: list[tuple[str, tuple[float, float, float, float]]] = []
    for i in range(tp.count_chars()):
        c = tp.get_text_range(i, 1)
        if not c or c.isspace() or ord(c[0]) < 32:
            if c in ("\r", "\n") and current:
                runs.append(current)
                current = []
            continue
        box = tp.get_charbox(i, loose=False)
        if box[2] - box[0] <= 0 or box[3] - box[1] <= 0:
            box = tp.get_charbox(i, loose=True)
        if current and not _continues(current[-1][1], box):
            runs.append(current)
            current = []
        current.append((c, box))
    if current:
        runs.append(current)
    return runs


def _continues(prev: tuple[float, float, float, float], box: tuple[float, float, float, float]) -> bool:
    h = max(prev[3] - prev[1], box[3] - box[1], 1e-6)
    overlap = min(prev[3], box[3]) - max(prev[1], box[1])
    gap = box[0] - prev[2]
    return overlap >= 0.4 * min(prev[3] - prev[1], box[3] - box[1]) and -0.8 * h <= gap <= GAP * h


def clean(text: str) -> str:
    """NFKC (one 数电 PDF writes 子 as U+2F26), line breaks and control characters out."""
    return re.sub(r"[\r\n\t\x00-\x1f]+", " ", unicodedata.normalize("NFKC", text)).strip()


def ofd_lines(data: bytes, index: int = 0) -> tuple[tuple[TextLine, ...], tuple[float, float]]:
    """Text objects of a page (the first unless `index` says) and of its template (labels), boxes in pixels."""
    with _ofd(data) as zf:
        names = {n.lstrip("/"): n for n in zf.namelist()}
        parts = [n for n in names if re.search(rf"Pages/Page_{index}/Content\.xml$", n)]
        parts += [n for n in names if re.search(r"Tpls/Tpl_\d+/Content\.xml$", n)]
        lines: list[TextLine] = []
        for part in parts:
            lines += _text_objects(zf.xml(names[part]))
    return tuple(lines), (210 * MM_TO_PX, 140 * MM_TO_PX)


@contextmanager
def _ofd(data: bytes) -> Iterator[archive.Archive]:
    """The OFD's archive, read within archive.OFD's caps; any damage, hostile XML included, is
    `ofd.corrupt` (a permanent failure: reading it again will not help)."""
    try:
        with archive.open_zip(data, archive.OFD) as zf:
            yield zf
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError):
        raise InputError("ofd.corrupt") from None


def _text_objects(root) -> list[TextLine]:
    out = []
    for obj in root.iter():
        if not obj.tag.endswith("TextObject"):
            continue
        try:
            x, y, w, h = (float(v) for v in obj.get("Boundary", "").split())
        except ValueError:
            continue
        text = clean("".join(code.text or "" for code in obj if code.tag.endswith("TextCode")))
        if text:
            box = (x * MM_TO_PX, y * MM_TO_PX, (x + w) * MM_TO_PX, (y + h) * MM_TO_PX)
            out.append(TextLine(text, box, 1.0, "text_layer"))
    return out


# Tags of the embedded invoice XML (GB/T 36639-style `original_invoice.xml`) → our fields.
_XML_FIELDS = {
    "InvoiceCode": "invoice_code", "InvoiceNo": "invoice_number", "IssueDate": "issue_date",
    "InvoiceCheckCode": "check_code", "BuyerName": "buyer_name", "BuyerTaxID": "buyer_tax_id",
    "SellerName": "seller_name", "SellerTaxID": "seller_tax_id", "TaxExclusiveTotalAmount": "amount",
    "TaxTotalAmount": "tax", "TaxInclusiveTotalAmount": "total", "GraphCode": "qr",
}


def ofd_embedded_fields(data: bytes) -> dict[str, str]:
    """Fields of the invoice XML some OFDs carry as an attachment; {} when there is none."""
    with _ofd(data) as zf:
        xml_name = next((n for n in zf.namelist() if re.search(r"Attachs/.*invoice.*\.xml$", n, re.I)), None)
        if xml_name is None:
            return {}
        root = zf.xml(xml_name)
    out: dict[str, str] = {}
    for node in root.iter():
        tag = node.tag.rsplit("}", 1)[-1]
        if tag in _XML_FIELDS and node.text and node.text.strip():
            out[_XML_FIELDS[tag]] = clean(node.text)
    return out
