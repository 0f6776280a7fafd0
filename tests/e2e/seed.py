"""Seed a running stack's database with read invoices, fast (no OCR): `python -m tests.e2e.seed TEAM USER [N]`.

The e2e tests of the finance board need a dozen read invoices with real sellers and amounts; reading that
many photos takes minutes on a small machine. This writes them the way tests/factories.py does (services
derive the key, search text and flags), into the database the stack's environment names. Prints the ids.
With N, N more invoices follow the dozen (bench/board_scroll.py scrolls through 10k+ of them).
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal

from backend.db import open_database
from backend.models import Invoice, Team, User
from backend.settings import Settings

from .. import factories

# (seller, total, issue date, status): four sellers share 华为, so a search for it finds exactly those.
ROWS = [
    ("上海华为技术有限公司", "1130.00", "2026-01-05", "found"),
    ("华为终端有限公司", "5999.00", "2026-01-12", "found"),
    ("深圳华为云计算技术有限公司", "226.00", "2026-02-02", "found"),
    ("上海华为技术有限公司", "339.00", "2026-02-14", "pending_sync"),
    ("北京京东世纪贸易有限公司", "89.90", "2026-01-08", "found"),
    ("深圳市腾讯计算机系统有限公司", "318.00", "2026-01-20", "found"),
    ("杭州阿里巴巴网络有限公司", "1580.50", "2026-01-25", "mismatch"),
    ("中国石化销售股份有限公司上海石油分公司", "400.00", "2026-02-01", "found"),
    ("滴滴出行科技有限公司", "56.30", "2026-02-03", "found"),
    ("上海携程国际旅行社有限公司", "2288.00", "2026-02-06", "not_found"),
    ("北京三快在线科技有限公司", "128.00", "2026-02-09", "found"),
    ("中国铁路上海局集团有限公司", "553.00", "2026-02-10", "found"),
]


def split(total: str) -> tuple[str, str]:
    """Amount and tax of a 13 % VAT invoice with this total."""
    t = Decimal(total)
    amount = (t / Decimal("1.13")).quantize(Decimal("0.01"))
    return str(amount), str(t - amount)


def seed(team: Team, user: User) -> list[int]:
    ids = []
    for seller, total, issued, status in ROWS:
        amount, tax = split(total)
        inv = factories.invoice(team, user, status=status, seller_name=seller, total=total, amount=amount, tax=tax,
                                issue_date=issued, name=f"IMG_{factories.next_id():04d}.jpg")
        ids.append(inv.id)
    # One already reimbursed and booked, so the board shows what finished work looks like.
    Invoice.update(reimbursement="reimbursed", booking="booked", booking_period="2026-01", voucher_no="记-0012",
                   version=Invoice.version + 1).where(Invoice.id == ids[4]).execute()
    return ids


def many(team: Team, user: User, count: int) -> None:
    """`count` more, cycling through the dozen's sellers with other amounts and dates (one transaction each)."""
    for i in range(count):
        seller, total, issued, status = ROWS[i % len(ROWS)]
        total = f"{Decimal(total) + i % 997:.2f}"
        amount, tax = split(total)
        issued = f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}"
        factories.invoice(team, user, status=status, seller_name=seller, total=total, amount=amount, tax=tax,
                          issue_date=issued, name=f"IMG_{factories.next_id():05d}.jpg")


def main(argv: list[str]) -> int:
    settings = Settings.from_env()
    open_database(settings.db_url)
    team = Team.get(Team.name == argv[0])
    user = User.get(User.username == argv[1])
    ids = seed(team, user)
    if len(argv) > 2:
        many(team, user, int(argv[2]))
    print(json.dumps(ids))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
