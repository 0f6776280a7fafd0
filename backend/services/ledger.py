"""The team's ledger of invoices the authority knows: imported export files and pulled feed rows.

Upserts by (team, key) and row hash, so importing the same file again changes nothing. Rows that
arrive for invoices the team is following settle them at once (no look-up quota spent).
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

from .. import jobrows
from ..clock import iso
from ..db import bulk_insert, write_transaction
from ..errors import InputError, NotFound
from ..models import Invoice, Job, LedgerImport, LedgerRow, Team
from ..runtime import Runtime
from ..sync import machine
from ..sync.exportfile import ExportRow, open_export, row_hash
from ..sync.matching import invoice_key
from . import audit, invoices
from .sync import apply_result
from .sync_facts import from_ledger_row, values

log = logging.getLogger(__name__)
BATCH = 2000
COLUMNS = ("invoice_code", "invoice_number", "issue_date", "seller_tax_id", "seller_name", "buyer_tax_id",
           "buyer_name", "amount", "tax", "total", "state", "positive", "kind", "risk", "check_code", "items",
           "remarks", "entry_status", "entry", "selected", "deductible_tax", "red_lock", "risk_state")
# What the authority's feed carries of a row (its entry status comes only with an export).
FEED_COLUMNS = ("invoice_code", "invoice_number", "issue_date", "seller_tax_id", "seller_name", "buyer_tax_id",
                "buyer_name", "amount", "tax", "total", "state", "kind", "risk", "check_code")
# What a new row gets for a column its file does not have.
DEFAULTS = {"state": "normal", "positive": True}


@dataclass
class ImportSummary:
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    settled: int = 0  # followed invoices the new rows settled
    problems: list[dict] = field(default_factory=list)
    stopped: dict | None = None  # {key, params}: the file broke off here; the rows before it are kept

    def as_dict(self) -> dict:
        return {"rows": self.rows, "inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged,
                "settled": self.settled, "problems": self.problems[:100], "problem_count": len(self.problems),
                "stopped": self.stopped}


def queue_import(rt: Runtime, team: Team, user_id: int | None, filename: str, stream: BinaryIO,
                 max_bytes: int, *, address: str | None = None) -> LedgerImport:
    """Keep the uploaded file, then let a worker import it: the web process stays responsive."""
    received = rt.store.receive(stream, max_bytes)
    rt.store.commit(received)
    now = rt.clock.now()
    with write_transaction():
        record = LedgerImport.create(team=team.id, user=user_id, filename=(filename or "export")[-255:],
                                     sha256=received.sha256, created_at=now)
        job = jobrows.create(None, "ledger_import", now, rt.settings.job_max_attempts, requested_by=user_id,
                               payload={"import_id": record.id})
        audit.record(rt.clock, "ledger.import_queued", actor=user_id, address=address, team=team.id,
                     target=f"ledger_import:{record.id}", filename=record.filename, sha256=received.sha256)
    rt.dispatch(job.id, 0)
    return record


def import_job(rt: Runtime, job: Job) -> None:
    record = LedgerImport.get_by_id(job.payload["import_id"])
    _set(record, state="running")
    with rt.store.path_for(record.sha256).open("rb") as fh:
        summary = import_file(rt, Team.get_by_id(record.team_id), fh, record.filename, actor=record.user,
                              target=f"ledger_import:{record.id}")
    _set(record, state="done", summary=summary.as_dict(), error=None, finished_at=rt.clock.now())


def import_failed(rt: Runtime, job: Job, key: str, params: dict) -> None:
    """The import job failed for good (a file that cannot be read at all): say why on its record."""
    record = LedgerImport.get_by_id(job.payload["import_id"])
    with write_transaction():
        _set(record, state="failed", error={"key": key, "params": params}, finished_at=rt.clock.now())
        audit.record(rt.clock, "ledger.import_failed", actor=record.user, team=record.team_id,
                     target=f"ledger_import:{record.id}", filename=record.filename, key=key)


def _set(record: LedgerImport, **changes) -> None:
    with write_transaction():
        LedgerImport.update(**changes).where(LedgerImport.id == record.id).execute()


def import_record(import_id: int, team_ids: list[int]) -> LedgerImport:
    record = LedgerImport.get_or_none(LedgerImport.id == import_id, LedgerImport.team.in_(team_ids))
    if record is None:
        raise NotFound()
    return record


def row_count(team: Team) -> int:
    return LedgerRow.select().where(LedgerRow.team == team.id).count()


def import_public(record: LedgerImport) -> dict:
    return {"id": record.id, "team_id": record.team_id, "filename": record.filename, "state": record.state,
            "summary": record.summary, "error": record.error, "created_at": iso(record.created_at),
            "finished_at": iso(record.finished_at)}


def import_file(rt: Runtime, team: Team, source: bytes | BinaryIO, filename: str, *, actor: int | None = None,
                target: str | None = None) -> ImportSummary:
    """Stream an export into the team's ledger, a batch per transaction: a file that breaks half-way
    keeps the batches before the break (re-importing it later completes it, changing nothing twice). The audit
    entry names `actor`, who asked for it (None: the command line), and `target`, the import's record."""
    fh = io.BytesIO(source) if isinstance(source, bytes) else source
    summary = ImportSummary()
    with open_export(fh, filename) as stream:
        summary.problems = stream.problems
        try:
            for batch in _batches(stream.rows, BATCH):
                summary.rows += len(batch)
                changed = upsert(rt, team.id, batch, "import", summary)
                summary.settled += settle(rt, team.id, changed, "ledger")
        except InputError as exc:
            if summary.rows == 0:
                raise  # nothing usable at all: the whole file is refused with its reason
            summary.stopped = {"key": exc.key, "params": exc.params}
    audit.record(rt.clock, "ledger.imported", actor=actor, team=team.id, target=target, filename=filename,
                 rows=summary.rows, inserted=summary.inserted, updated=summary.updated, unchanged=summary.unchanged,
                 settled=summary.settled, stopped=summary.stopped["key"] if summary.stopped else None)
    return summary


def _batches(rows: Iterable[ExportRow], size: int) -> Iterable[list[ExportRow]]:
    batch: list[ExportRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def rows_from_feed(rows: Iterable[dict]) -> list[ExportRow]:
    out = []
    for line, r in enumerate(rows):
        values_ = {c: r.get(c) for c in FEED_COLUMNS}
        values_["state"] = r.get("state") or "normal"
        out.append(ExportRow(line, invoice_key(r.get("invoice_code"), r.get("invoice_number")), values_,
                             row_hash(values_)))
    return out


def upsert(rt: Runtime, team_id: int, rows: list[ExportRow], source: str, summary: ImportSummary) -> list[str]:
    """Insert new keys, update changed ones, skip identical ones; returns keys inserted or updated.

    Works in batches, each its own transaction: a failure keeps the batches already written."""
    now = rt.clock.now()
    latest: dict[str, ExportRow] = {}
    for row in rows:  # a key twice in one file: the later row wins
        latest[row.key] = row
    unique = list(latest.values())
    summary.unchanged += len(rows) - len(unique)
    changed: list[str] = []
    for start in range(0, len(unique), BATCH):
        batch = unique[start:start + BATCH]
        with write_transaction():
            existing = (LedgerRow.select(LedgerRow.id, LedgerRow.key, LedgerRow.row_hash)
                        .where(LedgerRow.team == team_id, LedgerRow.key.in_([r.key for r in batch])))
            known = {r.key: (r.id, r.row_hash) for r in existing}
            fresh = [r for r in batch if r.key not in known]
            if fresh:
                records = [_record(team_id, r, source, now) for r in fresh]
                bulk_insert(LedgerRow, INSERT_COLUMNS, [_as_row(rec) for rec in records])
            for r in batch:
                if r.key in known and known[r.key][1] != r.row_hash:
                    record = _record(team_id, r, source, now)
                    LedgerRow.update(**record).where(LedgerRow.id == known[r.key][0]).execute()
                    summary.updated += 1
                    changed.append(r.key)
                elif r.key in known:
                    summary.unchanged += 1
            summary.inserted += len(fresh)
            changed.extend(r.key for r in fresh)
    return changed


INSERT_COLUMNS = ["team", "key", "source", "row_hash", "updated_at", *COLUMNS]


def _as_row(record: dict) -> tuple:
    items = record.get("items")
    return tuple(json.dumps(items, ensure_ascii=False) if c == "items" and items is not None
                 else record.get(c, DEFAULTS.get(c)) for c in INSERT_COLUMNS)


def _record(team_id: int, row: ExportRow, source: str, now) -> dict:
    v = row.values
    return {"team": team_id, "key": row.key, "source": source, "row_hash": row.row_hash, "updated_at": now,
            **{c: v.get(c) for c in COLUMNS if c in v}}


# Found (or mismatching) invoices the authority may still void or red-flush afterwards: a ledger row saying so
# settles them again (the reimbursement reconciliation flags what was already paid out).
SETTLED_BUT_VOIDABLE = {"found", "mismatch"}


def settle(rt: Runtime, team_id: int, keys: list[str], trigger: str) -> int:
    """Apply new ledger rows to the invoices of this team that are waiting for them."""
    done = 0
    for start in range(0, len(keys), BATCH):
        chunk = keys[start:start + BATCH]
        waiting = Invoice.select().where(Invoice.team == team_id, Invoice.authority_key.in_(chunk),
                                         Invoice.status.in_(sorted(machine.WATCHED | SETTLED_BUT_VOIDABLE)))
        for invoice in waiting:
            row = LedgerRow.get(LedgerRow.team == team_id, LedgerRow.key == invoice.authority_key)
            if invoice.status in SETTLED_BUT_VOIDABLE and row.state not in ("voided", "red_flushed"):
                continue  # a found invoice changes only when the authority voids or red-flushes it later
            apply_result(rt, invoice, from_ledger_row(row, values(invoice)), trigger, None)
            done += 1
    invoices.ledger_changed(rt, team_id, keys)
    return done
