"""Reader accuracy and speed on a labelled set, side by side with the obvious baseline.

    python -m bench.accuracy [--set DIR] [--only photo] [--limit N] [--unseen [N]] [--by-invoice]
                             [--misses] [--save PRED.jsonl] [--predictions PRED.jsonl] [--no-baseline]

Scored exactly as ../shared/tools/score.py scores (bench/scoring.py; tests check they agree):
five elements, all 12 fields, per field, by kind, and wrong among confidence ≥ 0.9 — plus a
reliability table (confidence bin → observed accuracy), p50/p95 seconds per file and peak RSS.

--unseen [N]     only the last N files of labels.jsonl (default 12): the layouts added last
--by-invoice     per family (invoice_type) and per physical invoice (invoice_key)
--save FILE      write our predictions as JSONL (what `fapiao extract --json` prints)
--predictions F  score saved predictions instead of reading (e.g. a run from before tuning)

The baseline is what a user would write first: full-page RapidOCR text (PDFs rasterised too)
and regular expressions over the joined text. Both run on the same files in this run, each in
its own child process so that each one's peak RSS is its own, taking turns file by file (ratios measured
side by side on a shared machine).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from . import scoring

DEFAULT_SET = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "invoices-dev"
UNSEEN = 12  # the last lines of the dev set's labels.jsonl: layouts added after the reader was tuned


def load(set_dir: Path, only: str | None = None, limit: int | None = None, unseen: int | None = None) -> list[dict]:
    rows = [json.loads(line) for line in (set_dir / "labels.jsonl").read_text().splitlines() if line.strip()]
    if unseen:
        rows = rows[-unseen:]
    if only:
        rows = [r for r in rows if r["kind"] == only]
    return rows[:limit] if limit else rows


# -- the two readers, each reading one file into a prediction {"file", "fields", "seconds"} ------------------
# Each runs in a child process of its own (its peak RSS is its own), which builds its engine on its first file.
_engine = None


def ours(path: str) -> dict:
    global _engine
    from backend.pipeline.engines import Engines
    from backend.pipeline.extract import extract
    from backend.pipeline.types import Limits
    from backend.sniff import sniff
    from backend.weights import detector_file, recogniser_file

    limits = Limits(max_pixels=100_000_000, max_pdf_pages=50)
    if _engine is None:
        _engine = Engines(det_model=detector_file(), rec_model=recogniser_file())
        _engine.warm()
    lanes = os.cpu_count() or 1  # alone on the machine: every core, as the baseline's ONNX threads
    t0 = time.perf_counter()
    kind = sniff(Path(path), limits.max_pixels).kind
    ex = extract(Path(path).read_bytes(), kind, _engine, limits, dt.date.today(), lanes=lanes)
    return {"file": Path(path).name, "seconds": time.perf_counter() - t0,
            "fields": {k: v.as_dict() for k, v in ex.fields.items()}}


def baseline(path: str) -> dict:
    global _engine
    import cv2
    import numpy as np
    from rapidocr import RapidOCR

    if _engine is None:
        _engine = RapidOCR(params={"Global.log_level": "warning"})
        _engine(np.full((64, 256, 3), 255, np.uint8))  # its models load on first use: not in the first file's time
    t0 = time.perf_counter()
    is_doc = path.endswith((".pdf", ".ofd"))
    image = _raster(path) if is_doc else cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_COLOR)
    result = _engine(image) if image is not None else None
    text = " ".join(result.txts) if result is not None and result.txts else ""
    fields = {k: {"value": v, "confidence": 1.0} for k, v in _regex_fields(text).items()}
    return {"file": Path(path).name, "seconds": time.perf_counter() - t0, "fields": fields}


def _peak_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


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


def run(readers: dict, paths: list[str]) -> dict[str, dict]:
    """Each reader in a fresh process of its own, taking turns file by file: the machine's other load
    weighs on both alike (run one after the other on a shared box, the ratio drifted with it)."""
    pools = {name: ProcessPoolExecutor(max_workers=1) for name in readers}
    try:
        preds: dict[str, list[dict]] = {name: [] for name in readers}
        for p in paths:
            for name, fn in readers.items():
                preds[name].append(pools[name].submit(fn, p).result())
        rss = {name: pools[name].submit(_peak_rss_kb).result() / 1024 for name in readers}
    finally:
        for pool in pools.values():
            pool.shutdown()
    return {name: {"preds": {r["file"]: r for r in preds[name]}, "rss_mb": rss[name],
                   "seconds": [r["seconds"] for r in preds[name]]} for name in readers}


def read_predictions(path: Path) -> list[dict]:
    out = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    return [o | {"file": Path(o["file"]).name} for o in out]


# -- report ---------------------------------------------------------------------------------------------
def pct(ok: int, n: int) -> str:
    return f"{ok / n:7.1%} ({ok}/{n})" if n else "      -"


def frac(text: str) -> float:
    ok, n = (int(x) for x in text.split("/"))
    return ok / n if n else 0.0


def print_summary(rows: list[dict], reports: dict[str, dict]) -> None:
    names = list(reports)
    print(f"{'metric':30}" + "".join(f"{n:>22}" for n in names))
    sums = {n: scoring.summary(rows, r["preds"]) for n, r in reports.items()}

    def line(label: str, values: list[str]) -> None:
        print(f"{label:30}" + "".join(f"{v:>22}" for v in values))

    line("five elements", [f"{s['five_elements']:.1%}" for s in sums.values()])
    line("all fields", [f"{s['all_fields']:.1%}" for s in sums.values()])
    for f in scoring.FIELDS:
        if any(s["per_field"][f].split("/")[1] != "0" for s in sums.values()):
            line(f"  {f}", [f"{frac(s['per_field'][f]):.1%} ({s['per_field'][f]})" for s in sums.values()])
    for kind in sorted({k for s in sums.values() for k in s["by_kind"]}):
        line(f"  kind {kind}", [s["by_kind"].get(kind, "-") for s in sums.values()])
    line("wrong among conf ≥ 0.9", [s["high_conf_wrong"] for s in sums.values()])
    timed = {n: r for n, r in reports.items() if r.get("seconds")}
    if timed:
        for label, stat in (("p50 s/file", statistics.median),
                            ("p95 s/file", lambda xs: sorted(xs)[min(len(xs) - 1, int(0.95 * len(xs)))])):
            line(label, [f"{stat(r['seconds']):.3f}" if n in timed else "-" for n, r in reports.items()])
        line("peak RSS MB", [f"{r['rss_mb']:.0f}" if n in timed else "-" for n, r in reports.items()])
        if len(timed) == 2:
            a, b = (timed[n]["seconds"] for n in timed)
            print(f"{'ratio p50 ' + ' / '.join(timed):30}{statistics.median(a) / statistics.median(b):>22.2f}")


def print_groups(title: str, groups: dict[str, dict]) -> None:
    print(f"\n{title:44}{'files':>6}{'five elements':>22}{'all fields':>22}{'conf≥0.9 wrong':>16}")
    for name, g in groups.items():
        cw, cn = g["confident_wrong"]
        print(f"{name[:44]:44}{g['files']:>6}{pct(*g['five']):>22}{pct(*g['all']):>22}{f'{cw}/{cn}':>16}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", type=Path, default=DEFAULT_SET)
    ap.add_argument("--only", choices=["photo", "scan", "rendered", "pdf", "ofd"])
    ap.add_argument("--limit", type=int)
    ap.add_argument("--unseen", type=int, nargs="?", const=UNSEEN, help="only the last N files (default 12)")
    ap.add_argument("--by-invoice", action="store_true", help="per family and per physical invoice")
    ap.add_argument("--misses", action="store_true", help="list every wrong field of our reader")
    ap.add_argument("--save", type=Path, help="write our predictions as JSONL")
    ap.add_argument("--predictions", type=Path, help="score these saved predictions instead of reading")
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args()
    rows = load(args.set, args.only, args.limit, args.unseen)
    paths = [str(args.set / "files" / r["file"]) for r in rows]
    reports: dict[str, dict] = {}
    if args.predictions:
        reports["saved"] = {"preds": {p["file"]: p for p in read_predictions(args.predictions)}}
    else:
        reports.update(run(dict((("ours", ours), ("baseline", baseline))[: 1 if args.no_baseline else 2]), paths))
    if args.save and "ours" in reports:
        args.save.write_text("".join(json.dumps({"file": r["file"], "fields": r["fields"]}, ensure_ascii=False)
                                     + "\n" for r in reports["ours"]["preds"].values()), encoding="utf-8")
    print(f"{len(rows)} files from {args.set}" + (f" (the last {args.unseen}: unseen layouts)" if args.unseen else ""))
    print_summary(rows, reports)
    main_preds = next(iter(reports.values()))["preds"]
    print("\nreliability (our confidence → observed accuracy)")
    for label, n, ok in scoring.reliability(rows, main_preds):
        print(f"  {label:16}{n:6} fields  {pct(ok, n)}")
    if args.by_invoice:
        print_groups("by family", scoring.breakdown(rows, main_preds, lambda r: r["invoice_type"]))
        print_groups("by physical invoice", scoring.breakdown(rows, main_preds, lambda r: r["invoice_key"]))
    if args.misses:
        print()
        for m in scoring.misses(rows, main_preds):
            print("  miss", *m)


if __name__ == "__main__":
    main()
