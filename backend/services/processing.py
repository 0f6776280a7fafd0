"""The job that reads one uploaded invoice: decode, orient, thumbnail, record statuses.

Runs in worker processes only. Field extraction plugs in after decoding.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..models import Invoice, InvoiceStatus, Job
from ..pipeline.decode import decode
from ..pipeline.thumbnail import make_thumbnail
from ..pipeline.types import Limits
from ..runtime import Runtime
from . import invoices


def thumbnail_path(rt: Runtime, sha256: str) -> Path:
    return rt.settings.thumbs_dir / sha256[:2] / f"{sha256}.jpg"


def process_invoice(rt: Runtime, job: Job) -> None:
    invoice = Invoice.get_by_id(job.invoice_id)
    invoices.set_status(rt, invoice, InvoiceStatus.PROCESSING.value)
    stored = invoice.file
    data = rt.store.path_for(stored.sha256).read_bytes()
    limits = Limits(max_pixels=rt.settings.max_pixels, max_pdf_pages=rt.settings.max_pdf_pages)
    document = decode(data, stored.kind, limits)
    page = document.first_page
    if page is not None:
        _write_atomically(thumbnail_path(rt, stored.sha256), make_thumbnail(page))
    height, width = page.shape[:2] if page is not None else (None, None)
    invoices.update(
        rt,
        invoice,
        status=InvoiceStatus.PROCESSED.value,
        reason=None,
        reason_params=None,
        page_count=document.page_count,
        width=width,
        height=height,
        has_thumbnail=page is not None,
    )


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
