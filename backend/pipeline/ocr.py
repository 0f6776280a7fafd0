"""Stages: detect text lines in an image, then recognise the ones a caller asks for.

Detection and recognition are separate so the board can show "detecting" and "recognising"
apart, and so the reader recognises only the lines that can hold a field (see `focus`).
Recognition costs in proportion to the summed length of the lines read.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from .engines import Classifier, Detector, Read, Recogniser
from .ink import boundary
from .types import Box, Placed, TextLine

OCR_LONG_SIDE = 2000  # the detector gains nothing above this on an A5-sized invoice
REC_HEIGHT = 48  # the recognition model's fixed input height
# Each line is read at its own width plus this much blank. RapidOCR pads every batch to at least
# 320 px, which doubles the cost of the many short lines on a form; flush against the edge the
# model misreads some last digits, and 24 px of blank is enough (bench.accuracy, dev photos).
REC_MARGIN = 24
VOTERS = 9  # lines the orientation model looks at to decide whether the page is upside down


@dataclass(frozen=True)
class Span(Placed):
    """Where one detected line lies, before anything is read."""

    box: Box  # in the original page
    level: Box  # in deskewed page coordinates, where rows are level
    length: float  # its width once scaled to the model's height: what reading it costs
    tall: bool  # printed vertically (turned a quarter before it is read)

    @property
    def lbox(self) -> Box:
        return self.level


@dataclass(frozen=True)
class Detected:
    """Text-line quadrilaterals found on a page, and the view they were found on."""

    view: np.ndarray  # the page, scaled to at most OCR_LONG_SIDE
    scale: float  # view = original × scale
    quads: tuple[np.ndarray, ...]  # in view coordinates
    original_size: tuple[int, int]  # (h, w) of the page the caller passed
    spans: tuple[Span, ...] = ()
    turned: bool = False  # the page lies upside down: crops are read turned, level boxes mirrored


def turn(found: Detected) -> Detected:
    """The same detection, for a page that lies upside down in the image."""
    h, w = found.original_size

    def mirror(b: Box) -> Box:
        return (w - b[2], h - b[3], w - b[0], h - b[1])

    return replace(found, turned=not found.turned,
                   spans=tuple(replace(s, level=mirror(s.level)) for s in found.spans))


def detect(image: np.ndarray, detector: Detector, long_side: int = OCR_LONG_SIDE, threads: int = 1) -> Detected:
    """Text-line quadrilaterals, from the detection model alone (RapidOCR's own call also crops
    every line: ~20 ms a page for nothing), on `threads` cores (the reading's lanes)."""
    h, w = image.shape[:2]
    scale = min(1.0, long_side / max(h, w))
    view = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image
    boxes = detector.boxes(view, threads)
    quads = tuple(np.asarray(q, dtype=np.float32) for q in boxes) if boxes is not None else ()
    return Detected(view, scale, quads, (h, w), spans(quads, scale, (h, w)))


def spans(quads: Sequence[np.ndarray], scale: float, size: tuple[int, int]) -> tuple[Span, ...]:
    h, w = size
    originals = [q.astype(np.float64) / scale for q in quads]
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), skew_angle(originals), 1.0)
    out = []
    for q in originals:
        width = max(np.linalg.norm(q[0] - q[1]), np.linalg.norm(q[2] - q[3]))
        height = max(np.linalg.norm(q[0] - q[3]), np.linalg.norm(q[1] - q[2]))
        tall = height >= 1.5 * width  # the same rule RapidOCR uses to turn a crop
        long_, short = (height, width) if tall else (width, height)
        level = q @ rot[:, :2].T + rot[:, 2]
        out.append(Span(_xyxy(q), _xyxy(level), REC_HEIGHT * long_ / max(1.0, short), tall))
    return tuple(out)


def upside_down(found: Detected, classifier: Classifier) -> bool:
    """Was the page photographed upside down? The orientation model votes on the longest lines.

    A page turns as a whole, so a handful of lines decide for all of them (per-line decisions
    cost ~50 ms a page and flip the odd upright line)."""
    across = [i for i, s in enumerate(found.spans) if not s.tall]
    voters = sorted(across, key=lambda i: -found.spans[i].length)[:VOTERS]
    if not voters:
        return False
    return sum(classifier.flipped(_crops(found, voters))) * 2 > len(voters)


def recognise(found: Detected, recogniser: Recogniser, which: Sequence[int] | None = None,
              ink_cut: float | None = None, lanes: int = 1) -> dict[int, TextLine]:
    """Text of the chosen detected lines (all by default), keyed by their index in `found`.

    With `ink_cut` (the page's redness between form ink and data, see `ink`), a line printed as
    a label followed by its value is read in two pieces. Boxes are in the coordinates of the
    original page; unreadable lines are left out."""
    which = list(range(len(found.quads)) if which is None else which)
    if not which:
        return {}
    pieces, owner = [], []
    for i, crop in zip(which, _crops(found, which), strict=True):
        at = boundary(crop, ink_cut) if ink_cut is not None else None
        parts = [crop] if at is None else [crop[:, :at], crop[:, at:]]
        pieces += parts
        owner += [i] * len(parts)
    read: dict[int, Read] = {}
    for i, piece in zip(owner, read_crops(pieces, recogniser, lanes), strict=True):
        before = read.get(i)
        read[i] = Read(before.text + piece.text, before.chars + piece.chars) if before else piece
    lines = {}
    for i, r in read.items():
        text, chars = clean_read(r)
        if text and r.score >= recogniser.min_score:
            span = found.spans[i]
            lines[i] = TextLine(text, span.box, r.score, "ocr", span.level, chars)
    return lines


def clean_read(r: Read) -> tuple[str, tuple[float, ...]]:
    """The text-layer cleaning (NFKC, control characters to spaces, runs of space to one,
    stripped), character by character so that each keeps its probability."""
    out: list[tuple[str, float]] = []
    for c, p in zip(r.text, r.chars, strict=True):
        for n in unicodedata.normalize("NFKC", c):
            n = " " if n.isspace() or ord(n) < 32 else n
            if n == " " and (not out or out[-1][0] == " "):
                continue
            out.append((n, p))
    while out and out[-1][0] == " ":
        out.pop()
    return "".join(c for c, _ in out), tuple(p for _, p in out)


def read_crops(crops: Sequence[np.ndarray], recogniser: Recogniser, lanes: int = 1) -> list[Read]:
    """Run the recognition model over line images one at a time, each at its own width
    (+ REC_MARGIN blank), `lanes` runs at once; greedy CTC decoding (`Recogniser.read`).

    One line per run: batching pads every line to the widest of its batch, which costs more
    than the per-run overhead saves (bench.accuracy: 0.35 s a page one by one, 0.41 s in sixes),
    and a line's reading then never depends on which lines it was batched with — nor on how
    many lanes read them."""
    return recogniser.read_all(line_tensors(crops), lanes)


def line_tensors(crops: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The recognition model's input for each line: a batch of one, at the line's own width plus
    REC_MARGIN blank."""
    tensors = []
    for crop in crops:
        width = max(1, math.ceil(REC_HEIGHT * crop.shape[1] / max(1, crop.shape[0])))
        tensor = np.zeros((1, 3, REC_HEIGHT, width + REC_MARGIN), dtype=np.float32)
        tensor[0, :, :, :width] = _normalised(crop, width)
        tensors.append(tensor)
    return tensors


def _normalised(crop: np.ndarray, width: int) -> np.ndarray:
    """The model's input for one line: height 48, channels first, scaled to [-1, 1]."""
    if crop.ndim == 2:
        crop = cv2.cvtColor(crop, cv2.COLOR_GRAY2BGR)
    resized = cv2.resize(crop, (width, REC_HEIGHT)).astype(np.float32)
    return resized.transpose(2, 0, 1) / 127.5 - 1.0


def _crops(found: Detected, which: Sequence[int]) -> list[np.ndarray]:
    # RapidOCR's own crop: perspective-corrected, turned when the box is tall.
    from rapidocr.utils.process_img import get_rotate_crop_image

    crops = [get_rotate_crop_image(found.view, found.quads[i].copy()) for i in which]
    return [cv2.rotate(c, cv2.ROTATE_180) for c in crops] if found.turned else crops


def skew_angle(quads: Sequence[np.ndarray]) -> float:
    """Median slope (degrees) of the long text boxes: how far the page is turned in the photo."""
    angles = []
    for q in quads:
        dx, dy = q[1] - q[0]
        if abs(dx) > 3 * max(1.0, np.linalg.norm(q[3] - q[0])):
            angles.append(np.degrees(np.arctan2(dy, dx)))
    return float(np.median(angles)) if angles else 0.0


def _xyxy(q: np.ndarray) -> tuple[float, float, float, float]:
    return (float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 0].max()), float(q[:, 1].max()))
