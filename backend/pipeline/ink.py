"""Stage: tell the form's pre-printed ink from the printed data, per detected line.

Paper 增值税 forms are printed in one reddish-brown ink; the invoice data is printed over them
in black or blue. The colour of a line's dark pixels, relative to its own paper, says which it
is: form lines are labels (名称, 密码区, 合计 ...), data lines are values. A page printed in a
single ink (black-and-white copies, e-invoices on an office printer) gets no split.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MIN_GAP = 25.0  # the two inks' mean redness must differ this much (0–255 scale)
MIN_LINES = 4  # lines each ink needs before a split is believed
SAMPLE = 1500  # pixels looked at per line, at most


@dataclass(frozen=True)
class Inks:
    redness: tuple[float | None, ...]  # per line: red minus blue of its ink, paper's own tint removed
    form: tuple[bool | None, ...] | None  # per line: in the form's ink? (None: no clear ink); None: one ink


def redness(view: np.ndarray, quad: np.ndarray) -> float | None:
    """How red a line's ink is, against its own paper; None when the box holds no clear ink."""
    if view.ndim != 3:
        return None
    h, w = view.shape[:2]
    x0, y0 = np.clip(np.floor(quad.min(axis=0)).astype(int), 0, [w, h])
    x1, y1 = np.clip(np.ceil(quad.max(axis=0)).astype(int), 0, [w, h])
    region = view[y0:y1, x0:x1]
    if region.size == 0:
        return None
    step = max(1, int(np.sqrt(region.shape[0] * region.shape[1] / SAMPLE)))
    px = region[::step, ::step].reshape(-1, 3).astype(np.float32)
    gray = px.mean(axis=1)
    paper_level = np.percentile(gray, 85)
    ink, paper = gray < paper_level - 35, gray >= paper_level - 10
    if ink.sum() < 8 or paper.sum() < 8:
        return None
    tint = px[:, 2] - px[:, 0]  # BGR: red minus blue
    return float(tint[ink].mean() - tint[paper].mean())


def split(values: Sequence[float | None]) -> tuple[bool | None, ...] | None:
    """Two inks, or one: the best cut of the sorted rednesses (most between-group variance)."""
    known = sorted(v for v in values if v is not None)
    if len(known) < 2 * MIN_LINES:
        return None
    arr = np.asarray(known)
    best, cut = -1.0, None
    for k in range(MIN_LINES, len(arr) - MIN_LINES + 1):
        lo, hi = arr[:k], arr[k:]
        score = len(lo) * len(hi) * (hi.mean() - lo.mean()) ** 2
        if score > best:
            best, cut = score, (lo.mean(), hi.mean(), (arr[k - 1] + arr[k]) / 2)
    if cut is None or cut[1] - cut[0] < MIN_GAP:
        return None
    threshold = cut[2]
    return tuple(None if v is None else bool(v > threshold) for v in values)


def inks(view: np.ndarray, quads: Sequence[np.ndarray]) -> Inks:
    values = tuple(redness(view, q) for q in quads)
    return Inks(values, split(values))
