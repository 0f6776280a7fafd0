"""Test files made on the fly: real encoders, no fixtures copied from anywhere."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import cv2
import numpy as np
from PIL import Image


def invoice_like(width: int = 1200, height: int = 800, text: str = "FAPIAO 12345678") -> np.ndarray:
    """A white page with a red border and some text: enough for decode/thumbnail tests."""
    img = np.full((height, width, 3), 255, np.uint8)
    cv2.rectangle(img, (20, 20), (width - 20, height - 20), (0, 0, 200), 4)
    cv2.putText(img, text, (60, height // 2), cv2.FONT_HERSHEY_SIMPLEX, 2, (0, 0, 0), 3)
    return img


def encode(img: np.ndarray, ext: str, **params) -> bytes:
    ok, buf = cv2.imencode(ext, img)
    assert ok
    return buf.tobytes()


def jpeg(width=1200, height=800, text="FAPIAO 12345678") -> bytes:
    return encode(invoice_like(width, height, text), ".jpg")


def jpeg_with_orientation(width=1200, height=800, orientation=6) -> bytes:
    """A landscape JPEG whose EXIF says 'rotate 90° clockwise to display' (as phones write)."""
    im = Image.fromarray(cv2.cvtColor(invoice_like(width, height), cv2.COLOR_BGR2RGB))
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png(width=800, height=600) -> bytes:
    return encode(invoice_like(width, height), ".png")


def webp(width=800, height=600) -> bytes:
    return encode(invoice_like(width, height), ".webp")


def heic(width=640, height=480) -> bytes:
    from pillow_heif import register_heif_opener

    register_heif_opener()
    im = Image.fromarray(cv2.cvtColor(invoice_like(width, height), cv2.COLOR_BGR2RGB))
    out = io.BytesIO()
    im.save(out, "HEIF", quality=60)
    return out.getvalue()


def pdf(pages: int = 1) -> bytes:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument.new()
    for _ in range(pages):
        doc.new_page(595, 842)  # A4 in points
    out = io.BytesIO()
    doc.save(out)
    doc.close()
    return out.getvalue()


def ofd(pages: int = 1) -> bytes:
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    page_xml = "".join(f'<ofd:Page ID="{i + 1}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(pages))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("OFD.xml", f'<ofd:OFD {ns} Version="1.0"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml'
                               f"</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
        zf.writestr("Doc_0/Document.xml", f"<ofd:Document {ns}><ofd:Pages>{page_xml}</ofd:Pages></ofd:Document>")
    return out.getvalue()


def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A real, valid 1-bit-per-channel... greyscale PNG of width×height zeros: tiny on disk, huge decoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    comp = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte + one byte per pixel
    parts = [comp.compress(row) for _ in range(height)]
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")


def ofd_invoice(lines: list[tuple[float, float, str]], attachment: str | None = None) -> bytes:
    """An OFD whose page holds text objects at (x mm, y mm): what e-invoice OFDs look like inside."""
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    objs = "".join(
        f'<ofd:TextObject ID="{i + 10}" Boundary="{x} {y} {4 * len(t)} 5" Font="1" Size="3.5">'
        f'<ofd:TextCode X="0" Y="4">{t}</ofd:TextCode></ofd:TextObject>'
        for i, (x, y, t) in enumerate(lines)
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("OFD.xml", f"<ofd:OFD {ns}><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>"
                               "</ofd:DocBody></ofd:OFD>")
        zf.writestr("Doc_0/Document.xml", f'<ofd:Document {ns}><ofd:Pages><ofd:Page ID="1" '
                                          'BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>')
        zf.writestr("Doc_0/Pages/Page_0/Content.xml",
                    f"<ofd:Page {ns}><ofd:Content><ofd:Layer ID=\"2\">{objs}</ofd:Layer></ofd:Content></ofd:Page>")
        if attachment:
            zf.writestr("Doc_0/Attachs/original_invoice.xml", attachment)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(globals()["pdf"](1)))
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(user="secret", owner="owner"))
    return out.getvalue()


def landscape(width: int = 1280, height: int = 960, seed: int = 7) -> bytes:
    """A holiday photo's worth of scene: gradient sky, sun, two hills, a lake, a house and trees, some noise."""
    rng = np.random.default_rng(seed)
    img = np.zeros((height, width, 3), np.uint8)
    for y in range(height // 2):
        t = y / (height / 2)
        img[y, :] = (235 - 60 * t, 190 - 40 * t, 120 + 40 * t)  # BGR: blue at the top, paler at the horizon
    img[height // 2:] = (70, 140, 60)
    cv2.circle(img, (width * 3 // 4, height // 6), 60, (80, 220, 255), -1)
    cv2.fillPoly(img, [np.array([[0, height // 2], [width // 3, height // 5], [width * 2 // 3, height // 2]])],
                 (90, 110, 80))
    cv2.fillPoly(img, [np.array([[width // 3, height // 2], [width * 3 // 4, height // 4], [width, height // 2]])],
                 (110, 130, 100))
    cv2.ellipse(img, (width // 3, height * 3 // 4), (260, 70), 0, 0, 360, (180, 120, 40), -1)
    x0, y0 = width * 2 // 3, height * 5 // 8
    cv2.rectangle(img, (x0, y0), (x0 + 180, y0 + 140), (60, 80, 170), -1)
    cv2.fillPoly(img, [np.array([[x0 - 20, y0], [x0 + 90, y0 - 90], [x0 + 200, y0]])], (40, 40, 120))
    cv2.rectangle(img, (x0 + 70, y0 + 70), (x0 + 110, y0 + 140), (30, 50, 90), -1)
    for i in range(6):
        tx = 60 + i * 90
        cv2.rectangle(img, (tx, height * 5 // 8), (tx + 14, height * 5 // 8 + 80), (30, 60, 90), -1)
        cv2.circle(img, (tx + 7, height * 5 // 8 - 10), 36, (40, 120 + 10 * i, 40), -1)
    noise = rng.normal(0, 6, img.shape)
    img = np.clip(img.astype(np.float64) + noise, 0, 255).astype(np.uint8)
    return cv2.imencode(".jpg", cv2.GaussianBlur(img, (3, 3), 0), [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
