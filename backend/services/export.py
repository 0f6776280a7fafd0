"""Exports of a team's invoices to Excel (xlsx) and CSV: one row per invoice with everything known about it,
and in xlsx a second sheet with the line items the authority's ledger gave.

An export first records what it includes — one ExportRecord and an ExportItem per invoice, in the export's
order, written by a single INSERT … SELECT in a short transaction — and then streams exactly those invoices,
reading them back in keyset batches of the ExportItem ids. So the file and the invoice timeline ("exported")
always agree, no transaction stays open while a client downloads, and memory stays at one batch whatever
the size. bench/export.py measures it at 100k rows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter

import peewee
from peewee import JOIN, Case, Value, fn

from ..access import Access, Uploader
from ..clock import Clock
from ..db import bulk_insert, database, is_postgres, write_transaction
from ..errors import AppError, NotFound
from ..i18n import catalog, translate
from ..models import Claim, ExportItem, ExportRecord, Invoice, LedgerRow, Team
from ..pipeline.fields import FIELD_NAMES
from ..serializers import decode_flags
from ..sheets import xlsxstream
from ..sheets.cells import Column, Kind
from ..sheets.csvstream import CsvStream
from ..sheets.xlsxstream import SheetFull, XlsxStream
from ..sync.schedule import CHINA
from . import audit, search

WRITERS = {"xlsx": XlsxStream, "csv": CsvStream}
BATCH = 2000
XLSX_MAX_ROWS = xlsxstream.MAX_ROWS - 1  # the header takes one
FIELD_KINDS = {"issue_date": Kind.DATE, "amount": Kind.TWO_DECIMALS, "tax": Kind.TWO_DECIMALS,
               "total": Kind.TWO_DECIMALS}
ITEM_FIELDS = (("tax_class", Kind.TEXT), ("business", Kind.TEXT), ("name", Kind.TEXT), ("spec", Kind.TEXT),
               ("unit", Kind.TEXT), ("quantity", Kind.NUMBER), ("price", Kind.NUMBER),
               ("amount", Kind.TWO_DECIMALS), ("rate", Kind.TEXT), ("tax", Kind.TWO_DECIMALS))


@dataclass(frozen=True)
class Export:
    """A recorded export, ready to stream: `chunks` yields the file's bytes as they are made."""

    records: tuple[int, ...]  # one ExportRecord per team whose invoices it holds
    rows: int
    format: str
    filename: str
    mimetype: str
    chunks: Iterator[bytes]


def start(clock: Clock, access: Access, *, fmt: str, team_id: int | None, ids: list[int] | None,
          args: Mapping[str, str], query_text: str, lang: str, address: str | None = None) -> Export:
    """An export for a person, of their team `team_id` or, as the board without one, of all their teams: the
    invoices `ids` (404 if any is not theirs to see), or every invoice the board filter in `args` matches."""
    teams = [access.team(team_id).id] if team_id is not None else access.teams_with()
    if not teams:
        raise AppError("auth.forbidden", 403)
    if not teams:
        raise NotFound()
    fill = _ids_fill(teams, ids) if ids else _filter_fill(teams, args)
    return _start(clock, teams, access.user.id, fmt, fill, query_text, lang, address)


def start_for_team(clock: Clock, team: Team, *, fmt: str, args: Mapping[str, str], query_text: str,
                   lang: str) -> Export:
    """An export made on the command line (no user): the team's invoices that the filter matches."""
    return _start(clock, [team.id], None, fmt, _filter_fill([team.id], args), query_text, lang)


# fill(export of each team) writes the export's ExportItem rows, in the export's order.
Fill = Callable[[dict[int, int]], None]


def _start(clock: Clock, teams: list[int], user_id: int | None, fmt: str, fill: Fill, query_text: str,
           lang: str, address: str | None = None) -> Export:
    if fmt not in WRITERS:
        raise AppError("request.invalid", field="format")
    records = _record(clock, teams, user_id, fmt, query_text, fill, address)
    ids = tuple(r.id for r in records)
    rows = sum(r.rows for r in records)
    writer = WRITERS[fmt]()
    day = (records[0].at + CHINA).date().isoformat()
    return Export(records=ids, rows=rows, format=fmt, mimetype=writer.mimetype,
                  filename=f"{translate('export.filename', lang)}-{day}.{writer.extension}",
                  chunks=stream(ids, rows, writer, lang))


# --- what an export includes -------------------------------------------------------------------------------

def _ids_fill(teams: list[int], ids: list[int]) -> Fill:
    def fill(export_of: dict[int, int]) -> None:
        team_of = dict(Invoice.select(Invoice.id, Invoice.team).where(Invoice.id.in_(ids),
                                                                       Invoice.team.in_(teams)).tuples())
        if len(team_of) != len(ids):
            raise NotFound()  # another team's invoice, or none at all: the same answer
        bulk_insert(ExportItem, ["export", "invoice"], [(export_of[team_of[i]], i) for i in ids])

    return fill


def _filter_fill(teams: list[int], args: Mapping[str, str]) -> Fill:
    selected = search.parse_filter(args)  # bad input fails here, before anything is written

    def fill(export_of: dict[int, int]) -> None:
        if len(export_of) == 1:
            export = Value(next(iter(export_of.values())))
        else:
            export = Case(Invoice.team, list(export_of.items()))
        # The uploader is joined because the board may sort by it.
        base = (Invoice.select(export, Invoice.id)
                .join(Uploader, JOIN.LEFT_OUTER, on=(Invoice.uploaded_by == Uploader.id))
                .where(Invoice.team.in_(teams)))
        query = search.order(search.apply(base, selected), selected)
        # One INSERT in the board's order: ExportItem ids keep the export's order across teams too.
        ExportItem.insert_from(query, [ExportItem.export, ExportItem.invoice]).as_rowcount().execute()

    return fill


def _record(clock: Clock, teams: list[int], user_id: int | None, fmt: str, query_text: str,
            fill: Fill, address: str | None = None) -> list[ExportRecord]:
    """The export's records and items, in one short transaction: a record for each team with invoices in it
    (the first team's alone when there are none: an empty export is recorded too)."""
    with write_transaction():
        now = clock.now()
        records = [ExportRecord.create(team=t, user=user_id, format=fmt, query=query_text or None, rows=0, at=now)
                   for t in teams]
        fill({r.team_id: r.id for r in records})
        counts = dict(ExportItem.select(ExportItem.export, fn.COUNT(ExportItem.id))
                      .where(ExportItem.export.in_([r.id for r in records])).group_by(ExportItem.export).tuples())
        total = sum(counts.values())
        if fmt == "xlsx" and total > XLSX_MAX_ROWS:  # raised inside: nothing is kept
            raise AppError("export.too_many_rows", rows=total, limit=XLSX_MAX_ROWS)
        kept = [r for r in records if counts.get(r.id)] or records[:1]
        ExportRecord.delete().where(ExportRecord.id.in_([r.id for r in records if r not in kept])).execute()
        for r in kept:
            r.rows = counts.get(r.id, 0)
            r.save(only=[ExportRecord.rows])
            audit.record(clock, "export.created", actor=user_id, address=address, team=r.team_id,
                         target=f"export:{r.id}", format=fmt, rows=r.rows, query=query_text or None)
    return kept


# --- the file ----------------------------------------------------------------------------------------------

def stream(records: tuple[int, ...], rows: int, writer, lang: str) -> Iterator[bytes]:
    """The recorded export written by `writer` (XlsxStream, CsvStream or anything with their methods)."""
    labels = _Labels(lang)
    writer.begin(labels.text("export.sheet.invoices"), invoice_columns(lang), expected_rows=rows)
    yield writer.take()
    for batch in _batches(records, lambda first, last: _invoice_query(records, first, last)):
        writer.rows([invoice_row(r, labels) for r in batch])
        yield writer.take()
    if writer.extension == "xlsx":
        yield from _items_sheet(records, rows, writer, labels)
    writer.finish()
    yield writer.take()


def _items_sheet(records: tuple[int, ...], rows: int, writer, labels: _Labels) -> Iterator[bytes]:
    writer.begin(labels.text("export.sheet.items"), item_columns(labels.lang), expected_rows=rows)
    seen: set[str] = set()  # a second file of an invoice shares its key: its items are listed once
    for batch in _batches(records, lambda first, last: _items_query(records, first, last)):
        try:
            writer.rows(item_rows(batch, seen))
        except SheetFull:
            break  # more items than a sheet holds: the invoices sheet is complete, the items stop here
        finally:
            yield writer.take()


_first = itemgetter(0)


def _batches(records: tuple[int, ...], query_for: Callable[[int, int], peewee.Query]) -> Iterator[list[tuple]]:
    """The export's rows a window of ExportItem ids at a time, read by `query_for(first, last)`: short
    indexed range queries, none left open, at most BATCH rows each (one INSERT gave the export's items
    consecutive ids; a concurrent export's ids among them only leave a window short). Windows by id range
    need no statistics: asked for "the next BATCH rows" with a LIMIT, PostgreSQL, not yet knowing the new
    rows, joined and sorted every remaining row each time. Raw rows: no per-value conversion by the ORM."""
    first, last = database.execute(ExportItem.select(fn.MIN(ExportItem.id), fn.MAX(ExportItem.id))
                                   .where(ExportItem.export.in_(records))).fetchone()
    if first is None:
        return
    for start in range(first, last + 1, BATCH):
        # Sorted here, not by the database: PostgreSQL would sort the wide rows on disk past its work_mem.
        rows = sorted(database.execute(query_for(start, start + BATCH - 1)).fetchall(), key=_first)
        if rows:
            yield rows


# What the export reads of each field's reading: its value and its confidence, in FIELD_NAMES order.
FIELD_PATHS = tuple(f"$.{name}.{part}" for name in FIELD_NAMES for part in ("value", "confidence"))


def _readings() -> peewee.Node:
    """The fields' values and confidences. SQLite picks them out in C (json_extract with every path: one parse,
    a short JSON array back), four times faster than json.loads of the whole reading with its boxes and
    alternatives; PostgreSQL's jsonb is slower at it than Python, so it hands back the reading's text."""
    if is_postgres():
        return Invoice.fields
    return fn.json_extract(Invoice.fields, *FIELD_PATHS)


def _invoice_query(records: tuple[int, ...], first: int, last: int) -> peewee.Query:
    return (ExportItem.select(ExportItem.id, Invoice.id, Invoice.original_name, _readings(), Invoice.family,
                              Invoice.status, Invoice.last_outcome, Invoice.duplicate_of, Invoice.reimbursement,
                              Claim.number, Invoice.reimbursed_at, Invoice.booking, Invoice.booking_period,
                              Invoice.voucher_no, Invoice.booked_at, Invoice.flags, Uploader.display_name,
                              Uploader.username, Invoice.created_at, Invoice.updated_at)
            .join(Invoice, on=(ExportItem.invoice == Invoice.id))
            .join(Claim, JOIN.LEFT_OUTER, on=(Invoice.claim == Claim.id))
            .join(Uploader, JOIN.LEFT_OUTER, on=(Invoice.uploaded_by == Uploader.id))
            .where(ExportItem.export.in_(records), ExportItem.id.between(first, last)))


def _items_query(records: tuple[int, ...], first: int, last: int) -> peewee.Query:
    return (ExportItem.select(ExportItem.id, Invoice.id, Invoice.key, LedgerRow.invoice_code,
                              LedgerRow.invoice_number, LedgerRow.items)
            .join(Invoice, on=(ExportItem.invoice == Invoice.id))
            .join(LedgerRow, on=((LedgerRow.team == Invoice.team) & (LedgerRow.key == Invoice.key)))
            .where(ExportItem.export.in_(records), ExportItem.id.between(first, last),
                   LedgerRow.items.is_null(False)))


# --- columns and rows --------------------------------------------------------------------------------------

def invoice_columns(lang: str) -> list[Column]:
    t = _Labels(lang).text
    fields = [Column(t(f"field.{n}"), FIELD_KINDS.get(n, Kind.TEXT), _FIELD_WIDTHS.get(n)) for n in FIELD_NAMES]
    confidences = [Column(translate("export.col.confidence", lang, {"field": t(f"field.{n}")}), Kind.TWO_DECIMALS)
                   for n in FIELD_NAMES]
    DT, TX = Kind.DATETIME, Kind.TEXT
    return [Column(t("export.col.id"), Kind.INTEGER), Column(t("export.col.file"), TX, 24), *fields, *confidences,
            Column(t("export.col.family"), TX, 16), Column(t("export.col.status"), TX),
            Column(t("export.col.last_outcome"), TX, 16), Column(t("export.col.duplicate_of"), Kind.INTEGER),
            Column(t("export.col.reimbursement"), TX), Column(t("export.col.claim"), TX, 14),
            Column(t("export.col.reimbursed_at"), DT), Column(t("export.col.booking"), TX),
            Column(t("export.col.booking_period"), TX), Column(t("export.col.voucher"), TX),
            Column(t("export.col.booked_at"), DT), Column(t("export.col.flags"), TX, 30),
            Column(t("export.col.uploader"), TX), Column(t("export.col.uploaded_at"), DT),
            Column(t("export.col.updated_at"), DT)]


_FIELD_WIDTHS = {"invoice_number": 22, "buyer_name": 30, "seller_name": 30, "buyer_tax_id": 22,
                 "seller_tax_id": 22, "total_in_words": 28, "check_code": 22}


def item_columns(lang: str) -> list[Column]:
    t = _Labels(lang).text
    return [Column(t("export.col.id"), Kind.INTEGER), Column(t("field.invoice_code"), Kind.TEXT, 14),
            Column(t("field.invoice_number"), Kind.TEXT, 22), Column(t("export.col.line"), Kind.INTEGER),
            *[Column(t(f"export.item.{name}"), kind, 30 if name == "name" else None) for name, kind in ITEM_FIELDS]]


def invoice_row(r: Sequence, labels: _Labels) -> tuple:
    (_, invoice_id, name, fields, family, status, outcome, duplicate_of, reimbursement, claim_number,
     reimbursed_at, booking, period, voucher, booked_at, flags, display_name, username, created, updated) = r
    read = _pairs(json.loads(fields)) if fields else _NO_READING
    return (invoice_id, name, *read[0::2], *read[1::2],
            labels.value("family", family), labels.value("status", status), labels.value("outcome", outcome),
            duplicate_of, labels.value("reimbursement", reimbursement), claim_number, _local(reimbursed_at),
            labels.value("booking", booking), period, voucher, _local(booked_at), labels.flags(flags),
            display_name or username, _local(created), _local(updated))


_NO_READING = (None,) * len(FIELD_PATHS)


def _pairs(read: list | dict) -> Sequence:
    """Value, confidence, value, … in FIELD_NAMES order, from either shape _readings() gives."""
    if isinstance(read, list):
        return read
    found = [read.get(name) or {} for name in FIELD_NAMES]
    return [f.get(part) for f in found for part in ("value", "confidence")]


def item_rows(batch: list[Sequence], seen: set[str]) -> list[tuple]:
    out = []
    for _, invoice_id, key, code, number, items in batch:
        if key in seen:
            continue
        seen.add(key)
        for line, item in enumerate(json.loads(items) or [], 1):
            out.append((invoice_id, code, number, line, *[item.get(name) for name, _ in ITEM_FIELDS]))
    return out


def _local(value) -> dt.datetime | None:
    """Stored naive UTC (SQLite hands back text, PostgreSQL a datetime) → China time, as people read it."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value + CHINA


class _Labels:
    """Stable keys → the request's language, looked up once per key."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._catalog = catalog(lang)
        self._flags: dict[str, str] = {}

    def text(self, key: str) -> str:
        return self._catalog.get(key, key)

    def value(self, prefix: str, value: str | None) -> str | None:
        return None if value is None else self._catalog.get(f"{prefix}.{value}", value)

    def flags(self, text: str | None) -> str | None:
        if not text:
            return None
        if text not in self._flags:
            self._flags[text] = "；".join(self.value("reconcile", f) for f in decode_flags(text))
        return self._flags[text]
