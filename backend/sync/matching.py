"""Match an invoice to the authority's rows: the exact key first, then near misses.

A near miss is a row whose key is one small slip away from ours — a confusable digit (0/8/6/9,
1/7, 5/6, 2/7, 3/8), any single digit, or two neighbours swapped — ranked by how plausible the slip
is and by how well the other fields (date, amount, total) agree. The differing characters are the
evidence shown to the person who accepts the correction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

CONFUSION_GROUPS = ("0869", "17", "56", "27", "38")
_CONFUSABLE = {(a, b) for g in CONFUSION_GROUPS for a in g for b in g if a != b}
DIGITS = "0123456789"

# How plausible each slip is, before the other fields are compared.
KIND_WEIGHT = {"confusion": 0.9, "transposition": 0.8, "one_edit": 0.6}


def confusable(a: str, b: str) -> bool:
    return (a, b) in _CONFUSABLE


def invoice_key(code: str | None, number: str | None) -> str | None:
    """`code-number` for the older families, the bare 20-digit number for 数电 (no code)."""
    number = (number or "").strip()
    code = (code or "").strip()
    if not number:
        return None
    return f"{code}-{number}" if code else number


def split_key(key: str) -> tuple[str | None, str]:
    code, _, number = key.rpartition("-")
    return (code or None), number


@dataclass(frozen=True)
class CharDiff:
    field: str
    position: int  # 0-based
    ours: str
    theirs: str

    def as_dict(self) -> dict:
        return {"field": self.field, "position": self.position, "ours": self.ours, "theirs": self.theirs}


@dataclass(frozen=True)
class Variant:
    key: str
    kind: str  # confusion | transposition | one_edit
    diffs: tuple[CharDiff, ...]


# A slip: (the key with it, field, kind, position, the field's text as read). Plain tuples: a key has ~200
# of them, looked up at once, and only the few that hit a row become a Variant with its CharDiffs.
Slip = tuple[str, str, str, int, str]


def _text_slips(text: str) -> Iterator[tuple[str, str, int]]:
    for i, ch in enumerate(text):
        head, tail = text[:i], text[i + 1:]
        for d in DIGITS:
            if d != ch:
                yield head + d + tail, "confusion" if (ch, d) in _CONFUSABLE else "one_edit", i
    for i in range(len(text) - 1):
        a, b = text[i], text[i + 1]
        if a != b:
            yield text[:i] + b + a + text[i + 2:], "transposition", i


def slips(key: str) -> list[Slip]:
    """Every key one slip away from `key` (in the number, or in the code)."""
    code, number = split_key(key)
    out = [(invoice_key(code, t), "invoice_number", kind, i, number) for t, kind, i in _text_slips(number)]
    if code:
        out += [(invoice_key(t, number), "invoice_code", kind, i, code) for t, kind, i in _text_slips(code)]
    return out


def _variant(slip: Slip) -> Variant:
    key, field, kind, i, text = slip
    slipped = split_key(key)[1 if field == "invoice_number" else 0]
    if kind == "transposition":
        diffs = (CharDiff(field, i, text[i], text[i + 1]), CharDiff(field, i + 1, text[i + 1], text[i]))
    else:
        diffs = (CharDiff(field, i, text[i], slipped[i]),)
    return Variant(key, kind, diffs)


def variants(key: str) -> Iterator[Variant]:
    """Every key one slip away from `key`, with what differs."""
    return (_variant(s) for s in slips(key))


@dataclass(frozen=True)
class Difference:
    field: str
    ours: str | None
    theirs: str | None
    kind: str  # differs | date_off_by_one | pre_tax_vs_total | tail_differs

    def as_dict(self) -> dict:
        return {"field": self.field, "ours": self.ours, "theirs": self.theirs, "kind": self.kind}


def money(value) -> Decimal | None:
    try:
        return Decimal(str(value).replace(",", "").replace("¥", "").strip()) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def differences(ours: Mapping, theirs: Mapping) -> tuple[Difference, ...]:
    """Field comparison of our reading with the authority's row; fields we lack are not compared."""
    out: list[Difference] = []
    a, b = _date(ours.get("issue_date")), _date(theirs.get("issue_date"))
    if a and b and a != b:
        kind = "date_off_by_one" if abs((a - b).days) == 1 else "differs"
        out.append(Difference("issue_date", str(a), str(b), kind))
    for name in ("amount", "total"):
        mine, real = money(ours.get(name)), money(theirs.get(name))
        if mine is None or real is None or mine == real:
            continue
        other = "total" if name == "amount" else "amount"
        swapped = money(theirs.get(other)) == mine
        out.append(Difference(name, str(mine), str(real), "pre_tax_vs_total" if swapped else "differs"))
    mine, real = (ours.get("check_code") or "")[-6:], (theirs.get("check_code") or "")[-6:]
    if mine and real and mine != real:
        out.append(Difference("check_code", mine, real, "tail_differs"))
    mine, real = ours.get("buyer_tax_id"), theirs.get("buyer_tax_id")
    if mine and real and mine.upper() != real.upper():
        out.append(Difference("buyer_tax_id", mine, real, "differs"))
    return tuple(out)


@dataclass(frozen=True)
class NearMiss:
    key: str
    kind: str
    score: float  # 0..1, higher is more likely the invoice we hold
    diffs: tuple[CharDiff, ...]
    differences: tuple[Difference, ...]  # the other fields, compared
    row: Mapping

    def as_dict(self) -> dict:
        return {"key": self.key, "kind": self.kind, "score": round(self.score, 3),
                "diffs": [d.as_dict() for d in self.diffs],
                "differences": [d.as_dict() for d in self.differences],
                "fields": {k: self.row.get(k) for k in ("invoice_code", "invoice_number", "issue_date", "amount",
                                                         "total", "seller_name", "buyer_tax_id")}}


# Lookup: the rows that exist for any of these keys (a dict lookup or one `WHERE key IN` query).
Lookup = Callable[[list[str]], Mapping[str, Mapping]]


def near_misses(key: str, ours: Mapping, lookup: Lookup, limit: int = 5,
                rows: Mapping[str, Mapping] | None = None, found: list[Slip] | None = None) -> list[NearMiss]:
    """Rows one slip away from `key`, best first. Exact matches are not near misses.
    `rows`, `found`: the look-up of every slip already made, and those slips (match asks for the key and its
    slips at once)."""
    found = slips(key) if found is None else found
    rows = lookup([s[0] for s in found]) if rows is None else rows
    out = []
    for slip in found:
        row = rows.get(slip[0])
        if row is None:
            continue
        v = _variant(slip)
        diffs = differences(ours, row)
        out.append(NearMiss(v.key, v.kind, _score(v.kind, diffs, ours, row), v.diffs, diffs, row))
    out.sort(key=lambda m: (-m.score, m.key))
    return out[:limit]


def _score(kind: str, diffs: tuple[Difference, ...], ours: Mapping, row: Mapping) -> float:
    """A slip in the key is believable when the rest of the invoice agrees."""
    score = KIND_WEIGHT[kind]
    compared = sum(1 for n in ("issue_date", "amount", "total") if ours.get(n) and row.get(n))
    for d in diffs:
        score *= {"date_off_by_one": 0.7, "pre_tax_vs_total": 0.8, "tail_differs": 0.6}.get(d.kind, 0.35)
    if compared == 0:
        score *= 0.5  # nothing else to go on
    return score


@dataclass(frozen=True)
class Match:
    """How one invoice stands against a ledger: exact (maybe with differences) or near misses."""

    key: str | None
    exact: Mapping | None
    differences: tuple[Difference, ...]
    near: tuple[NearMiss, ...]


def match(ours: Mapping, lookup: Lookup, limit: int = 5) -> Match:
    """The exact key always wins; near misses are searched only when it is absent."""
    key = invoice_key(ours.get("invoice_code"), ours.get("invoice_number"))
    if key is None:
        return Match(None, None, (), ())
    found = slips(key)
    rows = lookup([key, *(s[0] for s in found)])  # one query, not two: the key is usually absent
    exact = rows.get(key)
    if exact is not None:
        return Match(key, exact, differences(ours, exact), ())
    return Match(key, None, (), tuple(near_misses(key, ours, lookup, limit, rows, found)))
