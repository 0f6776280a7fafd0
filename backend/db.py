"""The database handle: one unbound proxy, bound to SQLite or PostgreSQL by the settings."""

from __future__ import annotations

import datetime
import json
import random
import sqlite3
import time
from decimal import Decimal
from pathlib import Path

import peewee
from playhouse.db_url import connect as connect_url
from playhouse.db_url import parse as parse_url
from playhouse.migrations import Runner

database = peewee.DatabaseProxy()

FEN = Decimal("0.01")
MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# How long SQLite itself waits for a lock before handing back to Python, which sleeps (a green sleep
# under eventlet, so the holder of the lock, perhaps another request of the same process, can finish)
# and asks again, until BUSY_WAIT_SECONDS have passed.
BUSY_SLICE_MS = 100
BUSY_WAIT_SECONDS = 30.0

# WAL lets the web process read while a worker writes; FULL sync because an upload answered
# "accepted" must survive a power cut, not only a crash.
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": "full",
    "foreign_keys": 1,
    "busy_timeout": BUSY_SLICE_MS,
}
_SQLITE_BUSY = 5  # the primary result code of "database is locked" (SQLITE_BUSY_* are 5 + n * 256)
_exception_wrapper = getattr(peewee, "__exception_wrapper__")  # noqa: B009 - a dunder name, mangled in a class


class SqliteDatabase(peewee.SqliteDatabase):
    """SQLite with one write path that never answers "database is locked" while the lock is merely busy.

    - Every transaction is BEGIN IMMEDIATE (a transaction is only ever opened to write): it takes the write
      lock up front, so its snapshot is never stale. A deferred one that read first cannot upgrade once
      another connection has committed (SQLITE_BUSY_SNAPSHOT, at once, whatever the busy timeout).
    - A query's rows are all read when it runs, as psycopg2 reads them on PostgreSQL. A half-read SELECT
      keeps its snapshot open: code that loops over a query and writes (re-ranking a team's invoices,
      claiming due checks) would otherwise fail its first write after any other connection commits.
    - A BEGIN, or a statement outside a transaction, that finds the lock busy is retried (it did nothing)
      until BUSY_WAIT_SECONDS; inside a transaction the lock is already held.
    """

    def begin(self, lock_type=None):
        self._retrying(lambda: super(SqliteDatabase, self).begin(lock_type))

    def execute_sql(self, sql, params=None):
        return self._retrying(lambda: _fetched(super(SqliteDatabase, self).execute_sql(sql, params)))

    def _retrying(self, run):
        deadline = None
        while True:
            try:
                return run()
            except peewee.OperationalError as exc:
                if not _busy(exc) or self._in_transaction():
                    raise
                now = time.monotonic()
                deadline = deadline or now + BUSY_WAIT_SECONDS
                if now >= deadline:
                    raise
                time.sleep(random.uniform(0.002, 0.02))  # apart, so waiters do not wake together

    def _in_transaction(self) -> bool:
        conn = None if self.is_closed() else self._state.conn
        return self.in_transaction() or bool(conn is not None and conn.in_transaction)


def _busy(exc: peewee.OperationalError) -> bool:
    orig = getattr(exc, "orig", None)  # the driver's own exception, which peewee wrapped
    return isinstance(orig, sqlite3.OperationalError) and (getattr(orig, "sqlite_errorcode", 0) & 0xFF) == _SQLITE_BUSY


class _Fetched:
    """A cursor whose rows were read at once; the statement (and its read snapshot) is finished."""

    def __init__(self, cursor) -> None:
        self.description = cursor.description
        with _exception_wrapper:
            self._rows = cursor.fetchall()
        self.lastrowid, self.rowcount = cursor.lastrowid, cursor.rowcount
        self._at = 0
        cursor.close()

    def fetchone(self):
        if self._at >= len(self._rows):
            return None
        self._at += 1
        return self._rows[self._at - 1]

    def fetchmany(self, size: int = 1) -> list:
        out = self._rows[self._at:self._at + size]
        self._at += len(out)
        return out

    def fetchall(self) -> list:
        out = self._rows[self._at:]
        self._at = len(self._rows)
        return out

    def __iter__(self):
        return iter(self.fetchall())

    def close(self) -> None:
        self._rows, self._at = [], 0


def _fetched(cursor):
    return cursor if cursor.description is None else _Fetched(cursor)


def open_database(url: str) -> peewee.Database:
    """Bind the proxy to the database at `url` and return the concrete database."""
    if url.startswith("sqlite"):
        Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        db = SqliteDatabase(pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", timeout=BUSY_SLICE_MS / 1000,
                            **parse_url(url))
    else:
        db = connect_url(url)
    database.initialize(db)
    return db


def write_transaction():
    """A transaction that will write: on SQLite, BEGIN IMMEDIATE with the busy handling above (every
    transaction is); on PostgreSQL a plain one (row locks wait, they never fail)."""
    return database.atomic()


def bulk_insert(model: type[peewee.Model], columns: list[str], rows: list[tuple]) -> None:
    """Insert many plain rows fast (100k rows: ~1 s, where building them as a Peewee query takes 20 s).

    Values must already be what the column stores (JSON as text, datetimes as datetimes). Call inside
    a transaction."""
    if not rows:
        return
    table = model._meta.table_name
    names = ", ".join(model._meta.fields[c].column_name for c in columns)
    cursor = database.cursor()
    if is_postgres():
        from psycopg2.extras import execute_values

        execute_values(cursor, f"INSERT INTO {table} ({names}) VALUES %s", rows, page_size=1000)
    else:
        marks = ", ".join("?" for _ in columns)
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", [_sqlite_row(r) for r in rows])


def _sqlite_row(row: tuple) -> tuple:
    # Stored as Peewee stores them, so later reads parse them back the same way.
    return tuple(str(v) if isinstance(v, datetime.datetime) else v for v in row)


def is_postgres() -> bool:
    return isinstance(database.obj, peewee.PostgresqlDatabase)


def upgrade() -> list[str]:
    """Apply pending numbered migrations; returns their names."""
    with database.obj.connection_context():
        return Runner(database.obj, str(MIGRATIONS_DIR)).up()


class JSONField(peewee.TextField):
    """JSON stored as text, so SQLite and PostgreSQL behave the same."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def python_value(self, value):
        return None if value is None else json.loads(value)


class MoneyField(peewee.DecimalField):
    """Yuan with two decimals. PostgreSQL keeps NUMERIC exactly; SQLite keeps a REAL, so values read back
    (and sums) are rounded to the fen here: 350.5 comes back as Decimal("350.50")."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("auto_round", True)
        super().__init__(*args, **kwargs)

    def python_value(self, value):
        value = super().python_value(value)
        return None if value is None else value.quantize(FEN)
