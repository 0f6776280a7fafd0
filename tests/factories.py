"""Rows for tests, written the way the app writes them but without reading a file (no OCR).

`invoice(...)` stores a small file, creates the invoice with read fields and lets the services derive what
they derive (key, search text, flags), so search, claims and exports see it as they would a read invoice.
"""

from __future__ import annotations

import hashlib
import itertools
from decimal import Decimal

from backend.clock import FakeClock
from backend.db import write_transaction
from backend.models import Invoice, InvoiceStatus, StoredFile, Team, User
from backend.services import indexing, reconcile, sync
from backend.sync import machine

_seq = itertools.count(1)

FIELD_DEFAULTS = {
    "invoice_code": "1100171320", "issue_date": "2026-01-03", "buyer_name": "北京示例科技有限公司",
    "buyer_tax_id": "91110108MA01ABCD3X", "seller_name": "上海华为技术有限公司", "seller_tax_id": "91310115607207591K",
    "amount": "442.48", "tax": "57.52", "total": "500.00", "check_code": None,
}


def fields(**values) -> dict:
    """Stored field readings (as the reader leaves them) for the given values; None values are left out."""
    merged = {**FIELD_DEFAULTS, **values}
    if "invoice_number" not in merged:
        merged["invoice_number"] = f"{next(_seq):08d}"
    return {k: {"value": v, "confidence": 0.99, "box": None, "source": "ocr", "review": False, "alternatives": []}
            for k, v in merged.items() if v is not None}


def stored_file(content: bytes | None = None) -> StoredFile:
    body = content if content is not None else f"test file {next(_seq)}".encode()
    sha = hashlib.sha256(body).hexdigest()
    stored, _ = StoredFile.get_or_create(sha256=sha, defaults={"size": len(body), "kind": "jpeg", "mime": "image/jpeg",
                                                               "created_at": _now()})
    return stored


def _now():
    """Where the tests' FakeClock starts: rows made here are not from the future of the services' clock."""
    return FakeClock().now()


def invoice(team: Team | int, user: User | int | None = None, *, status: str = InvoiceStatus.FOUND.value,
            name: str | None = None, family: str = "vat_normal", created_at=None, file: StoredFile | None = None,
            **values) -> Invoice:
    """One read invoice of `team`; keyword arguments are field values (invoice_number="12345678", ...)."""
    now = created_at or _now()
    team_id = team.id if isinstance(team, Team) else team
    user_id = user.id if isinstance(user, User) else user
    with write_transaction():
        inv = Invoice(team=team_id, file=file or stored_file(), uploaded_by=user_id, status=status,
                      original_name=name or f"photo_{next(_seq)}.jpg", family=family, fields=fields(**values),
                      validation=[], created_at=now, updated_at=now)
        indexing.refresh(inv)
        if status in machine.SYNC_STATUSES:
            inv.authority_key = inv.key  # followed at the authority, as enrolment leaves it
        inv.flags = reconcile.flags_text(inv)
        inv.save()
        indexing.write_fts(inv.id, inv.search_text)
    return inv


PLATFORM_FIELDS = {"invoice_code": "1100094140", "invoice_number": "87654321", "issue_date": "2026-01-05",
                   "amount": "100.00", "tax": "13.00", "total": "113.00", "buyer_name": "甲公司",
                   "buyer_tax_id": "91110000MA00000001", "seller_name": "乙公司",
                   "seller_tax_id": "91110000MA00000002"}


def enrolled(rt, fields: dict = PLATFORM_FIELDS, status: str = "extracted", team_name: str = "Team A") -> Invoice:
    """An invoice read off a file (its own, distinct file) and enrolled for checks at the authority, as the worker
    leaves one."""
    team, _ = Team.get_or_create(name=team_name, defaults={"created_at": rt.clock.now()})
    now = rt.clock.now()
    sha = hashlib.sha256(f"enrolled-{next(_seq)}".encode()).hexdigest()
    stored = StoredFile.create(sha256=sha, size=1, kind="jpeg", mime="image/jpeg", created_at=now)
    inv = Invoice.create(team=team, file=stored, original_name="x.jpg", status=status, created_at=now,
                         updated_at=now, family="vat_special",
                         fields={k: {"value": v, "confidence": 0.99, "source": "ocr"} for k, v in fields.items()})
    sync.enroll(rt, inv, fresh=True)
    return Invoice.get_by_id(inv.id)


def many(team: Team | int, user: User | int | None, count: int, **values) -> list[Invoice]:
    return [invoice(team, user, **values) for _ in range(count)]


def money(value: str) -> Decimal:
    return Decimal(value)


def next_id() -> int:
    """A number no other factory row of this run has used (unique names)."""
    return next(_seq)
