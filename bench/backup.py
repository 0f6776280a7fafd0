"""Backups at scale (issue 12's measure): `fapiao backup create / verify / restore` of 10k invoices with their files.

    python -m bench.backup [--invoices 10000] [--file-kb 150] [--runs 3] [--work DIR]
                           [--database-url postgresql://… --restore-url postgresql://…(an empty database)]

Seeds a data dir (SQLite, or the PostgreSQL database given): invoices of one team, each with its own stored
original (seeded random bytes, so nothing compresses: log-normal sizes around --file-kb, as phone photos after the
browser's downscale and PDFs are), a thumbnail and a preview, an event and an audit entry, and the simulator's
database. Then each command runs as the real CLI in a child process of its own (`python -m backend.cli backup …`,
scrypt at its real cost), `--runs` times: create (a new file each time), verify, restore (into a fresh data dir,
and a cleared PostgreSQL database). Prints the median wall time of each, the throughput over the data's size, the
backup's size against the data's, and each child's peak RSS (os.wait4). Not a test: numbers for the README.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

SEED = 20260105
PASSPHRASE = "bench backup passphrase"
THUMB_BYTES, PREVIEW_BYTES = 15_000, 90_000


def _size(rng: random.Random, mean_kb: int) -> int:
    return int(min(2_000_000, max(20_000, rng.lognormvariate(0, 0.6) * mean_kb * 1000 / 1.2)))


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def seed(data_dir: Path, url: str, invoices: int, file_kb: int) -> int:
    """The data dir and database; returns the bytes of originals, thumbnails and previews written."""
    from backend.db import bulk_insert, database, open_database, upgrade, write_transaction
    from backend.models import AuditEntry, Event, Invoice, StoredFile, Team, User
    from backend.simulator import store as sim

    rng = random.Random(SEED)
    now = dt.datetime(2026, 1, 5, 9, 0)
    open_database(url)
    upgrade()
    written = 0
    files, rows = [], []
    for i in range(invoices):
        body = rng.randbytes(_size(rng, file_kb))
        sha = hashlib.sha256(body).hexdigest()
        _write(data_dir / "files" / sha[:2] / sha[2:4] / sha, body)
        _write(data_dir / "thumbs" / sha[:2] / f"{sha}.jpg", rng.randbytes(THUMB_BYTES))
        _write(data_dir / "thumbs" / sha[:2] / f"{sha}.preview.jpg", rng.randbytes(PREVIEW_BYTES))
        written += len(body) + THUMB_BYTES + PREVIEW_BYTES
        files.append((sha, len(body), "jpeg", "image/jpeg", now))
        fields = {"invoice_number": {"value": f"{10_000_000 + i:08d}", "confidence": 0.99},
                  "seller_name": {"value": f"上海某某{i % 3000}科技有限公司", "confidence": 0.97},
                  "total": {"value": f"{rng.randint(100, 200_000) / 100:.2f}", "confidence": 0.99}}
        rows.append((json.dumps(fields, ensure_ascii=False), f"{10_000_000 + i:08d}", f"scan_{i}.jpg"))
    with database.connection_context(), write_transaction():
        team = Team.create(name="Bench", created_at=now)
        user = User.create(username="bench", password_hash="x", created_at=now)
        for start in range(0, len(files), 5000):
            bulk_insert(StoredFile, ["sha256", "size", "kind", "mime", "created_at"], files[start:start + 5000])
        ids = dict(StoredFile.select(StoredFile.sha256, StoredFile.id).tuples())
        invoice_rows = [(team.id, ids[f[0]], user.id, name, "found", "vat_special", fields_json, key, True, 0,
                         "unclaimed", "unbooked", 1, now, now)
                        for f, (fields_json, key, name) in zip(files, rows, strict=True)]
        for start in range(0, len(invoice_rows), 5000):
            bulk_insert(Invoice, ["team", "file", "uploaded_by", "original_name", "status", "family", "fields", "key",
                                  "has_thumbnail", "checks_done", "reimbursement", "booking", "version", "created_at",
                                  "updated_at"],
                        invoice_rows[start:start + 5000])
        invoice_ids = [i for (i,) in Invoice.select(Invoice.id).tuples()]
        bulk_insert(Event, ["team", "invoice", "kind", "data", "created_at"],
                    [(team.id, i, "invoice.created", "{}", now) for i in invoice_ids])
        bulk_insert(AuditEntry, ["at", "actor", "action", "target"],
                    [(now, user.id, "invoice.uploaded", f"invoice:{i}") for i in invoice_ids])
    sim.open_store(str(data_dir / "simulator.db"))
    for i in range(min(invoices, 2000)):
        sim.issue(f"{10_000_000 + i:08d}", {"total": "1.00"}, now, now)
    sim.db.close()
    return written


# The real CLI, then its own peak RSS (VmHWM) on stderr's last line.
_CHILD = ("import sys; from backend import cli; rc = cli.main(sys.argv[1:]); "
          "print('VmHWM', open('/proc/self/status').read().split('VmHWM:')[1].split()[0], file=sys.stderr); "
          "sys.exit(rc)")


def _cli(env: dict, *argv: str) -> tuple[float, int, list[str]]:
    """One `fapiao backup …` in a child process: (wall seconds, peak RSS in MB, stdout lines)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CHILD, "backup", *argv, "--lang", "en"], env=env,
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"backup {argv[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    peak_kb = int(done.stderr.strip().splitlines()[-1].split()[1])
    return seconds, peak_kb // 1024, done.stdout.strip().splitlines()


def _clear_pg(url: str) -> None:
    from backend.backup.snapshot import pg_clear

    pg_clear(url)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--invoices", type=int, default=10_000)
    ap.add_argument("--file-kb", type=int, default=150, help="median-ish size of an original")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", default=None, help="where the data dir, backups and restores go (default: a temp dir)")
    ap.add_argument("--database-url", default="", help="PostgreSQL to seed (default: SQLite in the data dir)")
    ap.add_argument("--restore-url", default="", help="an empty PostgreSQL database to restore into (with the above)")
    args = ap.parse_args()
    if bool(args.database_url) != bool(args.restore_url):
        raise SystemExit("--database-url and --restore-url go together")
    import tempfile

    work = Path(args.work or tempfile.mkdtemp(prefix="fapiao-bench-backup-"))
    data, backups = work / "data", work / "backups"
    shutil.rmtree(work, ignore_errors=True)
    data.mkdir(parents=True)
    if args.database_url:
        _clear_pg(args.database_url)
        _clear_pg(args.restore_url)
    url = args.database_url or f"sqlite:///{data / 'fapiao.db'}"
    started = time.perf_counter()
    written = seed(data, url, args.invoices, args.file_kb)
    print(f"seeded {args.invoices} invoices, {written / 1e6:.0f} MB of files in {time.perf_counter() - started:.0f} s",
          flush=True)
    env = {**os.environ, "FAPIAO_DATA_DIR": str(data), "FAPIAO_DATABASE_URL": args.database_url,
           "FAPIAO_SECRET_KEY": "bench", "FAPIAO_BACKUP_PASSPHRASE": PASSPHRASE, "FAPIAO_BACKUP_DIR": str(backups),
           "FAPIAO_BACKUP_KEEP": "0", "FAPIAO_BACKUP_KEEP_DAYS": "0"}
    times: dict[str, list[float]] = {"create": [], "verify": [], "restore": []}
    rss: dict[str, int] = {}
    path = None
    for run in range(args.runs):
        if path is not None:
            path.unlink()
        seconds, peak, out = _cli(env, "create")
        times["create"].append(seconds)
        rss["create"] = max(rss.get("create", 0), peak)
        path = Path(out[-1])
        print(f"  create #{run + 1}: {seconds:.1f} s, {path.stat().st_size / 1e6:.0f} MB", flush=True)
    for run in range(args.runs):
        seconds, peak, _ = _cli(env, "verify", str(path))
        times["verify"].append(seconds)
        rss["verify"] = max(rss.get("verify", 0), peak)
        print(f"  verify #{run + 1}: {seconds:.1f} s", flush=True)
    for run in range(args.runs):
        target = work / f"restored-{run}"
        extra = ["--database-url", args.restore_url] if args.restore_url else []
        seconds, peak, _ = _cli(env, "restore", str(path), "--data-dir", str(target), *extra)
        times["restore"].append(seconds)
        rss["restore"] = max(rss.get("restore", 0), peak)
        print(f"  restore #{run + 1}: {seconds:.1f} s", flush=True)
        shutil.rmtree(target)
        if args.restore_url:
            _clear_pg(args.restore_url)
    size = path.stat().st_size
    engine = "postgresql" if args.database_url else "sqlite"
    print(f"\n{args.invoices} invoices on {engine}: {written / 1e6:.0f} MB of originals, thumbnails and previews; "
          f"backup {size / 1e6:.0f} MB; median of {args.runs} (wall, a fresh process each, scrypt included):")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:8} {median:7.1f} s   {size / 1e6 / median:6.0f} MB/s   peak RSS {rss[name]} MB")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
