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
        original = (
            Invoice.select()
            .where(Invoice.team == team, Invoice.file == stored, Invoice.duplicate_of.is_null())
            .order_by(Invoice.id)
            .first()
        )
        invoice = Invoice.create(
            team=team, file=stored, uploaded_by=user, original_name=name,
            status=(InvoiceStatus.DUPLICATE if original else InvoiceStatus.RECEIVED).value,
            reason="note.duplicate_of" if original else None,
            reason_params=_duplicate_params(original) if original else None,
            width=sniffed.width, height=sniffed.height, created_at=now, updated_at=now,
            **(_copy_of(original, name, now) if original else {"search_text": indexing.search_text(name, None)}),
        )
        indexing.write_fts(invoice.id, invoice.search_text)
        job = None if original else jobrows.create(invoice.id, "process", now, rt.settings.job_max_attempts)
        event = append(invoice, EventKind.INVOICE_CREATED, now)
    if job is not None:
        _dispatch_quietly(rt, job.id)
    rt.notifier.publish([event])
    return Accepted(invoice, duplicate=original is not None)


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
