"""A consistent copy of the database, taken first; everything else in a backup is what that copy names.

SQLite: the online backup API (`sqlite3.Connection.backup`, every page in one step, so one read transaction: WAL
writers go on meanwhile and none of their later commits is in it). PostgreSQL: a REPEATABLE READ transaction
exports its snapshot, `pg_dump --format=custom --snapshot=…` dumps exactly that, and the same transaction lists
the stored files and counts the rows — the dump, the list and the counts see one moment. An upload stores its
file (fsynced) before its row commits, so every file a snapshot names was on disk before the snapshot: a backup
taken while uploads run holds no invoice without its file, and files stored after it are simply not in it.

The tools get the connection through PG* environment variables, so a password never shows on a command line.
"""

from __future__ import annotations

import errno
import hashlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from playhouse.db_url import parse as parse_url

from ..errors import AppError
from ..settings import Settings

SQLITE, POSTGRES = "sqlite", "postgresql"
MIGRATIONS_TABLE = "schema_migration"  # playhouse.migrations.Runner's history
_BATCH = 2000
_PG_ENV = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "password": "PGPASSWORD", "database": "PGDATABASE",
           "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY"}
# A dump of a database whose public schema was re-created names that schema; a fresh target has it already.
_SKIP_TOC = (" SCHEMA - public ", " COMMENT - SCHEMA public ", " ACL - SCHEMA public ", " COMMENT - EXTENSION ")
DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


@dataclass(frozen=True)
class Snapshot:
    engine: str
    path: Path  # a SQLite database, or a pg_dump custom archive
    tables: dict[str, int]  # rows per table, as of the snapshot
    schema: list[str]  # migrations applied
    files_list: Path  # "<sha256>  <size>\n" per StoredFile row, in id order (sha256sum's layout)
    files: int
    file_bytes: int


def engine_of(url: str) -> str:
    return SQLITE if url.startswith("sqlite") else POSTGRES


def sqlite_path(url: str) -> Path:
    return Path(url.split("///", 1)[1])


def take(settings: Settings, work: Path) -> Snapshot:
    if engine_of(settings.db_url) == SQLITE:
        return _sqlite(sqlite_path(settings.db_url), work)
    return _postgres(settings.db_url, work)


# --- SQLite ---------------------------------------------------------------------------------------------

def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (WAL or not) as one self-contained file."""
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # pages=-1: all in one step, one read transaction
            dst.execute("PRAGMA journal_mode=DELETE")  # no -wal beside it: the copy is one file
        finally:
            dst.close()
    except sqlite3.OperationalError as exc:
        raise _sqlite_error(exc, target) from None
    finally:
        src.close()


def _sqlite_error(exc: sqlite3.OperationalError, path: Path) -> AppError:
    if "disk is full" in str(exc) or "disk I/O" in str(exc):
        return AppError("backup.disk_full", path=str(path.parent))
    return AppError("backup.unreadable", path=str(path), detail=str(exc))


def sqlite_tables(conn: sqlite3.Connection) -> dict[str, int]:
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                        "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {n: conn.execute(f"SELECT count(*) FROM {quote(n)}").fetchone()[0] for n in names}


def _sqlite(source: Path, work: Path) -> Snapshot:
    target = work / "fapiao.sqlite3"
    copy_sqlite(source, target)
    conn = sqlite3.connect(target)
    try:
        tables = sqlite_tables(conn)
        schema = _schema(conn.execute(f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY id"))
        listed = _write_list(work, conn.execute("SELECT sha256, size FROM stored_file ORDER BY id"))
    finally:
        conn.close()
    return Snapshot(SQLITE, target, tables, schema, *listed)


def _schema(rows) -> list[str]:
    return [r[0] for r in rows]


def _write_list(work: Path, rows) -> tuple[Path, int, int]:
    path = work / "files.sha256"
    count = total = 0
    with path.open("w", encoding="ascii") as out:
        for sha, size in rows:
            out.write(list_line(sha, size))
            count, total = count + 1, total + size
    return path, count, total


def list_line(sha256: str, size: int) -> str:
    return f"{sha256}  {size}\n"


def read_list(path: Path) -> Iterator[tuple[str, int]]:
    with path.open(encoding="ascii") as fh:
        for line in fh:
            sha, size = line.split()
            yield sha, int(size)


# --- PostgreSQL -----------------------------------------------------------------------------------------

def pg_env(url: str) -> dict[str, str]:
    """The PG* variables for libpq tools (pg_dump, pg_restore): the URL's parts, the password among them."""
    parts = parse_url(url)
    return {_PG_ENV[k]: str(v) for k, v in parts.items() if k in _PG_ENV and v not in (None, "")}


def public_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    split = urlsplit(url)
    if split.password is None:
        return url
    host = split.hostname or ""
    netloc = f"{split.username or ''}@{host}" + (f":{split.port}" if split.port else "")
    return urlunsplit((split.scheme, netloc, split.path, split.query, split.fragment))


def pg_connect(url: str):
    import psycopg2

    return psycopg2.connect(**parse_url(url))


def run_tool(args: list[str], url: str, where: Path) -> str:
    """Run pg_dump / pg_restore on the URL's database; its stdout. A full disk is backup.disk_full, any other
    failure backup.tool_failed with the tool's last words."""
    try:
        done = subprocess.run(args, env={**os.environ, **pg_env(url)}, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise AppError("backup.tool_failed", tool=args[0], detail="not installed") from None
    if done.returncode != 0:
        if "No space left" in done.stderr or "Disk quota" in done.stderr:
            raise AppError("backup.disk_full", path=str(where))
        last = [line for line in done.stderr.strip().splitlines() if line.strip()][-3:]
        raise AppError("backup.tool_failed", tool=args[0], detail=" | ".join(last)[:500])
    return done.stdout


def pg_tables(cur) -> dict[str, int]:
    cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                "AND table_type = 'BASE TABLE' ORDER BY table_name")
    names = [r[0] for r in cur.fetchall()]
    out = {}
    for name in names:
        cur.execute(f"SELECT count(*) FROM {quote(name)}")
        out[name] = cur.fetchone()[0]
    return out


def _postgres(url: str, work: Path) -> Snapshot:
    import psycopg2.extensions

    target = work / "fapiao.pgdump"
    conn = pg_connect(url)
    try:
        conn.set_session(isolation_level=psycopg2.extensions.ISOLATION_LEVEL_REPEATABLE_READ, readonly=True)
        with conn.cursor() as cur:
            cur.execute("SELECT pg_export_snapshot()")
            snapshot_id = cur.fetchone()[0]
            # The dump runs while this transaction holds the snapshot open; it sees exactly what we count.
            run_tool(["pg_dump", "--format=custom", f"--snapshot={snapshot_id}", "--no-password",
                      f"--file={target}"], url, work)
            tables = pg_tables(cur)
            cur.execute(f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY id")
            schema = _schema(cur.fetchall())
        with conn.cursor(name="fapiao_backup_files") as files:  # server-side: rows come in batches
            files.itersize = _BATCH
            files.execute("SELECT sha256, size FROM stored_file ORDER BY id")
            listed = _write_list(work, files)
    except psycopg2.Error as exc:
        raise AppError("backup.unreadable", path=public_url(url), detail=str(exc).strip()[:500]) from None
    finally:
        conn.rollback()
        conn.close()
    return Snapshot(POSTGRES, target, tables, schema, *listed)


def pg_is_empty(url: str) -> bool:
    conn = pg_connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM information_schema.tables "
                        "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")
            return cur.fetchone()[0] == 0
    finally:
        conn.close()


def pg_restore(dump: Path, url: str) -> None:
    """Load a dump into an empty database, all or nothing (one transaction, stop at the first error)."""
    toc = run_tool(["pg_restore", "--list", str(dump)], url, dump.parent)
    listing = dump.with_suffix(".list")
    listing.write_text("".join(line + "\n" for line in toc.splitlines() if not any(s in line for s in _SKIP_TOC)))
    database = pg_env(url).get("PGDATABASE", "")
    run_tool(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
              "--no-password", f"--use-list={listing}", f"--dbname={database}", str(dump)], url, dump.parent)
    listing.unlink(missing_ok=True)


def pg_clear(url: str) -> None:
    """Empty a database a failed restore wrote into (it was empty before: pg_is_empty was checked)."""
    conn = pg_connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("DROP SCHEMA IF EXISTS public CASCADE")
            cur.execute("CREATE SCHEMA public")
        conn.commit()
    finally:
        conn.close()


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
