"""Load: the scaled stack against the embedded default, in one run, on loopback.

    .venv/bin/python -m bench.load [--watchers 1000] [--photos 200] [--users 20] [--concurrency 8]
                                   [--timeout 900] [--only scaled|embedded]

Per mode: start it as an operator does (`fapiao run`, `fapiao run --scale`), create --users accountants through
the CLI and sign each in, open --watchers Socket.IO connections spread over their sessions (polling first, then
the upgrade, as the SPA does: behind nginx each session's sockets stay on the web process its cookie hashes to),
then upload --photos distinct photos (perturbed copies of the dev set's photos, else generated invoices) at
--concurrency over the same sessions, and wait until the database has read every one. Measured:
  - push latency: an event row's own time (`at`, written in the same transaction) → its arrival at a watcher;
  - Socket.IO round trip (the `rtt` echo) sampled across watchers while the photos are read;
  - upload → read throughput: photos per minute from the first upload to the last invoice leaving received /
    processing, both read from the database (the events that moved each invoice);
  - errors: HTTP non-2xx, failed connects, disconnects, echoes that timed out, pushes that never arrived;
  - peak RSS of every process of the mode (each with its children), sampled every second.
The watchers live in this one process on asyncio (python-socketio's AsyncClient on aiohttp), so a thousand fit;
its own event-loop lag is printed too, since a push's arrival is stamped when this loop gets to it.
Ports: scaled on 19000 (web 19101/19102, simulator 19001, Redis 19057, PostgreSQL database `bench_load`,
dropped and created each run); embedded on 19500. The last line is one JSON object with every number.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import resource
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

from bench.stack import REPO, UNREAD, Stack, rss_kb, tree

DEV_SET = REPO.parent / "shared" / "datasets" / "invoices-dev"
PHOTO_KINDS = {"photo", "scan", "rendered"}
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png"}
PORTS = {"scaled": 19000, "embedded": 19500}
REDIS_PORT = 19057
DATABASE = "bench_load"
CONNECT_AT_ONCE = 25  # sockets opening at a time: a thousand browsers do not open theirs in the same millisecond
GROUPS = ("supervisor", "web", "worker", "scheduler", "simulator", "nginx", "redis")


# --- the photos -------------------------------------------------------------------------------------------

def photos(count: int, seed: int = 7) -> tuple[list[tuple[str, bytes]], str]:
    """`count` distinct JPEGs: the dev set's photos, each copy slightly cropped, lit and compressed differently
    (so the file-level duplicate check never skips the work); generated invoices when the set is absent."""
    rng = random.Random(seed)
    sources = _dev_photos()
    origin = f"dev set ({len(sources)} photos, perturbed)" if sources else "generated invoices (no dev set)"
    out = []
    for i in range(count):
        img = sources[i % len(sources)] if sources else _generated(i)
        out.append((f"load-{i:04d}.jpg", _perturb(img, rng)))
    return out, origin


def _dev_photos() -> list[np.ndarray]:
    labels = DEV_SET / "labels.jsonl"
    if not labels.exists():
        return []
    images = []
    for line in labels.read_text().splitlines():
        row = json.loads(line)
        path = DEV_SET / "files" / row["file"]
        if row.get("kind") in PHOTO_KINDS and path.suffix.lower() in PHOTO_SUFFIXES and path.exists():
            img = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_COLOR)
            if img is not None:
                images.append(img)
    return images


def _generated(n: int) -> np.ndarray:
    from backend.weights import synth

    day = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    return synth.render(synth.Spec(invoice_number=f"{41000000 + n:08d}", issue_date=day,
                                   buyer_tax_id="91110000MA00000001"))


def _perturb(img: np.ndarray, rng: random.Random) -> bytes:
    h, w = img.shape[:2]
    top, bottom = (int(h * rng.uniform(0, 0.02)) for _ in range(2))
    left, right = (int(w * rng.uniform(0, 0.02)) for _ in range(2))
    cut = img[top:h - bottom, left:w - right]
    lit = cv2.convertScaleAbs(cut, alpha=rng.uniform(0.95, 1.05), beta=rng.uniform(-8, 8))
    return cv2.imencode(".jpg", lit, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(84, 95)])[1].tobytes()


# --- numbers -----------------------------------------------------------------------------------------------

def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def _epoch(value) -> float:
    """A naive-UTC time from either database (SQLite gives text) or an event's `at` (ISO with Z)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.rstrip("Z"))
    return value.replace(tzinfo=dt.UTC).timestamp()


class Sampler(threading.Thread):
    """Peak RSS per process group (a process counted with its descendants) and of the whole mode, and the CPU
    seconds each group used (where the machine's two cores went)."""

    def __init__(self, stack: Stack) -> None:
        super().__init__(daemon=True)
        self.stack = stack
        self.peak: dict[str, int] = {}
        self.total = 0
        self.ticks: dict[int, tuple[str, int]] = {}  # pid → (group, CPU ticks when last seen)
        self.halt = threading.Event()

    def run(self) -> None:
        while True:
            self.sample()
            if self.halt.wait(1.0):
                return

    def sample(self) -> None:
        sums: dict[str, int] = {}
        for name, pid in self.stack.processes().items():
            group = next((g for g in GROUPS if g in name), name)
            pids = [pid] if group == "supervisor" else tree(pid)  # its children are the others
            sums[group] = sums.get(group, 0) + sum(rss_kb(p) for p in pids)
            for p in pids:
                self.ticks[p] = (group, cpu_ticks(p) or self.ticks.get(p, (group, 0))[1])
        for group, kb in sums.items():
            self.peak[group] = max(self.peak.get(group, 0), kb)
        self.total = max(self.total, sum(sums.values()))

    def cpu_s(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for group, ticks in self.ticks.values():
            out[group] = out.get(group, 0.0) + ticks / TICKS
        return out


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid: int) -> int:
    """User + system CPU of a process so far, in clock ticks (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


# --- the watchers -------------------------------------------------------------------------------------------

class Watchers:
    """Every socket of one mode, what they received and what went wrong."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.clients: list = []
        self.connected: set[int] = set()
        self.latencies_ms: list[float] = []
        self.deliveries: Counter[int] = Counter()  # cursor → how many watchers got it
        self.connect_ms: list[float] = []
        self.errors = Counter()
        self.closing = False

    async def open(self, n: int, sessions: list) -> None:
        gate = asyncio.Semaphore(CONNECT_AT_ONCE)
        await asyncio.gather(*(self._open_one(i, sessions[i % len(sessions)], gate) for i in range(n)))

    async def _open_one(self, i: int, http, gate: asyncio.Semaphore) -> None:
        import socketio

        client = socketio.AsyncClient(reconnection=True, reconnection_delay=0.5, reconnection_delay_max=2,
                                      http_session=http, handle_sigint=False, request_timeout=20)

        async def on_event(ev: dict) -> None:
            self.latencies_ms.append((time.time() - _epoch(ev["at"])) * 1000)
            self.deliveries[ev["cursor"]] += 1

        async def on_connect() -> None:
            self.connected.add(i)

        async def on_disconnect(reason=None) -> None:
            self.connected.discard(i)
            if not self.closing:
                self.errors["disconnects"] += 1

        client.on("event", on_event)
        client.on("connect", on_connect)
        client.on("disconnect", on_disconnect)
        self.clients.append(client)
        async with gate:
            t0 = time.perf_counter()
            try:
                await client.connect(self.url, transports=["polling", "websocket"], wait_timeout=20)
                self.connect_ms.append((time.perf_counter() - t0) * 1000)
            except Exception:  # noqa: BLE001 - any failure to connect is the number we report
                self.errors["connect_failures"] += 1

    async def close(self) -> None:
        self.closing = True
        await asyncio.gather(*(c.disconnect() for c in self.clients), return_exceptions=True)


async def _rtt_sampler(watchers: Watchers, out: list[float], halt: asyncio.Event) -> None:
    import socketio

    while not halt.is_set():
        live = [watchers.clients[i] for i in watchers.connected]
        if live:
            t0 = time.perf_counter()
            try:
                await random.choice(live).call("rtt", {"t": t0}, timeout=10)
                out.append((time.perf_counter() - t0) * 1000)
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
                watchers.errors["rtt_timeouts"] += 1
        await asyncio.sleep(0.05)


async def _lag_monitor(out: list[float], halt: asyncio.Event) -> None:
    while not halt.is_set():
        t0 = time.perf_counter()
        await asyncio.sleep(0.1)
        out.append((time.perf_counter() - t0 - 0.1) * 1000)


# --- one mode ------------------------------------------------------------------------------------------------

def run_mode(mode: str, args, files: list[tuple[str, bytes]], tmp: Path) -> dict:
    started = time.monotonic()
    deadline = started + args.timeout
    stack = Stack(mode, tmp / mode, PORTS[mode], database=DATABASE, redis_port=REDIS_PORT)
    (tmp / mode).mkdir()
    sampler = Sampler(stack)
    try:
        stack.start(timeout=min(180, args.timeout))
        sampler.start()
        boot_s = time.monotonic() - started
        sessions = stack.users([f"load{i:02d}" for i in range(args.users)])
        team = stack.rows("SELECT id FROM team WHERE name = ?", "Team A")[0][0]
        cpu0 = time.process_time()
        result = asyncio.run(_drive(stack, args, files, sessions, team, deadline))
        result["bench_cpu_s"] = time.process_time() - cpu0
        sampler.halt.set()
        sampler.join()
        result["cpu_s"] = sampler.cpu_s()
        result["start_s"] = boot_s
        result["rss_mb"] = {g: kb / 1024 for g, kb in sampler.peak.items()}
        result["rss_total_mb"] = sampler.total / 1024
        result["wall_s"] = time.monotonic() - started
        return result
    except BaseException:
        with contextlib.suppress(OSError):
            print(f"--- {mode} log (tail) ---\n{stack.log.read_text()[-4000:]}", file=sys.stderr)
        raise
    finally:
        sampler.halt.set()
        stack.stop()


async def _drive(stack: Stack, args, files, sessions, team: int, deadline: float) -> dict:
    import aiohttp
    from yarl import URL

    https = []
    for s in sessions:
        # The socket's own cookie jar, as a browser's: python-engineio sends a Cookie *header* only with the
        # first handshake, so every poll after it would lose nginx's stickiness (and a reconnect its sign-in).
        jar = aiohttp.CookieJar(unsafe=True)  # unsafe: keep cookies for 127.0.0.1
        jar.update_cookies({c.name: c.value for c in s.cookies}, response_url=URL(stack.url))
        https.append(aiohttp.ClientSession(cookie_jar=jar, connector=aiohttp.TCPConnector(limit=0),
                                           headers={"X-Requested-With": "bench"}))
    watchers = Watchers(stack.url)
    try:
        result = await _measure(stack, args, files, https, watchers, team, deadline)
    finally:
        await watchers.close()
        for h in https:
            await h.close()
    if stack.mode == "scaled":
        await asyncio.sleep(1)  # nginx logs a websocket when it closes
        result["sockets_per_web"] = _spread(stack, watchers.errors)
    result["errors"] = dict(watchers.errors)
    result["error_total"] = sum(v for k, v in watchers.errors.items() if k != "uploads_duplicate")
    return result


def _spread(stack: Stack, errors: Counter) -> str:
    """How nginx spread the sockets over the web processes ("498/502"); a socket whose requests reached two
    of them (stickiness broken) is an error."""
    sids = stack.socket_upstreams()
    per_web = Counter(next(iter(u)) for u in sids.values() if len(u) == 1)
    broke = sum(1 for u in sids.values() if len(u) > 1)
    if broke:
        errors["sticky_breaks"] += broke
    return "/".join(str(n) for _, n in sorted(per_web.items()))


async def _measure(stack: Stack, args, files, https, watchers: Watchers, team: int, deadline: float) -> dict:
    rows = lambda sql, *a: asyncio.to_thread(stack.rows, sql, *a)  # noqa: E731 - the DB is read off the loop
    t0 = time.perf_counter()
    await watchers.open(args.watchers, https)
    open_s = time.perf_counter() - t0
    at_open = len(watchers.connected)
    (c0,) = (await rows("SELECT COALESCE(MAX(id), 0) FROM event"))[0]

    halt = asyncio.Event()
    rtts, lags = [], []
    side = [asyncio.create_task(_rtt_sampler(watchers, rtts, halt)) for _ in range(2)]
    side.append(asyncio.create_task(_lag_monitor(lags, halt)))

    upload_ms: list[float] = []
    ids: list[int] = []
    gate = asyncio.Semaphore(args.concurrency)

    async def upload(i: int, name: str, data: bytes) -> None:
        import aiohttp

        form = aiohttp.FormData()
        form.add_field("files", data, filename=name, content_type="image/jpeg")
        async with gate:
            t = time.perf_counter()
            try:
                async with https[i % len(https)].post(stack.url + "/api/uploads", data=form,
                                                      timeout=aiohttp.ClientTimeout(total=120)) as res:
                    body = await res.json(content_type=None) if res.status < 500 else {}
                    upload_ms.append((time.perf_counter() - t) * 1000)
                    if not 200 <= res.status < 300:
                        watchers.errors["http_non2xx"] += 1
                    for r in body.get("results", []):
                        if r.get("status") == "rejected":
                            watchers.errors["uploads_rejected"] += 1
                        elif "invoice" in r:
                            ids.append(r["invoice"]["id"])
                            if r["status"] == "duplicate":
                                watchers.errors["uploads_duplicate"] += 1
            except (TimeoutError, aiohttp.ClientError):
                watchers.errors["http_failures"] += 1

    first_upload = time.time()
    await asyncio.gather(*(upload(i, n, d) for i, (n, d) in enumerate(files)))
    uploaded_s = time.time() - first_upload

    # Until the database has read every photo (or the mode's time is up).
    timed_out = True
    while time.monotonic() < deadline:
        marks = ",".join("?" * len(ids)) or "NULL"
        (left,) = (await rows(f"SELECT COUNT(*) FROM invoice WHERE id IN ({marks}) AND status IN (?, ?)",
                              *ids, *UNREAD))[0]
        if left == 0:
            timed_out = False
            break
        await asyncio.sleep(1.0)
    halt.set()
    await asyncio.gather(*side)

    # Every push written so far should reach every watcher: give the last ones a moment, then count.
    (c_end,) = (await rows("SELECT COALESCE(MAX(id), 0) FROM event"))[0]
    expected = [r[0] for r in await rows("SELECT id FROM event WHERE team_id = ? AND id > ? AND id <= ?",
                                         team, c0, c_end)]
    settle = time.monotonic() + 15
    while time.monotonic() < settle:
        if sum(watchers.deliveries[c] for c in expected) >= len(expected) * at_open:
            break
        await asyncio.sleep(0.5)
    missing = len(expected) * at_open - sum(watchers.deliveries[c] for c in expected)
    if missing > 0:
        watchers.errors["pushes_missing"] += missing

    read_at = await _read_times(rows, ids)
    read = len(read_at)
    last = max(read_at.values(), default=first_upload)
    span = max(last - first_upload, 1e-9)
    if timed_out:
        watchers.errors["timed_out"] = 1
    return {
        "watchers_connected": at_open,
        "watchers_open_s": open_s,
        "connect_ms_p50": pct(watchers.connect_ms, 50),
        "connect_ms_p95": pct(watchers.connect_ms, 95),
        "photos_uploaded": len(ids),
        "photos_read": read,
        "upload_s": uploaded_s,
        "upload_ms_p50": pct(upload_ms, 50),
        "upload_ms_p95": pct(upload_ms, 95),
        "read_all_s": span if read else None,
        "photos_per_min": read / span * 60 if read else 0.0,
        "push_ms_p50": pct(watchers.latencies_ms, 50),
        "push_ms_p95": pct(watchers.latencies_ms, 95),
        "push_ms_max": max(watchers.latencies_ms, default=None),
        "pushes": len(watchers.latencies_ms),
        "events": len(expected),
        "rtt_ms_p50": pct(rtts, 50),
        "rtt_ms_p99": pct(rtts, 99),
        "rtt_samples": len(rtts),
        "client_lag_ms_p99": pct(lags, 99),
    }


async def _read_times(rows, ids: list[int]) -> dict[int, float]:
    """When each invoice left received/processing: the time of its first event with another status."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    out: dict[int, float] = {}
    for invoice_id, created_at, data in await rows(
            f"SELECT invoice_id, created_at, data FROM event WHERE invoice_id IN ({marks}) ORDER BY id", *ids):
        status = (json.loads(data).get("invoice") or {}).get("status")
        if invoice_id not in out and status and status not in UNREAD:
            out[invoice_id] = _epoch(created_at)
    return out


# --- the report --------------------------------------------------------------------------------------------

ROWS = [
    ("start (s)", "start_s"), ("watchers connected", "watchers_connected"),
    ("open all watchers (s)", "watchers_open_s"), ("sockets per web process", "sockets_per_web"),
    ("connect p50 (ms)", "connect_ms_p50"), ("connect p95 (ms)", "connect_ms_p95"),
    ("photos uploaded", "photos_uploaded"), ("photos read", "photos_read"), ("upload all (s)", "upload_s"),
    ("upload p50 (ms)", "upload_ms_p50"), ("upload p95 (ms)", "upload_ms_p95"),
    ("first upload → all read (s)", "read_all_s"), ("photos read / min", "photos_per_min"),
    ("events pushed", "events"), ("pushes received", "pushes"),
    ("push latency p50 (ms)", "push_ms_p50"), ("push latency p95 (ms)", "push_ms_p95"),
    ("push latency max (ms)", "push_ms_max"), ("Socket.IO rtt p50 (ms)", "rtt_ms_p50"),
    ("Socket.IO rtt p99 (ms)", "rtt_ms_p99"), ("rtt samples", "rtt_samples"),
    ("bench client loop lag p99 (ms)", "client_lag_ms_p99"), ("errors (all kinds)", "error_total"),
    ("peak RSS, all processes (MB)", "rss_total_mb"), ("wall (s)", "wall_s"),
]


def _cell(v) -> str:
    if v is None:
        return "-"
    return f"{v:.1f}" if isinstance(v, float) else str(v)


def report(results: dict[str, dict]) -> dict:
    modes = [m for m in ("embedded", "scaled") if m in results]
    both = len(modes) == 2
    print(f"\n{'metric':34}" + "".join(f"{m:>14}" for m in modes) + ("   scaled/embedded" if both else ""))
    ratios = {}
    lines = [(label, key, {m: results[m].get(key) for m in modes}) for label, key in ROWS]
    groups = sorted({g for m in modes for g in results[m].get("rss_mb", {})}, key=lambda g: (g not in GROUPS, g))
    lines += [(f"peak RSS {g} (MB)", f"rss_{g}_mb", {m: results[m].get("rss_mb", {}).get(g) for m in modes})
              for g in groups]
    cpus = sorted({g for m in modes for g in results[m].get("cpu_s", {})}, key=lambda g: (g not in GROUPS, g))
    lines += [(f"CPU {g} (s)", f"cpu_{g}_s", {m: results[m].get("cpu_s", {}).get(g) for m in modes}) for g in cpus]
    lines.append(("CPU bench client (s)", "bench_cpu_s", {m: results[m].get("bench_cpu_s") for m in modes}))
    for label, key, values in lines:
        row = f"{label:34}" + "".join(f"{_cell(values[m]):>14}" for m in modes)
        if both and isinstance(values["embedded"], int | float) and isinstance(values["scaled"], int | float) \
                and values["embedded"]:
            ratios[key] = values["scaled"] / values["embedded"]
            row += f"   {ratios[key]:14.2f}"
        print(row)
    for m in modes:
        print(f"errors[{m}]: {results[m].get('errors') or 'none'}")
    return ratios


def main() -> int:
    # A SIGTERM (e.g. from `timeout`) unwinds like Ctrl-C, so every started process is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--watchers", type=int, default=1000)
    ap.add_argument("--photos", type=int, default=200)
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--concurrency", type=int, default=8, help="uploads in flight at once")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per mode, start to stop")
    ap.add_argument("--only", choices=("scaled", "embedded"))
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # a socket (or two, mid-upgrade) per watcher
    if hard < 2 * args.watchers + 256:
        print(f"bench.load: open files limited to {hard}; {args.watchers} watchers may not fit", file=sys.stderr)
    files, origin = photos(args.photos)
    print(f"{len(files)} photos from {origin}, {sum(len(d) for _, d in files) / 1e6:.1f} MB; "
          f"{args.watchers} watchers over {args.users} users", flush=True)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        for mode in ("embedded", "scaled"):
            if args.only in (None, mode):
                print(f"== {mode} ...", flush=True)
                results[mode] = run_mode(mode, args, files, Path(tmp))
                print(f"   {mode}: {results[mode]['photos_read']}/{len(files)} read in "
                      f"{_cell(results[mode]['read_all_s'])} s, errors {results[mode]['errors'] or 'none'}",
                      flush=True)
    ratios = report(results)
    print(json.dumps({"bench": "load", "photos_from": origin, "args": vars(args), **results,
                      "scaled_over_embedded": ratios}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
