"""What an invoice's read fields give the database to filter, sort and search on.

`derived_columns` is the one definition of the columns derived from `fields` (identity key, issue date,
total, party names, search text); `services/invoices.update` applies it whenever `fields` change, so the
columns never disagree with the fields. Search uses each database's own text index over `search_text`:
SQLite mirrors it into an FTS5 table with the trigram tokenizer (Chinese substrings, digit fragments),
PostgreSQL indexes the column with pg_trgm (GIN). A trigram cannot find a two-character word, and people
look companies up by two characters (华为), so each database also indexes the text's character pairs as
words ("上海华为" → "上海 海华 华为"): a second FTS5 table, a GIN full-text index on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal

import peewee

from ..db import database, is_postgres
from ..models import Invoice, LedgerRow
from ..sync.matching import invoice_key, money

FTS_TABLE = "invoice_fts"
GRAMS_TABLE = "invoice_grams"
# Runs of what the pair index holds: digits, Latin letters, CJK ideographs (after `normalise`).
_RUN = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# Fields whose text people search for, besides the file name and the ledger's line items and remarks.
SEARCHED_FIELDS = ("seller_name", "buyer_name", "seller_tax_id", "buyer_tax_id", "invoice_code", "invoice_number",
                   "check_code")
MAX_TEXT = 4000


def normalise(text: str) -> str:
    """Search text and queries alike: NFKC (full-width digits, the ⼦ radical a 数电 PDF prints), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def grams(text: str) -> str:
    """The character pairs of each run of letters and digits, as space-separated words (a lone character
    stays itself): what the pair index holds, and what a two-character term is looked up as."""
    out = []
    for run in _RUN.findall(text):
        out += [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]
    return " ".join(dict.fromkeys(out))


def key_of(values: dict) -> str | None:
    """An invoice's identity within its team: 代码-号码, or the bare 20-digit 数电 number. None without a number."""
    number = (values.get("invoice_number") or "").strip()
    if not number.isdigit():
        return None
    return invoice_key(values.get("invoice_code"), number)


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _amount(value) -> Decimal | None:
    amount = money(value)
    if amount is None or not amount.is_finite() or abs(amount) >= Decimal("1e12"):
        return None
    return amount.quantize(Decimal("0.01"))


def _name(value) -> str | None:
    return str(value).strip()[:200] or None if value else None


def values_of(fields: dict | None) -> dict:
    return {k: (v or {}).get("value") for k, v in (fields or {}).items()}


def derived_columns(fields: dict | None) -> dict:
    """The invoice columns that follow from its fields (pure)."""
    v = values_of(fields)
    return {"key": key_of(v), "issue_date": _date(v.get("issue_date")), "total_amount": _amount(v.get("total")),
            "seller_name": _name(v.get("seller_name")), "buyer_name": _name(v.get("buyer_name"))}


def search_text(original_name: str, fields: dict | None, ledger: dict | None = None) -> str:
    """Everything a person may type to find this invoice, in one normalised string."""
    v = values_of(fields)
    parts = [original_name or ""] + [str(v[k]) for k in SEARCHED_FIELDS if v.get(k)]
    if ledger:
        parts += [str(ledger[k]) for k in ("seller_name", "buyer_name", "remarks") if ledger.get(k)]
        parts += [str(item.get("name")) for item in ledger.get("items") or () if item.get("name")]
    return normalise(" ".join(parts))[:MAX_TEXT]


def _ledger_for(team_id: int, key: str | None) -> dict | None:
    if not key:
        return None
    row = (LedgerRow.select(LedgerRow.seller_name, LedgerRow.buyer_name, LedgerRow.remarks, LedgerRow.items)
           .where(LedgerRow.team == team_id, LedgerRow.key == key).first())
    if row is None:
        return None
    return {"seller_name": row.seller_name, "buyer_name": row.buyer_name, "remarks": row.remarks, "items": row.items}


def refresh(invoice: Invoice) -> None:
    """Set the derived columns and search text on the (unsaved) invoice; the caller saves it."""
    for name, value in derived_columns(invoice.fields).items():
        setattr(invoice, name, value)
    invoice.search_text = search_text(invoice.original_name, invoice.fields, _ledger_for(invoice.team_id, invoice.key))
    invoice.search_grams = grams(invoice.search_text) if is_postgres() else None


def write_fts(invoice_id: int, text: str | None) -> None:
    """Keep SQLite's FTS tables in step with `search_text` (PostgreSQL indexes the columns themselves)."""
    if is_postgres():
        return
    for table in (FTS_TABLE, GRAMS_TABLE):
        database.execute_sql(f"DELETE FROM {table} WHERE rowid = ?", (invoice_id,))
    if text:
        database.execute_sql(f"INSERT INTO {FTS_TABLE}(rowid, body) VALUES (?, ?)", (invoice_id, text))
        database.execute_sql(f"INSERT INTO {GRAMS_TABLE}(rowid, body) VALUES (?, ?)", (invoice_id, grams(text)))


def reindex_keys(team_id: int, keys: list[str]) -> None:
    """Ledger rows changed for these keys: the invoices holding them get their search text again."""
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        for inv in Invoice.select().where(Invoice.team == team_id, Invoice.key.in_(chunk)):
            refresh(inv)
            (Invoice.update(search_text=inv.search_text, search_grams=inv.search_grams)
             .where(Invoice.id == inv.id).execute())
            write_fts(inv.id, inv.search_text)


def create_search_index(db: peewee.Database) -> None:
    if isinstance(db, peewee.PostgresqlDatabase):
        db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        db.execute_sql("CREATE INDEX IF NOT EXISTS invoice_search_trgm ON invoice USING gin (search_text gin_trgm_ops)")
        db.execute_sql("CREATE INDEX IF NOT EXISTS invoice_search_grams ON invoice "
                       "USING gin (to_tsvector('simple', coalesce(search_grams, '')))")
    else:
        db.execute_sql(f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(body, tokenize='trigram')")
        # Pairs are single words, never phrases: no positions needed (detail=none keeps the index small).
        db.execute_sql(f"CREATE VIRTUAL TABLE IF NOT EXISTS {GRAMS_TABLE} USING fts5(body, tokenize='unicode61', "
                       "detail='none')")


def backfill(db: peewee.Database) -> None:
    """Derive the new columns for invoices read before they existed (migration 0006)."""
    with db.atomic():
        for inv in Invoice.select(Invoice.id, Invoice.team, Invoice.original_name, Invoice.fields):
            refresh(inv)
            inv.save(only=[Invoice.key, Invoice.issue_date, Invoice.total_amount, Invoice.seller_name,
                           Invoice.buyer_name, Invoice.search_text, Invoice.search_grams])
            write_fts(inv.id, inv.search_text)
