"""价税合计（大写）: amounts in Chinese financial numerals, both ways, compared by value."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ("", "拾", "佰", "仟")
_SECTIONS = ("", "万", "亿", "万亿")
_VARIANTS = str.maketrans({"元": "圆", "两": "贰", "〇": "零", "参": "叁", "陸": "陆", "億": "亿", "萬": "万"})


def amount_to_words(amount: Decimal) -> str:
    """Canonical form: 圆, 整 when there are no fen, 零 where a place is skipped (as printers do)."""
    if amount < 0:
        return "负" + amount_to_words(-amount)
    fen_total = int((amount * 100).quantize(Decimal(1)))
    yuan, fen = divmod(fen_total, 100)
    jiao, fen = divmod(fen, 10)
    text = (_integer_words(yuan) + "圆") if yuan else ""
    if jiao:
        text += DIGITS[jiao] + "角"
    elif fen and yuan:
        text += "零"
    if fen:
        text += DIGITS[fen] + "分"
    return text + ("" if fen else "整") if text else "零圆整"


def _integer_words(n: int) -> str:
    sections = []
    while n:
        n, chunk = divmod(n, 10000)
        sections.append(chunk)
    out = ""
    skipped = False
    for i in range(len(sections) - 1, -1, -1):
        chunk = sections[i]
        if chunk == 0:
            skipped = bool(out)
            continue
        # A skipped place between sections is read as 零: 壹拾万零叁佰, 壹亿零壹.
        if out and (skipped or chunk < 1000):
            out += "零"
        out += _chunk_words(chunk) + _SECTIONS[i]
        skipped = False
    return out or "零"


def _chunk_words(chunk: int) -> str:
    out = ""
    zero = False
    for pos in range(3, -1, -1):
        d = (chunk // 10**pos) % 10
        if d:
            if zero and out:
                out += "零"
            out += DIGITS[d] + _UNITS[pos]
            zero = False
        else:
            zero = True
    return out


def words_to_amount(text: str) -> Decimal | None:
    """Parse an amount in words; None when it is not one. Tolerates 元/圆, missing 整, stray marks."""
    s = re.sub(r"[\s⊗ⓧ⊕×（）()大写:：]", "", text).translate(_VARIANTS)
    negative = s.startswith("负")
    s = s.lstrip("负")
    if not s or any(c not in DIGITS + "拾佰仟万亿圆角分整正" for c in s):
        return None
    yuan_part, has_yuan, rest = s.partition("圆")
    if not has_yuan:
        if "角" not in s and "分" not in s:
            return None
        yuan_part, rest = "", s
    try:
        yuan = _parse_integer(yuan_part) if yuan_part else 0
        jiao = _digit_before(rest, "角")
        fen = _digit_before(rest, "分")
    except (ValueError, IndexError):
        return None
    value = Decimal(yuan) + Decimal(jiao) / 10 + Decimal(fen) / 100
    return -value if negative else value


def _digit_before(text: str, unit: str) -> int:
    i = text.find(unit)
    if i <= 0:
        return 0
    return DIGITS.index(text[i - 1])


def _parse_integer(text: str) -> int:
    total, section, digit = 0, 0, 0
    for c in text:
        if c in DIGITS:
            digit = DIGITS.index(c)
        elif c in "拾佰仟":
            section += (digit or (1 if c == "拾" else 0)) * 10 ** ("拾佰仟".index(c) + 1)
            digit = 0
        elif c == "万":
            total += (section + digit) * 10_000
            section = digit = 0
        elif c == "亿":
            total = (total + section + digit) * 100_000_000
            section = digit = 0
        else:
            raise ValueError(c)
    return total + section + digit


def parse_money(text: str | None) -> Decimal | None:
    """'¥1,234.50' / '1234.5' → Decimal('1234.50'); None when it is not an amount."""
    if text is None:
        return None
    s = re.sub(r"[¥￥,，\s]", "", text)
    try:
        value = Decimal(s)
        return value.quantize(Decimal("0.01")) if value.is_finite() else None  # "NaN" is no amount
    except (InvalidOperation, ValueError):
        return None
