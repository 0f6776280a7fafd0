"""A small JPEG preview for the board."""

from __future__ import annotations

import cv2
import numpy as np

THUMB_LONG_SIDE = 480


def make_thumbnail(image: np.ndarray, long_side: int = THUMB_LONG_SIDE, quality: int = 80) -> bytes:
    height, width = image.shape[:2]
    scale = min(1.0, long_side / max(height, width))
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("thumbnail encoding failed")
    return buf.tobytes()
