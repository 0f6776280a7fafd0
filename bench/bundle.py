"""One file, many invoices: a 30-page bundle against the same 30 pages uploaded one by one, in one run.

    python -m bench.bundle [--pages 30] [--workers 2] [--repeat 3]

Starts the embedded stack (web + worker processes, SQLite, as `fapiao run` does) once, then measures:
  - bundle: one upload of a PDF of N pages (the dev set's e-invoice PDFs, cycled) → split into its N invoices
    (on its first reading), and → the last of them read (each page a job of its own);
  - singles: the same N pages, each as a PDF of its own, in one upload of N files → the last one read;
  - each pair repeated, alternating: the medians and their ratio; the peak RSS of the web process and of the
    worker processes (sampled every 50 ms);
  - fairness: another one-page upload, alone and 0.5 s after a bundle of N (it should wait for a few pages of
    the bundle, not for all of them).
Each single is made unique (a trailing comment) so that no page is skipped as the same bytes again; repeated
invoices are read all the same (identity links them after reading). Needs ../shared/datasets/invoices-dev.
"""

from __future__ import annotations

import argparse
import json
import signal
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from contextlib import closing
from pathlib import Path

from bench.stack import rss_kb, tree
from tests.bundles import DEV, dev_bytes, dev_labels, join
from tests.procs import Stack

READ = ("extracted", "needs_review", "processed", "failed", "duplicate", "pending_sync", "found")


def pages(n: int, tag: str) -> list[bytes]:
    rows = [r for r in dev_labels("pdf") if r["invoice_key"]]
    if not rows:
        sys.exit(f"the dev data set is not at {DEV}")
    return [dev_bytes(rows[i % len(rows)]) + f"\n%bench {tag} page {i}\n".encode() for i in range(n)]


class Peak:
    """Peak RSS of the web process and of the worker's process tree, sampled while running."""

    def __init__(self, web: int, worker: int) -> None:
        self.web_pid, self.worker_pid = web, worker
        self.web = self.worker = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.web = max(self.web, rss_kb(self.web_pid))
            self.worker = max(self.worker, sum(rss_kb(p) for p in tree(self.worker_pid)))
            time.sleep(0.05)

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join()
        return {"web peak RSS (MB)": round(self.web / 1024), "worker peak RSS, all processes (MB)":
                round(self.worker / 1024)}


def read_count(db: Path, names: list[str]) -> tuple[int, int]:
    """(invoices of these upload names, how many of them are read)."""
    marks = ",".join("?" for _ in names)
    with closing(sqlite3.connect(db, timeout=30)) as conn:
        rows = conn.execute(f"SELECT status FROM invoice WHERE original_name IN ({marks})", names).fetchall()
    return len(rows), sum(1 for (s,) in rows if s in READ)


def wait_read(db: Path, names: list[str], expected: int, timeout: float) -> tuple[float, float]:
    """(when all `expected` invoices existed — a bundle's split done —, when all were read)."""
    deadline, made = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        total, done = read_count(db, names)
        if total >= expected and made is None:
            made = time.monotonic()
        if total >= expected and done >= expected:
            return made, time.monotonic()
        time.sleep(0.05)
    raise TimeoutError(f"{read_count(db, names)} of {expected} read")


def measure(n: int, workers: int, repeat: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp, Stack(Path(tmp), FAPIAO_WORKERS=str(workers)) as stack:
        web, worker = stack.start("web", "serve"), stack.start("worker", "worker")
        stack.wait_http()
        http, db = stack.session(), stack.data / "fapiao.db"

        def post(files):
            assert http.post(stack.url + "/api/uploads", files=[("files", f) for f in files]).status_code == 200

        post([("warmup.pdf", pages(1, "warmup")[0])])
        wait_read(db, ["warmup.pdf"], 1, 120)
        peak = Peak(web.pid, worker.pid)
        split, whole, one_by_one = [], [], []
        for run in range(repeat):  # alternating, so that what else the machine does falls on both alike
            singles = pages(n, f"run {run}")  # bytes never seen before: every page is read
            t0 = time.monotonic()
            post([(f"bundle-{run}.pdf", join(*singles))])
            split_at, read_at = wait_read(db, [f"bundle-{run}.pdf"], n, 900)
            split.append(split_at - t0)
            whole.append(read_at - t0)
            names = [f"single-{run}-{i}.pdf" for i in range(n)]
            t0 = time.monotonic()
            post(list(zip(names, singles, strict=True)))
            one_by_one.append(wait_read(db, names, n, 900)[1] - t0)
        alone, behind = [], []
        for run in range(repeat):  # another upload, alone and right behind a bundle: what the bundle costs it
            one = pages(1, f"alone {run}")[0]
            t0 = time.monotonic()
            post([(f"alone-{run}.pdf", one)])
            alone.append(wait_read(db, [f"alone-{run}.pdf"], 1, 120)[1] - t0)
            post([(f"bundle-b{run}.pdf", join(*pages(n, f"behind {run}")))])
            time.sleep(0.5)  # the bundle is being split and read
            t0 = time.monotonic()
            post([(f"behind-{run}.pdf", pages(1, f"behind one {run}")[0])])
            behind.append(wait_read(db, [f"behind-{run}.pdf"], 1, 300)[1] - t0)
            wait_read(db, [f"bundle-b{run}.pdf"], n, 900)
        memory = peak.stop()
    med = statistics.median
    return {"pages": n, "workers": workers, "runs": repeat,
            "bundle: upload → split into its invoices (s, median)": round(med(split), 2),
            "bundle: upload → last page read (s, median)": round(med(whole), 2),
            "singles: upload → last read (s, median)": round(med(one_by_one), 2),
            "bundle / singles": round(med(whole) / med(one_by_one), 2),
            "another upload alone: upload → read (s, median)": round(med(alone), 2),
            "another upload behind a bundle: upload → read (s, median)": round(med(behind), 2),
            "_runs (bundle, singles)": [[round(a, 2), round(b, 2)] for a, b in zip(whole, one_by_one, strict=True)],
            **memory}


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=30)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3, help="bundle/singles pairs, alternating")
    args = ap.parse_args()
    print(json.dumps(measure(args.pages, args.workers, args.repeat), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
