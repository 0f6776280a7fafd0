"""统一社会信用代码 (GB 32100-2015) and its embedded organisation code (GB 11714) check digits."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# The lengths a taxpayer ID is printed in: the 18-character USCC, 15-digit legacy IDs, 17 and 20
# characters for individuals and tax offices. A run of 16 or 19 digits is a bank account.
LENGTHS = (15, 17, 18, 20)
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def check_char(first17: str) -> str:
    """The 18th character for the first 17. Raises ValueError on characters outside the alphabet."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    if len(code) != 18 or any(c not in ALPHABET for c in code):
        return False
    return check_char(code[:17]) == code[17]


def org_check_char(first8: str) -> str:
    """GB 11714 check character of an organisation code (chars 9–17 of a USCC)."""
    total = sum(_org_value(c) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def _org_value(c: str) -> int:
    if c.isdigit():
        return int(c)
    return ord(c) - ord("A") + 10
