"""Exports at scale: 100k invoices of one team to xlsx and CSV, the project's streaming writers against
xlsxwriter (constant_memory) and openpyxl (the obvious way: a workbook in memory, saved at the end).

    python -m bench.export [--rows 100000] [--runs 3] [--baseline-runs 1] [--items 0.5]
                           [--database-url postgresql://…] [--skip openpyxl,…]

Every writer runs the same export path (services/export.py: the ExportRecord/ExportItem rows, the keyset
batches, the row building) and differs only in what writes the file. Each run is a fresh Python process
(`--child`), so each peak RSS (VmHWM) is its own; the time is the whole export, recording included, from the
call to the last byte written to disk. The recording step (ExportRecord + 100k ExportItem rows) and the time
to the first byte are reported apart.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEED = 20260105
WRITERS = ("stream-xlsx", "csv", "xlsxwriter", "openpyxl")
BASELINE = "openpyxl"


# -- data -------------------------------------------------------------------------------------------------
def _field(value, rng: random.Random) -> dict:
    box = [rng.randint(0, 1800), rng.randint(0, 1200), rng.randint(40, 600), rng.randint(20, 40)]
    return {"value": value, "confidence": round(rng.uniform(0.7, 1.0), 4), "box": box, "source": "ocr",
            "review": False, "alternatives": []}


def _invoice_fields(i: int, rng: random.Random) -> tuple[dict, str, str, str]:
    amount = rng.randint(100, 2_000_000) / 100
    tax = round(amount * 0.13, 2)
    day = dt.date(2025, 1, 1) + dt.timedelta(days=i % 365)
    code, number = f"{3100 + i % 7:04d}{rng.randint(100000, 999999)}", f"{10_000_000 + i:08d}"
    seller = "=HYPERLINK(\"x\")" if i % 997 == 0 else f"上海某某{i % 3000}科技有限公司"  # now and then a formula
    values = {"invoice_code": code, "invoice_number": number, "issue_date": day.isoformat(),
              "check_code": f"{rng.randint(0, 10**20 - 1):020d}", "buyer_name": "北京示例科技有限公司",
              "buyer_tax_id": "91110108MA01ABCD3X", "seller_name": seller, "seller_tax_id": f"9131{i:014d}",
              "amount": f"{amount:.2f}", "tax": f"{tax:.2f}", "total": f"{amount + tax:.2f}",
              "total_in_words": "壹佰圆整"}
    return {k: _field(v, rng) for k, v in values.items()}, f"{code}-{number}", day.isoformat(), seller


def seed(url: str, rows: int, items_share: float) -> int:
    """A team with `rows` invoices (bulk insert, seeded) and ledger line items for `items_share` of them."""
    from backend.db import bulk_insert, database, open_database, upgrade, write_transaction
    from backend.models import Invoice, LedgerRow, StoredFile, Team, User

    open_database(url)
    upgrade()
    rng = random.Random(SEED)
    now = dt.datetime(2026, 1, 5, 9, 0)
    with database.connection_context(), write_transaction():
        team = Team.create(name=f"Bench {time.time_ns()}", created_at=now)
        user = User.create(username=f"bench{time.time_ns()}", password_hash="x", display_name="张三", created_at=now)
        stored = StoredFile.create(sha256=f"{time.time_ns():064d}", size=1, kind="jpeg", mime="image/jpeg",
                                   created_at=now)
        invoices, ledger = [], []
        for i in range(rows):
            fields, key, day, seller = _invoice_fields(i, rng)
            at = now - dt.timedelta(minutes=rows - i)
            invoices.append((team.id, stored.id, user.id, f"scan_{i}.jpg", "found", "vat_special",
                             json.dumps(fields, ensure_ascii=False), key, day, fields["total"]["value"], seller,
                             "unclaimed", "unbooked", "found", False, 1, 1, at, at))
            if rng.random() < items_share:
                items = [{"tax_class": "3040201", "business": None, "name": f"*信息技术服务*服务费{n}", "spec": None,
                          "unit": "项", "quantity": "1", "price": fields["amount"]["value"],
                          "amount": fields["amount"]["value"], "rate": "13%", "tax": fields["tax"]["value"]}
                         for n in range(rng.randint(1, 3))]
                code, number = key.split("-")
                ledger.append((team.id, key, code, number, json.dumps(items, ensure_ascii=False), "normal", True,
                               "import", "x", now))
        for start in range(0, rows, 10_000):
            bulk_insert(Invoice, ["team", "file", "uploaded_by", "original_name", "status", "family", "fields", "key",
                                  "issue_date", "total_amount", "seller_name", "reimbursement", "booking",
                                  "last_outcome", "has_thumbnail", "checks_done", "version", "created_at",
                                  "updated_at"], invoices[start:start + 10_000])
        bulk_insert(LedgerRow, ["team", "key", "invoice_code", "invoice_number", "items", "state", "positive",
                                "source", "row_hash", "updated_at"], ledger)
    return team.id


# -- the baselines, behind the same writer interface -----------------------------------------------------
def _typed(kind, value):
    """A value as openpyxl/xlsxwriter take it: numbers and dates as such, the rest as text."""
    from backend.sheets.cells import Kind, as_date, number_text

    if value is None or value == "":
        return None
    if kind in (Kind.INTEGER, Kind.NUMBER, Kind.TWO_DECIMALS):
        literal = number_text(value)
        return value if literal is None else float(literal)
    if kind == Kind.DATE:
        return as_date(value) or value
    return value


class _FileBook:
    """Written to a temporary file; its bytes come out only when the book is finished."""

    extension = "xlsx"
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    def __init__(self) -> None:
        fd, name = tempfile.mkstemp(suffix=".xlsx")
        os.close(fd)
        self.path = Path(name)
        self._done = False

    def take(self) -> bytes:
        if not self._done:
            return b""
        data = self.path.read_bytes()
        self.path.unlink(missing_ok=True)
        self._done = False
        return data


class XlsxwriterBook(_FileBook):
    def __init__(self) -> None:
        import xlsxwriter

        super().__init__()
        self._wb = xlsxwriter.Workbook(str(self.path), {"constant_memory": True})
        from backend.sheets.cells import Kind

        self._formats = {Kind.DATE: self._wb.add_format({"num_format": "yyyy-mm-dd"}),
                         Kind.DATETIME: self._wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
                         Kind.TWO_DECIMALS: self._wb.add_format({"num_format": "0.00"})}
        self._bold = self._wb.add_format({"bold": True})
        self._marked = self._wb.add_format({"quote_prefix": True})

    def begin(self, title, columns, expected_rows=0) -> None:
        self._ws = self._wb.add_worksheet(title)
        self._kinds = [c.kind for c in columns]
        for i, c in enumerate(columns):
            self._ws.set_column(i, i, c.display_width())
        self._ws.freeze_panes(1, 0)
        self._ws.write_row(0, 0, [c.header for c in columns], self._bold)
        self._row = 1

    def rows(self, rows) -> None:
        from backend.sheets.cells import Kind, risky

        ws, fmts = self._ws, self._formats
        for row in rows:
            for col, (kind, value) in enumerate(zip(self._kinds, row, strict=True)):
                v = _typed(kind, value)
                if v is None:
                    continue
                if isinstance(v, str):
                    ws.write_string(self._row, col, v, self._marked if risky(v) else None)
                elif isinstance(v, dt.date):
                    ws.write_datetime(self._row, col, v, fmts[Kind.DATE if kind == Kind.DATE else Kind.DATETIME])
                else:
                    ws.write_number(self._row, col, v, fmts.get(kind))
            self._row += 1

    def finish(self) -> None:
        self._wb.close()
        self._done = True


class OpenpyxlBook(_FileBook):
    """The obvious way: append every row to an in-memory workbook, format the cells, save."""

    def __init__(self) -> None:
        import openpyxl

        super().__init__()
        self._wb = openpyxl.Workbook()
        self._wb.remove(self._wb.active)

    def begin(self, title, columns, expected_rows=0) -> None:
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        from backend.sheets.cells import Kind

        self._ws = self._wb.create_sheet(title)
        self._ws.append([c.header for c in columns])
        for cell in self._ws[1]:
            cell.font = Font(bold=True)
        self._ws.freeze_panes = "A2"
        for i, c in enumerate(columns, 1):
            self._ws.column_dimensions[get_column_letter(i)].width = c.display_width()
        self._kinds = [c.kind for c in columns]
        self._numfmt = {Kind.DATE: "yyyy-mm-dd", Kind.DATETIME: "yyyy-mm-dd hh:mm:ss", Kind.TWO_DECIMALS: "0.00"}

    def rows(self, rows) -> None:
        from backend.sheets.cells import risky

        ws = self._ws
        for row in rows:
            values = [_typed(k, v) for k, v in zip(self._kinds, row, strict=True)]
            ws.append(values)
            n = ws._current_row  # ws[ws.max_row] would scan every cell: quadratic
            for col, (kind, v) in enumerate(zip(self._kinds, values, strict=True), 1):
                if kind in self._numfmt and v is not None:
                    ws.cell(row=n, column=col).number_format = self._numfmt[kind]
                elif isinstance(v, str) and risky(v):
                    cell = ws.cell(row=n, column=col)
                    cell.quotePrefix = True
                    cell.data_type = "s"  # openpyxl would take "=…" for a formula

    def finish(self) -> None:
        self._wb.save(self.path)
        self._done = True


def _writer(name: str):
    from backend.sheets.csvstream import CsvStream
    from backend.sheets.xlsxstream import XlsxStream

    return {"stream-xlsx": XlsxStream, "csv": CsvStream, "xlsxwriter": XlsxwriterBook,
            "openpyxl": OpenpyxlBook}[name]()


# -- one measured run, in its own process -------------------------------------------------------------------
def _hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(url: str, team_id: int, name: str, out: Path) -> dict:
    from backend.clock import SystemClock
    from backend.db import database, open_database
    from backend.models import Team
    from backend.services import export

    open_database(url)
    database.connect()
    writer = _writer(name)  # the writer's own imports belong to the process's base, not to the export
    team = Team.get_by_id(team_id)
    base = _hwm_mb()
    cpu = _cpu_s()
    started = time.perf_counter()
    fmt = "csv" if name == "csv" else "xlsx"
    # The real path, with the writer under test put in place of the one the format would pick.
    original = export.WRITERS[fmt]
    export.WRITERS[fmt] = lambda: writer
    try:
        made = export.start_for_team(SystemClock(), team, fmt=fmt, args={}, query_text="", lang="zh")
    finally:
        export.WRITERS[fmt] = original
    recorded = time.perf_counter()
    first_byte = None
    size = 0
    with out.open("wb") as fh:
        for chunk in made.chunks:
            if chunk and first_byte is None:
                first_byte = time.perf_counter()
            size += fh.write(chunk)
    done = time.perf_counter()
    return {"writer": name, "rows": made.rows, "seconds": done - started, "cpu_s": _cpu_s() - cpu,
            "record_s": recorded - started,
            "first_byte_s": (first_byte or done) - started, "bytes": size, "base_rss_mb": base,
            "peak_rss_mb": _hwm_mb()}


def _run_child(url: str, team_id: int, name: str, tmp: Path) -> dict:
    out = tmp / f"out-{name}.{'csv' if name == 'csv' else 'xlsx'}"
    proc = subprocess.run([sys.executable, "-m", "bench.export", "--child", name, "--database-url", url,
                           "--team-id", str(team_id), "--out", str(out)], capture_output=True, text=True,
                          check=False)
    if proc.returncode:
        raise SystemExit(f"{name} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _check(path: Path, rows: int) -> str:
    """The file opens and holds every row: calamine for xlsx (fast), csv for CSV."""
    if path.suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            n = sum(1 for _ in __import__("csv").reader(fh)) - 1
    else:
        from python_calamine import CalamineWorkbook

        n = len(CalamineWorkbook.from_path(str(path)).get_sheet_by_name("发票").to_python()) - 1
    return "ok" if n == rows else f"MISSING ROWS ({n} of {rows})"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--runs", type=int, default=3, help="runs of the project's writers (median)")
    p.add_argument("--baseline-runs", type=int, default=1, help="runs of xlsxwriter and openpyxl")
    p.add_argument("--items", type=float, default=0.5, help="share of invoices with ledger line items")
    p.add_argument("--database-url", default="")
    p.add_argument("--skip", default="", help="comma-separated writers to leave out")
    p.add_argument("--child", choices=WRITERS)
    p.add_argument("--team-id", type=int)
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args.database_url, args.team_id, args.child, args.out)))
        return
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        started = time.perf_counter()
        team_id = seed(url, args.rows, args.items)
        print(f"seeded {args.rows} invoices ({args.items:.0%} with line items) in {time.perf_counter() - started:.1f} s"
              f" on {url.split(':')[0]}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        results = {}
        for name in (w for w in WRITERS if w not in args.skip.split(",")):
            runs = [_run_child(url, team_id, name, tmp)
                    for _ in range(args.runs if name in ("stream-xlsx", "csv") else args.baseline_runs)]
            check = _check(tmp / f"out-{name}.{'csv' if name == 'csv' else 'xlsx'}", args.rows)
            results[name] = {"seconds": statistics.median(r["seconds"] for r in runs),
                             "cpu_s": statistics.median(r["cpu_s"] for r in runs),
                             "record_s": statistics.median(r["record_s"] for r in runs),
                             "first_byte_s": statistics.median(r["first_byte_s"] for r in runs),
                             "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
                             "base_rss_mb": min(r["base_rss_mb"] for r in runs),
                             "mb": runs[-1]["bytes"] / 2**20, "runs": len(runs), "check": check}
            _print(name, results[name], args.rows)
        _ratios(results)


def _print(name: str, r: dict, rows: int) -> None:
    print(f"{name:12} {r['seconds']:7.2f} s (cpu {r['cpu_s']:6.2f} s) {rows / r['seconds']:8,.0f} rows/s  "
          f"peak RSS {r['peak_rss_mb']:7.1f} MB "
          f"(base {r['base_rss_mb']:.0f})  first byte {r['first_byte_s']:6.2f} s  record {r['record_s']:.2f} s  "
          f"{r['mb']:6.1f} MB  x{r['runs']}  {r['check']}", flush=True)


def _ratios(results: dict) -> None:
    if BASELINE not in results:
        return
    base = results[BASELINE]
    for name, r in results.items():
        if name != BASELINE:
            print(f"{name:12} vs {BASELINE}: {base['seconds'] / r['seconds']:5.1f}x faster "
                  f"({base['cpu_s'] / r['cpu_s']:.1f}x less CPU), "
                  f"{base['peak_rss_mb'] / r['peak_rss_mb']:5.1f}x less peak RSS")


if __name__ == "__main__":
    main()
