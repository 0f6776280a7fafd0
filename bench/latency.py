"""Live-path latency and memory, embedded default vs Redis, side by side in one run.

    python -m bench.latency [--runs 5] [--batch-runs 3]

Starts the real stack (web on eventlet + Huey worker processes) once per mode and measures:
  - upload → "processed" event received, for 1 image and for a batch of 20 (last one);
  - Socket.IO round trip (p50/p99) while the 20 are being processed;
  - push latency: event written (its server timestamp) → received by the client;
  - peak RSS of the web process and of the worker (every process `fapiao worker` runs: FAPIAO_WORKER_MODE).
and the reader alone (every core, at the workers' priority) on the same photos, each of the app's runs paired with
readings beside it (the photo itself just before; 5 of a batch's before and 5 after): the app's single photo
and its batch (per photo) as the medians of those ratios. Peak PSS too: shared pages counted once.
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
                if (ev.get("invoice") or {}).get("id") == inv_id and ev["invoice"]["status"] in FINAL:
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


def run_mode(mode: str, runs: int, batch_runs: int, images: list[bytes], alone: Alone) -> dict:
    env = {}
    if mode == "redis":
        redis.Redis.from_url(REDIS_URL).flushdb()
        env["FAPIAO_REDIS_URL"] = REDIS_URL
    with tempfile.TemporaryDirectory() as tmp, Stack(Path(tmp), **env) as stack:
        web = stack.start("web", "serve")
        worker = stack.start("worker", "worker")
        stack.wait_http()
        try:
            return _measure(stack, web, worker, runs, batch_runs, images, alone)
        except Exception:
            print(stack.log("web")[-4000:])
            raise


def _measure(stack, web, worker, runs, batch_runs, images, alone: Alone) -> dict:
    probe = Probe(stack)
    peak = {"web": 0, "worker": 0, "one": 0, "pss": 0}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak["web"] = max(peak["web"], rss_kb(web.pid))
            sizes = [rss_kb(p) for p in tree(worker.pid)]
            peak["worker"] = max(peak["worker"], sum(sizes))
            peak["one"] = max(peak["one"], max(sizes, default=0))
            peak["pss"] = max(peak["pss"], sum(pss_kb(p) for p in tree(worker.pid)))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    n = 0
    single, batch, rtts, ratios = [], [], [], {"single": [], "batch": [], "alone": []}
    probe.upload([("warmup.jpg", images[-1])])  # the last image; the runs use the others
    time.sleep(2)
    for _ in range(runs):
        photo = images[n % len(images)]
        by_itself = alone.seconds(photo)  # the same photo, a moment before, the app idle: a pair
        t0 = time.time()
        (inv,) = probe.upload([(f"one-{n}.jpg", photo)])
        n += 1
        single.append((probe.wait_processed([inv])[0] - t0) * 1000)
        ratios["single"].append(single[-1] / 1000 / by_itself)
        ratios["alone"].append(by_itself)
    for _ in range(batch_runs):
        files = [(f"b-{n + i}.jpg", images[(n + i) % len(images)]) for i in range(20)]
        n += 20
        by_itself = [alone.seconds(f[1]) for f in files[:ALONE_SAMPLE]]  # before the batch …
        t0 = time.time()
        ids = probe.upload(files)
        deadline = time.time() + 120
        while not all(probe.processed_at(i) for i in ids) and time.time() < deadline:
            rtts.append(probe.rtt_ms())
            time.sleep(0.02)
        batch.append((max(probe.wait_processed(ids)) - t0) * 1000)
        by_itself += [alone.seconds(f[1]) for f in files[-ALONE_SAMPLE:]]  # … and after it
        ratios["batch"].append(batch[-1] / 1000 / 20 / statistics.mean(by_itself))
        ratios["alone"] += by_itself
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
    "worker peak PSS, all processes (MB)": peak["pss"] / 1024,
    "_samples": {"single": len(single), "batch": len(batch), "rtt": len(rtts), "push": len(pushes)},
    "_ratios": ratios,
    }


def pss_kb(pid: int) -> int:
    """The process's proportional set size: pages it shares with others (the consumer's, forked) counted
    as their share, so that the sum over processes is the memory they take, where RSS counts them in each."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def invoice_photos(count: int) -> list[bytes]:
    import cv2

    from backend.weights.families import generate

    names = ["vat_normal", "vat_special", "taxi_beijing", "vat_e_normal", "train_paper"]
    return [cv2.imencode(".jpg", generate(names[i % len(names)], 1000 + i).image,
                         [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes() for i in range(count)]


ALONE_SAMPLE = 5  # photos of each batch read alone just before it, and as many just after


class Alone:
    """The reader with the whole machine (every core, as a lone photo in the app is given), in a process of its
    own at the app's readers' priority (FAPIAO_WORKER_NICE), timed on one photo at a time right beside the
    app's run on it: the machine's other load then weighs on both alike (measured minutes apart on a shared
    box, the ratios swung 0.9× … 1.9× from run to run; at nice 0 against readers at nice 10, the app lost
    every contest for the cores)."""

    def __init__(self, warm: bytes) -> None:
        from concurrent.futures import ProcessPoolExecutor

        from backend.settings import Settings

        self._pool = ProcessPoolExecutor(max_workers=1, initializer=_alone_start,
                                         initargs=(Settings.from_env().worker_nice,))
        self.seconds(warm)

    def seconds(self, data: bytes) -> float:
        return self._pool.submit(_alone_read, data).result()

    def close(self) -> None:
        self._pool.shutdown()


_alone = None


def _alone_start(niceness: int) -> None:
    global _alone
    import os

    from backend.pipeline.engines import Engines
    from backend.weights import detector_file, recogniser_file

    os.nice(max(0, niceness - os.nice(0)))
    _alone = Engines(det_model=detector_file(), rec_model=recogniser_file())
    _alone.warm()


def _alone_read(data: bytes) -> float:
    import os

    from backend.pipeline.extract import extract
    from backend.pipeline.types import Limits

    t0 = time.perf_counter()
    extract(data, "jpeg", _alone, Limits(10**8, 50), dt.date.today(), lanes=os.cpu_count() or 1)
    return time.perf_counter() - t0


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
    alone = Alone(images[-1])
    modes = ["embedded"]
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
        modes.append("redis")
    except redis.RedisError:
        print("(Redis not reachable: Redis column skipped)")
    try:
        results = {m: run_mode(m, args.runs, args.batch_runs, images, alone) for m in modes}
    finally:
        alone.close()
    keys = [k for k in results["embedded"] if not k.startswith("_")]
    from backend.settings import Settings

    settings = Settings.from_env()  # what the stacks' workers ran under (they inherit this environment)
    print(f"worker: FAPIAO_WORKER_MODE={settings.worker_mode}, FAPIAO_WORKERS={settings.workers}")
    header = f"{'metric':48}" + "".join(f"{m:>14}" for m in modes) + ("   redis/embedded" if len(modes) == 2 else "")
    print(header)
    for k in keys:
        row = f"{k:48}" + "".join(f"{results[m][k]:14.1f}" for m in modes)
        if len(modes) == 2 and results["embedded"][k]:
            row += f"   {results['redis'][k] / results['embedded'][k]:8.2f}"
        print(row)
    print("\nthe app against the reader alone (every core), same photos, each run paired with readings beside it:")
    for m in modes:
        r = results[m]["_ratios"]
        print(f"  {m}: single photo {statistics.median(r['single']):.2f}× the reader alone, batch "
              f"{statistics.median(r['batch']):.2f}× per photo (medians of {len(r['single'])} and {len(r['batch'])} "
              f"pairs; the reader alone {statistics.median(r['alone']) * 1000:.0f} ms per photo)")
    for m in modes:
        print(f"samples[{m}]: {results[m]['_samples']}")


if __name__ == "__main__":
    main()
