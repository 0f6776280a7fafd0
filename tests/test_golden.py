"""Golden tests on real invoices from ../shared/datasets/invoices-dev (kept out of git).

Slow (real OCR on real photos). Skipped, with the reason, only when the data set is absent.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from backend.pipeline.extract import extract
from backend.pipeline.types import Limits
from backend.sniff import sniff

DEV = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "invoices-dev"
FIVE = ("invoice_code", "invoice_number", "issue_date", "total", "check_code")
GOLDEN = {
    "384863451-invoice_ocr__0c2fd203-7b8e-4e04-80b4-32e5c06891e8.pdf": FIVE + ("seller_tax_id", "amount", "tax"),
    "ofdrw__keyword2.ofd": FIVE + ("buyer_name", "seller_name", "amount", "tax"),
    "fuxijia__vat_0046.jpg": FIVE,
    "fuxijia__vat_0010.jpg": FIVE + ("buyer_name", "seller_name", "amount", "tax"),
    "guanshuicheng-invoice__dianzi_fapiao.png": FIVE,
}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (DEV / "labels.jsonl").is_file(), reason=f"dev data set not found at {DEV}"),
]


@pytest.fixture(scope="module")
def labels() -> dict[str, dict]:
    rows = [json.loads(x) for x in (DEV / "labels.jsonl").read_text().splitlines() if x.strip()]
    return {r["file"]: r for r in rows}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_file(engines, labels, name):
    path = DEV / "files" / name
    result = extract(path.read_bytes(), sniff(path, 10**8).kind, engines, Limits(10**8, 50), dt.date.today())
    truth = labels[name]["fields"]
    for field in GOLDEN[name]:
        if field in labels[name]["uncertain"]:
            continue
        assert result.fields[field].value == truth[field], (field, result.fields[field])
