"""Field validation: one pure module, used by the reader and by the UI's live hints (via the API).

Every rule has a stable key (translated as `validation.<key>` in backend/i18n) and a severity:
`error` means the reading is surely wrong somewhere; `warning` is soft (real invoices break it
sometimes: legacy tax IDs, registered codes that fail the check digit) and never rejects.
A few errors say a value cannot be what its field holds at all (`REFUSED`): a person's correction
with one is refused, not stored; the others (a sum that does not add up) may be one step of several.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from . import uscc
from .codes import DIGITAL, NO_CHECK_CODE, VAT_FAMILIES, Family, region_of
from .words import parse_money, words_to_amount

Fields = Mapping[str, str | None]
# Current rates, and 17/16/11/10 % that older invoices (before 2019) still carry.
TAX_RATES = (Decimal("0.13"), Decimal("0.09"), Decimal("0.06"), Decimal("0.05"), Decimal("0.03"), Decimal("0.17"),
             Decimal("0.16"), Decimal("0.11"), Decimal("0.10"),
             Decimal("0.01"), Decimal("0"))
CENT = Decimal("0.01")
MONEY_FIELDS = ("amount", "tax", "total")
# Findings that no real invoice has: a correction that makes one is refused (services/corrections.py).
REFUSED = frozenset({"amount_format", "tax_id_format", "date_format"})


@dataclass(frozen=True)
class Finding:
    key: str
    severity: str  # "error" | "warning"
    fields: tuple[str, ...]
    params: dict = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        return self.key in REFUSED

    def as_dict(self) -> dict:
        return {"key": self.key, "severity": self.severity, "fields": list(self.fields), "params": self.params}


Rule = Callable[[Fields, Family, dt.date], list[Finding]]


def _err(key, *fields, **params) -> list[Finding]:
    return [Finding(key, "error", fields, params)]


def _warn(key, *fields, **params) -> list[Finding]:
    return [Finding(key, "warning", fields, params)]


def rule_code_format(f: Fields, fam: Family, today: dt.date) -> list[Finding]:
    code = f.get("invoice_code")
    if fam in DIGITAL:
        return _err("code_not_expected", "invoice_code") if code else []
    if fam in VAT_FAMILIES and (code is None or not re.fullmatch(r"\d{10}|\d{12}", code)):
        return _err("code_format", "invoice_code")
    return []


def rule_number_format(f: Fields, fam: Family, today: dt.date) -> list[Finding]:
    number = f.get("invoice_number")
    if fam in DIGITAL:
        ok = number is not None and re.fullmatch(r"\d{20}", number)
        return [] if ok else _err("number_format", "invoice_number", digits=20)
    if fam in VAT_FAMILIES:
        ok = number is not None and re.fullmatch(r"\d{8}", number)
        return [] if ok else _err("number_format", "invoice_number", digits=8)
    return []


def rule_region(f: Fields, fam: Family, today: dt.date) -> list[Finding]:
    if fam not in VAT_FAMILIES:
        return []
    code, number = f.get("invoice_code"), f.get("invoice_number")
    if code and re.fullmatch(r"\d{10}|\d{12}", code) and region_of(code) is None:
        return _warn("region_unknown", "invoice_code")
    if not code and number and re.fullmatch(r"\d{20}", number) and region_of(None, number) is None:
        return _warn("region_unknown", "invoice_number")
    return []


def rule_date(f: Fields, fam: Family, today: dt.date) -> list[Finding]:
    raw = f.get("issue_date")
    if raw is None:
        return _err("date_missing", "issue_date") if fam in VAT_FAMILIES else []
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        return _err("date_format", "issue_date")
    if day > today:
        return _err("date_future", "issue_date", date=raw)
    return []


def rule_check_code(f: Fields, fam: Family, today: dt.date) -> list[Finding]:
    cc = f.get("check_code")
    if fam in NO_CHECK_CODE or fam not in VAT_FAMILIES:
        return []
    if cc is None or not re.fullmatch(r"\d{20}", cc):
        return _err("check_code_format", "check_code", digits=20)
    return []


def tax_id_findings(name: str, value: str | None) -> list[Finding]:
    """A taxpayer ID: an 18-character USCC (its check digit a soft rule), a legacy 15/17/20-character ID
    (soft), or none at all. Buyer entities are held to it too (services/entities.py)."""
    if not value:
        return []
    if len(value) == 18 and all(c in uscc.ALPHABET for c in value):
        return [] if uscc.is_valid(value) else _warn("uscc_check_digit", name, expected=uscc.check_char(value[:17]))
    if re.fullmatch(r"[0-9A-Z]{15}|[0-9A-Z]{17}|[0-9A-Z]{20}", value):
        return _warn("tax_id_legacy", name, length=len(value))
    return _err("tax_id_format", name)


def rule_tax_ids(f: Fields, fam: Family, today: dt.date) -> list[Finding]:
    return [x for name in ("buyer_tax_id", "seller_tax_id") for x in tax_id_findings(name, f.get(name))]


def rule_money_format(f: Fields, fam: Family, today: dt.date) -> list[Finding]:
    """An amount that is there but is no number ("abc"): every sum rule skips it, so say it here."""
    return [x for name in MONEY_FIELDS if f.get(name) and parse_money(f.get(name)) is None
            for x in _err("amount_format", name)]


def rule_sum(f: Fields, fam: Family, today: dt.date) -> list[Finding]:
    amount, tax, total = (parse_money(f.get(k)) for k in MONEY_FIELDS)
    if amount is None or tax is None or total is None:
        return []
    if amount + tax != total:
        return _err("sum_mismatch", "amount", "tax", "total", expected=str(amount + tax))
    return []


def rule_tax_rate(f: Fields, fam: Family, today: dt.date) -> list[Finding]:
    amount, tax = parse_money(f.get("amount")), parse_money(f.get("tax"))
    if amount is None or tax is None or amount == 0:
        return []
    # Each line item is rounded to the fen, so allow one fen per ~100 yuan of rounding drift.
    slack = max(Decimal("0.06"), (abs(amount) * Decimal("0.0005")).quantize(CENT))
    if any(abs(amount * r - tax) <= slack for r in TAX_RATES):
        return []
    return _warn("tax_rate_unusual", "tax", rate=f"{(tax / amount * 100).quantize(Decimal('0.1'))}%")


def rule_words(f: Fields, fam: Family, today: dt.date) -> list[Finding]:
    words, total = f.get("total_in_words"), parse_money(f.get("total"))
    if not words or total is None:
        return []
    value = words_to_amount(words)
    if value is None:
        return _err("words_unreadable", "total_in_words")
    if value != total:
        return _err("words_mismatch", "total_in_words", "total", words_value=str(value))
    return []


RULES: tuple[Rule, ...] = (rule_code_format, rule_number_format, rule_region, rule_date, rule_check_code,
                           rule_tax_ids, rule_money_format, rule_sum, rule_tax_rate, rule_words)


def validate(fields: Fields, family: Family, today: dt.date) -> list[Finding]:
    out: list[Finding] = []
    for rule in RULES:
        out += rule(fields, family, today)
    return out
