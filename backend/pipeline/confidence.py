"""Stage: what each field's confidence means — built from evidence that holds on any invoice.

The reading says how sure it is of its characters: OCR, the recogniser's probability for the
value's weakest character (a line's mean hides one digit at 0.6 among twenty at 0.999); a text
layer's characters are exact, but which text was taken is still a choice (TEXT_LAYER). How the
value was found caps it: right after its label is the strongest, position alone the weakest.

Then the checks. Independent agreement lifts a value: the QR or the embedded XML (crosscheck),
the code and number printed twice, 金额 + 税额 = 价税合计 read separately, 大写 = 小写, a USCC whose
check digit holds, a code whose region and year digits fit the date, a 数电 number whose year and
province digits fit. A value failing a hard structure check never ends above HARD_FAIL (below the
review line): 10/12-digit code (a VAT one's 12 digits led by 0), 8/20-digit number, a real date
not in the future, a 20-digit 校验码, an 18-character USCC with its check digit, the sums and the
words.

The constants are round numbers chosen on the dev set (in-sample; bench.accuracy prints the
reliability table they give); the checks are the invoice rules, not fitted.

Last, where the field tagger runs (Engines.tagger): a value whose line the tagger reads as
another field, or as no field, stays under the review line (`tagged`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal

from ..validate import uscc
from ..validate.codes import DIGITAL, VAT_FAMILIES, Family, region_of
from ..validate.words import parse_money, words_to_amount
from .types import REVIEW_BELOW, FieldValue, TextLine

TEXT_LAYER = 0.98  # exact characters, label found: what can be wrong is which text was taken
FOUND = {"inline": 1.0, "row": 1.0, "below": 0.95, "loose": 0.9, "position": 0.88}
# Paper forms print the code top-left with no label at all: there, position is the family's rule
# (and the code's region and year digits are checked against the date).
POSITION_CODE = 0.95
AGREES = 0.99  # two independent readings agree (printed twice, sums, words, check digit)
HARD_FAIL = 0.85  # never above this when a hard structure check fails
MAX_RATE = Decimal("0.17")
# The field tagger (pipeline/tagger.py) on the value's line: at most this for the field, and the
# value stays under the review line — the rules took a line the tagger reads as something else.
TAGGER_AGAINST = 0.05
TAGGER_AGREES = 0.5  # at least this: said in the evidence, no lift (the rules saw the same line)
TAGGED = ("ocr",)  # the readings it is asked about
# Whose tax ID it is stays the rules' call (the blocks, the party labels): the tagger is only
# asked whether the line is a tax ID — on generated pages it mixed the parties' tax IDs up. Names
# it tells apart (a buyer's name taken from the seller's block is what it catches most).
PARTIES = {"buyer_tax_id": "seller_tax_id", "seller_tax_id": "buyer_tax_id"}
assert HARD_FAIL < REVIEW_BELOW

Fields = dict[str, FieldValue]


def reading(fields: Fields) -> Fields:
    """Each value's confidence from its reading, capped by how it was found (before any check)."""
    return {k: _reading(v) for k, v in fields.items()}


def checks(fields: Fields, family: Family, today: dt.date, rate: Decimal | None = None) -> Fields:
    """Agreements lift, failed hard checks cap: see the module docstring. `rate`: the one tax rate
    the goods table prints, if any."""
    out = dict(fields)
    relations = _agreements(out)
    for names, ok, confirms in relations:
        for name in names if ok and confirms else ():
            out[name] = _lift(out[name], "agrees:" + "+".join(names))
    if _rate_holds(out, rate):
        # 税额 = 金额 × the printed rate: a tax derived as 价税合计 − 金额 confirms both readings.
        for name in ("amount", "tax", "total"):
            out[name] = _lift(out[name], "agrees:rate", derived_too=True)
    code = out.get("invoice_code")
    if code is not None and "how:position" in code.evidence and _date(out) is None:
        out["invoice_code"] = replace(code, confidence=min(code.confidence, FOUND["position"]))
    for name in ("buyer_tax_id", "seller_tax_id"):
        fv = out.get(name)
        # An OCR slip in a USCC keeps its check digit valid one time in 31.
        if fv is not None and fv.value and len(fv.value) == 18 and uscc.is_valid(fv.value):
            out[name] = _lift(fv, "check_digit")
    failed = [(name, why) for name, check in CHECKS.items() if name in out and out[name].value is not None
              and (why := check(out[name].value, out, family, today))]
    failed += [(name, "+".join(names)) for names, ok, _ in relations if not ok for name in names]
    for name, why in failed:
        fv = out[name]
        out[name] = replace(fv, confidence=min(fv.confidence, HARD_FAIL), evidence=fv.evidence + (f"fails:{why}",))
    return out


def tagged(fields: Fields, lines: Sequence[TextLine], probs, classes: Sequence[str]) -> Fields:
    """The tagger's word on each value read by OCR off a line and confirmed by nothing else (no QR,
    no XML, no sum, no check digit, not printed twice): strongly against caps it at HARD_FAIL; for
    says so. Text layers are not asked: the tagger learnt from photos, and a PDF's text runs are
    cut otherwise (on the dev set's PDFs and OFDs it was against right values only)."""
    at = {ln.box: k for k, ln in reversed(list(enumerate(lines)))}
    out = dict(fields)
    for name, fv in fields.items():
        k = at.get(fv.box) if fv.box is not None else None
        if fv.value is None or k is None or fv.source not in TAGGED or name not in classes or _confirmed(fv):
            continue
        p = sum(float(probs[k][classes.index(n)]) for n in {name, PARTIES.get(name, name)})
        if p <= TAGGER_AGAINST:
            instead = classes[int(probs[k].argmax())]
            out[name] = replace(fv, confidence=min(fv.confidence, HARD_FAIL),
                                evidence=fv.evidence + (f"tagger:against:{instead}",))
        elif p >= TAGGER_AGREES:
            out[name] = replace(fv, evidence=fv.evidence + ("tagger:agrees",))
    return out


def _confirmed(fv: FieldValue) -> bool:
    return any(e.startswith(("agrees:", "check_digit", "printed_twice")) for e in fv.evidence)


def _reading(fv: FieldValue) -> FieldValue:
    """The reading's own confidence, capped by how the value was found."""
    if fv.value is None:
        return fv
    conf = TEXT_LAYER if fv.source == "text_layer" else fv.confidence
    how = next((e.split(":", 1)[1] for e in fv.evidence if e.startswith("how:")), None)
    conf = min(conf, POSITION_CODE if how == "position" and "label:" not in " ".join(fv.evidence)
               and _looks_like_code(fv.value) else FOUND.get(how, 1.0))
    if "printed_twice" in fv.evidence:
        conf = max(conf, AGREES)
    return replace(fv, confidence=conf)


def _looks_like_code(value: str) -> bool:
    return bool(re.fullmatch(r"\d{10}|\d{12}", value))


def _rate_holds(f: Fields, rate: Decimal | None) -> bool:
    amount, tax = parse_money(f["amount"].value), parse_money(f["tax"].value)
    if rate is None or amount is None or tax is None or amount <= 0:
        return False
    slack = max(Decimal("0.06"), abs(amount) * Decimal("0.0005"))  # line items round to the fen
    return abs(amount * rate - tax) <= slack


def _lift(fv: FieldValue, why: str, derived_too: bool = False) -> FieldValue:
    if fv.value is None or ("derived" in (fv.source or "") and not derived_too):
        return fv
    return replace(fv, confidence=max(fv.confidence, AGREES), evidence=fv.evidence + (why,))


def _agreements(f: Fields) -> list[tuple[tuple[str, ...], bool, bool]]:
    """Relations between fields read separately: (the fields, whether they hold, whether holding
    confirms them — a sum does, a tax under 17 % of the amount only rules out a misplaced one)."""
    out = []
    amount, tax, total = (parse_money(f[k].value) if k in f else None for k in ("amount", "tax", "total"))
    if None not in (amount, tax, total) and not _derived(f, "amount", "tax", "total"):
        out.append((("amount", "tax", "total"), amount + tax == total, True))
    if amount is not None and tax is not None:
        # No rate is above 17 %: a larger tax is a value read off another row (derived or not).
        out.append((("amount", "tax"), abs(tax) <= abs(amount) * MAX_RATE + Decimal("0.01"), False))
    words = f.get("total_in_words")
    if words and words.value and total is not None and not _derived(f, "total", "total_in_words"):
        out.append((("total", "total_in_words"), words_to_amount(words.value) == total, True))
    return out


def _derived(f: Fields, *names: str) -> bool:
    return any("derived" in (f[n].source or "") for n in names if n in f)


# -- hard structure checks: each returns why it fails, or None -----------------------------------------
def _date(f: Fields) -> dt.date | None:
    try:
        return dt.date.fromisoformat(f["issue_date"].value or "")
    except ValueError:
        return None


def _code(value: str, f: Fields, family: Family, today: dt.date) -> str | None:
    if not re.fullmatch(r"\d{10}|\d{12}", value):
        return "code_digits"
    if len(value) == 12 and value[0] != "0" and family in VAT_FAMILIES:
        # A VAT invoice's 12-digit code starts with 0 (a taxi roll's 通用机打 code with 1); the
        # tax machine's 12-digit 机器编号 printed near it need not.
        return "code_lead"
    if region_of(value) is None:
        return "code_region"
    year = int(value[4:6] if len(value) == 10 else value[5:7])
    issued = _date(f)
    if issued is not None and not 0 <= issued.year - (2000 + year) <= 8:
        return "code_year"  # the form is printed before it is issued, and used within a few years
    return None


def _number(value: str, f: Fields, family: Family, today: dt.date) -> str | None:
    if family == Family.TRAIN and re.fullmatch(r"[A-Z]\d{6}", value):
        return None
    if not re.fullmatch(r"\d{8}|\d{20}", value):
        return "number_digits"
    if len(value) == 20:
        issued = _date(f)
        if issued is not None and value[:2] != f"{issued.year % 100:02d}":
            return "number_year"
        if region_of(None, value) is None:
            return "number_region"
    elif family in DIGITAL:
        return "number_digits"
    return None


def _issue_date(value: str, f: Fields, family: Family, today: dt.date) -> str | None:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return "date"
    return "date_future" if day > today or day.year < 1990 else None


def _check_code(value: str, f: Fields, family: Family, today: dt.date) -> str | None:
    return None if re.fullmatch(r"\d{20}", value) else "check_code_digits"


def _tax_id(value: str, f: Fields, family: Family, today: dt.date) -> str | None:
    if len(value) == 18 and all(c in uscc.ALPHABET for c in value):
        return None if uscc.is_valid(value) else "uscc_check_digit"
    return None if re.fullmatch(r"[0-9A-Z]{15}|[0-9A-Z]{17}|[0-9A-Z]{20}", value) else "tax_id_format"


def _money(value: str, f: Fields, family: Family, today: dt.date) -> str | None:
    return None if parse_money(value) is not None else "money"


def _words(value: str, f: Fields, family: Family, today: dt.date) -> str | None:
    return None if words_to_amount(value) is not None else "words"


CHECKS: dict[str, Callable[[str, Fields, Family, dt.date], str | None]] = {
    "invoice_code": _code, "invoice_number": _number, "issue_date": _issue_date, "check_code": _check_code,
    "buyer_tax_id": _tax_id, "seller_tax_id": _tax_id, "amount": _money, "tax": _money, "total": _money,
    "total_in_words": _words,
}
