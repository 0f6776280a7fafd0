"""Create, verify, restore and re-key backups: what the CLI, the scheduler and the tests call.

create: snapshot the database first (snapshot.py), then stream the archive (archive.py) through the container
(format.py) into `<name>.part` beside the final name, fsync, rename. Whatever fails — a full disk included — the
partial file and the snapshot's scratch directory are removed and the error says what (backup.disk_full names the
directory); the app's own database and files are only ever read.

verify: open the container with the key, walk the whole archive checking every member, read to the authenticated
end. Nothing is written.

restore: into an empty data dir (and, for a PostgreSQL backup, an empty PostgreSQL database named by
`database_url`), checked as it is written; then every table's row count is compared with the manifest, pending
migrations are applied, and the restored database records the restore in its audit log. A restore that fails
removes what it wrote.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from ..clock import Clock, iso
from ..db import MIGRATIONS_DIR, database, open_database, upgrade
from ..errors import AppError
from ..settings import Settings
from . import archive, records, snapshot
from .format import Opener, Sealer, fsync_dir, rekey
from .keys import Secret
from .snapshot import DISK_FULL, POSTGRES, SQLITE

SUFFIX = ".fapiao-backup"
_SECRET_FIELDS = ("secret_key", "admin_password", "simulator_token", "backup_passphrase", "backup_old_passphrase")
Beat = Callable[[], None]


@dataclass(frozen=True)
class Created:
    path: Path
    size: int
    backup_id: str
    key_id: str
    seconds: float
    invoices: int
    files: int
    file_bytes: int

    @property
    def contents(self) -> dict:
        return {"invoices": self.invoices, "files": self.files, "file_bytes": self.file_bytes}


@dataclass(frozen=True)
class Verified:
    path: Path
    backup_id: str
    key_id: str
    created_at: str
    engine: str
    tables: dict
    files: int
    file_bytes: int
    seconds: float


@dataclass(frozen=True)
class Restored:
    data_dir: Path
    database_url: str  # empty: SQLite in data_dir
    backup_id: str
    tables: dict
    files: int
    seconds: float


# --- create ---------------------------------------------------------------------------------------------

def backup_name(now: dt.datetime) -> str:
    return f"fapiao-{now:%Y%m%d-%H%M%S}Z{SUFFIX}"


def _free_path(directory: Path, now: dt.datetime) -> Path:
    path = directory / backup_name(now)
    n = 2
    while path.exists():
        path = directory / backup_name(now).replace(SUFFIX, f"-{n}{SUFFIX}")
        n += 1
    return path


def create(settings: Settings, clock: Clock, secret: Secret, *, to: Path | None = None,
           backup_id: str | None = None, beat: Beat = lambda: None) -> Created:
    """One backup file in `to` (default: the settings' backup dir); see the module doc."""
    started = time.monotonic()
    directory = (to or settings.backup_dir).resolve()
    now = clock.now()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        sweep(directory)
        final = _free_path(directory, now)
        part = final.with_name(f".{final.name}.part")
        work = Path(tempfile.mkdtemp(prefix=".fapiao-backup-", dir=directory))
    except OSError as exc:
        raise _os_error(exc, directory) from None
    try:
        snap = snapshot.take(settings, work)
        beat()
        with archive.private_file(part) as out:
            sealer = Sealer(out, secret, created_at=iso(now), stream_id=bytes.fromhex(backup_id) if backup_id else None)
            _write_archive(sealer, settings, snap, work, now, sealer.header.backup_id, beat)
            sealer.close()
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, final)
        fsync_dir(directory)
    except OSError as exc:
        raise _os_error(exc, directory) from None
    finally:
        part.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    return Created(final, sealer.size, sealer.header.backup_id, sealer.header.key_id,
                   round(time.monotonic() - started, 3), snap.tables.get("invoice", 0), snap.files, snap.file_bytes)


def sweep(directory: Path, older_than: dt.timedelta = records.LEASE) -> list[Path]:
    """Remove what a backup killed mid-way left (its part file, its scratch dir) — only what is older than a lease,
    so never the files of a backup running now."""
    cutoff = time.time() - older_than.total_seconds()
    left = [p for p in directory.glob(".fapiao-*") if (p.name.endswith(".part") and p.is_file())
            or (p.name.startswith(".fapiao-backup-") and p.is_dir())]
    removed = [p for p in left if p.lstat().st_mtime < cutoff]
    for path in removed:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return removed


def _os_error(exc: OSError, directory: Path) -> AppError:
    if exc.errno in DISK_FULL:
        return AppError("backup.disk_full", path=str(directory))
    return AppError("backup.unwritable", path=str(exc.filename or directory), detail=exc.strerror or str(exc))


def _write_archive(out: Sealer, settings: Settings, snap: snapshot.Snapshot, work: Path, now: dt.datetime,
                   backup_id: str, beat: Beat) -> None:
    parts = _parts(settings, snap, work)
    manifest = {
        "format": archive.FORMAT, "version": archive.VERSION, "app_version": app_version(), "created_at": iso(now),
        "backup_id": backup_id, "engine": snap.engine, "schema": snap.schema, "tables": snap.tables,
        "simulator_tables": _simulator_tables(work),
        "files": {"count": snap.files, "bytes": snap.file_bytes, "digest": snapshot.sha256_of(snap.files_list)},
        "parts": {name: {"sha256": snapshot.sha256_of(path), "size": path.stat().st_size} for name, path in parts},
    }
    tar = archive.Writer(out, int(now.replace(tzinfo=dt.UTC).timestamp()))
    _write_members(tar, manifest, parts, settings, snap, beat)
    tar.close()


def _write_members(tar: archive.Writer, manifest: dict, parts: list[tuple[str, Path]], settings: Settings,
                   snap: snapshot.Snapshot, beat: Beat) -> None:
    tar.add_bytes(archive.MANIFEST, _json(manifest))
    for name, path in parts:
        tar.add_file(name, path, path.stat().st_size)
    beat()
    files, thumbs = settings.files_dir, settings.thumbs_dir
    for sha, size in snapshot.read_list(snap.files_list):
        tar.add_file(f"files/{sha[:2]}/{sha[2:4]}/{sha}", files / sha[:2] / sha[2:4] / sha, size, sha)
        beat()
    run = archive.Run()
    for sha, _ in snapshot.read_list(snap.files_list):
        for suffix in (".jpg", ".preview.jpg"):
            path = thumbs / sha[:2] / f"{sha}{suffix}"
            if path.is_file():  # derived, written atomically: there whole, or not yet
                size = path.stat().st_size
                run.add(tar.add_file(f"thumbs/{sha[:2]}/{sha}{suffix}", path, size), size)
        beat()
    tar.add_bytes(archive.TRAILER, _json({"thumbs": run.summary()}))


def _parts(settings: Settings, snap: snapshot.Snapshot, work: Path) -> list[tuple[str, Path]]:
    """The members announced in the manifest, each a file in the scratch dir (or the data dir) by now."""
    (work / "settings.json").write_bytes(_json(settings_doc(settings)))
    parts = [(archive.LIST, snap.files_list), (archive.SETTINGS, work / "settings.json"),
             (archive.DB_MEMBERS[snap.engine], snap.path)]
    simulator_db = settings.data_dir / "simulator.db"
    if simulator_db.is_file():
        snapshot.copy_sqlite(simulator_db, work / "simulator.db")
        parts.append((archive.SIMULATOR, work / "simulator.db"))
    parts += [(f"secrets/{name}", settings.data_dir / name) for name in archive.SECRETS
              if (settings.data_dir / name).is_file()]
    return parts


def _simulator_tables(work: Path) -> dict | None:
    import sqlite3

    path = work / "simulator.db"
    if not path.is_file():
        return None
    conn = sqlite3.connect(path)
    try:
        return snapshot.sqlite_tables(conn)
    finally:
        conn.close()


def settings_doc(settings: Settings) -> dict:
    """The settings in effect, without secrets (passwords in URLs included), for the record."""
    doc = dataclasses.asdict(settings)
    for name in _SECRET_FIELDS:
        doc.pop(name, None)
    for name in ("database_url", "redis_url"):
        doc[name] = snapshot.public_url(doc[name]) if doc[name] else ""
    return json.loads(json.dumps(doc, default=str))


def _json(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True).encode()


def app_version() -> str:
    try:
        return metadata.version("fapiao-tracker")
    except metadata.PackageNotFoundError:
        return "0"


# --- verify ---------------------------------------------------------------------------------------------

def _open(path: Path):
    try:
        return path.open("rb")
    except OSError as exc:
        raise AppError("backup.unreadable", path=str(path), detail=exc.strerror or str(exc)) from None


def verify(path: Path, secret: Secret) -> Verified:
    """Integrity and decryptability of the whole file, without restoring anything."""
    started = time.monotonic()
    with _open(path) as fh:
        opener = Opener(fh, secret)
        contents = archive.read(opener, lambda name: None)
        opener.drain()
    m = contents.manifest
    return Verified(path, opener.header.backup_id, opener.header.key_id, m.get("created_at", ""), m.get("engine", ""),
                    m.get("tables", {}), contents.originals["count"], contents.originals["bytes"],
                    round(time.monotonic() - started, 3))


# --- restore --------------------------------------------------------------------------------------------

def _member_paths(data_dir: Path, staging: Path) -> dict[str, Path]:
    fixed = {archive.DB_MEMBERS[SQLITE]: data_dir / "fapiao.db",
             archive.DB_MEMBERS[POSTGRES]: staging / "fapiao.pgdump",
             archive.SIMULATOR: data_dir / "simulator.db",
             archive.SETTINGS: data_dir / "backup-settings.json"}
    fixed.update({f"secrets/{name}": data_dir / name for name in archive.SECRETS})
    return fixed


def _sink(data_dir: Path, staging: Path):
    fixed = _member_paths(data_dir, staging)

    def where(name: str) -> Path | None:
        if name in fixed:
            return fixed[name]
        if name.startswith(("files/", "thumbs/")):  # archive.read checked the name's shape already
            return data_dir.joinpath(*name.split("/"))
        return None  # files.sha256: checked, not kept

    return where


def _refuse_early(manifest: dict, database_url: str) -> None:
    """What the manifest says this restore cannot do, said before anything is written."""
    engine = manifest.get("engine")
    known = {p.stem for p in MIGRATIONS_DIR.glob("[0-9]*.py")}
    unknown = [name for name in manifest.get("schema", []) if name not in known]
    if unknown:
        raise AppError("backup.schema_newer", migration=unknown[0])
    if engine == POSTGRES and not database_url:
        raise AppError("backup.needs_database_url")
    if database_url and (engine != POSTGRES or snapshot.engine_of(database_url) != POSTGRES):
        raise AppError("backup.engine_mismatch", backup=str(engine), target=snapshot.engine_of(database_url))
    if database_url and not snapshot.pg_is_empty(database_url):
        raise AppError("backup.target_not_empty", target=snapshot.public_url(database_url))


def _empty(path: Path) -> bool:
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


def restore(path: Path, secret: Secret, data_dir: Path, clock: Clock, database_url: str = "") -> Restored:
    """The backup into an empty data dir (and an empty PostgreSQL database for a PostgreSQL backup)."""
    started = time.monotonic()
    data_dir = data_dir.resolve()
    if not _empty(data_dir):
        raise AppError("backup.target_not_empty", target=str(data_dir))
    made = not data_dir.exists()
    staging = data_dir / ".restore"
    loaded = False
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        staging.mkdir(mode=0o700)
        with _open(path) as fh:
            opener = Opener(fh, secret)
            contents = archive.read(opener, _sink(data_dir, staging), lambda m: _refuse_early(m, database_url))
            opener.drain()
        os.sync()  # everything written is on disk before the database points at it
        manifest = contents.manifest
        if database_url:
            snapshot.pg_restore(staging / "fapiao.pgdump", database_url)
            loaded = True
        url = database_url or f"sqlite:///{data_dir / 'fapiao.db'}"
        _compare_counts(url, manifest["tables"])
        _settle(url, clock, manifest["backup_id"], path)
    except OSError as exc:
        _undo(data_dir, made, database_url if loaded else "")
        raise _os_error(exc, data_dir) from None
    except BaseException:
        _undo(data_dir, made, database_url if loaded else "")
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Restored(data_dir, database_url, manifest["backup_id"], manifest["tables"], contents.originals["count"],
                    round(time.monotonic() - started, 3))


def restored_tables(url: str) -> dict[str, int]:
    if snapshot.engine_of(url) == SQLITE:
        import sqlite3

        conn = sqlite3.connect(snapshot.sqlite_path(url))
        try:
            return snapshot.sqlite_tables(conn)
        finally:
            conn.close()
    conn = snapshot.pg_connect(url)
    try:
        with conn.cursor() as cur:
            return snapshot.pg_tables(cur)
    finally:
        conn.close()


def _compare_counts(url: str, expected: dict[str, int]) -> None:
    found = restored_tables(url)
    for table, rows in sorted(expected.items()):
        if found.get(table) != rows:
            raise AppError("backup.inconsistent", member=table, what=f"rows {found.get(table)} != {rows}")


def _settle(url: str, clock: Clock, backup_id: str, source: Path) -> None:
    """Bring the restored database up to this version's schema, and record the restore in it. The process's
    database binding is put back afterwards."""
    previous = database.obj
    db = open_database(url)
    try:
        with db.connection_context():
            upgrade()
            records.after_restore(clock, backup_id, source)
    finally:
        db.close()
        if previous is not None:
            database.initialize(previous)


def _undo(data_dir: Path, made: bool, database_url: str) -> None:
    if database_url:
        snapshot.pg_clear(database_url)
    if made:
        shutil.rmtree(data_dir, ignore_errors=True)
        return
    for child in data_dir.iterdir() if data_dir.exists() else ():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


# --- rotation -------------------------------------------------------------------------------------------

def rekey_file(path: Path, old: Secret, new: Secret) -> str:
    """Re-wrap one backup under the new key (format.rekey); the new key id."""
    if not path.is_file():
        raise AppError("backup.unreadable", path=str(path), detail="no such file")
    try:
        return rekey(path, old, new).key_id
    except OSError as exc:
        raise _os_error(exc, path.parent) from None


def backups_in(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob(f"*{SUFFIX}") if p.is_file()) if directory.is_dir() else []
