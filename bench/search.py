"""The finance team's list at scale: search, the first board page with its counts, and the duplicate lookup
at intake, each beside the obvious way in the same run.

    python -m bench.search [--invoices 100000] [--runs 30] [--pg postgresql://postgres@127.0.0.1:5432/fapiao_bench]

search       GET /api/invoices?q=… (through the real app and its JSON) for 2-character and longer Chinese
             fragments and digit fragments: ours (FTS5 trigram on SQLite, pg_trgm on PostgreSQL) vs
             `search_text LIKE '%…%'` with the same page, total and counts.
first page   GET /api/invoices?limit=50 with total, counts per status and facets.
duplicates   the identity lookup intake runs for each read invoice (team + key, indexed) vs a scan.

Prints p50 / p95 in ms and the ratio to the baseline. PostgreSQL runs when --pg names a reachable server
(the database is created when missing and its schema replaced).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

CITIES = ["北京", "上海", "深圳", "广州", "杭州", "成都", "南京", "武汉", "天津", "苏州", "西安", "重庆"]
NAMES = ["华为", "腾讯", "阿里", "京东", "美团", "滴滴", "顺丰", "联想", "海尔", "格力", "小米", "百度", "网易",
         "携程", "万科", "中兴", "比亚迪", "蒙牛", "伊利", "同仁堂", "全聚德", "如家", "锦江", "汉庭", "星巴克"]
TRADES = ["科技", "信息技术", "餐饮管理", "酒店管理", "物流", "建筑工程", "商贸", "文化传媒", "出行科技", "医药",
          "电子商务", "咨询服务", "汽车租赁", "印务", "办公用品"]
SUFFIX = ["有限公司", "有限责任公司", "股份有限公司", "分公司"]
BUYERS = ["北京示例科技有限公司", "上海某某信息技术有限公司", "深圳样本贸易有限公司"]
QUERIES = {"2-char Chinese": ["华为", "北京", "餐饮", "滴滴", "酒店"],
           "3+ Chinese": ["华为技术", "信息技术", "酒店管理", "滴滴出行", "同仁堂"],
           "digits": ["3345", "91310", "20008", "1100171320"]}
STATUSES = ["found"] * 60 + ["pending_sync"] * 15 + ["not_found"] * 8 + ["needs_review"] * 7 + \
           ["extracted"] * 4 + ["mismatch", "voided", "red_flushed", "duplicate", "sync_error", "failed"]


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def _fields(rng: random.Random, i: int, seller: str, buyer: str, total: float, date: str) -> dict:
    values = {"invoice_code": f"{1100 + i % 90:04d}17{rng.randint(1000, 9999)}", "invoice_number": f"{i:08d}",
              "issue_date": date, "seller_name": seller, "buyer_name": buyer,
              "seller_tax_id": f"9131{rng.randint(10**13, 10**14 - 1)}", "buyer_tax_id": "91110108MA01ABCD3X",
              "amount": f"{total / 1.13:.2f}", "tax": f"{total - total / 1.13:.2f}", "total": f"{total:.2f}"}
    return {k: {"value": v, "confidence": 0.99, "box": None, "source": "ocr", "review": False, "alternatives": []}
            for k, v in values.items()}


def populate(n: int, seed: int = 11) -> tuple[int, int]:
    """n read invoices of one team (plus a small second team), written in bulk; returns (team id, user id)."""
    from backend.clock import SystemClock
    from backend.db import bulk_insert, database
    from backend.models import Invoice, StoredFile
    from backend.services import indexing
    from backend.services.users import create_user

    rng = random.Random(seed)
    pg = _pg()
    user = create_user(SystemClock(), "bench", "bench-password-1", team_name="Bench")
    create_user(SystemClock(), "other", "bench-password-1", team_name="Other")
    now = dt.datetime(2026, 11, 30, 12, 0)
    stored = StoredFile.create(sha256="0" * 64, size=1, kind="jpeg", mime="image/jpeg", created_at=now)
    team_id = user.memberships[0].team_id
    columns = ["team", "file", "uploaded_by", "original_name", "status", "family", "fields", "validation", "version",
               "key", "issue_date", "total_amount", "seller_name", "buyer_name", "search_text", "search_grams",
               "reimbursement",
               "booking", "checks_done", "has_thumbnail", "created_at", "updated_at"]
    batch, fts = [], []
    for i in range(1, n + 1):
        seller = f"{rng.choice(CITIES)}{rng.choice(NAMES)}{rng.choice(TRADES)}{rng.choice(SUFFIX)}"
        buyer = rng.choice(BUYERS)
        total = round(rng.lognormvariate(6, 1.2), 2)
        date = (dt.date(2025, 1, 1) + dt.timedelta(days=rng.randint(0, 690))).isoformat()
        fields = _fields(rng, i, seller, buyer, total, date)
        derived = indexing.derived_columns(fields)
        name = f"IMG_{rng.randint(1000, 9999)}.jpg"
        text = indexing.search_text(name, fields)
        created = now - dt.timedelta(minutes=n - i)
        batch.append((team_id if i % 50 else team_id + 1, stored.id, user.id, name, rng.choice(STATUSES), "vat_normal",
                      json.dumps(fields, ensure_ascii=False), "[]", 1, derived["key"], derived["issue_date"],
                      derived["total_amount"], derived["seller_name"], derived["buyer_name"], text,
                      indexing.grams(text) if pg else None,
                      "reimbursed" if i % 7 == 0 else "unclaimed", "booked" if i % 5 == 0 else "unbooked", 0, False,
                      created, created))
        fts.append(text)
        if len(batch) == 5000 or i == n:
            with database.atomic():
                first = (Invoice.select(Invoice.id).order_by(Invoice.id.desc()).scalar() or 0) + 1
                bulk_insert(Invoice, columns, batch)
                for k, body in enumerate(fts):
                    indexing.write_fts(first + k, body)
            batch, fts = [], []
    if pg:  # a database in use has been vacuumed: index-only scans see the visibility map
        database.execute_sql("VACUUM ANALYZE invoice")
    else:
        database.execute_sql("ANALYZE")
    return team_id, user.id


def _pg() -> bool:
    from backend.db import is_postgres

    return is_postgres()


def _timed(fn, runs: int) -> list[float]:
    fn()  # warm
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _baseline(team_id: int, term: str):
    """The obvious way: LIKE over the column, the same page, total and counts."""
    from peewee import fn

    from backend.models import Invoice

    def run():
        base = Invoice.select().where(Invoice.team == team_id, Invoice.search_text.contains(term))
        list(base.order_by(Invoice.created_at.desc()).limit(50))
        base.count()
        list(base.select(Invoice.status, fn.COUNT(Invoice.id)).group_by(Invoice.status).order_by().tuples())
    return run


def measure(url: str, n: int, runs: int) -> None:
    from backend.app import create_app
    from backend.db import database, upgrade
    from backend.models import Invoice
    from backend.services import identity
    from backend.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), secret_key="bench", async_mode="threading", database_url=url,
                            connector="off", demo=False, frontend_dist=Path(tmp) / "dist")
        app = create_app(settings, dispatch=lambda *_: None)
        if url:
            with database.connection_context():
                database.execute_sql("DROP SCHEMA IF EXISTS public CASCADE")
                database.execute_sql("CREATE SCHEMA public")
        upgrade()
        database.connect(reuse_if_open=True)
        start = time.perf_counter()
        team_id, _ = populate(n)
        print(f"\n== {'PostgreSQL' if url else 'SQLite'}: {n} invoices written in {time.perf_counter() - start:.1f} s")
        client = app.test_client()
        client.environ_base["HTTP_X_REQUESTED_WITH"] = "bench"
        client.post("/api/auth/login", json={"username": "bench", "password": "bench-password-1"})

        def get(qs):
            def run():
                res = client.get(f"/api/invoices?{qs}")
                assert res.status_code == 200, res.json
            return run

        print(f"{'query':<22}{'hits':>7}{'ours p50':>10}{'p95':>8}{'LIKE p50':>10}{'p95':>8}{'ratio':>7}")
        all_ours, all_base = [], []
        for kind, terms in QUERIES.items():
            for term in terms:
                answer = client.get(f"/api/invoices?q={term}&limit=0")
                assert answer.status_code == 200, answer.json
                hits = answer.json["total"]
                ours = _timed(get(f"q={term}"), runs)
                database.connect(reuse_if_open=True)
                base = _timed(_baseline(team_id, term), runs)
                all_ours += ours
                all_base += base
                print(f"{kind[:9] + ' ' + term:<22}{hits:>7}{statistics.median(ours):>10.1f}{_pct(ours, .95):>8.1f}"
                      f"{statistics.median(base):>10.1f}{_pct(base, .95):>8.1f}"
                      f"{statistics.median(base) / statistics.median(ours):>6.1f}×")
        print(f"{'all queries':<22}{'':>7}{statistics.median(all_ours):>10.1f}{_pct(all_ours, .95):>8.1f}"
              f"{statistics.median(all_base):>10.1f}{_pct(all_base, .95):>8.1f}"
              f"{statistics.median(all_base) / statistics.median(all_ours):>6.1f}×   target p95 ≤ 100 ms")
        page = _timed(get("limit=50"), runs)
        print(f"first board page + total + counts + facets: p50 {statistics.median(page):.1f} ms, "
              f"p95 {_pct(page, .95):.1f} ms   target ≤ 150 ms")
        sorted_page = _timed(get("limit=50&sort=-total&status=found,pending_sync"), runs)
        print(f"filtered + sorted by total: p50 {statistics.median(sorted_page):.1f} ms, "
              f"p95 {_pct(sorted_page, .95):.1f} ms")

        database.connect(reuse_if_open=True)
        rng = random.Random(3)
        probes = [Invoice.get_by_id(rng.randint(1, n)) for _ in range(runs)]
        ours = []
        for inv in probes:
            t = time.perf_counter()
            identity._holder(inv)
            ours.append((time.perf_counter() - t) * 1000)
        scan = []
        for inv in probes[:10]:
            t = time.perf_counter()
            list(Invoice.select(Invoice.id).where(Invoice.team == inv.team_id,
                                                  Invoice.fields.contains(inv.fields["invoice_number"]["value"])))
            scan.append((time.perf_counter() - t) * 1000)
        ratio = statistics.median(scan) / statistics.median(ours)
        print(f"duplicate lookup at intake: p50 {statistics.median(ours):.2f} ms (indexed key) vs "
              f"{statistics.median(scan):.1f} ms (scan of the fields) = {ratio:.0f}×")
        database.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--invoices", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/fapiao_bench",
                    help="PostgreSQL URL to measure too ('' to skip)")
    args = ap.parse_args()
    measure("", args.invoices, args.runs)
    if args.pg and _ensure_pg(args.pg):
        measure(args.pg, args.invoices, args.runs)


def _ensure_pg(url: str) -> bool:
    try:
        import psycopg2
    except ImportError:
        return False
    from backend.scale import create_database

    base, _, name = url.rpartition("/")
    try:
        create_database(f"{base}/postgres", name)
    except psycopg2.OperationalError:
        print(f"PostgreSQL not reachable at {base}: skipped")
        return False
    return True


if __name__ == "__main__":
    main()
