"""Files at rest belong to the installation's user alone: no other OS user reads any of them.

The data dir holds the password hashes and every invoice field (SQLite), the originals, previews
and thumbnails, the job queue and the secret key. Every entry point (web, worker, scheduler, each
CLI command) sets umask 077 before it creates anything, so what it creates is 0600 (files) and
0700 (directories); at start, what an older version or another tool left looser is tightened, and
the log says what changed. The data dir's own 0700 already keeps other users out of everything
under it; the modes of the files inside keep them out of copies (backups, `cp -a`) as well.

The whole tree is walked once (300 000 files take ~4 s), then a marker file says so: later starts
check the data dir and what lies directly in it (databases, queue, secret key, the file and
thumbnail directories), which is instant; the umask keeps everything new private.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
_OTHERS = 0o077  # group and other bits
_LOGGED = 20  # changes named one by one in the log; the rest are counted
MARKER = ".private"  # in the data dir: the whole tree was made private once


@dataclass(frozen=True)
class Tightened:
    path: Path
    old: int
    new: int


def private_umask() -> int:
    """Set umask 077 for this process (and the processes it starts); returns the previous one."""
    return os.umask(PRIVATE_UMASK)


def tighten(data_dir: Path, deep: bool = True) -> list[Tightened]:
    """Group and other bits off data_dir and what is in it (all the way down when `deep`); links
    are not followed. What cannot be changed (another user's file) is logged and left."""
    if not data_dir.is_dir():
        return []
    changed: list[Tightened] = []
    _tighten(data_dir, os.lstat(data_dir), changed)
    pending = [data_dir]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISDIR(st.st_mode) and deep:
                    pending.append(Path(entry.path))
                if stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode):
                    _tighten(Path(entry.path), st, changed)
    return changed


def _tighten(path: Path, st: os.stat_result, changed: list[Tightened]) -> None:
    old = stat.S_IMODE(st.st_mode)
    new = (old | 0o700 if stat.S_ISDIR(st.st_mode) else old) & ~_OTHERS
    if new == old:
        return
    try:
        os.chmod(path, new, follow_symlinks=False)
    except OSError as exc:
        log.warning("cannot make %s private (mode %o): %s", path, old, exc)
        return
    changed.append(Tightened(path, old, new))


def secure(data_dir: Path) -> list[Tightened]:
    """The start-up check of every entry point: tighten (the whole tree the first time), and log
    what was changed."""
    marker = data_dir / MARKER
    deep = not marker.exists()
    changed = tighten(data_dir, deep)
    if deep and data_dir.is_dir():
        marker.touch(mode=0o600)
    for item in changed[:_LOGGED]:
        log.warning("made private: %s (mode %03o → %03o)", item.path, item.old, item.new)
    if len(changed) > _LOGGED:
        log.warning("made private: %d more under %s", len(changed) - _LOGGED, data_dir)
    return changed
