"""The reader on the project's own invoices of every family: layouts it was never tuned on.

    python -m bench.synthetic [--per 4] [--seed 0] [--families taxi_beijing,railway] [--misses]

Each family (backend/weights/families.py) is drawn `--per` times with random content, layout,
fonts, printer offset, seals and camera (paper photographed; e-invoices photographed off a
screen), read by the reader as a photo, and scored with the same rules as score.py
(bench/scoring.py): five elements, all fields, wrong among confidence ≥ 0.9, per family.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import cv2

from . import scoring


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--families")
    ap.add_argument("--camera", choices=["photo", "screen", "none"])
    ap.add_argument("--misses", action="store_true")
    args = ap.parse_args()

    from backend.pipeline.engines import Engines
    from backend.pipeline.extract import extract
    from backend.pipeline.types import Limits
    from backend.weights import detector_file, recogniser_file
    from backend.weights.families import GENERATORS, generate

    names = args.families.split(",") if args.families else list(GENERATORS)
    engines, limits = Engines(det_model=detector_file(), rec_model=recogniser_file()), Limits(10**8, 50)
    labels, preds, seconds = [], {}, []
    for name in names:
        for k in range(args.per):
            drawn = generate(name, args.seed + k, args.camera)
            file = f"{name}-{args.seed + k}.jpg"
            data = cv2.imencode(".jpg", drawn.image, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()
            t0 = time.perf_counter()
            ex = extract(data, "jpeg", engines, limits, dt.date(2026, 6, 1))
            seconds.append(time.perf_counter() - t0)
            labels.append({"file": file, "kind": "photo", "invoice_type": name, "invoice_key": file,
                           "fields": drawn.truth})
            preds[file] = {"fields": {f: v.as_dict() for f, v in ex.fields.items()}}
    s = scoring.summary(labels, preds)
    print(f"{len(labels)} generated invoices, {args.per} per family, seed {args.seed}")
    for key in ("five_elements", "all_fields", "high_conf_wrong"):
        print(f"  {key:20}{s[key]}")
    print(f"  {'per field':20}{s['per_field']}")
    print(f"\n{'family':20}{'five elements':>18}{'all fields':>18}{'conf≥0.9 wrong':>16}")
    for fam, g in scoring.breakdown(labels, preds, lambda r: r["invoice_type"]).items():
        five, all_, cw = g["five"], g["all"], g["confident_wrong"]
        print(f"{fam:20}{f'{five[0]}/{five[1]}':>18}{f'{all_[0]}/{all_[1]}':>18}{f'{cw[0]}/{cw[1]}':>16}")
    print("\nreliability")
    for label, n, ok in scoring.reliability(labels, preds):
        print(f"  {label:16}{n:6}  {ok}/{n}")
    print(f"\nmedian s/invoice {sorted(seconds)[len(seconds) // 2]:.2f}")
    if args.misses:
        for m in scoring.misses(labels, preds):
            print("  miss", *m)


if __name__ == "__main__":
    main()
