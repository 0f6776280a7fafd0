"""The job that reads one uploaded invoice: decode, orient, thumbnail, extract, validate.

Runs in worker processes only. Each reader stage is pushed live, so the board shows progress.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from .. import metrics
from ..models import Invoice, InvoiceStatus, Job, JobState
from ..pipeline import documents, pages
from ..pipeline.decode import decode
from ..pipeline.engines import Engines
from ..pipeline.extract import reader
from ..pipeline.ofdpage import render_ofd
from ..pipeline.thumbnail import make_thumbnail
from ..pipeline.types import Document, Limits
from ..runtime import Runtime
from . import activity, bundles, identity, invoices, sync


def thumbnail_path(rt: Runtime, key: str) -> Path:
    """`key`: bundles.image_key — the file's hash, and which part of the file the invoice is."""
    return rt.settings.thumbs_dir / key[:2] / f"{key}.jpg"


def preview_path(rt: Runtime, key: str) -> Path:
    return rt.settings.thumbs_dir / key[:2] / f"{key}.preview.jpg"


PREVIEW_LONG_SIDE = 1600  # what the invoice page shows under the field boxes


def process_invoice(rt: Runtime, job: Job) -> None:
    invoice = Invoice.get_by_id(job.invoice_id)
    invoices.update(rt, invoice, status=InvoiceStatus.PROCESSING.value, stage="decoding", reason=None,
                    reason_params=None)
    stored = invoice.file
    limits = Limits(max_pixels=rt.settings.max_pixels, max_pdf_pages=rt.settings.max_pdf_pages)
    data, document = _part_of_file(rt, invoice, rt.store.path_for(stored.sha256).read_bytes(), limits)
    page = document.first_page
    if page is None and stored.kind == "ofd":
        page = render_ofd(data)  # no pixels to decode: the page drawn from the text the reader reads
    if page is not None:
        key = bundles.image_key(invoice)
        _write_atomically(thumbnail_path(rt, key), make_thumbnail(page))
        _write_atomically(preview_path(rt, key), make_thumbnail(page, PREVIEW_LONG_SIDE, 85))

    def on_stage(name: str) -> None:
        if name != "decoding":  # already announced
            invoices.update(rt, invoice, stage=name)

    read = rt.reader or reader(rt.engines or Engines(), lanes=reading_lanes())
    result = read(data, stored.kind, limits, rt.clock.now().date(), on_stage, document)  # decoded once, here
    metrics.reader_stages(result.timings)
    height, width = page.shape[:2] if page is not None else (None, None)
    found = result.found
    invoices.update(
        rt,
        invoice,
        status=(InvoiceStatus.NEEDS_REVIEW if result.needs_review else InvoiceStatus.EXTRACTED).value,
        stage=None,
        reason=result.reason,  # not an invoice, hard to read, or nothing to look at (pipeline/verdict.py)
        reason_params=result.verdict_params or None,
        page_count=document.page_count,
        width=width,
        height=height,
        has_thumbnail=page is not None,
        family=result.family.value,
        fields={k: v.as_dict() for k, v in result.fields.items()},
        qr_text=result.qr_text,
        validation=[f.as_dict() for f in result.validation],
        reading={"timings": result.timings, "page_size": result.page_size},
        # The reason too: a page with nothing of an invoice on it is "not an invoice" in its history, not
        # an invoice of unknown type.
        also=lambda: activity.record(rt, invoice, "read", None, {"family": result.family.value,
                                                                 "found": len(found), "reason": result.reason}),
    )
    identity.relink(rt, invoice)
    identity.share_reading(rt, Invoice.get_by_id(invoice.id))
    sync.enroll(rt, Invoice.get_by_id(invoice.id), fresh=True)  # not a duplicate's: it is not checkable


def _part_of_file(rt: Runtime, invoice: Invoice, data: bytes, limits: Limits) -> tuple[bytes, Document]:
    """What this invoice is read from: the whole file, or its part of a bundle. A file never split before
    is split here, the first time it is read (its head keeps the first part)."""
    kind = invoice.file.kind
    whole = not (invoice.pages or invoice.crop or invoice.parts or invoice.part_of)
    if whole and kind in ("pdf", "ofd"):
        bundles.split(rt, invoice, ({"pages": [i + 1 for i in g]} for g in pages.iter_page_groups(data, kind, limits)))
    if invoice.pages:
        data = pages.subset(data, kind, invoice.pages)
    document = decode(data, kind, limits)
    photo = document.first_page if kind not in ("pdf", "ofd") else None
    if whole and photo is not None:
        bundles.split(rt, invoice, ({"crop": {"box": documents.bounds(q), "quad": q}} for q in documents.find(photo)))
    if invoice.crop and photo is not None:  # the reader, thumbnail and preview see this document only
        document = Document(kind, 1, (documents.cut(photo, invoice.crop["quad"]),))
    return data, document


def reading_lanes() -> int:
    """How many cores this reading may use: the cores shared among the readings now running (this one
    included). It recognises that many lines at once and detects on that many ONNX threads, so a lone
    photo uses the whole machine; in a batch each worker process reads one line at a time on its own
    one-thread sessions and every core stays busy with its own photo."""
    running = Job.select().where(Job.kind == "process", Job.state == JobState.RUNNING.value).count()
    return max(1, (os.cpu_count() or 1) // max(1, running))


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")  # a process's jobs run on threads
    tmp.write_bytes(data)
    os.replace(tmp, path)
