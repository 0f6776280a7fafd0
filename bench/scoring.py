"""The scoring that counts: the same rules as ../shared/tools/score.py, field for field.

score.py is the measure the project is judged by (strict: tickets and 数电 files count, and a label
with `?` counts on its readable characters at the same length). The bench scores with these
functions, and tests/test_accuracy_bench.py checks that `summary` gives what score.py prints on the
same predictions. Kept here rather than imported so that the bench also runs on sets stored
without the tool.

On top of score.py's summary: breakdowns per family and per physical invoice, and a reliability
table (confidence bin → observed accuracy).
"""

from __future__ import annotations

import collections
import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

FIELDS = ("invoice_code", "invoice_number", "issue_date", "check_code", "buyer_name", "buyer_tax_id",
          "seller_name", "seller_tax_id", "amount", "tax", "total", "total_in_words")
FIVE = ("invoice_code", "invoice_number", "issue_date", "total", "check_code")
CONFIDENT = 0.9
_DIGITS = dict(zip("零壹贰叁肆伍陆柒捌玖", range(10), strict=True))
_UNITS = {"拾": 10, "佰": 100, "仟": 1000}
_MONEY_FIELDS = ("amount", "tax", "total", "total_in_words")
_UPPER = ("buyer_tax_id", "seller_tax_id", "invoice_code", "invoice_number", "check_code")


def words_value(s: str) -> Decimal:
    s = s.replace("元", "圆").replace("整", "").replace("正", "").replace("⊗", "").replace("ⓧ", "")
    s = re.sub(r"\s", "", s)
    m = re.match(r"^(.*?)圆(.*)$", s)
    yuan, frac = (m.group(1), m.group(2)) if m else ("", s)

    def integer(part: str) -> int:
        val = section = num = 0
        for ch in part:
            if ch in _DIGITS:
                num = _DIGITS[ch]
            elif ch in _UNITS:
                section += (num or 1) * _UNITS[ch]
                num = 0
            elif ch == "万":
                val += (section + num) * 10000
                section = num = 0
            elif ch == "亿":
                val = (val + section + num) * 10**8
                section = num = 0
        return val + section + num

    total = Decimal(integer(yuan))
    jm, fm = re.search(r"(.)角", frac), re.search(r"(.)分", frac)
    if jm and jm.group(1) in _DIGITS:
        total += Decimal(_DIGITS[jm.group(1)]) / 10
    if fm and fm.group(1) in _DIGITS:
        total += Decimal(_DIGITS[fm.group(1)]) / 100
    return total


def value_of(pred) -> object:
    return pred.get("value") if isinstance(pred, dict) else pred


def confidence_of(pred) -> float | None:
    return pred.get("confidence") if isinstance(pred, dict) else None


def norm(field: str, v) -> str | None:
    v = value_of(v)
    if v is None:
        return None
    s = unicodedata.normalize("NFKC", str(v)).strip()
    if field in ("amount", "tax", "total"):
        s = s.replace(",", "").replace("¥", "").replace("￥", "").strip()
        try:
            return str(Decimal(s).quantize(Decimal("0.01")))
        except InvalidOperation:
            return s
    if field == "total_in_words":
        try:
            return str(words_value(s).quantize(Decimal("0.01")))
        except Exception:  # noqa: BLE001 - as score.py: anything unparsable compares as text
            return s
    if field == "issue_date":
        m = re.match(r"(\d{4})\D*(\d{1,2})\D*(\d{1,2})", s)
        return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else s
    s = re.sub(r"\s", "", s)
    return s.upper() if field in _UPPER else s


def match(field: str, gold, pred) -> bool:
    g, p = norm(field, gold), norm(field, pred)
    if p is None:
        return False
    if "?" in str(gold) and field not in _MONEY_FIELDS:
        g = re.sub(r"\s", "", unicodedata.normalize("NFKC", str(gold))).upper()
        return len(g) == len(p) and all(a == "?" or a == b for a, b in zip(g, p, strict=False))
    return g == p


def kind_group(label: Mapping) -> str:
    return label["kind"] if label["kind"] in ("pdf", "ofd") else "image"


def outcomes(labels: Iterable[Mapping], preds: Mapping[str, Mapping]):
    """(label, field, ok, confidence, predicted value) for every scored field: those whose label
    is not null. `preds` maps a file's base name to its prediction object."""
    for lab in labels:
        pf = (preds.get(lab["file"]) or {}).get("fields") or {}
        for f in FIELDS:
            gold = lab["fields"].get(f)
            if gold is None:
                continue
            yield lab, f, match(f, gold, pf.get(f)), confidence_of(pf.get(f)), value_of(pf.get(f))


def summary(labels: list[Mapping], preds: Mapping[str, Mapping]) -> dict:
    """What score.py --json prints."""
    per, tot, hi, hi_wrong = (collections.Counter() for _ in range(4))
    fam: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for lab, f, ok, conf, _ in outcomes(labels, preds):
        tot[f] += 1
        per[f] += ok
        fam[kind_group(lab)]["n"] += 1
        fam[kind_group(lab)]["ok"] += ok
        if conf is not None and conf >= CONFIDENT:
            hi[f] += 1
            hi_wrong[f] += not ok
    five_n, five_ok = sum(tot[f] for f in FIVE), sum(per[f] for f in FIVE)
    all_n, all_ok = sum(tot.values()), sum(per.values())
    return {"files": len(labels), "predicted": sum(1 for lab in labels if lab["file"] in preds),
            "five_elements": round(five_ok / max(five_n, 1), 4), "all_fields": round(all_ok / max(all_n, 1), 4),
            "per_field": {f: f"{per[f]}/{tot[f]}" for f in FIELDS},
            "by_kind": {k: f"{v['ok']}/{v['n']}" for k, v in fam.items()},
            "high_conf_wrong": f"{sum(hi_wrong.values())}/{sum(hi.values())}"}


def breakdown(labels: list[Mapping], preds: Mapping[str, Mapping], key) -> dict[str, dict]:
    """Five elements and all fields per group of files (`key(label)` names the group)."""
    groups: dict[str, list] = collections.defaultdict(lambda: [0, 0, 0, 0, 0, 0, set()])
    for lab, f, ok, conf, _ in outcomes(labels, preds):
        g = groups[key(lab)]
        g[0] += ok
        g[1] += 1
        if f in FIVE:
            g[2] += ok
            g[3] += 1
        if conf is not None and conf >= CONFIDENT:
            g[4] += not ok
            g[5] += 1
        g[6].add(lab["file"])
    return {k: {"files": len(g[6]), "all": (g[0], g[1]), "five": (g[2], g[3]), "confident_wrong": (g[4], g[5])}
            for k, g in sorted(groups.items())}


BINS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 1.0001)


def reliability(labels: list[Mapping], preds: Mapping[str, Mapping]) -> list[tuple[str, int, int]]:
    """(confidence bin, fields reported in it, right among them) over every reported value."""
    counts = [[0, 0] for _ in BINS[:-1]]
    for _, _, ok, conf, value in outcomes(labels, preds):
        if value is None or conf is None:
            continue
        i = next(k for k in range(len(BINS) - 1) if conf < BINS[k + 1])
        counts[i][0] += 1
        counts[i][1] += ok
    return [(f"[{lo:.2f}, {min(hi, 1.0):.2f}{']' if hi > 1 else ')'}", n, ok)
            for (lo, hi), (n, ok) in zip(zip(BINS, BINS[1:], strict=False), counts, strict=True)]


def misses(labels: list[Mapping], preds: Mapping[str, Mapping]) -> list[tuple]:
    return [(lab["file"], f, lab["fields"][f], value, conf)
            for lab, f, ok, conf, value in outcomes(labels, preds) if not ok]
