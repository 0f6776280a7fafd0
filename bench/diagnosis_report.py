"""The measures of bench/diagnosis.py, from what each case showed at each moment."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict

from .diagnosis_population import Case


def _correct(top: list[str], want: set[str]) -> tuple[bool, bool]:
    return top[0] in want, bool(set(top[:3]) & want)


def accuracy(cases: list[Case], labels) -> dict[str, dict]:
    """Per moment: top-1 and top-3 over all cases, and per story."""
    out = {}
    for label in labels:
        seen = [(c.story, *_correct(c.seen[label][1], c.seen[label][2])) for c in cases if label in c.seen]
        if not seen:
            continue
        per_story = defaultdict(list)
        for story, one, three in seen:
            per_story[story].append((one, three))
        out[label] = {"n": len(seen), "top1": sum(s[1] for s in seen) / len(seen),
                      "top3": sum(s[2] for s in seen) / len(seen),
                      "stories": {s: (sum(a for a, _ in v) / len(v), sum(b for _, b in v) / len(v), len(v))
                                  for s, v in sorted(per_story.items())}}
    return out


def pooled(cases: list[Case], labels) -> tuple[float, float, int]:
    seen = [_correct(c.seen[label][1], c.seen[label][2]) for c in cases for label in labels if label in c.seen]
    return (sum(a for a, _ in seen) / max(1, len(seen)), sum(b for _, b in seen) / max(1, len(seen)), len(seen))


def worst_moment(acc: dict, labels) -> tuple[float, float]:
    present = [acc[label] for label in labels if label in acc]
    return min(a["top1"] for a in present), min(a["top3"] for a in present)


def confusion(cases: list[Case], labels) -> dict[str, Counter]:
    table: dict[str, Counter] = defaultdict(Counter)
    for c in cases:
        for label in labels:
            if label in c.seen:
                table[c.story][c.seen[label][1][0]] += 1
    return table


def wrong(cases: list[Case]) -> list[tuple[int, str, str, str]]:
    return [(c.n, c.story, label, c.seen[label][0]) for c in cases for label in c.seen if c.seen[label][3]]


def lookups(cases: list[Case], per_key: dict) -> dict:
    from backend.sync.matching import invoice_key

    totals, day_max = [], 0
    for c in cases:
        days = per_key.get(invoice_key(c.reading.get("invoice_code"), c.reading["invoice_number"]), {})
        totals.append(sum(days.values()))
        day_max = max([day_max, *days.values()])
    return {"median": statistics.median(totals), "max": max(totals), "max_per_day": day_max}


def time_to_right(cases: list[Case], moments) -> float | None:
    """Median hours from upload to the first sampled moment whose top cause is right (and stays right)."""
    hours = []
    for c in cases:
        first = None
        for label, h in moments:
            if label not in c.seen:
                continue
            ok = _correct(c.seen[label][1], c.seen[label][2])[0]
            first = (h if first is None else first) if ok else None
        if first is not None:
            hours.append(first)
    return statistics.median(hours) if hours else None


def print_tables(acc: dict, table: dict[str, Counter], wrongs: list) -> None:
    for label, a in acc.items():
        print(f"\n[{label}] n={a['n']}  top-1 {a['top1']:.3f}  top-3 {a['top3']:.3f}")
        for story, (one, three, n) in a["stories"].items():
            flag = "" if one >= 0.95 else "   <--"
            print(f"  {story:<16} n={n:<5} top-1 {one:.3f}  top-3 {three:.3f}{flag}")
    causes = sorted({k for row in table.values() for k in row})
    print("\nconfusion (true story × top cause, all moments from 1 day on)")
    print(" " * 17 + " ".join(f"{k[:8]:>8}" for k in causes))
    for story in sorted(table):
        print(f"{story:<17}" + " ".join(f"{table[story].get(k, 0) or '.':>8}" for k in causes))
    if wrongs:
        print(f"\nwrongly settled: {len(wrongs)} (first: {wrongs[:5]})")
