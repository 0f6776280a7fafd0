"""One file, many invoices: which pages of a PDF belong together, and a page group as a PDF of its own.

A bundle (货拉拉, 滴滴 and many suppliers send one PDF of dozens of invoices, one a page) is cut into page
groups, each read as an invoice. A page starts a new group unless it continues the one before: it prints the
same invoice (its code and number, read from the text layer as the reader reads them), or it is a 销货清单
(the list of goods an invoice refers to, "详见销货清单") that names no other invoice. A page without a text layer
(a scan) cannot say, so it stands alone. Only the text layer is read here: no page is rendered.
"""

from __future__ import annotations

import io
import re

from ..errors import InputError
from .decode import open_pdf
from .fields import assign
from .textlayer import pdf_lines
from .types import Limits

# 销货清单 titles: 销售货物或者提供应税劳务清单, …应税劳务、服务清单, 销货清单, 货物清单 …
_LIST_TITLE = re.compile(r"(销售货物|应税劳务|服务|销货|货物|商品)清单")


def page_groups(data: bytes, limits: Limits) -> list[tuple[int, ...]]:
    """The PDF's pages (0-based) grouped one group per invoice, in page order. `pdf.too_many_pages` past
    the limit, before any page is read."""
    pdf = open_pdf(data)
    try:
        count = len(pdf)
        if count == 0:
            raise InputError("file.corrupt")
        if count > limits.max_pdf_pages:
            raise InputError("pdf.too_many_pages", pages=count, limit=limits.max_pdf_pages)
        if count == 1:
            return [(0,)]
        groups: list[list[int]] = []
        last_key: str | None = None
        for index in range(count):
            key, is_list, has_text = _page_identity(data, pdf, index, limits)
            continues = groups and has_text and (
                (key is not None and key == last_key) or (is_list and key in (None, last_key)))
            if continues:
                groups[-1].append(index)
            else:
                groups.append([index])
                last_key = key
        return [tuple(g) for g in groups]
    finally:
        pdf.close()


def _page_identity(data: bytes, pdf, index: int, limits: Limits) -> tuple[str | None, bool, bool]:
    """(the invoice the page prints: code-number or number, whether it is a 销货清单, whether it has text)."""
    lines, size = pdf_lines(data, limits.render_long_side, pdf, index)
    if not lines:
        return None, False, False
    text = "".join(ln.text for ln in lines).replace(" ", "")
    _, fields = assign(lines, size)
    code, number = fields["invoice_code"].value, fields["invoice_number"].value
    key = None if number is None else (f"{code}-{number}" if code else number)
    return key, bool(_LIST_TITLE.search(text)), True


def subset(data: bytes, pages: list[int] | tuple[int, ...]) -> bytes:
    """A PDF of these pages (1-based) of `data`, in their order: what one invoice of a bundle is read from."""
    import pypdfium2 as pdfium

    src = open_pdf(data)
    out = pdfium.PdfDocument.new()
    try:
        out.import_pages(src, [p - 1 for p in pages])
        buf = io.BytesIO()
        out.save(buf)
        return buf.getvalue()
    finally:
        out.close()
        src.close()
