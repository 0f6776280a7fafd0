"""One file, many invoices: which pages of a PDF or OFD belong together, and a page group as a file of its own.

A bundle (货拉拉, 滴滴 and many suppliers send one PDF of dozens of invoices, one a page) is cut into page
groups, each read as an invoice. A page starts a new group unless it continues the one before: it prints the
same invoice (its code and number, read from the text layer as the reader reads them), or it is a 销货清单
(the list of goods an invoice refers to, "详见销货清单") that names no other invoice. A page without a text layer
(a scan) cannot say, so it stands alone. Only the text layer is read here: no page is rendered.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator

from .. import archive
from ..errors import InputError
from .decode import check_page_count, open_pdf
from .fields import assign
from .textlayer import ofd_embedded_fields, ofd_lines, pdf_lines
from .types import Limits, TextLine

# 销货清单 titles: 销售货物或者提供应税劳务清单, …应税劳务、服务清单, 销货清单, 货物清单 …
_LIST_TITLE = re.compile(r"(销售货物|应税劳务|服务|销货|货物|商品)清单")
# (the code and number a page prints, or None without a number; whether it is a 销货清单; whether it has text).
# Only compared with the page before: not the invoice's identity in a team (services/indexing.key_of).
Identity = tuple[tuple[str | None, str] | None, bool, bool]


def iter_page_groups(data: bytes, kind: str, limits: Limits) -> Iterator[tuple[int, ...]]:
    """Each group as soon as it is known (when the page after it starts another, or the file ends), so the
    caller can have the first read while the rest are looked at. `pdf.too_many_pages` (an OFD:
    `ofd.too_many_pages`) past the limit, before any page is read."""
    if kind == "ofd":
        count = len(_ofd_pages(data)[1])
        if count <= 1:  # one page, or a listing we do not follow: the file is read whole, as before
            yield (0,)
            return
        check_page_count(count, limits, "ofd.too_many_pages")
        yield from _grouped(count, lambda i: _identity(*ofd_lines(data, i)))
        return
    pdf = open_pdf(data)
    try:
        count = len(pdf)
        check_page_count(count, limits, "pdf.too_many_pages")
        yield from _grouped(count, lambda i: _identity(*pdf_lines(data, limits.render_long_side, pdf, i)))
    finally:
        pdf.close()


def _grouped(count: int, identity: Callable[[int], Identity]) -> Iterator[tuple[int, ...]]:
    if count == 1:
        yield (0,)
        return
    group: list[int] = []
    lists: set[int] = set()
    last_key: tuple[str | None, str] | None = None
    for index in range(count):
        key, is_list, has_text = identity(index)
        if is_list:
            lists.add(index)
        if group and has_text and ((key is not None and key == last_key) or (is_list and key in (None, last_key))):
            group.append(index)
            continue
        if group:
            yield _invoice_first(group, lists)
        group, last_key = [index], key
    yield _invoice_first(group, lists)


def _invoice_first(group: list[int], lists: set[int]) -> tuple[int, ...]:
    """The group with its invoice page first (what the part is read from), its 销货清单 after: a list printed
    before its invoice (it names it) is still read as the invoice's."""
    return tuple(sorted(group, key=lambda i: i in lists))


def _identity(lines: tuple[TextLine, ...], size: tuple[float, float]) -> Identity:
    if not lines:
        return None, False, False
    text = "".join(ln.text for ln in lines).replace(" ", "")
    _, fields = assign(lines, size)
    code, number = fields["invoice_code"].value, fields["invoice_number"].value
    return (None if number is None else (code, number)), bool(_LIST_TITLE.search(text)), True


def subset(data: bytes, kind: str, pages: list[int] | tuple[int, ...]) -> bytes:
    """A file of these pages (1-based) of `data`, in their order: what one invoice of a bundle is read from."""
    return _subset_ofd(data, pages) if kind == "ofd" else _subset_pdf(data, pages)


def _subset_pdf(data: bytes, pages) -> bytes:
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


_PAGE = re.compile(r"<(?:\w+:)?Page\s[^>]*>")  # <ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/>, any order
_LOC = re.compile(r"\bBaseLoc=[\"']([^\"']+)[\"']")
_ID = re.compile(r"\bID=[\"']([^\"']+)[\"']")
_PAGES = re.compile(r"(<(?:\w+:)?Pages>).*?(</(?:\w+:)?Pages>)", re.S)
_ATTACHMENTS = re.compile(r"<(\w+:)?Attachments>.*?</\1?Attachments>", re.S)


def _ofd_pages(data: bytes) -> tuple[str, list[str], list[str]]:
    """(the document's Document.xml, its pages' content parts in page order, their IDs). The reader reads a
    page as `Pages/Page_<n>/Content.xml` beside it, as every OFD writer names them."""
    try:
        with archive.open_zip(data, archive.OFD) as zf:
            names = {n.lstrip("/"): n for n in zf.namelist()}
            doc = next((n for n in names if re.fullmatch(r"(?:[^/]+/)?Document\.xml", n)), None)
            if doc is None:
                raise InputError("ofd.corrupt")
            folder = doc.rpartition("/")[0]
            text = zf.read(names[doc]).decode("utf-8", "replace")
    except (zipfile.BadZipFile, KeyError, OSError):
        raise InputError("ofd.corrupt") from None
    found = [(_LOC.search(tag), _ID.search(tag)) for tag in _PAGE.findall(text)]
    found = [(loc.group(1), pid.group(1) if pid else str(n)) for n, (loc, pid) in enumerate(found) if loc]
    return doc, [f"{folder}/{loc.lstrip('/')}".lstrip("/") for loc, _ in found], [pid for _, pid in found]


def _subset_ofd(data: bytes, pages) -> bytes:
    """The OFD with only these pages, renumbered from Page_0. The invoice XML an OFD may carry is the
    invoice of one group: it stays with the pages that print its number, and only with them."""
    doc, contents, ids = _ofd_pages(data)
    folder = doc.rpartition("/")[0]
    chosen = [contents[p - 1] for p in pages]
    number = ofd_embedded_fields(data).get("invoice_number")
    buf = io.BytesIO()
    with archive.open_zip(data, archive.OFD) as zf, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        names = {n.lstrip("/"): n for n in zf.namelist()}
        chosen = [c for c in chosen if c in names]  # a page listed without content reads as empty
        keep_attachments = bool(number) and any(number.encode() in zf.read(names[c]) for c in chosen)
        for name, real in names.items():
            if name in contents or name == doc or (not keep_attachments and "/Attachs/" in f"/{name}"):
                continue
            out.writestr(name, zf.read(real))
        for j, content in enumerate(chosen):
            out.writestr(f"{folder}/Pages/Page_{j}/Content.xml", zf.read(names[content]))
        text = zf.read(names[doc]).decode("utf-8", "replace")
        out.writestr(doc, _listing(text, [ids[p - 1] for p in pages], keep_attachments))
    return buf.getvalue()


def _listing(document: str, ids: list[str], attachments: bool) -> str:
    """Document.xml listing these pages (their IDs kept), Page_0 on; no attachments unless they stay."""
    listed = "".join(f'<ofd:Page ID="{i}" BaseLoc="Pages/Page_{j}/Content.xml"/>' for j, i in enumerate(ids))
    document = _PAGES.sub(lambda m: m.group(1) + listed + m.group(2), document, count=1)
    return document if attachments else _ATTACHMENTS.sub("", document)
