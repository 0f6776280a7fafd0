"""Recognise an upload by its bytes, never by its name, and read image dimensions from headers.

Only headers are read here (this runs in the web process): decoding is the worker's job. A zip
(an OFD is one) has its entries counted from its end record before it is listed: 200 000 entries
would hold the web process for seconds. Its members are not inflated here: the worker reads them,
within pipeline.archive's caps.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from . import archive
from .errors import InputError

MIME = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "heic": "image/heic",
    "pdf": "application/pdf",
    "ofd": "application/ofd",
}
# Pillow's own bomb guard raises before we can read the size; we apply settings.max_pixels
# explicitly after reading the header (here and in pipeline.decode), with a clearer message.
Image.MAX_IMAGE_PIXELS = None

_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif"}


@dataclass(frozen=True)
class Sniffed:
    kind: str
    width: int | None = None
    height: int | None = None

    @property
    def mime(self) -> str:
        return MIME[self.kind]


def kind_of(head: bytes) -> str | None:
    """The file kind from its first bytes (at least 16), or None when it is none of ours."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "heic"
    # PDF allows junk before the header; readers look in the first 1 KiB.
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    return None


def sniff(path: Path, max_pixels: int) -> Sniffed:
    """Check a stored upload: its kind, and for images that the pixel count is within limits."""
    with path.open("rb") as fh:
        head = fh.read(1024)
    kind = kind_of(head)
    if kind == "zip":
        return Sniffed("ofd") if _is_ofd(path) else _unsupported()
    if kind is None:
        return _unsupported()
    if kind == "pdf":
        return Sniffed("pdf")
    width, height = _image_size(path, kind)
    if width * height > max_pixels:
        raise InputError(
            "upload.too_many_pixels", width=width, height=height, limit_mp=round(max_pixels / 1e6)
        )
    return Sniffed(kind, width, height)


def _unsupported() -> Sniffed:
    raise InputError("upload.unsupported_type", http_status=415)


def _is_ofd(path: Path) -> bool:
    """Whether a zip holds an OFD.xml; `archive.too_many_entries` or `archive.corrupt` (cut off,
    no directory) when it cannot even be listed."""
    try:
        with archive.open_zip(path, archive.OFD) as zf:
            return any(name.lstrip("/").upper() == "OFD.XML" for name in zf.namelist())
    except (zipfile.BadZipFile, OSError):
        raise InputError("archive.corrupt") from None


def _image_size(path: Path, kind: str) -> tuple[int, int]:
    if kind == "heic":
        register_heif()
    try:
        # Image.open parses the header only; no pixels are decoded here.
        with Image.open(path) as im:
            return im.size
    except Exception:  # noqa: BLE001 - any parser failure means the header is unreadable
        raise InputError("upload.unreadable", kind=kind.upper()) from None


def register_heif() -> None:
    from pillow_heif import register_heif_opener

    register_heif_opener()
