"""Hostile files against the reader and the upload check: peak memory and time, each in a fresh child.

    python -m bench.hostile [--inflated-mib 2048] [--stack]

Each case runs in its own Python process (so its peak RSS is its own): the worker's reading of an
OFD (decode + text layer + embedded XML) on a normal OFD and on the issue's bomb (~2 MB, a page that
inflates to 2 GiB), and the web process's upload check (sniff) on a zip of 200 000 entries.
--stack also starts the real web + 2 workers and times a photo uploaded right after two bombs
(upload → its reading done), against the same photo alone.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests import hostile

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from backend.errors import InputError
path, what = Path(sys.argv[1]), sys.argv[2]
data = path.read_bytes() if what == "read" else None
started = time.perf_counter()
try:
    if what == "read":
        from backend.pipeline.extract import read
        from backend.pipeline.types import Limits
        read(data, "ofd", None, Limits(max_pixels=100_000_000, max_pdf_pages=50))
    else:
        from backend.sniff import sniff
        sniff(path, 100_000_000)
    outcome = "read"
except InputError as exc:
    outcome = exc.key
except Exception as exc:
    outcome = f"{type(exc).__name__}: {str(exc)[:80]}"
seconds = time.perf_counter() - started
print(json.dumps({"outcome": outcome, "seconds": round(seconds, 3),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
"""


def measure(path: Path, what: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), what], capture_output=True, text=True, timeout=600)
    if out.returncode:
        return {"outcome": f"child exited {out.returncode}: {out.stderr[-300:]}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def photo_behind_bombs(bomb: bytes) -> None:
    import cv2

    from backend.weights.families import generate
    from tests.procs import Stack, wait_for

    photos = [cv2.imencode(".jpg", generate("vat_normal", 2000 + i).image)[1].tobytes() for i in range(4)]
    with tempfile.TemporaryDirectory() as tmp, Stack(Path(tmp), FAPIAO_WORKERS="2") as stack:
        stack.start("worker", "worker")
        stack.start("web", "serve")
        stack.wait_http()
        http = stack.session()

        def timed(files: list[tuple[str, bytes]]) -> tuple[float, str]:
            started = time.perf_counter()
            ids = [r["invoice"]["id"] for r in http.post(stack.url + "/api/uploads", files=[
                ("files", f) for f in files]).json()["results"]]
            final = {"extracted", "needs_review", "failed"}
            wait_for(lambda: http.get(f"{stack.url}/api/invoices/{ids[-1]}").json()["invoice"]["status"] in final,
                     timeout=300, interval=0.05)
            reasons = [http.get(f"{stack.url}/api/invoices/{i}").json()["invoice"]["reason"] for i in ids]
            return time.perf_counter() - started, ", ".join(str(r) for r in reasons)

        timed([("warm1.jpg", photos[0]), ("warm2.jpg", photos[1])])  # both workers load their models
        alone, _ = timed([("alone.jpg", photos[2])])
        behind, reasons = timed([("bomb1.ofd", bomb), ("bomb2.ofd", bomb + b"\0"), ("photo.jpg", photos[3])])
        print(f"photo alone: {alone:.2f} s; photo uploaded after two bombs: {behind:.2f} s (reasons: {reasons})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--inflated-mib", type=int, default=2048)
    p.add_argument("--stack", action="store_true")
    args = p.parse_args()
    cases = [("normal OFD", hostile.ofd_with({hostile.PAGE: hostile.page_xml()}), "read"),
             (f"bomb OFD ({args.inflated_mib} MiB page)", hostile.bomb_ofd(args.inflated_mib), "read"),
             ("200k entries, upload check", hostile.many_entries(), "sniff")]
    with tempfile.TemporaryDirectory() as tmp:
        for name, data, what in cases:
            path = Path(tmp) / "case.ofd"
            path.write_bytes(data)
            result = measure(path, what)
            print(f"{name:34} {len(data) / 1e6:7.1f} MB  {json.dumps(result)}", flush=True)
    if args.stack:
        photo_behind_bombs(cases[1][1])


if __name__ == "__main__":
    main()
