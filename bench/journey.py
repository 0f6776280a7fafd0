"""The demo journey as a new user meets it: read → found on `make run`'s defaults (the simulator issues each
read invoice after a random sync delay, 120× faster than the authority's hours).

    python -m bench.journey [--invoices 12] [--timeout 900]

Starts the embedded stack (`fapiao run`: SQLite, local workers, the scheduler, the simulator in demo mode),
uploads distinct generated invoice photos, and polls each invoice over REST every second (the database is the
truth) until it settles or the time is up. Prints, per invoice, its issue date, seconds from read to settled, its
top cause when not found (the generator dates some invoices more than five years back: those are rightly not
found) and its look-ups; then read → found median, p90 and max, and as its last line one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from bench.latency import invoice_photos
from bench.stack import Stack, free

UNREAD = {"received", "processing"}
SETTLED = {"found", "mismatch", "voided", "red_flushed", "not_found", "failed", "duplicate"}


def _port() -> int:
    return next(p for p in range(8620, 8700, 2) if free(p) and free(p + 1))


def journey(count: int, timeout: float) -> list[dict]:
    photos = invoice_photos(count)
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack("embedded", Path(tmp), port=_port())
        try:
            stack.start()
            (session,) = stack.users(["journey"])
            ids = []
            for i, photo in enumerate(photos):  # one file a request, as the SPA's queue sends them
                res = session.post(stack.url + "/api/uploads", files=[("files", (f"j{i}.jpg", photo))], timeout=60)
                res.raise_for_status()
                ids.append(res.json()["results"][0]["invoice"]["id"])
            return _follow(stack, session, ids, timeout)
        finally:
            stack.stop()


def _follow(stack: Stack, session, ids: list[int], timeout: float) -> list[dict]:
    read_at: dict[int, float] = {}
    rows: dict[int, dict] = {}
    deadline = time.monotonic() + timeout
    while len(rows) < len(ids) and time.monotonic() < deadline:
        for inv_id in ids:
            if inv_id in rows:
                continue
            inv = session.get(f"{stack.url}/api/invoices/{inv_id}", timeout=10).json()["invoice"]
            now = time.monotonic()
            if inv["status"] not in UNREAD:
                read_at.setdefault(inv_id, now)
            if inv["status"] in SETTLED:
                checks = session.get(f"{stack.url}/api/invoices/{inv_id}/checks", timeout=10)
                causes = [d["key"] for d in inv.get("diagnosis") or []]
                rows[inv_id] = {"id": inv_id, "status": inv["status"], "seconds": round(now - read_at[inv_id], 1),
                                "look_ups": len(checks.json().get("checks", [])) if checks.ok else None,
                                "issue_date": ((inv.get("fields") or {}).get("issue_date") or {}).get("value"),
                                "cause": causes[0] if causes else None}
        time.sleep(1)
    for inv_id in ids:
        rows.setdefault(inv_id, {"id": inv_id, "status": "still pending", "seconds": None, "look_ups": None,
                                 "issue_date": None, "cause": None})
    return [rows[i] for i in ids]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--invoices", type=int, default=12)
    ap.add_argument("--timeout", type=float, default=900)
    args = ap.parse_args()
    rows = journey(args.invoices, args.timeout)
    for r in rows:
        print(f"invoice {r['id']:>3}  {r['issue_date'] or '?':<10}  {r['status']:<13} after {r['seconds']} s  "
              f"look-ups {r['look_ups']}  {r['cause'] or ''}")
    found = sorted(r["seconds"] for r in rows if r["status"] == "found")
    summary = {"invoices": len(rows), "found": len(found),
               "not_found": sum(r["status"] == "not_found" for r in rows),
               "still_pending": sum(r["status"] == "still pending" for r in rows),
               "median_s": statistics.median(found) if found else None,
               "p90_s": found[max(0, round(0.9 * len(found)) - 1)] if found else None,
               "max_s": found[-1] if found else None}
    print(f"\nread → found: median {summary['median_s']} s, p90 {summary['p90_s']} s, max {summary['max_s']} s "
          f"({summary['found']} of {summary['invoices']} found)")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
