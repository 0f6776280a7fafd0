"""The field tagger's worth: the reader with and without it, on the same readings in one run.

    python -m bench.tagger [--synthetic N] [--seed 0] [--dev] [--unseen [N]] [--readings FILE]

Each file is read once (decode, QR, OCR or text layer); its fields are then interpreted twice,
by the rules alone and with the tagger's word (pipeline/tagger.py), and both are scored as
score.py scores (bench/scoring.py). --synthetic: N generated invoices per family with seeds from
--seed (bench.synthetic's; the tagger trains from weights.tagger.FIRST_SEED on), photographed;
--dev: the labelled dev set (the tagger never saw it). --readings FILE keeps the readings (a
pickle) and reuses them on the next run with the same arguments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pickle
from pathlib import Path

from . import scoring
from .accuracy import DEFAULT_SET, UNSEEN, load


def synthetic_readings(per: int, seed: int, engines, limits) -> list[tuple[dict, object, dt.date]]:
    import cv2

    from backend.pipeline.extract import read
    from backend.weights.families import GENERATORS, generate

    out = []
    for name in GENERATORS:
        for k in range(per):
            drawn = generate(name, seed + k)
            file = f"{name}-{seed + k}.jpg"
            data = cv2.imencode(".jpg", drawn.image, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()
            label = {"file": file, "kind": "photo", "invoice_type": name, "invoice_key": file, "fields": drawn.truth}
            out.append((label, read(data, "jpeg", engines, limits), dt.date(2026, 6, 1)))
    return out


def dev_readings(unseen: int | None, engines, limits) -> list[tuple[dict, object, dt.date]]:
    from backend.pipeline.extract import read
    from backend.sniff import sniff

    out = []
    for label in load(DEFAULT_SET, unseen=unseen):
        path = DEFAULT_SET / "files" / label["file"]
        kind = sniff(path, limits.max_pixels).kind
        out.append((label, read(path.read_bytes(), kind, engines, limits), dt.date.today()))
    return out


def report(title: str, readings, tagger) -> None:
    from backend.pipeline.extract import interpret

    labels = [label for label, _, _ in readings]
    runs = {}
    for name, session in (("rules", None), ("tagger", tagger)):
        runs[name] = {label["file"]: {"fields": {f: v.as_dict() for f, v in fields.items()}}
                      for label, r, today in readings for fields in [interpret(r, today, None, session)[1]]}
    print(f"\n== {title}: {len(labels)} invoices")
    summaries = {name: scoring.summary(labels, preds) for name, preds in runs.items()}
    for key in ("five_elements", "all_fields", "high_conf_wrong"):
        print(f"  {key:18}" + "".join(f"{name}: {s[key]!s:28}" for name, s in summaries.items()))
    rows = {name: scoring.breakdown(labels, preds, lambda r: r["invoice_type"]) for name, preds in runs.items()}
    print(f"  {'family':18}{'five (rules → tagger)':>24}{'all':>16}{'conf≥0.9 wrong':>22}")
    for fam in rows["rules"]:
        a, b = rows["rules"][fam], rows["tagger"][fam]
        cells = [f"{a[k][0]}→{b[k][0]}/{a[k][1]}" for k in ("five", "all", "confident_wrong")]
        print(f"  {fam:18}{cells[0]:>24}{cells[1]:>16}{cells[2]:>22}")
    for name, preds in runs.items():
        bins = scoring.reliability(labels, preds)
        print(f"  reliability ({name}): " + "  ".join(f"{lab} {ok}/{n}" for lab, n, ok in bins))
    capped = [(label["file"], f, v["value"]) for label in labels
              for f, v in runs["tagger"][label["file"]]["fields"].items()
              if any(e.startswith("tagger:against") for e in v["evidence"])]
    print(f"  capped by the tagger: {len(capped)}")
    for file, f, value in capped:
        gold = label_of(labels, file)["fields"].get(f)
        print(f"    {'right' if scoring.match(f, gold, {'value': value}) else 'WRONG'}  {file} {f} {value!r}")


def label_of(labels, file):
    return next(label for label in labels if label["file"] == file)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--synthetic", type=int, default=0, metavar="N")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dev", action="store_true")
    ap.add_argument("--unseen", type=int, nargs="?", const=UNSEEN)
    ap.add_argument("--readings", type=Path)
    args = ap.parse_args()

    from backend.pipeline.engines import Engines
    from backend.pipeline.types import Limits
    from backend.weights import detector_file, recogniser_file, tagger_file

    engines = Engines(det_model=detector_file(), rec_model=recogniser_file(), tagger_model=tagger_file())
    limits = Limits(10**8, 50)
    if engines.tagger is None:
        raise SystemExit("no up-to-date field tagger: run `fapiao models`")
    if args.readings and args.readings.exists():
        sets = pickle.loads(args.readings.read_bytes())
    else:
        sets = {}
        if args.synthetic:
            sets[f"generated, {args.synthetic} per family, seed {args.seed}"] = synthetic_readings(
                args.synthetic, args.seed, engines, limits)
        if args.dev:
            title = "dev set" + (f", {args.unseen} newest" if args.unseen else "")
            sets[title] = dev_readings(args.unseen, engines, limits)
        if args.readings:
            args.readings.write_bytes(pickle.dumps(sets))
    for title, readings in sets.items():
        report(title, readings, engines.tagger)


if __name__ == "__main__":
    main()
