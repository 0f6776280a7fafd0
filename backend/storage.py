"""Content-addressed file store under the data directory: files/ab/cd/<sha256>."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .errors import InputError

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Received:
    """An upload written to a temporary file in the store's own directory tree."""

    temp_path: Path
    sha256: str
    size: int


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / ".incoming"
        self.tmp.mkdir(parents=True, exist_ok=True)

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def receive(self, stream: BinaryIO, max_bytes: int) -> Received:
        """Copy a stream to disk while hashing it; refuse it once it passes `max_bytes`."""
        digest = hashlib.sha256()
        size = 0
        fd, name = tempfile.mkstemp(dir=self.tmp)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise InputError(
                            "upload.too_large",
                            http_status=413,
                            size_mb=_mb(size + _remaining(stream)),
                            limit_mb=_mb(max_bytes),
                        )
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            os.unlink(name)
            raise
        if size == 0:
            os.unlink(name)
            raise InputError("upload.empty")
        return Received(Path(name), digest.hexdigest(), size)

    def commit(self, received: Received) -> Path:
        """Move a received file to its content address (durably); same bytes, same path."""
        final = self.path_for(received.sha256)
        if final.exists():
            received.temp_path.unlink(missing_ok=True)
            return final
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(received.temp_path, final)
        _fsync_dir(final.parent)
        return final

    def discard(self, received: Received) -> None:
        received.temp_path.unlink(missing_ok=True)


def _remaining(stream: BinaryIO) -> int:
    """Bytes left in a stream we are refusing, for an honest size in the message."""
    try:
        pos = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        return max(0, end - pos)
    except (OSError, ValueError, AttributeError):
        return 0


def _mb(n: int) -> float:
    return round(n / (1024 * 1024), 1)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
