"""Several receipts or tickets in one photo: where each sheet of paper is, and each cut out upright.

People lay taxi receipts or train tickets side by side and take one photo. A sheet is paper lighter than what
it lies on: the picture is thresholded on brightness (Otsu), the print inside each sheet closed over, and
every outer outline that is large and sheet-shaped (it fills most of its rotated bounding rectangle) is a
document. Only where two or more are found is the photo split; a photo of one invoice, whatever its
background, stays one (a single sheet, or a background as light as the paper, finds fewer than two). Each
document is cut out along its rotated rectangle and warped upright (deskewed) for the reader.
"""

from __future__ import annotations

import cv2
import numpy as np

WORK_SIDE = 800  # the long side the search runs at: sheets are large, detail does not matter
MIN_SHARE = 0.03  # a sheet covers at least this share of the photo
MAX_SHARE = 0.85  # … and not nearly all of it (that is one document, photographed close)
SOLIDITY = 0.80  # its outline fills at least this share of its rotated rectangle (a sheet, not a blob)
MIN_SIDE = 0.08  # its short side is at least this share of the photo's long side
MARGIN = 0.01  # cut a little wider than the outline, so no printed edge is lost

Quad = list[list[float]]  # four corners, clockwise from top-left, in the photo's pixels


def find(image: np.ndarray) -> list[Quad]:
    """The documents in a photo, in reading order (rows top to bottom, left to right within a row); [] when
    it shows fewer than two."""
    h, w = image.shape[:2]
    scale = WORK_SIDE / max(h, w)
    small = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    gray = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (5, 5), 0)
    level, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if np.median(border) >= level:  # what the sheets lie on is as light as paper: brightness cannot tell
        return []
    close = max(3, round(WORK_SIDE * 0.02)) | 1
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (close, close)))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    total = float(small.shape[0] * small.shape[1])
    rects = [r for r in (_sheet(c, total, max(small.shape[:2])) for c in contours) if r is not None]
    if len(rects) < 2:
        return []
    quads = [_corners(cv2.boxPoints(_widen(r)) / scale) for r in rects]
    return _reading_order(quads)


def _sheet(contour: np.ndarray, total: float, long_side: int):
    area = cv2.contourArea(contour)
    if not MIN_SHARE * total <= area <= MAX_SHARE * total:
        return None
    rect = cv2.minAreaRect(contour)
    rw, rh = rect[1]
    if rw * rh <= 0 or area / (rw * rh) < SOLIDITY or min(rw, rh) < MIN_SIDE * long_side:
        return None
    return rect


def _widen(rect):
    (cx, cy), (rw, rh), angle = rect
    grow = MARGIN * max(rw, rh)
    return (cx, cy), (rw + 2 * grow, rh + 2 * grow), angle


def _corners(points: np.ndarray) -> Quad:
    """Top-left, top-right, bottom-right, bottom-left: the rotation nearest upright (under 45°)."""
    s, d = points.sum(axis=1), points[:, 1] - points[:, 0]
    ordered = [points[np.argmin(s)], points[np.argmin(d)], points[np.argmax(s)], points[np.argmax(d)]]
    return [[round(float(x), 1), round(float(y), 1)] for x, y in ordered]


def _reading_order(quads: list[Quad]) -> list[Quad]:
    """Rows first: a sheet whose top lies above another's middle comes before it."""
    def key(q: Quad):
        return (min(p[1] for p in q), min(p[0] for p in q))

    ordered = sorted(quads, key=key)
    rows: list[list[Quad]] = []
    for q in ordered:
        top = min(p[1] for p in q)
        if rows and top < _middle(rows[-1][0]):
            rows[-1].append(q)
        else:
            rows.append([q])
    return [q for row in rows for q in sorted(row, key=lambda q: min(p[0] for p in q))]


def _middle(q: Quad) -> float:
    return sum(p[1] for p in q) / 4


def bounds(quad: Quad) -> list[float]:
    """The axis-aligned box [x0, y0, x1, y1] around a quad."""
    xs, ys = [p[0] for p in quad], [p[1] for p in quad]
    return [min(xs), min(ys), max(xs), max(ys)]


def cut(image: np.ndarray, quad: Quad) -> np.ndarray:
    """The document inside `quad`, warped upright to its own size."""
    src = np.array(quad, np.float32)
    width = round(max(np.linalg.norm(src[1] - src[0]), np.linalg.norm(src[2] - src[3])))
    height = round(max(np.linalg.norm(src[3] - src[0]), np.linalg.norm(src[2] - src[1])))
    dst = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(image, matrix, (max(1, width), max(1, height)), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REPLICATE)
