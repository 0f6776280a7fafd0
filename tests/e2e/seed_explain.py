"""Seed the invoices tests/e2e/test_explanations.py explains, fast (no OCR):
`python -m tests.e2e.seed_explain TEAM USER`.

- `pending`: a 增值税普票 waiting for the authority, whose ledger row (imported in the test) disagrees on 金额,
  价税合计 and 购买方识别号;
- `ticket`: a train ticket read without its number;
- `copy`: a second upload of `pending`'s file, told apart by a note with the first upload's time (UTC in the API).
Prints the ids as JSON.
"""

from __future__ import annotations

import json
import sys

from backend.db import open_database
from backend.models import Invoice, Team, User
from backend.settings import Settings

from .. import factories

PENDING = {"invoice_code": "1100171320", "invoice_number": "12356976", "issue_date": "2026-01-05",
           "amount": "721.30", "tax": "93.77", "total": "815.07", "buyer_tax_id": "91110108MA01ABCD3X"}
FIRST_UPLOAD = "2026-01-03T06:05:00.000Z"


def seed(team: Team, user: User) -> dict:
    pending = factories.invoice(team, user, status="pending_sync", seller_name="上海华为技术有限公司", **PENDING)
    ticket = factories.invoice(team, user, status="extracted", family="train", name="火车票.jpg",
                               invoice_code=None, invoice_number=None, amount=None, tax=None, total="15.50",
                               buyer_tax_id=None, seller_tax_id=None, buyer_name=None, seller_name=None)
    copy = factories.invoice(team, user, status="duplicate", name="IMG_copy.jpg", **PENDING)
    Invoice.update(duplicate_of=pending.id, reason="note.duplicate_of", diagnosis=[], version=Invoice.version + 1,
                   reason_params={"invoice_id": pending.id, "uploaded_at": FIRST_UPLOAD}).where(
        Invoice.id == copy.id).execute()
    return {"pending": pending.id, "ticket": ticket.id, "copy": copy.id}


def main(argv: list[str]) -> int:
    settings = Settings.from_env()
    open_database(settings.db_url)
    print(json.dumps(seed(Team.get(Team.name == argv[0]), User.get(User.username == argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
