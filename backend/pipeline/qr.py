"""Stage: read the invoice QR code (zxing-cpp) and parse its payload.

Dot-matrix paper QR codes are faint and often printed in blue: after a plain attempt we retry
on the red channel (blue ink is darkest there), then on upscaled, re-binarised crops of the
top-left area where the form prints it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cv2
import numpy as np
import zxingcpp

from ..validate.codes import QR_AMOUNT_IS_TOTAL

_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")


@dataclass(frozen=True)
class QrPayload:
    raw: str
    type_code: str | None
    invoice_code: str | None
    invoice_number: str | None
    amount: str | None  # as printed in the QR: pre-tax for 01/04/10, tax-included for 31/32
    issue_date: str | None  # YYYY-MM-DD
    check_code: str | None

    @property
    def amount_field(self) -> str | None:
        """Which invoice field the QR amount is."""
        return "total" if self.type_code in QR_AMOUNT_IS_TOTAL else "amount"


@dataclass(frozen=True)
class QrRead:
    payload: QrPayload | None
    text: str | None
    box: tuple[float, float, float, float] | None  # x0, y0, x1, y1 in the input image
    attempt: str | None  # which retry decoded it


def parse_payload(text: str) -> QrPayload | None:
    """Lenient parse of `01,<type>,<code>,<number>,<amount>,<date>,<check>,<crc>,`; None if not one."""
    parts = [p.strip() for p in text.strip().split(",")]
    if len(parts) < 6 or parts[0] != "01" or not re.fullmatch(r"\d{2}", parts[1]):
        return None
    type_code, code, number, amount, date = parts[1:6]
    check = parts[6] if len(parts) > 6 else ""
    m = _DATE.match(date)
    return QrPayload(
        raw=text,
        type_code=type_code,
        invoice_code=code if re.fullmatch(r"\d{10}|\d{12}", code) else None,
        invoice_number=number if re.fullmatch(r"\d{8}|\d{20}", number) else None,
        amount=_money(amount),
        issue_date=f"{m[1]}-{m[2]}-{m[3]}" if m else None,
        check_code=check if re.fullmatch(r"\d{20}", check) else None,
    )


def _money(text: str) -> str | None:
    try:
        return f"{float(text):.2f}" if re.fullmatch(r"-?\d+(\.\d{1,2})?", text) else None
    except ValueError:
        return None


NO_QR = QrRead(None, None, None, None)


def read_pdf_qr(pdf, long_side: float) -> QrRead:
    """The QR of a text-layer PDF: e-invoices embed it as an image object, decoded as it is
    stored (a few ms, and exact; every 数电 and e-invoice PDF of the dev set)."""
    import pypdfium2.raw as pdfium_c

    page = pdf[0]
    scale = long_side / max(page.get_size())
    height = page.get_size()[1]
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
        try:
            pixels = obj.get_bitmap(render=False).to_numpy()
        except Exception:  # noqa: BLE001 - an image pdfium cannot hand out is not the QR
            continue
        for result in zxingcpp.read_barcodes(pixels, formats=zxingcpp.BarcodeFormat.QRCode):
            left, bottom, right, top = obj.get_bounds()
            box = (left * scale, (height - top) * scale, right * scale, (height - bottom) * scale)
            read = QrRead(parse_payload(result.text), result.text, box, "pdf-image")
            if read.payload is not None:
                return read
    return NO_QR


def read_qr(image: np.ndarray) -> QrRead:
    """The first QR found (an invoice QR preferred); its payload is parsed when it is one."""
    other: QrRead | None = None
    for name, view, scale, offset, binarizer in _attempts(image):
        for result in zxingcpp.read_barcodes(view, formats=zxingcpp.BarcodeFormat.QRCode, binarizer=binarizer):
            read = QrRead(parse_payload(result.text), result.text, _box(result.position, scale, offset), name)
            if read.payload is not None:
                return read
            other = other or read
    return other or NO_QR


_LOCAL = zxingcpp.Binarizer.LocalAverage
_GLOBAL = zxingcpp.Binarizer.GlobalHistogram


def _attempts(image: np.ndarray):
    """(name, image, scale, offset, binarizer) views to try, cheapest first."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    yield "full", gray, 1.0, (0, 0), _LOCAL
    yield "full-global", gray, 1.0, (0, 0), _GLOBAL
    h, w = gray.shape[:2]
    # The form prints the QR in a corner (top-left when upright); a photo may be turned, so
    # each corner is tried, upscaled so that faint dot-matrix modules span several pixels.
    # A tight crop matters: with the rest of the form in view the detector locks onto clutter.
    cw, ch = (w // 4, h // 3) if w >= h else (w // 3, h // 4)
    for cx, cy in ((0, 0), (w - cw, 0), (0, h - ch), (w - cw, h - ch)):
        crop = gray[cy:cy + ch, cx:cx + cw]
        for scale in (2.0, 1.5):
            big = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
            yield f"corner{cx}_{cy}@{scale}", big, scale, (cx, cy), _GLOBAL
            otsu = cv2.threshold(big, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
            yield f"corner{cx}_{cy}@{scale}-otsu", otsu, scale, (cx, cy), _LOCAL
        if image.ndim == 3:
            # Dot-matrix modules are clusters of dots: a min-filter on the red channel (where blue
            # ink is darkest) joins them into solid modules.
            red = cv2.erode(image[cy:cy + ch, cx:cx + cw, 2], np.ones((3, 3), np.uint8))
            big = cv2.resize(red, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
            yield f"corner{cx}_{cy}-dots", big, 2.0, (cx, cy), _LOCAL
    if image.ndim == 3:
        yield "red", image[:, :, 2], 1.0, (0, 0), _GLOBAL


def _box(position, scale: float, offset: tuple[int, int]):
    pts = [position.top_left, position.top_right, position.bottom_right, position.bottom_left]
    xs = [p.x / scale + offset[0] for p in pts]
    ys = [p.y / scale + offset[1] for p in pts]
    return (min(xs), min(ys), max(xs), max(ys))
