"""Stages: detect text lines in an image, then recognise them, with the ONNX OCR models.

Two stages (not one RapidOCR call) so the board can show "detecting" and "recognising" apart, and
so a caller could choose which detected lines to recognise.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .textlayer import clean
from .types import TextLine

OCR_LONG_SIDE = 2000  # the detector gains nothing above this on an A5-sized invoice


@dataclass(frozen=True)
class Detected:
    """Text-line quadrilaterals found on a page, and the view they were found on."""

    view: np.ndarray  # the page, scaled to at most OCR_LONG_SIDE
    scale: float  # view = original × scale
    quads: tuple[np.ndarray, ...]  # in view coordinates
    original_size: tuple[int, int]  # (h, w) of the page the caller passed


def detect(image: np.ndarray, engine, long_side: int = OCR_LONG_SIDE) -> Detected:
    h, w = image.shape[:2]
    scale = min(1.0, long_side / max(h, w))
    view = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image
    # Detection only: RapidOCR maps the boxes back onto `view` for us.
    result = engine(view, use_det=True, use_cls=False, use_rec=False)
    boxes = getattr(result, "boxes", None)
    quads = tuple(np.asarray(q, dtype=np.float32) for q in boxes) if boxes is not None else ()
    return Detected(view, scale, quads, (h, w))


def recognise(found: Detected, engine) -> tuple[TextLine, ...]:
    """Text of every detected line, with boxes in the coordinates of the original page."""
    if not found.quads:
        return ()
    crops = engine.crop_text_regions(found.view, [q.copy() for q in found.quads])
    upright, _ = engine.cls_and_rotate(crops)  # lines printed upside down are turned first
    rec = engine.recognize_txt(upright)
    min_score = engine.cfg.Global.text_score
    h, w = found.original_size
    quads = [q.astype(np.float64) / found.scale for q in found.quads]
    angle = skew_angle(quads)
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    lines = []
    for quad, text, score in zip(quads, rec.txts, rec.scores, strict=False):
        text = clean(text)
        if not text or score < min_score:
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
