"""The audit log: append-only, one row per security- or money-relevant action (who, when, from where, what).
Only `record` writes it; the database refuses updates and deletes (migration 0007, a trigger on either backend).

Services call `record` where their change commits, inside its transaction when it has one, so a change and its
entry are kept or lost together. `address` is the caller's (the API passes the request's; the CLI and the
workers have none). Auditors read it newest first, a page at a time by id (`page`), or as a file (`export`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import peewee

from .. import parse
from ..clock import Clock, iso
from ..errors import AppError
from ..i18n import catalog, translate
from ..models import AuditEntry, Team, User
from ..sheets import xlsxstream
from ..sheets.cells import Column, Kind
from ..sheets.csvstream import CsvStream
from ..sheets.xlsxstream import XlsxStream
from ..sync.schedule import CHINA

WRITERS = {"xlsx": XlsxStream, "csv": CsvStream}
BATCH = 2000
XLSX_MAX_ROWS = xlsxstream.MAX_ROWS - 1  # the header takes one
MAX_FILTER_TEXT = 64
ACTION_FILTER = re.compile(r"[a-z_]+(\.[a-z_]+)*(\.\*)?")


def record(clock: Clock, action: str, *, actor: User | int | None = None, actor_name: str | None = None,
           team: int | None = None, target: str | None = None, address: str | None = None, **data) -> None:
    """Append one entry. `action` is a stable key (the UI and the export translate `audit.<action>`); `data`
    is what else an auditor needs to know (values that are None are left out)."""
    actor_id = actor.id if isinstance(actor, User) else actor
    if actor_name is None and isinstance(actor, User):
        actor_name = actor.username
    data = {k: v for k, v in data.items() if v is not None}
    AuditEntry.create(at=clock.now(), actor=actor_id, actor_name=(actor_name or "")[:64] or None, team=team,
                      action=action, target=target, address=(address or "")[:64] or None, data=data or None)


# --- reading it -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """Whose entries a reader may see: these teams' (they audit them), and the site-wide ones (no team: sign-ins,
    people) for a site admin."""

    teams: tuple[int, ...]
    site_wide: bool = False


@dataclass(frozen=True)
class Filter:
    actor: str | None = None  # a user id or a name as typed (failed sign-ins name no user): either matches
    action: str | None = None  # a key, or a family: `claim.*`
    date_from: dt.date | None = None  # China dates, both ends included
    date_to: dt.date | None = None
    before: int | None = None  # the cursor: entries older than this id


def parse_filter(args: Mapping[str, str]) -> Filter:
    """The query string's filters; a malformed one is 400 `request.invalid` with its name."""
    actor = _text(args, "actor")
    action = _text(args, "action")
    if action is not None and not ACTION_FILTER.fullmatch(action):
        raise AppError("request.invalid", field="action")
    before = args.get("before") or None
    try:
        before_id = parse.whole(before) if before else None  # ASCII digits: "²" and 4300+ digits were a 500
    except ValueError:
        raise AppError("request.invalid", field="before") from None
    if before_id == 0:
        raise AppError("request.invalid", field="before")
    return Filter(actor=actor, action=action, date_from=_date(args, "date_from"), date_to=_date(args, "date_to"),
                  before=before_id)


def _user_id(text: str) -> int | None:
    """The actor filter as a user id, when it is one (else it is a name)."""
    try:
        return parse.whole(text)
    except ValueError:
        return None


def _text(args: Mapping[str, str], name: str) -> str | None:
    value = (args.get(name) or "").strip()
    if len(value) > MAX_FILTER_TEXT:
        raise AppError("request.invalid", field=name)
    return value or None


def _date(args: Mapping[str, str], name: str) -> dt.date | None:
    raw = args.get(name)
    if not raw:
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise AppError("request.invalid", field=name) from None
    if not dt.date.min < day < dt.date.max:  # its China midnight in UTC, and the next day's, must exist
        raise AppError("request.invalid", field=name)  # (date_from=0001-01-01 was an OverflowError, a 500)
    return day


def _midnight_utc(day: dt.date) -> dt.datetime:
    """The start of a China day, in the naive UTC the database keeps."""
    return dt.datetime(day.year, day.month, day.day) - CHINA


def query(scope: Scope, f: Filter) -> peewee.ModelSelect:
    """The entries in scope that match, newest first."""
    where = AuditEntry.team.in_(scope.teams) if scope.teams else None
    if scope.site_wide:
        where = AuditEntry.team.is_null() if where is None else (where | AuditEntry.team.is_null())
    if where is None:
        where = AuditEntry.id.is_null()  # nothing: an id is never null
    q = AuditEntry.select().where(where)
    if f.actor is not None:
        named = AuditEntry.actor_name == f.actor
        actor_id = _user_id(f.actor)
        q = q.where((AuditEntry.actor == actor_id) | named if actor_id is not None else named)
    if f.action is not None:
        family = f.action.removesuffix(".*")
        q = q.where(AuditEntry.action.startswith(family + ".")) if f.action.endswith(".*") \
            else q.where(AuditEntry.action == f.action)
    if f.date_from is not None:
        q = q.where(AuditEntry.at >= _midnight_utc(f.date_from))
    if f.date_to is not None:
        q = q.where(AuditEntry.at < _midnight_utc(f.date_to + dt.timedelta(days=1)))
    if f.before is not None:
        q = q.where(AuditEntry.id < f.before)
    return q.order_by(AuditEntry.id.desc())


def entry_public(e: AuditEntry) -> dict:
    return {"id": e.id, "at": iso(e.at), "actor": e.actor, "actor_name": e.actor_name, "team": e.team,
            "action": e.action, "target": e.target, "address": e.address, "data": e.data or {}}


def page(scope: Scope, f: Filter, limit: int) -> tuple[list[dict], int | None]:
    """One page, newest first, and the cursor for the next (`before=`), None at the end."""
    rows = list(query(scope, f).limit(limit + 1))
    shown = rows[:limit]
    return [entry_public(e) for e in shown], shown[-1].id if len(rows) > limit else None


# --- the file ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Export:
    rows: int
    filename: str
    mimetype: str
    chunks: Iterator[bytes]


def export(clock: Clock, scope: Scope, f: Filter, *, fmt: str, lang: str, actor: User, address: str | None,
           team: int | None) -> Export:
    """The matching entries as a file that streams as it is written (xlsx or csv, by the invoice export's
    writers: text a spreadsheet would take for a formula is neutralised there). What it holds is fixed when it
    starts: entries written meanwhile (this export's own among them) are in the next one."""
    if fmt not in WRITERS:
        raise AppError("request.invalid", field="format")
    newest = query(scope, f).order_by().select(peewee.fn.MAX(AuditEntry.id)).scalar()
    fixed = Filter(f.actor, f.action, f.date_from, f.date_to, min(f.before or 2**62, (newest or 0) + 1))
    rows = query(scope, fixed).count()
    if fmt == "xlsx" and rows > XLSX_MAX_ROWS:
        raise AppError("export.too_many_rows", rows=rows, limit=XLSX_MAX_ROWS)
    record(clock, "audit.exported", actor=actor, address=address, team=team, format=fmt, rows=rows,
           filters={k: str(v) for k, v in vars(f).items() if v is not None} or None)
    writer = WRITERS[fmt]()
    day = (clock.now() + CHINA).date().isoformat()
    return Export(rows=rows, mimetype=writer.mimetype,
                  filename=f"{translate('audit.filename', lang)}-{day}.{writer.extension}",
                  chunks=_stream(scope, fixed, writer, lang))


def columns(lang: str) -> list[Column]:
    t = catalog(lang)
    names = ("id", "at", "actor", "actor_name", "team", "action", "action_key", "target", "address", "data")
    kinds = {"id": Kind.INTEGER, "at": Kind.DATETIME, "actor": Kind.INTEGER}
    widths = {"action": 24, "action_key": 24, "target": 16, "address": 16, "data": 60}
    return [Column(t.get(f"audit.col.{n}", n), kinds.get(n, Kind.TEXT), widths.get(n)) for n in names]


def _stream(scope: Scope, f: Filter, writer, lang: str) -> Iterator[bytes]:
    """Keyset batches by id, newest first: short indexed queries, none left open while the client reads."""
    labels = catalog(lang)
    teams = dict(Team.select(Team.id, Team.name).tuples())
    writer.begin(labels.get("audit.sheet", "audit"), columns(lang), expected_rows=0)
    yield writer.take()
    cursor = f.before
    while True:
        batch = list(query(scope, Filter(f.actor, f.action, f.date_from, f.date_to, cursor)).limit(BATCH))
        if not batch:
            break
        writer.rows([_row(e, teams, labels) for e in batch])
        yield writer.take()
        cursor = batch[-1].id
    writer.finish()
    yield writer.take()


def _row(e: AuditEntry, teams: dict[int, str], labels: dict[str, str]) -> tuple:
    data = json.dumps(e.data, ensure_ascii=False, sort_keys=True) if e.data else None
    return (e.id, e.at + CHINA, e.actor, e.actor_name, teams.get(e.team, e.team), labels.get(f"audit.{e.action}",
            e.action), e.action, e.target, e.address, data)
