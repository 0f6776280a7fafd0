"""Bundles built on the fly: dev-set PDFs joined into one file, a 销货清单 page with a text layer."""

from __future__ import annotations

import io
import json
from pathlib import Path

DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "invoices-dev"


def dev_labels(kind: str) -> list[dict]:
    """The dev set's labels of one kind (pdf, ofd, photo …), in the file's order; [] without the set."""
    path = DEV / "labels.jsonl"
    if not path.is_file():
        return []
    return [row for row in map(json.loads, path.read_text().splitlines()) if row["kind"] == kind]


def dev_bytes(label: dict) -> bytes:
    return (DEV / "files" / label["file"]).read_bytes()


def join(*pdfs: bytes) -> bytes:
    """One PDF of every page of these, in order (pdfium copies the pages and what they use)."""
    import pypdfium2 as pdfium

    out = pdfium.PdfDocument.new()
    try:
        for data in pdfs:
            src = pdfium.PdfDocument(data)
            out.import_pages(src)
            src.close()
        buf = io.BytesIO()
        out.save(buf)
        return buf.getvalue()
    finally:
        out.close()


def list_page(code: str | None, number: str | None, items: int = 3) -> bytes:
    """A one-page 销售货物或者提供应税劳务清单 with a real text layer (the PDF standard CJK font STSong-Light,
    nothing embedded), naming the invoice it belongs to when code/number are given."""
    import pikepdf

    pdf = pikepdf.new()
    descendant = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.CIDFontType0, BaseFont=pikepdf.Name("/STSong-Light"),
        CIDSystemInfo=pikepdf.Dictionary(Registry=pikepdf.String("Adobe"), Ordering=pikepdf.String("GB1"),
                                         Supplement=2),
        FontDescriptor=pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.FontDescriptor, FontName=pikepdf.Name("/STSong-Light"), Flags=6,
            FontBBox=[0, -200, 1000, 900], ItalicAngle=0, Ascent=880, Descent=-120, CapHeight=880, StemV=93)))
    font = pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type0, BaseFont=pikepdf.Name("/STSong-Light"),
        Encoding=pikepdf.Name("/UniGB-UCS2-H"), DescendantFonts=[pdf.make_indirect(descendant)]))
    lines = [(150, 780, 16, "销售货物或者提供应税劳务清单"), (40, 740, 10, "购买方名称：某某科技有限公司")]
    if number:
        lines.append((40, 720, 10, (f"发票代码：{code}  " if code else "") + f"发票号码：{number}"))
    lines.append((40, 690, 10, "序号  货物（劳务）名称  数量  单价  金额"))
    lines += [(40, 670 - 20 * i, 10, f"{i + 1}  办公用品{i + 1}  2  10.00  20.00") for i in range(items)]
    ops = [f"BT /F1 {size} Tf {x} {y} Td <{text.encode('utf-16-be').hex()}> Tj ET" for x, y, size, text in lines]
    pdf.pages.append(pikepdf.Page(pikepdf.Dictionary(
        Type=pikepdf.Name.Page, MediaBox=[0, 0, 595, 842], Contents=pdf.make_stream("\n".join(ops).encode()),
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)))))
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def photo_of(images: list, angles: list[float], seed: int = 0):
    """One photo of these sheets (BGR arrays) laid side by side on a dark, grainy table, each turned by its
    angle (degrees): what a person takes of three taxi receipts."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(seed)
    sheets = []
    for image, angle in zip(images, angles, strict=True):
        scale = 1400 / image.shape[0]
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        h, w = image.shape[:2]
        turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        cos, sin = abs(turn[0, 0]), abs(turn[0, 1])
        size = (int(h * sin + w * cos), int(h * cos + w * sin))
        turn[0, 2] += size[0] / 2 - w / 2
        turn[1, 2] += size[1] / 2 - h / 2
        sheets.append((cv2.warpAffine(image, turn, size), cv2.warpAffine(np.full((h, w), 255, np.uint8), turn, size)))
    gap = 120
    height = max(s.shape[0] for s, _ in sheets) + 2 * gap
    width = sum(s.shape[1] for s, _ in sheets) + gap * (len(sheets) + 1)
    table = (np.array((70, 85, 100)) + rng.normal(0, 12, (height, width, 3))).clip(0, 255).astype(np.uint8)
    table = cv2.GaussianBlur(table, (7, 7), 0)
    x = gap
    for sheet, mask in sheets:
        y = (height - sheet.shape[0]) // 2
        area = table[y:y + sheet.shape[0], x:x + sheet.shape[1]]
        area[mask > 0] = sheet[mask > 0]
        x += sheet.shape[1] + gap
    return table


def join_ofd(*ofds: bytes) -> bytes:
    """One OFD of the first page of each of these (made by one writer, one template), in order: the first's
    package with the others' pages and resources added; only the first's attachments (its invoice XML) kept."""
    import re
    import zipfile

    out_buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(ofds[0])) as base, zipfile.ZipFile(out_buf, "w", zipfile.ZIP_DEFLATED) as out:
        names = set(base.namelist())
        for name in base.namelist():
            if not name.endswith("Document.xml"):
                out.writestr(name, base.read(name))
        for i, data in enumerate(ofds[1:], start=1):
            with zipfile.ZipFile(io.BytesIO(data)) as other:
                out.writestr(f"Doc_0/Pages/Page_{i}/Content.xml", other.read("Doc_0/Pages/Page_0/Content.xml"))
                for name in other.namelist():
                    if "/Res/" in name and name not in names:
                        out.writestr(name, other.read(name))
                        names.add(name)
        doc = base.read("Doc_0/Document.xml").decode()
        pages = "".join(f'<ofd:Page ID="{100 + i}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(ofds)))
        out.writestr("Doc_0/Document.xml", re.sub(r"<ofd:Pages>.*?</ofd:Pages>", f"<ofd:Pages>{pages}</ofd:Pages>",
                                                  doc, flags=re.S))
    return out_buf.getvalue()
