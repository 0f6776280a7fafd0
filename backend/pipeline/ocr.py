"""Stage: detect and recognise text lines in an image with the ONNX OCR models."""

from __future__ import annotations

import cv2
import numpy as np

from .textlayer import clean
from .types import TextLine

OCR_LONG_SIDE = 2000  # the detector gains nothing above this on an A5-sized invoice


def recognise(image: np.ndarray, engine, long_side: int = OCR_LONG_SIDE) -> tuple[TextLine, ...]:
    """Text lines with boxes in the coordinates of `image` (scaled back after downsizing)."""
    h, w = image.shape[:2]
    scale = min(1.0, long_side / max(h, w))
    view = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image
    result = engine(view)
    if result.boxes is None:
        return ()
    quads = [np.asarray(q, dtype=np.float64) / scale for q in result.boxes]
    angle = skew_angle(quads)
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    lines = []
    for quad, text, score in zip(quads, result.txts, result.scores, strict=False):
        text = clean(text)
        if not text:
            continue
        level = quad @ rot[:, :2].T + rot[:, 2]
        lines.append(TextLine(text, _xyxy(quad), float(score), "ocr", _xyxy(level)))
    return tuple(lines)


def skew_angle(quads: list[np.ndarray]) -> float:
    """Median slope (degrees) of the long text boxes: how far the page is turned in the photo."""
    angles = []
    for q in quads:
        dx, dy = q[1] - q[0]
        if abs(dx) > 3 * max(1.0, np.linalg.norm(q[3] - q[0])):
            angles.append(np.degrees(np.arctan2(dy, dx)))
    return float(np.median(angles)) if angles else 0.0


def _xyxy(q: np.ndarray) -> tuple[float, float, float, float]:
    return (float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 0].max()), float(q[:, 1].max()))
