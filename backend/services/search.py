"""Search and filters over a team's invoices: one parsed Filter, applied the same way by the board, bulk
actions, exports and the dashboard.

Text search uses each database's own index over `Invoice.search_text` (kept in step by indexing.py):
SQLite's FTS5 trigram table for terms of three characters or more, PostgreSQL's pg_trgm GIN index (ILIKE).
Shorter terms — Chinese company names are often searched by two characters (华为) — cannot use a trigram,
so they are matched by substring over the narrow FTS table (SQLite) or the column (PostgreSQL). Every
term must match; user text never reaches the query language (FTS terms are quoted, LIKE wildcards escaped).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl

import peewee
from peewee import SQL, fn

from .. import parse
from ..access import Access, Uploader
from ..db import database, is_postgres
from ..errors import AppError
from ..models import Booking, Invoice, InvoiceStatus, Reimbursement
from ..serializers import decode_flags
from . import events, reconcile
from .indexing import FTS_TABLE, GRAMS_TABLE, grams, normalise

MAX_QUERY = 200  # characters of the search box that count; the rest is ignored, never an error
MAX_TERMS = 8
MAX_PAGE = 200
TRIGRAM = 3

STATUSES = tuple(s.value for s in InvoiceStatus)
REIMBURSEMENTS = tuple(r.value for r in Reimbursement)
BOOKINGS = tuple(b.value for b in Booking)
FAMILIES = ("vat_special", "vat_normal", "vat_e_normal", "vat_e_special", "digital_special", "digital_normal",
            "taxi", "train", "toll", "unknown")
LISTS = {"status": STATUSES, "reimbursement": REIMBURSEMENTS, "booking": BOOKINGS, "family": FAMILIES,
         "flag": reconcile.FLAGS}
SORTS = {"created": Invoice.created_at, "date": Invoice.issue_date, "total": Invoice.total_amount,
         "seller": Invoice.seller_name, "status": Invoice.status, "uploader": Uploader.username}
DEFAULT_SORT = "-created"


@dataclass(frozen=True)
class Filter:
    terms: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    reimbursement: tuple[str, ...] = ()
    booking: tuple[str, ...] = ()
    family: tuple[str, ...] = ()
    flag: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    uploaded_by: int | None = None
    duplicate: bool | None = None
    claim: int | None = None
    team_id: int | None = None
    sort: str = DEFAULT_SORT

    def without_status(self) -> Filter:
        return Filter(**{f.name: getattr(self, f.name) for f in fields(self) if f.name != "status"})


# -- parsing --------------------------------------------------------------------------------------
def terms_of(q: str) -> tuple[str, ...]:
    """The search box as terms: normalised like the indexed text, at most MAX_TERMS, duplicates dropped."""
    printable = "".join(ch if ch.isprintable() else " " for ch in q[:MAX_QUERY])  # NUL never reaches SQL
    words = normalise(printable).split()
    return tuple(dict.fromkeys(words))[:MAX_TERMS]


def _list(args: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = args.get(name) or ""
    values = [v.strip() for v in raw.split(",") if v.strip()]
    unknown = [v for v in values if v not in LISTS[name]]
    if unknown:
        raise AppError("request.invalid", field=name)
    return tuple(dict.fromkeys(values))


def _date(args: Mapping[str, str], name: str) -> dt.date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise AppError("request.invalid", field=name) from None


def _amount(args: Mapping[str, str], name: str) -> Decimal | None:
    raw = (args.get(name) or "").strip().replace(",", "")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise AppError("request.invalid", field=name) from None
    if not value.is_finite() or abs(value) >= Decimal("1e12"):
        raise AppError("request.invalid", field=name)
    return value


def _id(args: Mapping[str, str], name: str) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    value = _whole(raw, name)
    if value == 0:
        raise AppError("request.invalid", field=name)
    return value


def _whole(raw: str, name: str, hi: int = parse.MAX_ID) -> int:
    try:
        return parse.whole(raw, hi)  # ASCII digits only: isdigit() takes "²", int() refuses 4300+ digits
    except ValueError:
        raise AppError("request.invalid", field=name) from None


def _flag(args: Mapping[str, str], name: str) -> bool | None:
    raw = (args.get(name) or "").strip().lower()
    if raw in ("", None):
        return None
    if raw not in ("true", "false", "1", "0"):
        raise AppError("request.invalid", field=name)
    return raw in ("true", "1")


# The filter's keys besides `q`, `sort` and the lists (LISTS), each with the function that reads it: parse_filter
# reads exactly these, and the API description (api/openapi.py) lists the same table.
READERS = {"date_from": _date, "date_to": _date, "amount_min": _amount, "amount_max": _amount, "uploaded_by": _id,
           "duplicate": _flag, "claim": _id, "team_id": _id}


def parse_filter(args: Mapping[str, str]) -> Filter:
    """A Filter from request arguments (or a parsed query string); unknown keys are ignored, bad values are
    a 400 `request.invalid` naming the field."""
    sort = (args.get("sort") or DEFAULT_SORT).strip()
    if sort.lstrip("-") not in SORTS:
        raise AppError("request.invalid", field="sort")
    return Filter(terms=terms_of(args.get("q") or ""), **{name: _list(args, name) for name in LISTS},
                  **{name: read(args, name) for name, read in READERS.items()}, sort=sort)


def parse_query_string(text: str) -> Filter:
    return parse_filter(dict(parse_qsl(text[:4000], keep_blank_values=True)))


# -- applying -------------------------------------------------------------------------------------
def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _pair(term: str) -> bool:
    """A two-character term the pair index holds as one word."""
    return len(term) == 2 and grams(term) == term


# Up to this many matches are looked up by id (about 0.1 ms each); more are matched where the team's indexes give
# the order and the counts (a flat ~60 ms at 100k invoices on SQLite; 北京, 38k matches, by id: 280 ms).
LOOKUP_AT_MOST = 500


def text_condition(terms: tuple[str, ...]) -> peewee.Expression | None:
    """Every term matches the invoice's search text (None: no text filter). The matches are counted here once
    per request: few become a list of ids every query of the request looks up; many stay a condition."""
    if not terms:
        return None
    if is_postgres():
        matches = _postgres_text(terms)
        few = Invoice.select(Invoice.id).where(matches).limit(LOOKUP_AT_MOST + 1).tuples()
    else:
        sql, params = _sqlite_matches(terms)
        # `+id` keeps SQLite from looking every match up by id: the set is probed in the team's index order.
        matches = peewee.NodeList((SQL("+"), Invoice.id), glue="").in_(SQL(f"({sql})", params))
        few = database.execute_sql(f"{sql} LIMIT {LOOKUP_AT_MOST + 1}", params)
    ids = [row[0] for row in few]
    if len(ids) > LOOKUP_AT_MOST:
        return matches
    return Invoice.id.in_(ids) if ids else SQL("1 = 0")


def _postgres_text(terms: tuple[str, ...]) -> peewee.Expression:
    conds = []
    for t in terms:
        if _pair(t):
            grams_vector = fn.to_tsvector("simple", fn.coalesce(Invoice.search_grams, ""))
            conds.append(peewee.Expression(grams_vector, "@@", fn.plainto_tsquery("simple", t)))
        else:  # pg_trgm serves three characters and more; the text is lower case already, so LIKE, not ILIKE
            conds.append(peewee.Expression(Invoice.search_text, "LIKE", f"%{_escape_like(t)}%"))
    out = conds[0]
    for c in conds[1:]:
        out &= c
    return out


def _sqlite_matches(terms: tuple[str, ...]) -> tuple[str, list]:
    """The ids of the invoices matching every term, as SQL over the two FTS5 tables."""
    long_terms = [t for t in terms if len(t) >= TRIGRAM]
    pairs = [t for t in terms if _pair(t)]
    rest = [t for t in terms if t not in long_terms and t not in pairs]
    queries, params = [], []
    if long_terms:  # one MATCH: the trigram index intersects the phrases itself
        queries.append(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH ?")
        params.append(" ".join(_fts_phrase(t) for t in long_terms))
    if pairs:
        queries.append(f"SELECT rowid FROM {GRAMS_TABLE} WHERE {GRAMS_TABLE} MATCH ?")
        params.append(" ".join(_fts_phrase(t) for t in pairs))
    for t in rest:  # one character, or punctuation: by substring over the index's own content table
        queries.append(f"SELECT id FROM {FTS_TABLE}_content WHERE instr(c0, ?) > 0")
        params.append(t)
    return " INTERSECT ".join(queries), params


def has_flag(flag: str) -> peewee.Expression:
    """The invoice carries this reconciliation flag ("|a|b|"): a plain substring test, no pattern."""
    position = fn.strpos if is_postgres() else fn.instr
    return position(fn.coalesce(Invoice.flags, ""), f"|{flag}|") > 0


def conditions(f: Filter, with_status: bool = True, text: peewee.Expression | None = None) -> list[peewee.Expression]:
    """The WHERE clauses of a filter; `text` is its text condition when the caller has made it already."""
    out = []
    text = text if text is not None else text_condition(f.terms)
    if text is not None:
        out.append(text)
    if with_status and f.status:
        out.append(Invoice.status.in_(f.status))
    if f.reimbursement:
        out.append(Invoice.reimbursement.in_(f.reimbursement))
    if f.booking:
        out.append(Invoice.booking.in_(f.booking))
    if f.family:
        out.append(Invoice.family.in_(f.family))
    for flag in f.flag:
        out.append(has_flag(flag))
    if f.date_from:
        out.append(Invoice.issue_date >= f.date_from)
    if f.date_to:
        out.append(Invoice.issue_date <= f.date_to)
    if f.amount_min is not None:
        out.append(Invoice.total_amount >= f.amount_min)
    if f.amount_max is not None:
        out.append(Invoice.total_amount <= f.amount_max)
    if f.uploaded_by is not None:
        out.append(Invoice.uploaded_by == f.uploaded_by)
    if f.duplicate is not None:
        out.append(Invoice.duplicate_of.is_null(not f.duplicate))
    if f.claim is not None:
        out.append(Invoice.claim == f.claim)
    if f.team_id is not None:
        out.append(Invoice.team == f.team_id)
    return out


def apply(query: peewee.ModelSelect, f: Filter, with_status: bool = True,
          text: peewee.Expression | None = None) -> peewee.ModelSelect:
    """`query` (over Invoice) narrowed to what the filter selects; ordering is `order`'s."""
    conds = conditions(f, with_status, text)
    return query.where(*conds) if conds else query


def order(query: peewee.ModelSelect, f: Filter) -> peewee.ModelSelect:
    """The filter's sort, ties broken by id; empty values last whichever way. Columns that are never empty get
    no NULLS clause, so PostgreSQL can read them in index order."""
    column = SORTS[f.sort.lstrip("-")]
    desc = f.sort.startswith("-")
    nulls = "LAST" if column.null else None
    key = column.desc(nulls=nulls) if desc else column.asc(nulls=nulls)
    return query.order_by(key, Invoice.id.desc() if desc else Invoice.id.asc())


# -- answers --------------------------------------------------------------------------------------
def summary(base: peewee.ModelSelect, f: Filter, text: peewee.Expression | None = None) -> dict:
    """Total, counts per status (the status filter left out, so each chip says what it would give) and facets
    (reimbursement, booking, flags) for the filter: one grouped read of the covering index (team, status,
    reimbursement, booking, flags); the few distinct flag strings are split here, not per row in SQL."""
    grouped = apply(base, f, with_status=False, text=text).select(
        Invoice.status, Invoice.reimbursement, Invoice.booking, Invoice.flags, fn.COUNT(SQL("*")).alias("n")
    ).group_by(Invoice.status, Invoice.reimbursement, Invoice.booking, Invoice.flags).order_by().tuples()
    counts: dict[str, int] = {}
    facets: dict[str, dict[str, int]] = {"reimbursement": {}, "booking": {}, "flags": {}}
    total = 0
    for status, reimbursement, booking_state, flags, n in grouped:
        counts[status] = counts.get(status, 0) + n
        if f.status and status not in f.status:
            continue
        total += n
        for facet, value in (("reimbursement", reimbursement), ("booking", booking_state)):
            facets[facet][value] = facets[facet].get(value, 0) + n
        for flag in decode_flags(flags):
            facets["flags"][flag] = facets["flags"].get(flag, 0) + n
    return {"total": total, "counts": counts, "facets": facets}


def _page_args(args: Mapping[str, str], name: str, default: int | None, hi: int) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    return _whole(raw, name, hi)


def listing(access: Access, args: Mapping[str, str], serialize) -> dict:
    """The board's answer: one page (by offset, or by the old id cursor for catch-up), the total, the counts
    per status and the facets, all for the same filter and only of the user's teams."""
    f = parse_filter(args)
    limit = _page_args(args, "limit", 50, MAX_PAGE)
    offset = _page_args(args, "offset", 0, 10**9)
    cursor = _page_args(args, "cursor", None, 2**62)
    since = _since(args)
    if f.team_id is not None:
        access.team(f.team_id)  # another team's id looks missing
    # Read the event cursor first: anything that changes after this point arrives as an event.
    event_cursor = events.latest_cursor(access.team_ids)
    base = access.invoices()
    text = text_condition(f.terms)  # once for the counts and the page
    out = {"items": [], "next_cursor": None, "next_offset": None, "event_cursor": event_cursor}
    if offset == 0 and cursor is None and since is None:  # later pages and catch-up reuse the first's counts
        out.update(summary(Invoice.select().where(Invoice.team.in_(access.team_ids)), f, text))
    if limit == 0:
        return out
    query = apply(base, f, text=text)
    if cursor is not None or since is not None:  # catch-up paging: newest id first
        if cursor is not None:
            query = query.where(Invoice.id < cursor)
        if since is not None:
            query = query.where(Invoice.updated_at > since)
        rows = list(query.order_by(Invoice.id.desc()).limit(limit + 1))
        out["next_cursor"] = rows[limit - 1].id if len(rows) > limit else None
    else:
        rows = list(order(query, f).limit(limit + 1).offset(offset))
        out["next_offset"] = offset + limit if len(rows) > limit else None
        if offset == 0 and len(rows) > limit:
            out["next_cursor"] = rows[limit - 1].id if f.sort == DEFAULT_SORT else None
    out["items"] = [serialize(inv) for inv in rows[:limit]]
    return out


def _since(args: Mapping[str, str]) -> dt.datetime | None:
    raw = (args.get("updated_since") or "").strip()
    if not raw:
        return None
    try:
        return parse.utc_datetime(raw)
    except ValueError:  # not a timestamp, or one UTC cannot hold (0001-01-01T00:00+14:00 was a 500)
        raise AppError("request.invalid", field="updated_since") from None


def matching(access: Access, query_string: str, bulk_limit: int) -> list[Invoice]:
    """Every invoice of mine a board filter selects (a bulk action on "all N matching")."""
    f = parse_query_string(query_string)
    query = order(apply(access.invoices(), f), f).limit(bulk_limit + 1)
    rows = list(query)
    if len(rows) > bulk_limit:
        raise AppError("bulk.too_many", 422, limit=bulk_limit)
    return rows
