"""Live-path latency and memory, embedded default vs Redis, side by side in one run.

    python -m bench.latency [--runs 5] [--batch-runs 3]

Starts the real stack (web on eventlet + Huey worker processes) once per mode and measures:
  - upload → "processed" event received, for 1 image and for a batch of 20 (last one);
  - Socket.IO round trip (p50/p99) while the 20 are being processed;
  - push latency: event written (its server timestamp) → received by the client;
  - peak RSS of the web process and of the worker (consumer + worker processes).
and, in the same run, the reader alone (in this process, every core) on the same photos: the
app's single photo and its batch (per photo) as ratios of that.
Images are the project's generated invoices (backend/weights/families.py: paper 普票/专票, taxi
receipts, train tickets, photographed), one distinct invoice per upload, as JPEGs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import redis
import socketio

from bench.stack import rss_kb, tree
from tests.procs import Stack

REDIS_URL = "redis://127.0.0.1:6379/14"
FINAL = ("extracted", "needs_review", "processed", "failed")


class Probe:
    """A logged-in Socket.IO client that timestamps every pushed event."""

    def __init__(self, stack: Stack) -> None:
        self.http = stack.session()
        self.url = stack.url
        self.events: list[tuple[float, dict]] = []
        self.lock = threading.Lock()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("event", self._on_event)
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        self.sio.connect(stack.url, headers={"Cookie": cookie}, transports=["websocket"])

    def _on_event(self, ev: dict) -> None:
        with self.lock:
            self.events.append((time.time(), ev))

    def upload(self, files: list[tuple[str, bytes]]) -> list[int]:
        res = self.http.post(self.url + "/api/uploads", files=[("files", f) for f in files])
        if res.status_code != 200:
            raise RuntimeError(f"upload answered {res.status_code}: {res.text[:500]}")
        return [r["invoice"]["id"] for r in res.json()["results"]]

    def processed_at(self, inv_id: int) -> float | None:
        with self.lock:
            for t, ev in self.events:
                if ev["invoice"]["id"] == inv_id and ev["invoice"]["status"] in FINAL:
                    return t
        return None

    def wait_processed(self, ids: list[int], timeout: float = 120) -> list[float]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            times = [self.processed_at(i) for i in ids]
            if all(times):
                return times
            time.sleep(0.002)
        raise TimeoutError(f"not processed: {ids}")

    def push_latencies_ms(self) -> list[float]:
        with self.lock:
            return [(t - _ts(ev["at"])) * 1000 for t, ev in self.events]

    def rtt_ms(self) -> float:
        t0 = time.perf_counter()
        self.sio.call("rtt", {"t": t0}, timeout=10)
        return (time.perf_counter() - t0) * 1000


def _ts(iso: str) -> float:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run_mode(mode: str, runs: int, batch_runs: int, images: list[bytes]) -> dict:
    env = {}
    if mode == "redis":
        redis.Redis.from_url(REDIS_URL).flushdb()
        env["FAPIAO_REDIS_URL"] = REDIS_URL
    with tempfile.TemporaryDirectory() as tmp, Stack(Path(tmp), **env) as stack:
        web = stack.start("web", "serve")
        worker = stack.start("worker", "worker")
        stack.wait_http()
        try:
            return _measure(stack, web, worker, runs, batch_runs, images)
        except Exception:
            print(stack.log("web")[-4000:])
            raise


def _measure(stack, web, worker, runs, batch_runs, images) -> dict:
    probe = Probe(stack)
    peak = {"web": 0, "worker": 0, "one": 0}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak["web"] = max(peak["web"], rss_kb(web.pid))
            sizes = [rss_kb(p) for p in tree(worker.pid)]
            peak["worker"] = max(peak["worker"], sum(sizes))
            peak["one"] = max(peak["one"], max(sizes, default=0))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    n = 0
    single, batch, rtts = [], [], []
    probe.upload([("warmup.jpg", images[-1])])  # the last image; the runs use the others
    time.sleep(2)
    for _ in range(runs):
        t0 = time.time()
        (inv,) = probe.upload([(f"one-{n}.jpg", images[n % len(images)])])
        n += 1
        single.append((probe.wait_processed([inv])[0] - t0) * 1000)
    for _ in range(batch_runs):
        files = [(f"b-{n + i}.jpg", images[(n + i) % len(images)]) for i in range(20)]
        n += 20
        t0 = time.time()
        ids = probe.upload(files)
        deadline = time.time() + 120
        while not all(probe.processed_at(i) for i in ids) and time.time() < deadline:
            rtts.append(probe.rtt_ms())
            time.sleep(0.02)
        batch.append((max(probe.wait_processed(ids)) - t0) * 1000)
    stop.set()
    sampler.join()
    pushes = probe.push_latencies_ms()
    probe.sio.disconnect()
    return {
    "upload→processed, 1 image (ms, median)": statistics.median(single),
    "upload→last processed, 20 images (ms, median)": statistics.median(batch),
    "Socket.IO RTT during batch p50 (ms)": pct(rtts, 50),
    "Socket.IO RTT during batch p99 (ms)": pct(rtts, 99),
    "push latency p50 (ms)": pct(pushes, 50),
    "push latency p99 (ms)": pct(pushes, 99),
    "web peak RSS (MB)": peak["web"] / 1024,
    "worker peak RSS, all processes (MB)": peak["worker"] / 1024,
    "worker peak RSS, largest process (MB)": peak["one"] / 1024,
    "_samples": {"single": len(single), "batch": len(batch), "rtt": len(rtts), "push": len(pushes)},
    }


def invoice_photos(count: int) -> list[bytes]:
    import cv2

    from backend.weights.families import generate

    names = ["vat_normal", "vat_special", "taxi_beijing", "vat_e_normal", "train_paper"]
    return [cv2.imencode(".jpg", generate(names[i % len(names)], 1000 + i).image,
                         [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes() for i in range(count)]


def reader_alone(images: list[bytes]) -> float:
    """Median seconds per photo for the reader in this process, with the whole machine."""
    import datetime as day
    import os

    from backend.pipeline.engines import Engines
    from backend.pipeline.extract import extract
    from backend.pipeline.types import Limits
    from backend.weights import detector_file

    engines, limits = Engines(det_model=detector_file()), Limits(10**8, 50)
    extract(images[-1], "jpeg", engines, limits, day.date.today())  # sessions built
    times = []
    for data in images:
        t0 = time.perf_counter()
        extract(data, "jpeg", engines, limits, day.date.today(), lanes=os.cpu_count() or 1)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    # A SIGTERM (e.g. from `timeout`) unwinds normally, so the started processes are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7, help="1-image runs per mode")
    ap.add_argument("--batch-runs", type=int, default=3, help="20-image runs per mode")
    args = ap.parse_args()
    # One distinct image per upload (the duplicate check would otherwise skip the work).
    count = 1 + args.runs + 20 * args.batch_runs
    images = invoice_photos(count)
    alone_before = reader_alone(images[1:1 + args.runs])
    modes = ["embedded"]
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
        modes.append("redis")
    except redis.RedisError:
        print("(Redis not reachable: Redis column skipped)")
    results = {m: run_mode(m, args.runs, args.batch_runs, images) for m in modes}
    keys = [k for k in results["embedded"] if not k.startswith("_")]
    header = f"{'metric':48}" + "".join(f"{m:>14}" for m in modes) + ("   redis/embedded" if len(modes) == 2 else "")
    print(header)
    for k in keys:
        row = f"{k:48}" + "".join(f"{results[m][k]:14.1f}" for m in modes)
        if len(modes) == 2 and results["embedded"][k]:
            row += f"   {results['redis'][k] / results['embedded'][k]:8.2f}"
        print(row)
    alone = statistics.median([alone_before, reader_alone(images[1:1 + args.runs])])  # before and after
    print(f"\nreader alone, same photos, every core: {alone * 1000:.0f} ms per photo (median of before/after)")
    for m in modes:
        single = results[m]["upload→processed, 1 image (ms, median)"] / 1000
        batch = results[m]["upload→last processed, 20 images (ms, median)"] / 1000 / 20
        print(f"  {m}: single photo {single / alone:.2f}× the reader alone, batch {batch / alone:.2f}× per photo")
    for m in modes:
        print(f"samples[{m}]: {results[m]['_samples']}")


if __name__ == "__main__":
    main()
