"""Stage: is this file an invoice at all, and if nothing was read, why.

A holiday photo and a blurred invoice both end with every field empty; a person handles them differently
(delete the one, photograph the other again), so the reader tells them apart by what it saw, not by what
it assigned: an invoice shows its vocabulary (the lexicon's labels, 发票, 税), a QR code, or a code/number
structure (runs of 8+ digits) even when no field could be placed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .lexicon import LABELS, normal
from .types import TextLine

# Words that appear on every family of invoice and hardly anywhere else: the lexicon's own labels (long
# enough not to be everyday words: 名, 日期, 电话 are not) and the words of the titles.
VOCABULARY = frozenset({lab.text for lab in LABELS if len(lab.text) >= 3} | {
    "发票", "税额", "价税", "税率", "车票", "客票", "收据", "通行费", "纳税人", "增值税", "统一发票"})
DIGIT_RUN = re.compile(r"\d{8,}")

NOT_INVOICE = "reader.not_invoice"  # read, readable, and nothing of an invoice on it
HARD_TO_READ = "reader.hard_to_read"  # an invoice's signs are there, no field could be read
NOTHING = "reader.nothing_found"  # nothing could be looked at (too small, empty page)


def signs(lines: Sequence[TextLine], qr_text: str | None) -> dict[str, bool]:
    """Which of an invoice's three signs the reading shows."""
    text = "".join(normal(ln.text) for ln in lines)
    return {"vocabulary": any(word in text for word in VOCABULARY), "qr": bool(qr_text),
            "number": bool(DIGIT_RUN.search(text))}


def verdict(lines: Sequence[TextLine], qr_text: str | None, looked: bool, found: bool
            ) -> tuple[str | None, dict]:
    """(reason key, its params): None when fields were read; `looked`: the page could be looked at."""
    if found:
        return None, {}
    if not looked:
        return NOTHING, {}
    seen = signs(lines, qr_text)
    if not any(seen.values()):
        return NOT_INVOICE, {"lines": len(lines)}
    return HARD_TO_READ, {}
