"""What a backup holds, as one tar stream (inside the encrypted container), in this order:

    manifest.json                 format, app and schema versions, created_at, rows per table, and the SHA-256
                                  and size of each part below (database, file list, settings, simulator, secrets)
    files.sha256                  every stored original the snapshot names: "<sha256>  <size>", in id order
    settings.json                 the settings in effect (no secrets), for reference
    db/fapiao.sqlite3 | db/fapiao.pgdump    the snapshot (snapshot.py)
    simulator/simulator.db        the authority simulator's own database, when there is one
    secrets/secret_key, secrets/simulator_token    the installation's session key and simulator token
    files/ab/cd/<sha256>          each original, in the list's order
    thumbs/ab/<sha256>.jpg, .preview.jpg         the board's thumbnails and previews (derived, so optional)
    end.json                      how many thumbnails, their bytes and a digest of their names and hashes

Reading checks every member against what announced it: each part's hash and size, each original's content
against its name and the whole run of originals against files.sha256 (count, bytes and one digest, so memory stays
constant however many there are), thumbnails against end.json. The container already authenticates every byte;
these checks catch what an honest writer could get wrong (a file changed under it, a bug), and say which member.
Members are written by name to paths the reader builds itself, never where a name points.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..errors import AppError
from .snapshot import list_line

FORMAT = "fapiao-backup-archive"
VERSION = 1
MANIFEST, LIST, SETTINGS, TRAILER = "manifest.json", "files.sha256", "settings.json", "end.json"
DB_MEMBERS = {"sqlite": "db/fapiao.sqlite3", "postgresql": "db/fapiao.pgdump"}
SIMULATOR = "simulator/simulator.db"
SECRETS = ("secret_key", "simulator_token")
MAX_MANIFEST = 1 << 20
_ORIGINAL = re.compile(r"files/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})")
_THUMB = re.compile(r"thumbs/([0-9a-f]{2})/([0-9a-f]{64})(\.jpg|\.preview\.jpg)")
_COPY = 1 << 20

# sink(member name) -> where to write it, or None to only check it (verify).
Sink = Callable[[str], Path | None]


def inconsistent(member: str, what: str) -> AppError:
    return AppError("backup.inconsistent", member=member, what=what)


@dataclass
class Run:
    """A running count, byte total and digest of "<sha256>  <size>" lines (originals, thumbnails)."""

    count: int = 0
    bytes: int = 0

    def __post_init__(self) -> None:
        self._digest = hashlib.sha256()

    def add(self, label: str, size: int) -> None:
        self.count += 1
        self.bytes += size
        self._digest.update(list_line(label, size).encode())

    def summary(self) -> dict:
        return {"count": self.count, "bytes": self.bytes, "digest": self._digest.hexdigest()}


# --- writing --------------------------------------------------------------------------------------------

class Writer:
    """A tar stream written straight to `out` (tarfile's own stream mode copies every byte through a growing
    bytes buffer, 16 KiB at a time: half the time of a backup went there). Headers are tarfile's own (PAX)."""

    def __init__(self, out: BinaryIO, mtime: int) -> None:
        self._out = out
        self._mtime = mtime

    def _header(self, name: str, size: int) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = size, self._mtime, 0o600
        self._out.write(info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"))

    def _pad(self, size: int) -> None:
        if size % tarfile.BLOCKSIZE:
            self._out.write(tarfile.NUL * (tarfile.BLOCKSIZE - size % tarfile.BLOCKSIZE))

    def add_bytes(self, name: str, data: bytes) -> None:
        self._header(name, len(data))
        self._out.write(data)
        self._pad(len(data))

    def add_file(self, name: str, path: Path, size: int, sha256: str | None = None) -> str:
        """Copy a file in as it is read, hashing it; backup.file_missing / backup.file_damaged when it is gone or
        is not `size` bytes (or does not hash to `sha256`) — an original the snapshot names must be whole."""
        try:
            fh = path.open("rb", buffering=0)
        except FileNotFoundError:
            raise AppError("backup.file_missing", sha256=sha256 or name) from None
        digest = hashlib.sha256()
        with fh:
            if os.fstat(fh.fileno()).st_size != size:
                raise AppError("backup.file_damaged", sha256=sha256 or name)
            self._header(name, size)
            left = size
            while left > 0:
                block = fh.read(min(_COPY, left))
                if not block:
                    raise AppError("backup.file_damaged", sha256=sha256 or name)
                digest.update(block)
                self._out.write(block)
                left -= len(block)
        self._pad(size)
        if sha256 is not None and digest.hexdigest() != sha256:
            raise AppError("backup.file_damaged", sha256=sha256)
        return digest.hexdigest()

    def close(self) -> None:
        self._out.write(tarfile.NUL * (2 * tarfile.BLOCKSIZE))  # the end-of-archive marker; `out` stays open


# --- reading --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Contents:
    manifest: dict
    originals: dict  # Run.summary() of the originals read
    thumbs: dict


def read(stream: BinaryIO, sink: Sink, on_manifest: Callable[[dict], None] = lambda manifest: None) -> Contents:
    """Walk the tar stream, checking each member (module doc); `sink` says where to write each one, if anywhere,
    and `on_manifest` sees the manifest before anything else is read (a restore refuses early what it cannot
    take). Returns what was read; the caller still drains the container to its authenticated end."""
    try:
        return _read(_Members(stream), sink, on_manifest)
    except (tarfile.TarError, ValueError) as exc:  # a header tarfile cannot parse, a malformed PAX record
        raise inconsistent("tar", str(exc)[:200]) from None


@dataclass(frozen=True)
class Member:
    name: str
    size: int
    regular: bool


class _Members:
    """The tar stream's members, one after another, each to be read whole before the next (what Writer writes:
    ustar headers, a PAX header before one whose name or size needs it). tarfile's own stream reader goes through
    a bytes buffer a block at a time; this reads whole chunks."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._left = 0  # bytes of the current member not read yet, padding included
        self._size = 0

    def _exact(self, n: int) -> bytes:
        parts, got = [], 0
        while got < n:
            part = self._stream.read(n - got)
            if not part:
                raise inconsistent("tar", "short")
            parts.append(part)
            got += len(part)
        return b"".join(parts)

    def _skip(self) -> None:
        while self._left:
            self._left -= len(self._exact(min(self._left, _COPY)))

    def next(self) -> Member | None:
        self._skip()
        overrides: dict[str, str] = {}
        while True:
            block = self._exact(tarfile.BLOCKSIZE)
            if block == tarfile.NUL * tarfile.BLOCKSIZE:
                return None  # the end-of-archive marker
            info = tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")  # checks the header's checksum
            if info.type not in (tarfile.XHDTYPE, tarfile.XGLTYPE):
                break
            overrides.update(_pax(self._exact(_padded(info.size))[:info.size]))
        size = int(overrides.get("size", info.size))
        self._left, self._size = _padded(size), size
        return Member(overrides.get("path", info.name), size, info.type in (tarfile.REGTYPE, tarfile.AREGTYPE))

    def content(self) -> bytes:
        """The current member's data, whole (small members: the manifest, the trailer)."""
        parts = []
        while block := self.read(_COPY):
            parts.append(block)
        return b"".join(parts)

    def read(self, n: int) -> bytes:
        """Up to n bytes of the current member's data (b"" at its end)."""
        data_left = self._size - (_padded(self._size) - self._left)
        if data_left <= 0:
            return b""
        data = self._stream.read(min(n, data_left))
        if not data:
            raise inconsistent("tar", "short")
        self._left -= len(data)
        return data


def _padded(size: int) -> int:
    return -(-size // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE


def _pax(raw: bytes) -> dict[str, str]:
    """A PAX extended header's "<length> <key>=<value>\n" records."""
    out, at = {}, 0
    while at < len(raw):
        length = int(raw[at:raw.index(b" ", at)])
        key, _, value = raw[raw.index(b" ", at) + 1:at + length - 1].partition(b"=")
        out[key.decode("utf-8")] = value.decode("utf-8", "surrogateescape")
        at += length
    return out


def _read(members: _Members, sink: Sink, on_manifest: Callable[[dict], None]) -> Contents:
    first = members.next()
    if first is None or first.name != MANIFEST or not first.regular or first.size > MAX_MANIFEST:
        raise inconsistent(MANIFEST, "missing")
    manifest = _manifest(members.content())
    on_manifest(manifest)
    parts = dict(manifest["parts"])
    originals, thumbs = Run(), Run()
    trailer = None
    while (member := members.next()) is not None:
        name = member.name
        if not member.regular or trailer is not None:
            raise inconsistent(name, "unexpected")
        if name == TRAILER:
            if member.size > MAX_MANIFEST:
                raise inconsistent(name, "format")
            trailer = _json(members.content(), name)
            continue
        _check_name(name, parts)
        digest = _copy(members, member.size, sink(name))
        if name in parts:
            expected = parts.pop(name)
            if digest != expected["sha256"] or member.size != expected["size"]:
                raise inconsistent(name, "hash")
        elif m := _ORIGINAL.fullmatch(name):
            if digest != m.group(3):
                raise inconsistent(name, "hash")
            originals.add(digest, member.size)
        else:
            thumbs.add(digest, member.size)
    if parts:
        raise inconsistent(sorted(parts)[0], "missing")
    if originals.summary() != manifest["files"]:
        raise inconsistent(LIST, "files")
    if trailer is None or trailer.get("thumbs") != thumbs.summary():
        raise inconsistent(TRAILER, "thumbs")
    return Contents(manifest, originals.summary(), thumbs.summary())


def _check_name(name: str, parts: dict) -> None:
    """Only members this version writes: an announced part, an original or a thumbnail under its own address."""
    if name in parts:
        return
    if (m := _ORIGINAL.fullmatch(name)) and m.group(3)[:4] == m.group(1) + m.group(2):
        return
    if (m := _THUMB.fullmatch(name)) and m.group(2)[:2] == m.group(1):
        return
    raise inconsistent(name, "unexpected")


def _manifest(raw: bytes) -> dict:
    doc = _json(raw, MANIFEST)
    if doc.get("format") != FORMAT or not isinstance(doc.get("parts"), dict) or not isinstance(doc.get("files"), dict):
        raise inconsistent(MANIFEST, "format")
    if doc.get("version") != VERSION:
        raise AppError("backup.version", version=doc.get("version"))
    return doc


def _json(raw: bytes, name: str) -> dict:
    try:
        doc = json.loads(raw)
    except ValueError:
        raise inconsistent(name, "format") from None
    if not isinstance(doc, dict):
        raise inconsistent(name, "format")
    return doc


def private_file(path: Path) -> BinaryIO:
    """A new file only its owner can read, whatever the process's umask (a backup holds everything)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def _copy(src: BinaryIO, size: int, target: Path | None) -> str:
    digest = hashlib.sha256()
    out = None
    if target is not None:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        out = private_file(target)
    try:
        left = size
        while left > 0:
            block = src.read(min(_COPY, left))
            if not block:
                raise inconsistent(str(target or ""), "short")
            digest.update(block)
            if out is not None:
                out.write(block)
            left -= len(block)
    finally:
        if out is not None:
            out.close()
    return digest.hexdigest()
