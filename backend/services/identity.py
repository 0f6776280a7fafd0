"""One invoice, counted once: files that show the same invoice are linked to the first one read.

An invoice's identity is its key (代码-号码, or the 20-digit 数电 number) within its team. The first invoice
read with a key holds it; any later file with that key (another photo, the PDF of a photographed invoice,
the OFD of a PDF) becomes its duplicate, with the evidence (which fields agree or differ, who uploaded the
first and when). A duplicate is never checked at the authority and never enters a claim. The same number
with another code (or the same code, the number one slip away, the same total) is a near miss: a note, no
link. A person may unlink a wrong match; that is kept, and the pair is never linked again.
"""

from __future__ import annotations

from .. import jobrows
from ..clock import iso
from ..db import database, is_postgres, write_transaction
from ..errors import AppError
from ..models import Invoice, InvoiceStatus, User
from ..runtime import Runtime
from ..sync.matching import money, split_key
from . import activity, invoices, sync
from .sync_facts import FIELD_KEYS, values

COMPARED = tuple(k for k in FIELD_KEYS if k not in ("invoice_code", "invoice_number"))
MONEY_FIELDS = {"amount", "tax", "total"}
NEAR_LIMIT = 5
# A read invoice that may hold a key: not waiting to be read, not failed.
UNREAD = {InvoiceStatus.RECEIVED.value, InvoiceStatus.PROCESSING.value, InvoiceStatus.FAILED.value}


def lock_key(team_id: int, key: str) -> None:
    """Serialise work on one key of one team until the transaction ends (SQLite's write lock already does)."""
    if is_postgres():
        database.execute_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"key:{team_id}:{key}",))


def compare(ours: dict, theirs: dict) -> tuple[list[str], list[dict]]:
    """Which fields two readings agree on and which differ (fields missing on either side are not compared)."""
    agree, differ = [], []
    for name in COMPARED:
        a, b = ours.get(name), theirs.get(name)
        if a in (None, "") or b in (None, ""):
            continue
        same = money(a) == money(b) if name in MONEY_FIELDS else str(a).strip().upper() == str(b).strip().upper()
        if same:
            agree.append(name)
        else:
            differ.append({"field": name, "ours": a, "theirs": b})
    return agree, differ


def _who(user_id: int | None) -> str | None:
    user = User.get_or_none(User.id == user_id) if user_id else None
    return (user.display_name or user.username) if user else None


def _original_public(original: Invoice) -> dict:
    return {"id": original.id, "name": original.original_name, "uploaded_by": _who(original.uploaded_by_id),
            "uploaded_at": iso(original.created_at), "status": original.status}


def evidence(invoice: Invoice, original: Invoice, basis: str, now) -> dict:
    agree, differ = compare(values(invoice), values(original))
    return {"basis": basis, "key": original.key, "original": _original_public(original), "agree": agree,
            "differ": differ, "linked_at": iso(now)}


def same_file_evidence(original: Invoice, now) -> dict:
    return {"basis": "same_file", "key": original.key, "original": _original_public(original), "agree": [],
            "differ": [], "linked_at": iso(now)}


def _dismissed(invoice: Invoice) -> set[int]:
    return set(invoice.not_duplicate_of or ())


def _holder(invoice: Invoice) -> Invoice | None:
    """The first invoice read with this invoice's key, other than itself and those a person unlinked."""
    query = (Invoice.select().where(Invoice.team == invoice.team_id, Invoice.key == invoice.key,
                                    Invoice.id != invoice.id, Invoice.duplicate_of.is_null(),
                                    Invoice.status.not_in(sorted(UNREAD)))
             .order_by(Invoice.id))
    mine = _dismissed(invoice)
    for other in query:
        if other.id not in mine and invoice.id not in _dismissed(other):
            return other
    return None


def _near(invoice: Invoice) -> list[dict]:
    """Other invoices of the team one step from being this one: same number and another code, or the same
    code, the same total and a number one character apart."""
    code, number = split_key(invoice.key)
    if not number:
        return []
    same_number = (Invoice.select().where(Invoice.team == invoice.team_id, Invoice.id != invoice.id,
                                          Invoice.key.is_null(False), Invoice.key != invoice.key,
                                          Invoice.duplicate_of.is_null(),
                                          (Invoice.key == number) | Invoice.key.endswith(f"-{number}"))
                   .limit(NEAR_LIMIT))
    out = [{"id": o.id, "key": o.key, "kind": "code_differs", "name": o.original_name} for o in same_number]
    if code and invoice.total_amount is not None and len(out) < NEAR_LIMIT:
        same_code = (Invoice.select().where(Invoice.team == invoice.team_id, Invoice.id != invoice.id,
                                            Invoice.key.startswith(f"{code}-"), Invoice.key != invoice.key,
                                            Invoice.total_amount == invoice.total_amount,
                                            Invoice.duplicate_of.is_null())
                     .limit(50))
        for o in same_code:
            if _one_apart(split_key(o.key)[1], number) and len(out) < NEAR_LIMIT:
                out.append({"id": o.id, "key": o.key, "kind": "number_differs", "name": o.original_name})
    return out


def _one_apart(a: str, b: str) -> bool:
    if len(a) != len(b):
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                              and a[diff[1]] == b[diff[0]])


def relink(rt: Runtime, invoice: Invoice, by: User | None = None) -> None:
    """After an invoice's fields changed (read, or corrected): link it to the holder of its key, or release
    it when its key moved, and let the duplicates of a key it gave up find their new holder."""
    invoice = Invoice.get_by_id(invoice.id)
    if invoice.status in UNREAD or (invoice.duplicate or {}).get("basis") == "same_file":
        return
    orphans: list[int] = []
    released = False
    with write_transaction():
        if invoice.key:
            lock_key(invoice.team_id, invoice.key)
        holder = _holder(invoice) if invoice.key else None
        now = rt.clock.now()
        if holder is not None:
            if invoice.duplicate_of_id != holder.id:
                orphans = [d.id for d in Invoice.select(Invoice.id).where(Invoice.duplicate_of == invoice.id)]
                _link(rt, invoice, holder, by)
            else:
                invoices.update(rt, invoice, duplicate=evidence(invoice, holder, "same_key", now))
        else:
            if invoice.duplicate_of_id is not None:
                _release(rt, invoice, by, "key_changed")
                released = True
            orphans = [d.id for d in Invoice.select(Invoice.id)
                       .where(Invoice.duplicate_of == invoice.id, Invoice.key != invoice.key)]
            near = _near(invoice) if invoice.key else []
            note = {"basis": "near", "near": near} if near else None
            if (invoice.duplicate or None) != note:
                invoices.update(rt, invoice, duplicate=note)
    if released:
        sync.enroll(rt, Invoice.get_by_id(invoice.id), fresh=True)
    for orphan in orphans:  # their key's first holder is gone: the first of them takes it over
        with write_transaction():
            _release(rt, Invoice.get_by_id(orphan), None, "holder_changed")
        relink(rt, Invoice.get_by_id(orphan))
        orphan_now = Invoice.get_by_id(orphan)
        if orphan_now.duplicate_of_id is None:
            sync.enroll(rt, orphan_now, fresh=True)


def _link(rt: Runtime, invoice: Invoice, holder: Invoice, by: User | None) -> None:
    now = rt.clock.now()
    proof = evidence(invoice, holder, "same_key", now)
    activity.record(rt, invoice, "duplicate_linked", by, {"original": holder.id, "key": holder.key})
    invoices.update(rt, invoice, status=InvoiceStatus.DUPLICATE.value, reason="note.duplicate_key",
                    reason_params={"invoice_id": holder.id, "key": holder.key}, duplicate_of=holder.id,
                    duplicate=proof, next_check_at=None)


def _release(rt: Runtime, invoice: Invoice, by: User | None, why: str) -> None:
    """The invoice stands on its own again, back at its read status (the caller then enrols it at the
    authority, outside the transaction)."""
    was = invoice.duplicate_of_id
    activity.record(rt, invoice, "duplicate_released", by, {"original": was, "why": why})
    invoices.update(rt, invoice, status=invoices.reading_status(invoice.fields, invoice.validation), reason=None,
                    reason_params=None, duplicate_of=None, duplicate=None)


def unlink(rt: Runtime, invoice: Invoice, user: User) -> None:
    """A person says this file is not the invoice it was linked to: kept with who and when."""
    if invoice.duplicate_of_id is None:
        raise AppError("duplicate.not_linked", 409)
    original = invoice.duplicate_of_id
    dismissed = sorted(_dismissed(invoice) | {original})
    if not invoice.fields:  # a byte-identical copy of a file not read yet
        _reread(rt, invoice, dismissed, user)
        return
    with write_transaction():
        activity.record(rt, invoice, "duplicate_unlinked", user, {"original": original})
        invoices.update(rt, invoice, not_duplicate_of=dismissed)
        _release(rt, Invoice.get_by_id(invoice.id), user, "unlinked")
    relink(rt, invoice, by=user)  # it may still be the same as another file
    sync.enroll(rt, Invoice.get_by_id(invoice.id), fresh=True)


def _reread(rt: Runtime, invoice: Invoice, dismissed: list[int], user: User) -> None:
    """A byte-identical file was never read: read it now, as its own invoice."""
    now = rt.clock.now()
    job = None

    def queue() -> None:
        nonlocal job
        activity.record(rt, invoice, "duplicate_unlinked", user, {"original": invoice.duplicate_of_id})
        job = jobrows.create(invoice.id, "process", now, rt.settings.job_max_attempts)

    invoices.update(rt, invoice, also=queue, status=InvoiceStatus.RECEIVED.value, reason=None, reason_params=None,
                    duplicate_of=None, duplicate=None, not_duplicate_of=dismissed)
    rt.dispatch(job.id, 0)


SHARED = ("fields", "family", "has_thumbnail", "page_count", "width", "height", "qr_text", "validation", "reading")


def share_reading(rt: Runtime, invoice: Invoice) -> None:
    """Byte-identical copies uploaded before the first file was read show its reading once it is there."""
    now = rt.clock.now()
    for copy in Invoice.select().where(Invoice.duplicate_of == invoice.id):
        if (copy.duplicate or {}).get("basis") == "same_file" and copy.fields != invoice.fields:
            invoices.update(rt, copy, duplicate=same_file_evidence(invoice, now),
                            **{name: getattr(invoice, name) for name in SHARED})


def duplicates_of(invoice: Invoice) -> list[dict]:
    """The other files that show this invoice (the invoice page of the original lists them)."""
    rows = Invoice.select().where(Invoice.duplicate_of == invoice.id).order_by(Invoice.id)
    return [{"id": d.id, "name": d.original_name, "uploaded_by": _who(d.uploaded_by_id),
             "uploaded_at": iso(d.created_at), "basis": (d.duplicate or {}).get("basis")} for d in rows]
