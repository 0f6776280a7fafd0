"""Stage: reconcile the layout reading with the QR payload (and, for OFD, the embedded XML).

Agreement raises confidence; disagreement keeps both readings and flags the field for review.
"""

from __future__ import annotations

from dataclasses import replace

from .qr import QrPayload
from .types import FieldValue

AGREE_CONFIDENCE = 0.995


def qr_fields(payload: QrPayload) -> dict[str, str]:
    out = {
        "invoice_code": payload.invoice_code,
        "invoice_number": payload.invoice_number,
        "issue_date": payload.issue_date,
        "check_code": payload.check_code,
        payload.amount_field: payload.amount,
    }
    return {k: v for k, v in out.items() if v}


def merge(fields: dict[str, FieldValue], other: dict[str, str], source: str,
          box=None) -> dict[str, FieldValue]:
    """Merge another reading (`source`: "qr" or "xml") into the layout reading, field by field."""
    merged = dict(fields)
    for name, value in other.items():
        if name not in merged:
            continue
        mine = merged[name]
        if mine.value is None:
            merged[name] = FieldValue(value, 0.97, box, source)
        elif _same(name, mine.value, value):
            merged[name] = replace(mine, confidence=max(mine.confidence, AGREE_CONFIDENCE),
                                   source=f"{mine.source}+{source}")
        else:
            merged[name] = replace(mine, confidence=min(mine.confidence, 0.5), review=True,
                                   alternatives=mine.alternatives + ((source, value),))
    return merged


def _same(name: str, a: str, b: str) -> bool:
    if name in ("amount", "tax", "total"):
        try:
            return abs(float(a) - float(b)) < 0.005
        except ValueError:
            return False
    return a.replace(" ", "") == b.replace(" ", "")
