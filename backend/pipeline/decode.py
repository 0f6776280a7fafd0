"""Stage 1: bytes in, a Document out. Raises InputError with a stable key for bad files."""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree

import cv2
import numpy as np
from PIL import Image, ImageOps

from .. import archive
from ..errors import InputError
from ..sniff import register_heif  # also lifts Pillow's implicit pixel cap: ours is explicit
from .types import Document, Limits

MAX_PDF_RENDER_PAGES = 1  # page 1 is rendered (thumbnail, OCR of image-only PDFs); the rest are only counted


def decode(data: bytes, kind: str, limits: Limits) -> Document:
    if kind == "pdf":
        return _decode_pdf(data, limits)
    if kind == "ofd":
        return _decode_ofd(data)
    if kind == "heic":
        return Document(kind, 1, (_decode_heic(data, limits),))
    return Document(kind, 1, (_decode_raster(data, kind, limits),))


def _check_pixels(width: int, height: int, limits: Limits) -> None:
    if width * height > limits.max_pixels:
        raise InputError("upload.too_many_pixels", width=width, height=height,
                         limit_mp=round(limits.max_pixels / 1e6))


def _decode_raster(data: bytes, kind: str, limits: Limits) -> np.ndarray:
    # Read the header first so a decompression bomb is refused before any pixel is allocated.
    try:
        with Image.open(io.BytesIO(data)) as im:
            _check_pixels(*im.size, limits)
            if kind == "jpeg":
                _check_complete_jpeg(im)
    except InputError:
        raise
    except Exception:  # noqa: BLE001 - any parser failure means a damaged file
        raise InputError("file.corrupt") from None
    # IMREAD_COLOR applies the EXIF orientation, so phone photos come out upright.
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise InputError("file.corrupt")
    return image


def _check_complete_jpeg(im: Image.Image) -> None:
    """libjpeg fills a cut-off JPEG with grey and only warns; Pillow raises, so ask Pillow.

    draft() decodes at 1/8 scale through the DCT, which reads every byte for a fraction of
    the cost of a full decode."""
    im.draft("RGB", (max(1, im.width // 8), max(1, im.height // 8)))
    try:
        im.load()
    except OSError as exc:
        if "truncated" in str(exc):
            raise InputError("file.truncated") from None
        raise InputError("file.corrupt") from None


def _decode_heic(data: bytes, limits: Limits) -> np.ndarray:
    register_heif()
    try:
        with Image.open(io.BytesIO(data)) as im:
            _check_pixels(*im.size, limits)
            rgb = ImageOps.exif_transpose(im).convert("RGB")
    except InputError:
        raise
    except Exception:  # noqa: BLE001
        raise InputError("file.corrupt") from None
    return cv2.cvtColor(np.asarray(rgb), cv2.COLOR_RGB2BGR)


def open_pdf(data: bytes):
    """A pdfium document, or InputError: `pdf.encrypted` when it needs a password, else `file.corrupt`."""
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise InputError("pdf.encrypted" if "password" in str(exc).lower() else "file.corrupt") from None


def check_page_count(count: int, limits: Limits, key: str) -> None:
    """A file of no page is corrupt; one of more pages than the limit fails with `key` (pdf/ofd.too_many_pages)."""
    if count == 0:
        raise InputError("file.corrupt")
    if count > limits.max_pdf_pages:
        raise InputError(key, pages=count, limit=limits.max_pdf_pages)


def _decode_pdf(data: bytes, limits: Limits) -> Document:
    pdf = open_pdf(data)
    try:
        count = len(pdf)
        check_page_count(count, limits, "pdf.too_many_pages")
        pages = tuple(_render(pdf[i], limits) for i in range(min(count, MAX_PDF_RENDER_PAGES)))
        return Document("pdf", count, pages)
    finally:
        pdf.close()


def _render(page, limits: Limits) -> np.ndarray:
    width, height = page.get_size()  # PDF points
    scale = min(limits.render_long_side / max(width, height, 1), 4.0)
    _check_pixels(int(width * scale), int(height * scale), limits)
    bitmap = page.render(scale=scale)
    rgb = bitmap.to_numpy()[:, :, :3].copy()
    # pdfium renders BGR(A) by default, which is already OpenCV's order.
    return rgb


def _decode_ofd(data: bytes) -> Document:
    """An OFD is a zip whose OFD.xml names its documents; count their pages without rendering."""
    try:
        with archive.open_zip(data, archive.OFD) as zf:
            names = {n.lstrip("/"): n for n in zf.namelist()}
            root_name = next((n for n in names if n.upper() == "OFD.XML"), None)
            if root_name is None:
                raise InputError("ofd.corrupt")
            root = zf.xml(names[root_name])
            pages = 0
            for node in root.iter():
                if node.tag.endswith("DocRoot") and node.text:
                    doc = zf.xml(names.get(node.text.strip().lstrip("/"), ""))
                    pages += sum(1 for n in doc.iter() if n.tag.endswith("}Page") or n.tag == "Page")
    except InputError:
        raise
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, OSError, ValueError):
        raise InputError("ofd.corrupt") from None
    return Document("ofd", max(pages, 1))
