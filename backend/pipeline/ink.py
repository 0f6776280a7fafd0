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
    threshold: float | None = None  # the redness between the two inks; None: one ink


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


def threshold(values: Sequence[float | None]) -> float | None:
    """The redness between the page's two inks: the cut of the sorted rednesses with the most
    between-group variance; None when the groups are too close or too small (one ink)."""
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
    return float(cut[2])


def split(values: Sequence[float | None], cut: float | None = None) -> tuple[bool | None, ...] | None:
    """Per line: in the form's ink (True), the data's (False), unknown (None); None for a page
    in one ink. `cut`: the page's threshold when already known."""
    cut = threshold(values) if cut is None else cut
    if cut is None:
        return None
    return tuple(None if v is None else bool(v > cut) for v in values)


def boundary(crop: np.ndarray, cut: float) -> int | None:
    """The column where a line printed as a form label followed by its value (开票日期: 2017年…)
    turns from the form's ink to the data's, or None for a line in one ink.

    The recognition model reads such a value better alone: "16日" right after the red label came
    out "15日" at 0.97 confidence on two dev photos, and "16日" at 0.99 once cut."""
    if crop.ndim != 3 or crop.shape[1] < 4 * crop.shape[0]:
        return None
    px = crop.astype(np.float32)
    gray = px.mean(axis=2)
    paper_level = np.percentile(gray, 85)
    ink, paper = gray < paper_level - 35, gray >= paper_level - 10
    if ink.sum() < 20 or paper.sum() < 20:
        return None
    tint = px[:, :, 2] - px[:, :, 0]
    tint = np.where(ink, tint - tint[paper].mean(), 0.0)
    counts = ink.sum(axis=0).astype(np.float32)
    window = np.ones(max(3, crop.shape[0] // 3), np.float32)  # about a third of a character
    red = np.convolve(tint.sum(axis=0), window, "same") / np.maximum(np.convolve(counts, window, "same"), 1)
    inked = np.convolve(counts, window, "same") > 0
    form, data = inked & (red > cut), inked & (red <= cut)
    # The cut that leaves the most form columns on the left and data columns on the right.
    score = np.concatenate([[0], np.cumsum(form)]) + np.concatenate([np.cumsum(data[::-1])[::-1], [0]])
    at = int(np.argmax(score))
    left, right = form[:at].sum(), data[at:].sum()
    h = crop.shape[0]
    if left < h or right < h or left < 0.85 * inked[:at].sum() or right < 0.85 * inked[at:].sum():
        return None
    blank = np.flatnonzero(counts[max(0, at - h // 2):at + h // 2] == 0)  # cut in the gap
    return int(max(0, at - h // 2) + blank[np.argmin(np.abs(blank - min(at, h // 2)))]) if blank.size else at


def inks(view: np.ndarray, quads: Sequence[np.ndarray]) -> Inks:
    values = tuple(redness(view, q) for q in quads)
    cut = threshold(values)
    return Inks(values, None if cut is None else split(values, cut), cut)
