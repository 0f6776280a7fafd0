"""`fapiao backup …` (the parser is in backend/cli.py): each command prints what it did and, on failure, the
translated reason with its key on stderr, exiting 1.

    create [--to DIR]     a backup now (the last line printed is the file's path)
    verify FILE           integrity and decryptability, nothing restored
    restore FILE --data-dir NEW [--database-url URL]
    rekey FILE... | --all [--old-key-file F]   re-wrap under the configured key (the old one from
                          --old-key-file, FAPIAO_BACKUP_OLD_PASSPHRASE or a prompt)
    keygen FILE           a new random key file (0600) for FAPIAO_BACKUP_KEY_FILE
"""

from __future__ import annotations

import getpass
import json
import secrets
import sys
import time
from pathlib import Path

from ..clock import SystemClock
from ..db import database, open_database, upgrade
from ..errors import AppError
from ..i18n import translate
from ..settings import Settings
from . import format as container
from . import keys, records, schedule, service


def run(settings: Settings, args) -> int:
    command = {"create": _create, "verify": _verify, "restore": _restore, "rekey": _rekey, "keygen": _keygen}
    try:
        return command[args.backup_command](settings, args)
    except AppError as exc:
        return fail(exc, args.lang)


def fail(exc: AppError, lang: str) -> int:
    print(f"fapiao: {translate(f'error.{exc.key}', lang, exc.params)} [{exc.key}]", file=sys.stderr)
    return 1


def _print(doc: dict) -> None:
    print(json.dumps(doc, ensure_ascii=False, default=str), flush=True)


def _create(settings: Settings, args) -> int:
    secret = keys.configured(settings)
    clock = SystemClock()
    open_database(settings.db_url)
    upgrade()
    with database.connection_context():
        record = records.begin_now(clock, "cli", secrets.token_hex(16))
    if record is None:
        raise AppError("backup.already_running")
    to = Path(args.to).expanduser() if args.to else None
    started = time.monotonic()
    try:
        created = service.create(settings, clock, secret, to=to, backup_id=record.backup_id,
                                 beat=schedule.Beat(record.id, clock))
    except AppError as exc:
        with database.connection_context():
            records.fail(record, clock, exc.key, exc.params, time.monotonic() - started)
        raise
    except BaseException:
        with database.connection_context():
            records.fail(record, clock, "backup.unexpected", {}, time.monotonic() - started)
        raise
    with database.connection_context():
        records.finish(record, clock, path=created.path, size=created.size, key_id=created.key_id,
                       seconds=created.seconds, contents=created.contents)
        if to is None:
            schedule.prune(settings, clock)
    _print({"backup": record.id, "size": created.size, "seconds": created.seconds, "key_id": created.key_id,
            **created.contents})
    print(created.path, flush=True)
    return 0


def _verify(settings: Settings, args) -> int:
    done = service.verify(Path(args.file), keys.configured(settings))
    _print({"ok": True, "file": str(done.path), "backup_id": done.backup_id, "key_id": done.key_id,
            "created_at": done.created_at, "engine": done.engine, "invoices": done.tables.get("invoice", 0),
            "files": done.files, "file_bytes": done.file_bytes, "seconds": done.seconds})
    return 0


def _restore(settings: Settings, args) -> int:
    done = service.restore(Path(args.file), keys.configured(settings), Path(args.data_dir).expanduser(),
                           SystemClock(), args.database_url or "")
    _print({"ok": True, "data_dir": str(done.data_dir), "backup_id": done.backup_id,
            "invoices": done.tables.get("invoice", 0), "files": done.files, "seconds": done.seconds})
    env = f"FAPIAO_DATA_DIR={done.data_dir}"
    if done.database_url:
        env += " FAPIAO_DATABASE_URL=<the URL given>"
    print(f"start it with: {env} fapiao run", flush=True)
    return 0


def _old_secret(settings: Settings, args) -> keys.Secret:
    if args.old_key_file:
        return keys.key_file(Path(args.old_key_file).expanduser())
    if settings.backup_old_passphrase:
        return keys.passphrase(settings.backup_old_passphrase)
    if sys.stdin.isatty():
        return keys.passphrase(getpass.getpass("the old backup passphrase: "))
    raise AppError("backup.no_old_key")


def _rekey(settings: Settings, args) -> int:
    new = keys.configured(settings)
    old = _old_secret(settings, args)
    paths = [Path(f).expanduser() for f in args.files] + (service.backups_in(settings.backup_dir) if args.all else [])
    if not paths:
        raise AppError("backup.nothing_to_rekey")
    failed = 0
    for path in paths:
        try:
            _print({"file": str(path), "key_id": service.rekey_file(path, old, new), "rekeyed": True})
        except AppError as exc:
            if exc.key == "backup.wrong_key" and _opens(path, new):
                _print({"file": str(path), "key_id": new.key_id, "rekeyed": False, "already": True})
                continue
            failed += 1
            fail(exc, args.lang)
    return 1 if failed else 0


def _opens(path: Path, secret: keys.Secret) -> bool:
    try:
        container.unwrap(container.peek(path), secret)
    except (AppError, OSError):
        return False
    return True


def _keygen(settings: Settings, args) -> int:
    path = Path(args.file).expanduser()
    try:
        secret = keys.generate(path)
    except FileExistsError:
        raise AppError("backup.key_file_exists", path=str(path)) from None
    _print({"file": str(path), "key_id": secret.key_id})
    return 0
