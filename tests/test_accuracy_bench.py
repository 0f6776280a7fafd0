"""bench/accuracy scores as ../shared/tools/score.py does: the same numbers on the same predictions.

score.py is the measure that counts; the bench carries the same rules (bench/scoring.py). These
run both on predictions made up from labels (every value kept, dropped, or slightly changed) and
compare what they print. Skipped, with the reason, only where ../shared is absent.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from bench import accuracy, scoring

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
SCORE = SHARED / "tools" / "score.py"
DEV = SHARED / "datasets" / "invoices-dev"

needs_score = pytest.mark.skipif(not SCORE.is_file(), reason=f"score.py not found at {SCORE}")


def label(name: str, kind: str = "photo", **fields) -> dict:
    base = dict.fromkeys(scoring.FIELDS)
    return {"file": name, "kind": kind, "invoice_type": "增值税普通发票", "invoice_key": name, "fields": base | fields}


HAND_MADE = [
    label("a.jpg", invoice_code="1100171320", invoice_number="12356976", issue_date="2017-04-25",
          check_code="06328726774655971???", total="600.00", total_in_words="陆佰圆整", buyer_name="甲 公司"),
    label("b.pdf", "pdf", invoice_number="25322000000137756448", total="1,130.00", total_in_words="壹仟壹佰叁拾元",
          buyer_tax_id="91320594769869645c", tax="0.00"),
    label("c.ofd", "ofd", issue_date="2020-10-04", amount="12.50"),
    label("d.jpg", "scan", invoice_number="C045758"),  # never predicted
]
HAND_PREDS = [
    {"file": "/some/dir/a.jpg", "fields": {
        "invoice_code": {"value": "1100171320", "confidence": 0.99},
        "invoice_number": {"value": "12356978", "confidence": 0.95},  # wrong and confident
        "issue_date": {"value": "2017年4月25日", "confidence": 0.5},
        "check_code": {"value": "06328726774655971123", "confidence": 0.91},  # `?` positions not compared
        "total": "¥600.00",  # a plain value counts too
        "total_in_words": {"value": "陆佰元", "confidence": 0.97},
        "buyer_name": {"value": "甲公司", "confidence": 1.0}}},
    {"file": "b.pdf", "fields": {
        "invoice_number": {"value": "25322000000137756448", "confidence": 1.0},
        "total": {"value": "1130", "confidence": 0.99},
        "total_in_words": {"value": "壹仟壹佰叁拾圆整", "confidence": 0.9},
        "buyer_tax_id": {"value": "91320594769869645C", "confidence": 0.92},
        "tax": {"value": None, "confidence": 0.0}}},
    {"file": "c.ofd", "fields": {"issue_date": {"value": "2020年10月4日", "confidence": 0.99},
                                 "amount": {"value": "12.5", "confidence": 0.3}}},
]


def score_py(labels: list[dict], preds: list[dict], tmp_path: Path) -> dict:
    lab, pred = tmp_path / "labels.jsonl", tmp_path / "preds.jsonl"
    lab.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in labels), encoding="utf-8")
    pred.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in preds), encoding="utf-8")
    out = subprocess.run([sys.executable, str(SCORE), str(lab), str(pred), "--json"], capture_output=True,
                         text=True, timeout=60, check=True)
    return json.loads(out.stdout)


def bench_summary(labels: list[dict], preds: list[dict]) -> dict:
    by_name = {Path(p["file"]).name: p for p in preds}
    return scoring.summary(labels, by_name)


@needs_score
def test_the_bench_agrees_with_score_py_on_hand_made_cases(tmp_path):
    ours = bench_summary(HAND_MADE, HAND_PREDS)
    assert ours == score_py(HAND_MADE, HAND_PREDS, tmp_path)
    # and the cases mean what they say
    assert ours["per_field"]["check_code"] == "1/1" and ours["per_field"]["invoice_number"] == "1/3"
    assert ours["high_conf_wrong"] == "1/10"


def mutate(row: dict, rng: random.Random) -> dict:
    """A prediction for a labelled file: each value kept, dropped, or one character changed,
    at a random confidence."""
    fields = {}
    for name, value in row["fields"].items():
        if value is None or rng.random() < 0.1:
            continue
        value = str(value)
        if rng.random() < 0.2:
            i = rng.randrange(len(value))
            value = value[:i] + rng.choice("0123456789号") + value[i + 1:]
        fields[name] = {"value": value, "confidence": round(rng.random(), 3)}
    return {"file": row["file"], "fields": fields}


@needs_score
@pytest.mark.skipif(not (DEV / "labels.jsonl").is_file(), reason=f"dev data set not found at {DEV}")
def test_the_bench_agrees_with_score_py_on_the_dev_labels(tmp_path):
    rows = accuracy.load(DEV)
    for seed in range(3):
        rng = random.Random(seed)
        preds = [mutate(r, rng) for r in rows if rng.random() < 0.95]
        assert bench_summary(rows, preds) == score_py(rows, preds, tmp_path), seed


def test_unseen_is_the_last_lines_of_the_labels(tmp_path):
    (tmp_path / "labels.jsonl").write_text("".join(json.dumps(label(f"{k}.jpg")) + "\n" for k in range(20)))
    assert [r["file"] for r in accuracy.load(tmp_path, unseen=3)] == ["17.jpg", "18.jpg", "19.jpg"]


def test_reliability_bins_count_every_reported_value():
    preds = {Path(p["file"]).name: p for p in HAND_PREDS}
    table = scoring.reliability(HAND_MADE, preds)
    assert sum(n for _, n, _ in table) == 12  # a None value is not a reported one
    top = table[-1]
    assert top[0].startswith("[0.99") and top[1:] == (5, 5)


def test_breakdown_by_invoice_groups_files_of_one_invoice():
    rows = [label("x1.jpg", invoice_number="1"), label("x2.jpg", invoice_number="1")]
    for r in rows:
        r["invoice_key"] = "K"
    groups = scoring.breakdown(rows, {"x1.jpg": {"fields": {"invoice_number": "1"}}}, lambda r: r["invoice_key"])
    assert groups == {"K": {"files": 2, "all": (1, 2), "five": (1, 2), "confident_wrong": (0, 0)}}
