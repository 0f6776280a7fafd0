"""Accept one uploaded file: store it by content, create its invoice and job, queue the job.

The file is fsynced and the invoice + job rows committed before the caller answers
"accepted", so an accepted upload survives any crash after that answer. Queue delivery happens
after commit; if it is lost, recovery (jobs.runner.recover) delivers the job again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import BinaryIO

from .. import jobrows
from ..clock import iso
from ..db import write_transaction
from ..models import Invoice, InvoiceStatus, StoredFile, Team, User
from ..runtime import Runtime
from ..sniff import sniff
from . import identity, indexing
from .events import EventKind, append

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Accepted:
    invoice: Invoice
    duplicate: bool
    count: int = 1  # invoices in the file, when known (a bundle is split once it is read)


def accept(rt: Runtime, user: User, team: Team, filename: str, stream: BinaryIO) -> Accepted:
    store = rt.store
    received = store.receive(stream, rt.settings.max_upload_bytes)
    try:
        sniffed = sniff(received.temp_path, rt.settings.max_pixels)
    except BaseException:
        store.discard(received)
        raise
    store.commit(received)
    now = rt.clock.now()
    name = (filename or "upload")[-255:]
    with write_transaction():
        stored, _ = StoredFile.get_or_create(
            sha256=received.sha256,
            defaults={"size": received.size, "kind": sniffed.kind, "mime": sniffed.mime,
                      "width": sniffed.width, "height": sniffed.height, "created_at": now},
        )
        originals = _originals(team, stored)
        if originals:  # the same bytes again: one copy of each invoice the file held (a bundle holds many)
            copies = _copies(originals, team, stored, user, name, sniffed, now)
            invoice, job = copies[0], None
            events = [append(c, EventKind.INVOICE_CREATED, now) for c in copies]
        else:
            invoice = Invoice.create(
                team=team, file=stored, uploaded_by=user, original_name=name, status=InvoiceStatus.RECEIVED.value,
                width=sniffed.width, height=sniffed.height, created_at=now, updated_at=now,
                search_text=indexing.search_text(name, None))
            indexing.write_fts(invoice.id, invoice.search_text)
            job = jobrows.create(invoice.id, "process", now, rt.settings.job_max_attempts)
            events = [append(invoice, EventKind.INVOICE_CREATED, now)]
    if job is not None:
        _dispatch_quietly(rt, job.id)
    rt.notifier.publish(events)
    return Accepted(invoice, duplicate=bool(originals), count=max(1, len(originals)))


def _originals(team: Team, stored: StoredFile) -> list[Invoice]:
    """The invoices the team's first upload of this file became: its head, then its other parts. Each
    """
    head = Invoice.select().where(Invoice.team == team, Invoice.file == stored).order_by(Invoice.id).first()
    if head is None:
        return []
    return [head, *Invoice.select().where(Invoice.part_of == head.id).order_by(Invoice.id)]


def _copies(originals: list[Invoice], team: Team, stored: StoredFile, user: User, name: str, sniffed,
            now) -> list[Invoice]:
    """Duplicates of each invoice of a file uploaded before, part for part; the first copy heads them. A part
    identity linked to an invoice read before is a copy of that one."""
    copies: list[Invoice] = []
    for part in originals:
        original = part.duplicate_of or part
        head = copies[0].id if copies else None
        copy = Invoice.create(
            team=team, file=stored, uploaded_by=user, original_name=name, status=InvoiceStatus.DUPLICATE.value,
            reason="note.duplicate_of", reason_params=_duplicate_params(original), width=sniffed.width,
            height=sniffed.height, created_at=now, updated_at=now, pages=part.pages, crop=part.crop,
            part_of=head, parts=len(originals) if head is None and len(originals) > 1 else None,
            **_copy_of(original, name, now))
        indexing.write_fts(copy.id, copy.search_text)
        copies.append(copy)
    return copies


def _copy_of(original: Invoice, name: str, now) -> dict:
    """A byte-identical file shows what the first one read (it is never read again) and says so."""
    return {"duplicate_of": original, "duplicate": identity.same_file_evidence(original, now),
            "fields": original.fields, "family": original.family, "has_thumbnail": original.has_thumbnail,
            "page_count": original.page_count, "search_text": indexing.search_text(name, original.fields),
            **indexing.derived_columns(original.fields)}


def _duplicate_params(original: Invoice) -> dict:
    return {"invoice_id": original.id, "uploaded_at": iso(original.created_at)}


def _dispatch_quietly(rt: Runtime, job_id: int) -> None:
    # The job row is committed: if the queue is unreachable right now, recovery will deliver
    # it later, so the upload is still accepted.
    try:
        rt.dispatch(job_id, 0)
    except Exception:  # noqa: BLE001
        log.exception("enqueue of job %s failed; recovery will retry", job_id)
