"""Zip archives from users (OFD invoices, xlsx ledger exports), opened as if hostile.

A 2 MB OFD can hold a page that inflates to 2 GiB, and a 17 MB zip can list 200 000 entries that
take zipfile seconds to read. So every zip the app reads is opened here:
- the entry count comes from the end-of-central-directory record (zip64 too), before zipfile reads
  the central directory;
- a member is inflated as a stream and stopped at a cap per member, a cap for the whole archive and
  a compression ratio that real documents never reach (declared sizes are checked first, but they
  can lie, so the bytes are counted as they come);
- any kind of damage (cut off, bad deflate data, encrypted, unknown method) is zipfile.BadZipFile,
  which each caller names in its own words (`ofd.corrupt`, `ledger.unreadable`);
- XML is parsed with no DTD at all: no entities (billion laughs), no external ones (XXE), no network.
A cap that is exceeded raises InputError with an `archive.*` key: the file is refused for good.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from xml.etree import ElementTree

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as _defused_fromstring

from .errors import InputError

_MiB = 1 << 20
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Caps:
    entries: int = 1000  # an e-invoice OFD has 10–40 entries, an xlsx export about 10
    member_bytes: int = 8 * _MiB  # an invoice's XML parts are kilobytes
    total_bytes: int = 32 * _MiB
    ratio: int = 100  # XML deflates 5–20:1; zeros or spaces ~1000:1
    ratio_floor: int = _MiB  # a part smaller than this inflated may have any ratio (a page of spaces)


OFD = Caps()
# Ledger exports run to a million rows (~600 MB of sheet XML), read as a stream by sync/xlsx.py.
XLSX = Caps(member_bytes=2048 * _MiB, total_bytes=4096 * _MiB)

Source = bytes | Path | BinaryIO


@dataclass(frozen=True)
class Directory:
    """What the end-of-central-directory record says, without reading the directory itself."""

    entries: int
    size: int
    offset: int


_EOCD = struct.Struct("<4s4H2LH")
_LOCATOR = struct.Struct("<4sLQL")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")


def directory(fh: BinaryIO) -> Directory:
    """The entry count and central directory's place, from the records at the end (reads < 66 kB)."""
    end = fh.seek(0, os.SEEK_END)
    start = max(0, end - _EOCD.size - 0xFFFF)  # the record, then a comment of at most 64 KiB
    fh.seek(start)
    tail = fh.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        raise zipfile.BadZipFile("no end of central directory (cut off?)")
    _, _, _, _, entries, size, offset, _ = _EOCD.unpack_from(tail, at)
    if entries != 0xFFFF and size != 0xFFFFFFFF and offset != 0xFFFFFFFF:
        return Directory(entries, size, offset)
    return _directory64(fh, start + at)


def _directory64(fh: BinaryIO, eocd_at: int) -> Directory:
    if eocd_at < _LOCATOR.size:
        raise zipfile.BadZipFile("zip64 locator missing")
    fh.seek(eocd_at - _LOCATOR.size)
    sig, _, record_at, _ = _LOCATOR.unpack(fh.read(_LOCATOR.size))
    if sig != b"PK\x06\x07":
        raise zipfile.BadZipFile("zip64 locator missing")
    fh.seek(record_at)
    raw = fh.read(_EOCD64.size)
    if len(raw) < _EOCD64.size or raw[:4] != b"PK\x06\x06":
        raise zipfile.BadZipFile("zip64 end record missing")
    entries, size, offset = _EOCD64.unpack(raw)[7:10]
    return Directory(entries, size, offset)


def check_entries(fh: BinaryIO, caps: Caps) -> Directory:
    found = directory(fh)
    if found.entries > caps.entries:
        raise InputError("archive.too_many_entries", count=found.entries, limit=caps.entries)
    return found


@contextmanager
def open_zip(source: Source, caps: Caps = OFD) -> Iterator[Archive]:
    """A zip whose entries were counted before it was listed; members read only through caps."""
    fh: BinaryIO = io.BytesIO(source) if isinstance(source, bytes) else (
        source.open("rb") if isinstance(source, Path) else source)
    try:
        check_entries(fh, caps)
        fh.seek(0)
        try:
            zf = zipfile.ZipFile(fh)
        except (zipfile.LargeZipFile, EOFError, ValueError, struct.error, OSError) as exc:
            raise zipfile.BadZipFile(f"{type(exc).__name__}: {exc}") from None
        with zf:
            yield Archive(zf, caps)
    finally:
        if isinstance(source, Path):
            fh.close()


class Archive:
    """One open zip and the bytes inflated from it so far (the total cap spans every member)."""

    def __init__(self, zf: zipfile.ZipFile, caps: Caps) -> None:
        self.zf = zf
        self.caps = caps
        self.inflated = 0

    def namelist(self) -> list[str]:
        return self.zf.namelist()

    def read(self, name: str) -> bytes:
        with self.open(name) as member:
            return member.read()

    def xml(self, name: str) -> ElementTree.Element:
        return parse_xml(self.read(name))

    def open(self, name: str) -> Member:
        """A capped stream of one member; KeyError when there is none of that name."""
        info = self.zf.getinfo(name)
        check_declared(info, self.caps, self.inflated)
        try:
            raw = self.zf.open(info)
        except (RuntimeError, NotImplementedError, EOFError, ValueError, OSError, zlib.error) as exc:
            raise zipfile.BadZipFile(f"{name}: {type(exc).__name__}: {exc}") from None  # encrypted, unknown method
        return Member(self, info, raw)

    def check_all(self) -> None:
        """Refuse by the declared sizes alone, for readers that inflate by themselves (calamine)."""
        total = 0
        for info in self.zf.infolist():
            check_declared(info, self.caps, total)
            total += info.file_size


def check_declared(info: zipfile.ZipInfo, caps: Caps, inflated_before: int) -> None:
    _check(info.filename, info.file_size, info.compress_size, caps, inflated_before + info.file_size)


def _check(name: str, inflated: int, compressed: int, caps: Caps, total: int) -> None:
    if inflated > caps.member_bytes:
        raise InputError("archive.member_too_large", name=name[-80:], limit_mb=caps.member_bytes // _MiB)
    if inflated > caps.ratio_floor and inflated > caps.ratio * max(compressed, 1):
        raise InputError("archive.ratio", name=name[-80:], ratio=inflated // max(compressed, 1), limit=caps.ratio)
    if total > caps.total_bytes:
        raise InputError("archive.too_large", limit_mb=caps.total_bytes // _MiB)


class Member(io.RawIOBase):
    """A member inflated chunk by chunk, each chunk counted against the caps before it is kept."""

    def __init__(self, archive: Archive, info: zipfile.ZipInfo, raw) -> None:
        super().__init__()
        self._archive = archive
        self._info = info
        self._raw = raw
        self._read = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(_CHUNK), b""))
        data = self._inflate(min(size, _CHUNK))
        self._read += len(data)
        self._archive.inflated += len(data)
        _check(self._info.filename, self._read, self._info.compress_size, self._archive.caps,
               self._archive.inflated)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _inflate(self, size: int) -> bytes:
        try:
            return self._raw.read(size)
        except (zlib.error, EOFError, OSError, ValueError, RuntimeError) as exc:
            raise zipfile.BadZipFile(f"{self._info.filename}: {type(exc).__name__}: {exc}") from None

    def close(self) -> None:
        self._raw.close()
        super().close()


def parse_xml(data: bytes) -> ElementTree.Element:
    """An element tree from XML that may be hostile: any DTD is refused (the formats we read never
    have one), so no entity is expanded or fetched. Every failure is ElementTree.ParseError."""
    try:
        return _defused_fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ElementTree.ParseError(f"forbidden in XML: {exc}") from None
