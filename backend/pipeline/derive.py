"""Stage: fill amount, tax or total from the others when one was not read.

金额 + 税额 = 价税合计 and 大写 = 小写 tie the four together, so one missing reading can be
computed from the rest. A derived value is marked as such and never rated above its inputs.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from ..validate.words import parse_money, words_to_amount
from .types import FieldValue

DERIVED_PENALTY = 0.97


RATE_PENALTY = 0.85  # one rate for the whole invoice is an assumption


def derive_amounts(fields: dict[str, FieldValue], rate: Decimal | None = None) -> dict[str, FieldValue]:
    out = _words_over_figure(dict(fields), rate)
    amount, tax, total = (parse_money(out[k].value) for k in ("amount", "tax", "total"))
    words = out["total_in_words"]
    if total is None and words.value and (value := words_to_amount(words.value)) is not None:
        total = value
        out["total"] = FieldValue(f"{value:.2f}", words.confidence * DERIVED_PENALTY, None, "derived")
    if total is None and amount is not None and tax is not None:
        conf = min(out["amount"].confidence, out["tax"].confidence) * DERIVED_PENALTY
        total = amount + tax
        out["total"] = FieldValue(f"{total:.2f}", conf, None, "derived")
    if amount is None and tax is None and total is not None and rate is not None:
        # Only the total was read: split it by the single rate the goods table prints.
        amount = (total / (1 + rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        conf = out["total"].confidence * RATE_PENALTY
        out["amount"] = FieldValue(f"{amount:.2f}", conf, None, "derived")
    if tax is None and amount is not None and total is not None:
        conf = min(out["amount"].confidence, out["total"].confidence) * DERIVED_PENALTY
        out["tax"] = FieldValue(f"{total - amount:.2f}", conf, None, "derived")
    elif amount is None and tax is not None and total is not None:
        conf = min(out["tax"].confidence, out["total"].confidence) * DERIVED_PENALTY
        out["amount"] = FieldValue(f"{total - tax:.2f}", conf, None, "derived")
    return _reorder(out)


def _words_over_figure(out: dict[str, FieldValue], rate: Decimal | None) -> dict[str, FieldValue]:
    """A 小写 figure that disagrees with the 大写 words, where the amount and the single tax rate
    agree with the words: the figure was read off a neighbouring row (a 合计 value printed low,
    beside "(小写)"). The words' amount wins; the figure is kept as the losing reading."""
    amount, total = parse_money(out["amount"].value), parse_money(out["total"].value)
    words = out["total_in_words"]
    spelled = words_to_amount(words.value) if words.value else None
    if None in (amount, total, spelled, rate) or spelled == total:
        return out
    if abs(amount * (1 + rate) - spelled) > Decimal("0.05"):
        return out
    conf = min(words.confidence, out["amount"].confidence) * DERIVED_PENALTY
    lost = out["total"].alternatives + ((out["total"].source or "ocr", out["total"].value),)
    out["total"] = FieldValue(f"{spelled:.2f}", conf, words.box, "derived", review=True, alternatives=lost)
    return out


def _reorder(out: dict[str, FieldValue]) -> dict[str, FieldValue]:
    """A lone 合计 value read as the amount was really the tax (tax is at most 17 % of the
    amount): once the other is derived the pair comes out reversed, so swap them back."""
    amount, tax = parse_money(out["amount"].value), parse_money(out["tax"].value)
    derived = "derived" in (out["amount"].source, out["tax"].source)
    if derived and amount is not None and tax is not None and tax > amount > 0:
        out["amount"], out["tax"] = out["tax"], out["amount"]
    return out
