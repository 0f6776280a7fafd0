"""The `fapiao` console script.

    fapiao run            migrate, make the first admin, start web + worker, print the URL
    fapiao run --scale    the same on PostgreSQL + Redis behind nginx: 2 web, 2 workers (backend/scale.py)
    fapiao serve          the web server alone (Flask-SocketIO)
    fapiao worker         the background worker alone (Huey consumer; FAPIAO_WORKER_MODE)
    fapiao db upgrade     apply pending migrations
    fapiao user create    add a user (and put them in a team)
    fapiao jobs recover   deliver again lost jobs and jobs of dead workers
    fapiao scheduler      queue due authority checks and pull the authority's feed, every tick
    fapiao simulator      the local tax-authority simulator (HTTP, on port + 1)
    fapiao ledger import FILE --team NAME   import a 全量发票查询 export (xlsx or csv)
    fapiao export FILE [--team NAME] [--format xlsx|csv] [--q … --status … filters]   invoices to Excel/CSV
    fapiao backup create [--to DIR] | verify FILE | restore FILE --data-dir NEW [--database-url URL]
                  | rekey FILE... [--all] [--old-key-file F] | keygen FILE      (backend/backup/commands.py)
"""

from __future__ import annotations

import argparse
import getpass
import logging
import socket
import sys
import time

from . import atrest
from .settings import Settings, SettingsError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fapiao", description="Fapiao Tracker")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="set up and start everything (web + worker)")
    run.add_argument("--scale", action="store_true",
                     help="the scaled stack: PostgreSQL, Redis, nginx, 2 web + 2 workers (backend/scale.py)")
    sub.add_parser("serve", help="start the web server only")
    sub.add_parser("worker", help="start the background worker only")
    db = sub.add_parser("db", help="database commands").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply pending migrations")
    user = sub.add_parser("user", help="user commands").add_subparsers(dest="user_command", required=True)
    create = user.add_parser("create", help="create a user")
    create.add_argument("username")
    create.add_argument("--password", help="read from the terminal when omitted")
    create.add_argument("--admin", action="store_true")
    create.add_argument("--team", default=None, help="team to join (created if missing)")
    create.add_argument("--role", default="submitter", choices=("submitter", "accountant", "admin", "auditor"),
                        help="role in that team")
    ext = sub.add_parser("extract", help="read invoice files and print what was found")
    ext.add_argument("files", nargs="+")
    ext.add_argument("--json", action="store_true", help="one JSON object per line")
    jobs = sub.add_parser("jobs", help="job commands").add_subparsers(dest="jobs_command", required=True)
    jobs.add_parser("recover", help="re-deliver lost jobs")
    models = sub.add_parser("models", help="build the int8 text detector and the fused recogniser (if stale)")
    models.add_argument("--force", action="store_true", help="rebuild even if up to date")
    models.add_argument("--tagger", action="store_true",
                        help="also train the field tagger (measured, not used by the reader: README)")
    sub.add_parser("scheduler", help="queue due authority checks and pull the feed")
    sub.add_parser("simulator", help="run the local tax-authority simulator")
    led = sub.add_parser("ledger", help="ledger commands").add_subparsers(dest="ledger_command", required=True)
    imp = led.add_parser("import", help="import a 全量发票查询 export (xlsx or csv)")
    imp.add_argument("file")
    imp.add_argument("--team", default=None, help="team name (default: the first team)")
    _export_parser(sub)
    _backup_parser(sub)
    return p


def _backup_parser(sub) -> None:
    backup = sub.add_parser("backup", help="encrypted backups: create, verify, restore, rekey, keygen")
    cmd = backup.add_subparsers(dest="backup_command", required=True)
    lang = argparse.ArgumentParser(add_help=False)
    lang.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of error messages")
    create = cmd.add_parser("create", parents=[lang], help="back up now; prints the file's path on its last line")
    create.add_argument("--to", default=None, metavar="DIR", help="default: FAPIAO_BACKUP_DIR (DATA_DIR/backups)")
    cmd.add_parser("verify", parents=[lang], help="check a backup's integrity and key, restoring nothing").add_argument(
        "file")
    restore = cmd.add_parser("restore", parents=[lang], help="restore into an empty data dir")
    restore.add_argument("file")
    restore.add_argument("--data-dir", required=True, help="an empty (or new) directory")
    restore.add_argument("--database-url", default="", help="an empty PostgreSQL database, for a PostgreSQL backup")
    rekey = cmd.add_parser("rekey", parents=[lang], help="re-wrap backups under the configured key (rotation)")
    rekey.add_argument("files", nargs="*")
    rekey.add_argument("--all", action="store_true", help="every backup in FAPIAO_BACKUP_DIR")
    rekey.add_argument("--old-key-file", default=None, help="else FAPIAO_BACKUP_OLD_PASSPHRASE, else a prompt")
    cmd.add_parser("keygen", parents=[lang], help="write a new random key file (0600)").add_argument("file")


# The board's filters (GET /api/invoices), as options: --date-from gives date_from.
EXPORT_FILTERS = ("q", "status", "reimbursement", "booking", "family", "date_from", "date_to", "amount_min",
                  "amount_max", "uploaded_by", "duplicate", "flag", "claim", "sort")


def _export_parser(sub) -> None:
    exp = sub.add_parser("export", help="export a team's invoices to Excel (xlsx) or CSV")
    exp.add_argument("file")
    exp.add_argument("--team", default=None, help="team name (default: the first team)")
    exp.add_argument("--format", choices=("xlsx", "csv"), default=None, help="default: from the file's suffix")
    exp.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the headers and values")
    for name in EXPORT_FILTERS:
        exp.add_argument("--" + name.replace("_", "-"), dest=name, default=None, metavar="VALUE")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    atrest.private_umask()  # before anything is created (the secret key, databases, files): 0600 / 0700
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"fapiao: {exc}", file=sys.stderr)
        return 2
    atrest.secure(settings.data_dir)  # what an older version left readable to others is tightened, and logged
    command = {"run": _run, "serve": _serve, "worker": _worker, "db": _db, "user": _user, "jobs": _jobs,
               "extract": _extract, "models": _models, "scheduler": _scheduler, "simulator": _simulator,
               "ledger": _ledger, "export": _export, "backup": _backup}
    return command[args.command](settings, args) or 0


def _serve(settings: Settings, args) -> int:
    from .server import serve

    serve(settings)
    return 0


def _worker(settings: Settings, args) -> int:
    from .jobs.launch import start_worker  # light: the reader is imported where it runs (launch.py)

    return start_worker(settings)


def _migrate(settings: Settings) -> list[str]:
    from .db import open_database, upgrade

    open_database(settings.db_url)
    return upgrade()


def _db(settings: Settings, args) -> int:
    applied = _migrate(settings)
    print("applied: " + (", ".join(applied) if applied else "nothing (up to date)"))
    return 0


def _user(settings: Settings, args) -> int:
    from .clock import SystemClock
    from .errors import AppError
    from .models import Role
    from .services.users import DEFAULT_TEAM, create_user

    _migrate(settings)
    password = args.password or getpass.getpass(f"password for {args.username}: ")
    try:
        user = create_user(SystemClock(), args.username, password, is_admin=args.admin,
                           team_name=args.team or DEFAULT_TEAM, role=Role(args.role))
    except AppError as exc:
        print(f"fapiao: cannot create user: {exc.key} {exc.params}", file=sys.stderr)
        return 1
    print(f"created user {user.username} (id {user.id})")
    return 0


def _models(settings: Settings, args) -> int:
    import functools
    import time

    from .weights import default_dir, quantise, tagger

    logging.getLogger().setLevel(logging.WARNING)  # the quantiser logs every scale it adjusts
    where = settings.model_dir or default_dir()
    # The detector first: the tagger is trained on what the reader reads with it. The tagger is built on
    # request only: measured against the rules it changed no sure-and-wrong value (README), so the reader
    # does not load it and an install need not spend minutes training it.
    builds = [functools.partial(quantise.build, target=target) for target in (quantise.DETECTOR, quantise.RECOGNISER)]
    for build in [*builds, tagger.build] if args.tagger else builds:
        t0 = time.perf_counter()
        built = build(where, force=args.force)
        took = f", {time.perf_counter() - t0:.0f} s" if built.fresh else ""
        print(f"{'built' if built.fresh else 'up to date'}: {built.path} (sha256 {built.sha256[:16]}{took})")
    return 0


def _extract(settings: Settings, args) -> int:
    import datetime as dt
    import json
    import os
    from pathlib import Path

    from .errors import InputError
    from .pipeline.engines import Engines
    from .pipeline.extract import extract
    from .pipeline.types import Limits
    from .sniff import sniff
    from .weights import detector_file, recogniser_file

    engines = Engines(det_model=detector_file(settings.model_dir), rec_model=recogniser_file(settings.model_dir))
    limits = Limits(max_pixels=settings.max_pixels, max_pdf_pages=settings.max_pdf_pages)
    failed = 0
    for name in args.files:
        path = Path(name)
        try:
            kind = sniff(path, settings.max_pixels).kind
            result = extract(path.read_bytes(), kind, engines, limits, dt.date.today(), lanes=os.cpu_count() or 1)
            out = {"file": name, **result.as_dict()}
        except InputError as exc:
            failed += 1
            out = {"file": name, "error": {"key": exc.key, "params": exc.params}}
        except OSError as exc:
            failed += 1
            out = {"file": name, "error": {"key": "file.unreadable", "params": {"detail": str(exc)}}}
        if args.json:
            print(json.dumps(out, ensure_ascii=False), flush=True)
        else:
            _print_extraction(out)
    return 1 if failed == len(args.files) else 0


def _print_extraction(out: dict) -> None:
    print(f"== {out['file']}")
    if "error" in out:
        print(f"   error: {out['error']['key']} {out['error']['params']}")
        return
    print(f"   type: {out['type']}   review: {out['needs_review']}   {out['timings'].get('total', 0):.2f} s")
    for name, f in out["fields"].items():
        print(f"   {name:16} {f['value']!s:40} {f['confidence']:.2f} {f['source'] or ''}")
    for v in out["validation"]:
        print(f"   ! {v['severity']}: {v['key']} {v['fields']}")


def _jobs(settings: Settings, args) -> int:
    from .jobs.queue import make_huey
    from .jobs.runner import recover
    from .jobs.worker import WorkerRuntime, build_tasks

    _migrate(settings)
    runtime = WorkerRuntime(settings)
    runtime.tasks = build_tasks(make_huey(settings), runtime)
    print(f"delivered again: {recover(runtime())}")
    return 0


def _scheduler(settings: Settings, args) -> int:
    from .jobs.scheduler import run_scheduler

    run_scheduler(settings)
    return 0


def _simulator(settings: Settings, args) -> int:
    from .simulator.app import serve

    serve(settings)
    return 0


def _ledger(settings: Settings, args) -> int:
    import json
    from pathlib import Path

    from .db import database
    from .errors import AppError
    from .jobs.queue import Tasks
    from .realtime.notifier import worker_notifier
    from .runtime import Runtime
    from .services.ledger import import_file

    _migrate(settings)
    with database.connection_context():
        team = _team(args.team)
        if team is None:
            return 1
        rt = Runtime(settings, dispatch=Tasks.enqueue_only(settings).dispatch,
                     notifier=worker_notifier(settings.redis_url))
        started = time.perf_counter()
        try:
            summary = import_file(rt, team, Path(args.file).read_bytes(), args.file)
        except (AppError, OSError) as exc:
            print(f"fapiao: cannot import {args.file}: {getattr(exc, 'key', exc)} {getattr(exc, 'params', '')}",
                  file=sys.stderr)
            return 1
    out = {**summary.as_dict(), "seconds": round(time.perf_counter() - started, 2)}
    print(json.dumps(out, ensure_ascii=False))
    return 0


def _team(name: str | None):
    """The team of that name (the first team when None); None, said on stderr, when there is none."""
    from .models import Team

    query = Team.select().order_by(Team.id)
    team = (query.where(Team.name == name) if name else query).first()
    if team is None:
        print(f"fapiao: no team {name or ''}".rstrip(), file=sys.stderr)
    return team


def _export(settings: Settings, args) -> int:
    import json
    import os
    from pathlib import Path
    from urllib.parse import urlencode

    from .clock import SystemClock
    from .db import database
    from .errors import AppError
    from .services import export

    _migrate(settings)
    path = Path(args.file)
    fmt = args.format or ("csv" if path.suffix.lower() == ".csv" else "xlsx")
    filters = {name: getattr(args, name) for name in EXPORT_FILTERS if getattr(args, name) is not None}
    partial = path.with_name(path.name + ".part")  # a failed export leaves no half file under the name
    started = time.perf_counter()
    with database.connection_context():
        team = _team(args.team)
        if team is None:
            return 1
        try:
            out = export.start_for_team(SystemClock(), team, fmt=fmt, args=filters, query_text=urlencode(filters),
                                        lang=args.lang)
            with partial.open("wb") as fh:
                for chunk in out.chunks:
                    fh.write(chunk)
            os.replace(partial, path)
        except (AppError, OSError) as exc:
            partial.unlink(missing_ok=True)
            print(f"fapiao: cannot export to {path}: {getattr(exc, 'key', exc)} {getattr(exc, 'params', '')}",
                  file=sys.stderr)
            return 1
    print(json.dumps({"file": str(path), "format": fmt, "rows": out.rows, "records": out.records,
                      "seconds": round(time.perf_counter() - started, 2)}, ensure_ascii=False))
    return 0


def _backup(settings: Settings, args) -> int:
    from .backup.commands import run

    return run(settings, args)


def _run(settings: Settings, args) -> int:
    from . import metrics, scale
    from .clock import SystemClock
    from .services.users import ensure_admin
    from .supervisor import children, supervise

    if args.scale:
        settings = scale.scaled(settings)
        try:
            scale.prepare(settings)
        except scale.ScaleError as exc:
            print(f"fapiao: {exc}", file=sys.stderr)
            return 2
    applied = _migrate(settings)
    if applied:
        print(f"database ready ({', '.join(applied)})")
    boot = ensure_admin(SystemClock(), settings.admin_password)
    if boot.password:
        print("\n  First admin created.  user: admin   password: " + boot.password)
        print("  (shown once; set FAPIAO_ADMIN_PASSWORD to choose it)\n")
    url = f"http://{'localhost' if settings.host in ('127.0.0.1', '0.0.0.0') else settings.host}:{settings.port}/"

    def announce() -> None:
        if _wait_for_port(settings.host, settings.port, 30):
            print(f"\n  Fapiao Tracker is running at {url}   (Ctrl-C stops it)\n", flush=True)

    if args.scale:
        try:
            return scale.serve(settings, on_ready=announce)
        except scale.ScaleError as exc:
            print(f"fapiao: {exc}", file=sys.stderr)
            return 2
    metrics.reset_dir(settings)  # the processes about to start sum their samples there; an earlier run's go
    return supervise(children(settings), on_ready=announce)


def _wait_for_port(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    target = "127.0.0.1" if host in ("0.0.0.0", "") else host
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((target, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


if __name__ == "__main__":
    sys.exit(main())
