"""Reader accuracy and speed on a labelled set, side by side with the obvious baseline.

    python -m bench.accuracy [--set ../shared/datasets/invoices-dev] [--limit N] [--only photo]

The baseline is what a user would write first: full-page RapidOCR text (PDFs rasterised too)
and regular expressions over the joined text. Both run on the same files in this run, each in
its own child process so that each one's peak RSS is its own.

Prints per-field exact-match accuracy (overall and per family), the five elements on VAT
invoices, calibration (errors among fields reported with confidence ≥ 0.9), p50/p95 seconds
per file, and peak RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import resource
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path

FIELDS = ("invoice_code", "invoice_number", "issue_date", "check_code", "buyer_name", "buyer_tax_id",
          "seller_name", "seller_tax_id", "amount", "tax", "total", "total_in_words")
FIVE = ("invoice_code", "invoice_number", "issue_date", "total", "check_code")
DEFAULT_SET = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "invoices-dev"


def load(set_dir: Path, only: str | None, limit: int | None) -> list[dict]:
    rows = [json.loads(line) for line in (set_dir / "labels.jsonl").read_text().splitlines() if line.strip()]
    if only:
        rows = [r for r in rows if r["kind"] == only]
    return rows[:limit] if limit else rows


# -- the two readers, each returning {field: (value, confidence)} and seconds ------------------------
def ours(paths: list[str]) -> tuple[list[dict], int]:
    from backend.pipeline.engines import Engines
    from backend.pipeline.extract import extract
    from backend.pipeline.types import Limits
    from backend.sniff import sniff

    engines, limits, out = Engines(), Limits(max_pixels=100_000_000, max_pdf_pages=50), []
    for p in paths:
        t0 = time.perf_counter()
        kind = sniff(Path(p), limits.max_pixels).kind
        ex = extract(Path(p).read_bytes(), kind, engines, limits, dt.date.today())
        seconds = time.perf_counter() - t0
        out.append({"seconds": seconds, "fields": {k: (v.value, v.confidence) for k, v in ex.fields.items()}})
    return out, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def baseline(paths: list[str]) -> tuple[list[dict], int]:
    import cv2
    import numpy as np
    from rapidocr import RapidOCR

    engine, out = RapidOCR(params={"Global.log_level": "warning"}), []
    for p in paths:
        t0 = time.perf_counter()
        is_doc = p.endswith((".pdf", ".ofd"))
        image = _raster(p) if is_doc else cv2.imdecode(np.fromfile(p, np.uint8), cv2.IMREAD_COLOR)
        result = engine(image) if image is not None else None
        text = " ".join(result.txts) if result is not None and result.txts else ""
        fields = {k: (v, 1.0) for k, v in _regex_fields(text).items()}
        out.append({"seconds": time.perf_counter() - t0, "fields": fields})
    return out, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _raster(path: str):
    """The baseline sees e-invoices as pictures, as a screenshot-and-OCR script would."""
    if path.endswith(".ofd"):
        return None  # no renderer for OFD in the obvious stack: the baseline reads nothing
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    page = pdf[0]
    img = page.render(scale=2500 / max(page.get_size())).to_numpy()[:, :, :3].copy()
    pdf.close()
    return img


def _regex_fields(text: str) -> dict[str, str | None]:
    s = re.sub(r"\s+", "", text)

    def first(pattern: str, group: int = 1):
        m = re.search(pattern, s)
        return m.group(group) if m else None

    date = re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日", s)
    money = re.findall(r"[¥￥](\d+\.\d{2})", s)
    return {
        "invoice_code": first(r"发票代码[:：]?(\d{10,12})") or first(r"(?<!\d)(\d{10}|\d{12})(?!\d)"),
        "invoice_number": first(r"(?:发票号码[:：]?|No)(\d{8}|\d{20})"),
        "issue_date": f"{date[1]}-{int(date[2]):02d}-{int(date[3]):02d}" if date else None,
        "check_code": first(r"校验码[:：]?(\d{20})"),
        "buyer_name": first(r"名称[:：]([^:：]+?)(?:纳税人|统一)"),
        "buyer_tax_id": first(r"纳税人识别号[:：]?([0-9A-Z]{15,20})"),
        "seller_name": None,
        "seller_tax_id": None,
        "amount": money[0] if money else None,
        "tax": money[1] if len(money) > 1 else None,
        "total": first(r"小写\)?[¥￥]?(\d+\.\d{2})"),
        "total_in_words": first(r"([零壹贰叁肆伍陆柒捌玖拾佰仟万亿]+[圆元][零壹贰叁肆伍陆柒捌玖角分整]*)"),
    }


# -- scoring ----------------------------------------------------------------------------------------------
def _norm(field: str, value) -> str | None:
    if value is None:
        return None
    v = re.sub(r"\s+", "", str(value))
    if field == "total_in_words":
        from backend.validate.words import words_to_amount

        parsed = words_to_amount(v)
        return str(parsed) if parsed is not None else v
    if field in ("amount", "tax", "total"):
        try:
            return str(Decimal(v).quantize(Decimal("0.01")))
        except Exception:  # noqa: BLE001
            return v
    return v


def score(rows: list[dict], results: list[dict]) -> dict:
    per_field = {f: [0, 0] for f in FIELDS}
    per_family: dict[str, list[int]] = {}
    five = [0, 0]
    confident = [0, 0]  # wrong, total among confidence ≥ 0.9
    misses = []
    for row, res in zip(rows, results, strict=True):
        fam = per_family.setdefault(row["invoice_type"], [0, 0])
        for f in FIELDS:
            truth = row["fields"].get(f)
            if f in row.get("uncertain", []) or (isinstance(truth, str) and "?" in truth):
                continue
            value, conf = res["fields"].get(f, (None, 0.0))
            ok = _norm(f, value) == _norm(f, truth)
            per_field[f][0] += ok
            per_field[f][1] += 1
            fam[0] += ok
            fam[1] += 1
            if f in FIVE and "增值税" in row["invoice_type"] or f in FIVE and "电子发票" in row["invoice_type"]:
                five[0] += ok
                five[1] += 1
            if value is not None and conf >= 0.9:
                confident[0] += not ok
                confident[1] += 1
            if not ok:
                misses.append((row["file"], f, truth, value, round(conf, 3)))
    secs = [r["seconds"] for r in results]
    return {
        "per_field": {f: a / n if n else None for f, (a, n) in per_field.items()},
        "per_family": {k: a / n for k, (a, n) in per_family.items() if n},
        "all_fields": sum(a for a, _ in per_field.values()) / max(1, sum(n for _, n in per_field.values())),
        "five_elements_vat": five[0] / max(1, five[1]),
        "wrong_among_confident": confident[0] / max(1, confident[1]),
        "confident_count": confident[1],
        "p50_s": statistics.median(secs),
        "p95_s": sorted(secs)[min(len(secs) - 1, int(0.95 * len(secs)))],
        "misses": misses,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", type=Path, default=DEFAULT_SET)
    ap.add_argument("--only", choices=["photo", "scan", "rendered", "pdf", "ofd"])
    ap.add_argument("--limit", type=int)
    ap.add_argument("--misses", action="store_true", help="list every wrong field of our reader")
    args = ap.parse_args()
    rows = load(args.set, args.only, args.limit)
    paths = [str(args.set / "files" / r["file"]) for r in rows]
    report = {}
    for name, fn in (("ours", ours), ("baseline", baseline)):
        with ProcessPoolExecutor(max_workers=1) as pool:  # a fresh process: its own peak RSS
            results, rss_kb = pool.submit(fn, paths).result()
        report[name] = score(rows, results) | {"peak_rss_mb": rss_kb / 1024}
    a, b = report["ours"], report["baseline"]
    print(f"{len(rows)} files from {args.set}")
    print(f"{'metric':34}{'ours':>10}{'baseline':>10}{'ours/base':>11}")

    def line(label, x, y, fmt="{:10.1%}"):
        ratio = f"{x / y:11.2f}" if y else f"{'-':>11}"
        print(f"{label:34}{fmt.format(x)}{fmt.format(y)}{ratio}")

    for f in FIELDS:
        x, y = a["per_field"][f], b["per_field"][f]
        if x is not None:
            line(f"  {f}", x, y or 0.0)
    line("all fields", a["all_fields"], b["all_fields"])
    line("five elements (VAT)", a["five_elements_vat"], b["five_elements_vat"])
    for fam in a["per_family"]:
        line(f"  family {fam}", a["per_family"][fam], b["per_family"].get(fam, 0.0))
    line("wrong among conf ≥ 0.9", a["wrong_among_confident"], b["wrong_among_confident"])
    line("p50 s/file", a["p50_s"], b["p50_s"], "{:10.3f}")
    line("p95 s/file", a["p95_s"], b["p95_s"], "{:10.3f}")
    line("peak RSS MB", a["peak_rss_mb"], b["peak_rss_mb"], "{:10.0f}")
    if args.misses:
        for m in a["misses"]:
            print("  miss", *m)


if __name__ == "__main__":
    main()
