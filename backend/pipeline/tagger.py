"""Stage: the field tagger — for each text line, how likely it is to carry each field's value.

A small ONNX model (a one-hidden-layer MLP, built by `fapiao models`: backend/weights/tagger.py,
trained on the project's own generated invoices) over features of a line in its page: its text
as hashed character uni/bi-grams (labels as printed; digits, Latin letters and other Chinese
characters folded to one symbol each, so a value is its shape), the text of the nearest line
to its left and above it (where its label usually is), shape counts, which field structures
it matches (fields.PARSE), where it sits on the page, and the page's family. The features are
computed here, the same for the build and at run time; the model only maps them to
probabilities over FIELD_NAMES + "other".

The reader uses it as evidence against a value (confidence.tagged): the rules choose the value;
a tagger that says its line is some other field caps the value under the review line.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from ..validate.codes import Family
from .fields import FIELD_NAMES, PARSE, _overlap, detect_family, squash, upright
from .lexicon import normal, occurrences
from .types import TextLine

CLASSES = (*FIELD_NAMES, "other")
FEATURES = 3  # bump when the features change: a model built for other features is stale
OWN, NEAR = 256, 128  # hash buckets: the line's own text, each neighbour's
_FAMILIES = tuple(Family)
_SHAPES = ("¥￥", "年月日", ".", "-", ":：", "*", "()（）", "元圆")


# Characters that are a value's structure, kept as they are: dates, money, amounts in words.
_STRUCTURE = set("年月日元圆角分整零壹贰叁肆伍陆柒捌玖拾佰仟万亿¥￥")


def fold(text: str) -> str:
    """The text as hashed: labels (lexicon) as printed; of the rest, every digit 0, every Latin
    letter a, every other Chinese character 汉 — a value is its shape, not its words (the names
    the generator draws are not the names on real invoices)."""
    s = normal(text)
    keep = [False] * len(s)
    for occ in occurrences(s, Family.UNKNOWN):
        keep[occ.start:occ.end] = [True] * (occ.end - occ.start)
    return "".join(c if kept or c in _STRUCTURE else "0" if c.isdigit() else "a" if c.isascii() and c.isalpha()
                   else "汉" if "\u4e00" <= c <= "\u9fff" else c for c, kept in zip(s, keep, strict=True))


def _bucket(gram: str, size: int) -> int:
    return zlib.crc32(gram.encode("utf-8")) % size  # stable across processes (hash() is salted)


def grams(text: str, size: int) -> np.ndarray:
    """Presence of the character uni- and bi-grams of `text` (folded, with ends marked) in `size` buckets."""
    out = np.zeros(size, dtype=np.float64)
    t = fold(text)
    if not t:
        return out
    marked = "^" + t + "$"
    for g in list(t) + [marked[i:i + 2] for i in range(len(marked) - 1)]:
        out[_bucket(g, size)] = 1.0
    return out


def shape(text: str) -> np.ndarray:
    t = squash(text)
    n = max(1, len(t))
    digits = sum(c.isdigit() for c in t)
    latin = sum(c.isascii() and c.isalpha() for c in t)
    han = sum("\u4e00" <= c <= "\u9fff" for c in t)
    counts = [min(len(t), 60) / 30, min(digits, 30) / 15, digits / n, latin / n, han / n]
    marks = [float(all(c in t for c in s) if s == "年月日" else any(c in t for c in s)) for s in _SHAPES]
    parsed = [float(parse(text) is not None) for parse in PARSE.values()]
    return np.array(counts + marks + parsed, dtype=np.float64)


def _left(line: TextLine, lines: Sequence[TextLine]) -> TextLine | None:
    """The nearest line ending left of this one's start, on its row."""
    row = [o for o in lines if o is not line and _overlap(o, line) and o.lbox[2] <= line.lbox[0] + 0.5 * line.height]
    return max(row, key=lambda o: (o.lbox[2], o.lbox[0], o.text), default=None)


def _above(line: TextLine, lines: Sequence[TextLine]) -> TextLine | None:
    """The nearest line above this one that shares some of its width."""
    col = [o for o in lines if o is not line and o.lbox[3] <= line.cy
           and min(o.lbox[2], line.lbox[2]) > max(o.lbox[0], line.lbox[0]) and not _overlap(o, line)]
    return max(col, key=lambda o: (o.lbox[3], -abs(o.lbox[0] - line.lbox[0]), o.text), default=None)


def _neighbour(line: TextLine, other: TextLine | None, axis: int) -> np.ndarray:
    if other is None:
        return np.concatenate([np.zeros(NEAR), [0.0, 1.0]])
    gap = (line.lbox[axis] - other.lbox[axis + 2]) / line.height
    return np.concatenate([grams(other.text, NEAR), [1.0, min(max(gap, 0.0), 20.0) / 20]])


def features(lines: Sequence[TextLine], page_size: tuple[float, float]) -> np.ndarray:
    """One row per line (in the order given), float32: what the tagger sees."""
    placed = upright(lines, page_size)
    if not placed:
        return np.zeros((0, width()), dtype=np.float32)
    w, h = (max(1.0, v) for v in page_size)
    family = detect_family(placed)
    fam = np.array([float(family == f) for f in _FAMILIES])
    heights = np.median([ln.height for ln in placed])
    reading_order = sorted(placed, key=lambda ln: (ln.cy, ln.lbox[0], ln.text))  # whatever order they came in
    order = {id(ln): k / max(1, len(placed) - 1) for k, ln in enumerate(reading_order)}
    rows = []
    for ln in placed:
        x0, y0, x1, y1 = ln.lbox
        geo = [x0 / w, y0 / h, x1 / w, y1 / h, (x1 - x0) / w, min(ln.height / heights, 4.0) / 4, order[id(ln)],
               float(ln.source == "text_layer")]
        rows.append(np.concatenate([grams(ln.text, OWN), shape(ln.text), geo,
                                    _neighbour(ln, _left(ln, placed), 0), _neighbour(ln, _above(ln, placed), 1), fam]))
    return np.asarray(rows, dtype=np.float32)


def width() -> int:
    """The length of a feature row."""
    return OWN + len(shape("")) + 8 + 2 * (NEAR + 2) + len(_FAMILIES)


def tag(lines: Sequence[TextLine], page_size: tuple[float, float], session) -> np.ndarray:
    """Each line's probabilities over CLASSES (rows in the order of `lines`); `session`: the
    tagger's onnxruntime session (Engines.tagger)."""
    x = features(lines, page_size)
    if not len(x):
        return np.zeros((0, len(CLASSES)), dtype=np.float32)
    return session.run(None, {session.get_inputs()[0].name: x})[0]
