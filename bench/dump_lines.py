"""Print the text lines the reader sees for one file (text layer or OCR), top to bottom.

    python -m bench.dump_lines FILE [--all]

Photos: the lines the reader chooses to recognise (see pipeline/focus.py); --all: every line.
"""

from __future__ import annotations

import sys
from pathlib import Path

from backend.pipeline import textlayer
from backend.pipeline.decode import decode
from backend.pipeline.engines import Engines
from backend.pipeline.extract import read_lines
from backend.pipeline.normalise import normalise
from backend.pipeline.ocr import detect, recognise
from backend.pipeline.types import Limits
from backend.sniff import sniff
from backend.weights import detector_file, recogniser_file


def main() -> None:
    path = Path(sys.argv[1])
    kind = sniff(path, 100_000_000).kind
    data = path.read_bytes()
    limits = Limits(100_000_000, 50)
    if kind == "pdf":
        lines, _ = textlayer.pdf_lines(data)
    elif kind == "ofd":
        lines, _ = textlayer.ofd_lines(data)
    else:
        engines = Engines(det_model=detector_file(), rec_model=recogniser_file())
        found = detect(normalise(decode(data, kind, limits).first_page), engines.detector)
        lines = (tuple(recognise(found, engines.recogniser).values()) if "--all" in sys.argv
                 else read_lines(found, engines))
    for ln in sorted(lines, key=lambda ln: (round(ln.cy / 15), ln.box[0])):
        x0, y0, x1, y1 = (int(v) for v in ln.box)
        print(f"{x0:5} {y0:5} {x1:5} {y1:5} {ln.score:.2f} {ln.text}")


if __name__ == "__main__":
    main()
