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
    lines = []
    for quad, text, score in zip(result.boxes, result.txts, result.scores, strict=False):
        xs, ys = [p[0] / scale for p in quad], [p[1] / scale for p in quad]
        text = clean(text)
        if text:
            lines.append(TextLine(text, (min(xs), min(ys), max(xs), max(ys)), float(score), "ocr"))
    return tuple(lines)
