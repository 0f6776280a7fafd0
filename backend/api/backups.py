"""Backups for site admins (backend/backup): what ran, how it went, what comes next — and one now.

    GET  /api/backups?limit=   {configured, key_kind, dir, interval_hours, keep, keep_days, running, queued, last,
                               next_run, records: [...]}; each record as records.public, plus requested_by_name
    POST /api/backups          a backup now: queued for the scheduler (202), never run in the web request
"""

from __future__ import annotations

from flask import Blueprint, g

from .. import auth
from ..backup import records, schedule
from ..clock import iso
from ..errors import AppError
from ..models import User
from .context import runtime
from .declare import integer, takes
from .guard import SITE_ADMIN, requires
from .params import int_arg

bp = Blueprint("backups", __name__, url_prefix="/api/backups")
MAX_LIMIT = 200


@bp.get("")
@requires(SITE_ADMIN)
@takes(query={"limit": integer(1, MAX_LIMIT, "how many records, newest first (default 20)")})
def listing():
    """The backups, newest first: the last finished one (size, verified or not, its error), the one running or
    waiting, when the next scheduled one is due, and how backups are set up (no key: `configured` is false)."""
    rt = runtime()
    s = rt.settings
    last = records.last_finished()
    running, queued = records.running(), records.oldest_queued()
    newest = records.newest(int_arg("limit", 20, 1, MAX_LIMIT))
    public = _public([last, running, queued, *newest])
    next_run = schedule.next_run(s, last, rt.clock.now())
    return {
        "configured": s.backup_configured,
        "key_kind": "key_file" if s.backup_key_file else ("passphrase" if s.backup_passphrase else None),
        "dir": str(s.backup_dir),
        "interval_hours": s.backup_interval_hours,
        "keep": s.backup_keep,
        "keep_days": s.backup_keep_days,
        "last": public(last),
        "running": public(running),
        "queued": public(queued),
        "next_run": iso(next_run),
        "records": [public(r) for r in newest],
    }


def _public(shown: list):
    """records.public with who asked for each by name (one query for them all; a person since deleted: None)."""
    ids = {r.requested_by for r in shown if r is not None and r.requested_by is not None}
    names = {u.id: u.display_name or u.username for u in User.select().where(User.id.in_(ids))} if ids else {}

    def public(record) -> dict | None:
        if record is None:
            return None
        return {**records.public(record), "requested_by_name": names.get(record.requested_by)}
    return public


@bp.post("")
@requires(SITE_ADMIN)
def start():
    """Back up now. The scheduler process starts it within a tick (after the one running, if any); the answer is
    the queued record (the one already waiting, if there is one). 409 `backup.no_key` without a key configured."""
    rt = runtime()
    if not rt.settings.backup_configured:
        raise AppError("backup.no_key", http_status=409)
    record, new = records.request(rt.clock, g.access.user, auth.address())
    return {"record": _public([record])(record), "queued": new}, 202
