"""Stage: make a photo readable — stretch the levels of a dark or washed-out image."""

from __future__ import annotations

import cv2
import numpy as np

MIN_SIDE = 32  # below this there is nothing to read


def readable(image: np.ndarray) -> bool:
    return min(image.shape[:2]) >= MIN_SIDE


def normalise(image: np.ndarray) -> np.ndarray:
    """Brighten a dark photo: stretch its 1st–99th brightness percentiles to the full range.

    Only when even the paper is dark (99th percentile below 160): a normal photo is mostly
    white paper, and stretching it would only saturate faint print such as the QR code."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    small = cv2.resize(gray, (128, 128), interpolation=cv2.INTER_AREA)
    lo, hi = np.percentile(small, (1, 99))
    if hi >= 160 or hi <= lo:
        return image
    scale = 255.0 / (hi - lo)
    return cv2.convertScaleAbs(image, alpha=scale, beta=-lo * scale)
