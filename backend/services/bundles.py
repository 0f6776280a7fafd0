"""One file, many invoices: a bundle's parts, each an invoice of its own, and their turn in the queue.

The upload makes one invoice (the head). Its reading finds the file holds several invoices (pages of a PDF,
receipts side by side in a photo) and splits: the head becomes the first part, and each other part becomes an
invoice with its own reading, status, checks, duplicate detection and history, pointing back to the one stored
file (`pages`, or `crop`: the box in the photo) and to the head (`part_of`).

Fair: a part's job is created `held` and joins the queue only when the bundle has fewer than `in_flight` jobs
there (two per worker), one more each time one of its own ends. An upload after a 29-page bundle so waits behind
a few of its pages, not all 28; two bundles interleave. Recovery tops up a bundle whose chain broke (a worker died).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

from .. import jobrows
from ..db import write_transaction
from ..models import Invoice, InvoiceStatus, Job, JobState
from ..runtime import Runtime
from . import indexing
from .events import EventKind, append

log = logging.getLogger(__name__)

def image_key(inv: Invoice) -> str:
    """What names the invoice's thumbnail and preview: the file's hash, and the part of the file it is. A
    copy of the same bytes is never read: it shows what its original's reading drew (a copy made before a
    bundle was split would otherwise look for a picture of the whole file, which none draws)."""
    if inv.duplicate_of_id and (inv.duplicate or {}).get("basis") == "same_file":
        original = Invoice.get_or_none(Invoice.id == inv.duplicate_of_id)
        if original is not None and original.file_id == inv.file_id:
            inv = original
    sha = inv.file.sha256
    if inv.pages:
        return f"{sha}.p{inv.pages[0]}"
    if inv.crop:
        x0, y0, *_ = (int(v) for v in inv.crop["box"])
        return f"{sha}.b{x0}_{y0}"
    return sha


def split(rt: Runtime, head: Invoice, parts: Iterable[dict]) -> int:
    """Cut the head's file into `parts` ({"pages": [1, 2]} or {"crop": {...}}), as they are found: the head
    becomes the first, each other an invoice of its own, made (and its reading queued in its turn) the moment
    the next is found, so that workers read a bundle's first pages while its last are still being looked at.
    Safe to run again on a split cut short (a worker died): parts made before are not made twice. Returns
    how many parts the file holds (1: it is one invoice, nothing changed)."""
    first, count = None, 0
    made = {_part_key(p) for p in Invoice.select().where(Invoice.part_of == head.id)}
    for part in parts:
        count += 1
        if first is None:
            first = part
        elif _part_key(part) not in made:
            _add_part(rt, head, part)
            release(rt, head.id)
    if count > 1:
        _finish(rt, head, first, count)
        release(rt, head.id)
    elif first and first.get("pages") and first["pages"] != sorted(first["pages"]):
        _finish(rt, head, first, None)  # one invoice, its 销货清单 printed first: read from its invoice page
    return count


def _part_key(part: Invoice | dict) -> str:
    pages, crop = (part.pages, part.crop) if isinstance(part, Invoice) else (part.get("pages"), part.get("crop"))
    return json.dumps([pages, crop and crop["box"]])


def _add_part(rt: Runtime, head: Invoice, part: dict) -> Invoice:
    now = rt.clock.now()
    with write_transaction():
        inv = Invoice.create(
            team=head.team_id, file=head.file_id, uploaded_by=head.uploaded_by_id, original_name=head.original_name,
            status=InvoiceStatus.RECEIVED.value, part_of=head.id, created_at=now, updated_at=now,
            search_text=indexing.search_text(head.original_name, None), **part)
        indexing.write_fts(inv.id, inv.search_text)
        job = jobrows.create(inv.id, "process", now, rt.settings.job_max_attempts)
        Job.update(state=JobState.HELD.value).where(Job.id == job.id).execute()
        event = append(inv, EventKind.INVOICE_CREATED, now)
    rt.notifier.publish([event])
    return inv


def _finish(rt: Runtime, head: Invoice, first: dict, count: int | None) -> None:
    """The head is the first part, and says how many the file held (the upload row shows it)."""
    now = rt.clock.now()
    with write_transaction():
        for name, value in {**first, "parts": count}.items():
            setattr(head, name, value)
        head.version += 1
        head.updated_at = now
        head.save()
        event = append(head, EventKind.INVOICE_UPDATED, now)
    rt.notifier.publish([event])


def bundle_of(inv: Invoice) -> int | None:
    """The head's id of the bundle this invoice is part of; None for an invoice that is a file of its own."""
    if inv.part_of:
        return inv.part_of
    return inv.id if inv.parts else None


def in_flight(rt: Runtime) -> int:
    """How many of one bundle's jobs may be in the queue at once: two per worker, so that every worker of an
    idle machine has the next page waiting when it finishes one (with one per worker, a worker sat out its
    idle poll between pages: a 30-page bundle took 1.6× the time of its pages uploaded one by one), and
    anyone else's upload waits for this many of its pages at most."""
    return 2 * max(1, rt.settings.workers)


def release(rt: Runtime, head_id: int) -> list[int]:
    """Queue the bundle's next held jobs, up to `in_flight` in the queue. Returns the job ids queued."""
    members = Invoice.select(Invoice.id).where((Invoice.part_of == head_id) | (Invoice.id == head_id))
    jobs = Job.select(Job.id, Job.state).where(Job.invoice.in_(members), Job.kind == "process")
    queued = sum(1 for j in jobs if j.state in jobrows.QUEUE)
    held = sorted(j.id for j in jobs if j.state == JobState.HELD.value)
    now = rt.clock.now()
    released = []
    for job_id in held[:max(0, in_flight(rt) - queued)]:
        # Conditional: of two workers finishing at once, each job is released by one.
        if Job.update(state=JobState.QUEUED.value, updated_at=now).where(
                Job.id == job_id, Job.state == JobState.HELD.value).execute():
            released.append(job_id)
    for job_id in released:
        try:
            rt.dispatch(job_id, 0)
        except Exception:  # noqa: BLE001 - the row is queued: recovery delivers it
            log.exception("enqueue of job %s failed; recovery will retry", job_id)
    return released


def after_job(rt: Runtime, invoice_id: int | None) -> list[int]:
    """A reading job ended (done, failed or to be retried): its bundle's next page may go."""
    inv = Invoice.get_or_none(Invoice.id == invoice_id) if invoice_id else None
    head = bundle_of(inv) if inv is not None else None
    return release(rt, head) if head else []


def release_stranded(rt: Runtime) -> list[int]:
    """Bundles whose held jobs wait on nothing (the job that would release them was lost): released."""
    heads = {inv.part_of for inv in Invoice.select(Invoice.part_of).join(Job, on=(Job.invoice == Invoice.id))
             .where(Job.state == JobState.HELD.value, Invoice.part_of.is_null(False)).distinct()}
    return [job_id for head in sorted(heads) for job_id in release(rt, head)]
