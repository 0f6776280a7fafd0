"""Frozen results passed between pipeline stages."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Limits:
    max_pixels: int
    max_pdf_pages: int
    render_long_side: int = 2500  # PDF pages are rendered so their long side is about this


@dataclass(frozen=True)
class Document:
    """A decoded upload: its pages as BGR arrays (EXIF orientation applied) and its page count.

    `pages` is empty for formats the app parses instead of rendering (OFD)."""

    kind: str
    page_count: int
    pages: tuple[np.ndarray, ...] = field(default=())

    @property
    def first_page(self) -> np.ndarray | None:
        return self.pages[0] if self.pages else None


Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in page/image pixels


class Placed:
    """Something with a box in layout coordinates (`lbox`, given by the subclass): where its row
    is, how tall it is."""

    lbox: Box

    @property
    def cy(self) -> float:
        return (self.lbox[1] + self.lbox[3]) / 2

    @property
    def height(self) -> float:
        return max(1.0, self.lbox[3] - self.lbox[1])


@dataclass(frozen=True)
class TextLine(Placed):
    """One run of text with its box: from OCR, or from a PDF/OFD text layer."""

    text: str
    box: Box  # where it is in the original image: what the UI draws
    score: float  # OCR: the mean character probability; a text layer: 1.0 (its characters are exact)
    source: str  # "ocr" | "text_layer"
    layout_box: Box | None = None  # the box in deskewed coordinates, where rows are level
    chars: tuple[float, ...] | None = None  # OCR: each character's probability, aligned with `text`

    @property
    def lbox(self) -> Box:
        return self.layout_box or self.box

    def value_score(self, value: str) -> float:
        """How sure the recogniser was of `value` as read on this line: its weakest character.
        The line's mean hides a digit read at 0.6 among twenty at 0.999, and the label's own
        characters say nothing about the value. The value is found in the text as printed
        (2017-04-27 as 2017年4月27日, 1130.00 as 1,130.00); else the whole line counts."""
        if not self.chars:
            return self.score
        m = _printed(value).search(self.text)
        if m is None or m.end() == m.start():
            return min(self.chars)
        wanted = set(value)
        picked = [p for c, p in zip(self.text[m.start():m.end()], self.chars[m.start():m.end()], strict=False)
                  if c in wanted]
        return min(picked) if picked else self.score


def _printed(value: str) -> re.Pattern:
    """A pattern for a value as it may be printed: spaces and thousands separators anywhere, other
    separators between digit groups (年 月 日, -, .), leading zeros optional."""
    groups = re.findall(r"[^\W_]+", value)
    parts = []
    for g in groups:
        body = r"[\s,]*".join(map(re.escape, g.lstrip("0") or "0"))
        parts.append(("0*" if g[:1] == "0" else "") + body)
    between = r"\D{0,3}?" if all(g.isdigit() for g in groups) else r"[\W_]{0,3}?"
    return re.compile(between.join(parts) if parts else "(?!)")


REVIEW_BELOW = 0.9  # a field under this confidence sends the invoice to a person


def doubtful(value: str | None, confidence: float, review: bool) -> bool:
    """The one rule for a field a person should look at: flagged, or read below REVIEW_BELOW."""
    return review or (value is not None and confidence < REVIEW_BELOW)


def is_doubtful(stored: dict | None) -> bool:
    """`doubtful` on a field as the database keeps it (FieldValue.as_dict())."""
    if not stored:
        return False
    return doubtful(stored.get("value"), stored.get("confidence") or 0.0, bool(stored.get("review")))


@dataclass(frozen=True)
class FieldValue:
    value: str | None
    confidence: float
    box: Box | None
    source: str | None  # "ocr" | "qr" | "text_layer" | "ocr+qr" | ...
    review: bool = False  # readings disagree, or a rule failed: a person should look
    alternatives: tuple[tuple[str, str], ...] = ()  # (source, value) readings that lost
    evidence: tuple[str, ...] = ()  # why it is believed: label, geometry, agreements, checks passed or failed

    @property
    def doubtful(self) -> bool:
        return doubtful(self.value, self.confidence, self.review)

    def as_dict(self) -> dict:
        return {
            "value": self.value,
            "confidence": round(self.confidence, 3),
            "box": [round(v, 1) for v in self.box] if self.box else None,
            "source": self.source,
            "review": self.review,
            "alternatives": [{"source": s, "value": v} for s, v in self.alternatives],
            "evidence": list(self.evidence),
        }
