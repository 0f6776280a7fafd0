"""The backup container: one file, encrypted and authenticated in chunks (AES-256-GCM from `cryptography`).

    MAGIC (14 bytes) | header length (u32, big-endian) | header (JSON) | SHA-256 of those three (32) | chunks...

The header holds a fixed part — format version, chunk size, created_at, the stream's random id and nonce prefix —
and a key part: how the backup's random 256-bit data key is wrapped (the KDF and its parameters: scrypt from a
passphrase, HKDF-SHA256 from a key file; a fresh salt each time), the key id, the wrap nonce and the wrapped key.

Each chunk is `chunk` bytes of plaintext (the last one fewer, possibly none) sealed with the data key; its nonce is
prefix (7 bytes) | counter (4, big-endian) | last flag (1) and its associated data the digest of the fixed part. A
chunk moved, dropped, repeated or taken from another backup fails to open, and so does a file cut at a chunk
boundary: its new last chunk was not sealed as the last one. Plaintext is only ever handed on after its chunk
has been authenticated, and memory holds a chunk or two whatever the backup's size.

Why a checksum on the header too: a flipped byte in the key part would otherwise make the right key fail to
unwrap — "wrong key" for a damaged file. With it, a header that does not match its checksum is `backup.corrupt`,
and a key that cannot unwrap a sound header is `backup.wrong_key`. (Anyone can recompute a checksum: it is not
what authenticates; the wrap and the chunks are.)

Rotation re-wraps the data key under a new secret and copies the chunks byte for byte (`rekey`): the fixed part,
and so every chunk, is unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import struct
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ..errors import AppError
from .keys import Secret

MAGIC = b"FAPIAO-BACKUP\n"
VERSION = 1
CIPHER = "aes-256-gcm"
CHUNK_SIZE = 1 << 20
TAG = 16
NONCE_PREFIX = 7
MAX_HEADER = 16 * 1024
MAX_CHUNK = 16 << 20
_LENGTH = struct.Struct(">I")
_CHECKSUM = 32
_WRAP_AD = b"fapiao-backup wrap\x00"
_HKDF_INFO = b"fapiao-backup kek"


@dataclass(frozen=True)
class Cost:
    """scrypt's work factor: N (CPU and memory: 128 * N * r bytes), r, p."""

    n: int
    r: int
    p: int


DEFAULT_COST = Cost(2**17, 8, 1)  # 128 MiB and ~0.3 s: once per create, verify, restore or rekey
CHEAPEST = Cost(2**4, 8, 1)  # tests only, as services/passwords.use_cost: the format is the same
_MOST = Cost(2**20, 16, 4)  # a header asking for more than this is not one we wrote: refused, not computed
_cost = [DEFAULT_COST]


def use_cost(cost: Cost) -> None:
    _cost[0] = cost


@dataclass(frozen=True)
class Header:
    version: int
    chunk: int
    created_at: str
    stream_id: bytes
    nonce_prefix: bytes
    key: dict  # {"id", "kdf": {...}, "nonce", "wrapped"}

    @property
    def backup_id(self) -> str:
        return self.stream_id.hex()

    @property
    def key_id(self) -> str:
        return str(self.key.get("id", ""))

    def fixed(self) -> dict:
        return {"v": self.version, "cipher": CIPHER, "chunk": self.chunk, "created_at": self.created_at,
                "stream": _b64(self.stream_id), "nonce": _b64(self.nonce_prefix)}

    def fixed_digest(self) -> bytes:
        return hashlib.sha256(_canonical(self.fixed())).digest()

    def encode(self) -> bytes:
        body = _canonical({**self.fixed(), "key": self.key})
        head = MAGIC + _LENGTH.pack(len(body)) + body
        return head + hashlib.sha256(head).digest()


def corrupt(offset: int) -> AppError:
    return AppError("backup.corrupt", offset=offset)


# --- keys ------------------------------------------------------------------------------------------------

def wrap(secret: Secret, data_key: bytes, fixed_digest: bytes) -> dict:
    """The key part of a header: `data_key` sealed under a key derived from `secret` with a fresh salt."""
    salt = secrets.token_bytes(16)
    if secret.kind == "passphrase":
        cost = _cost[0]
        kdf = {"name": "scrypt", "salt": _b64(salt), "n": cost.n, "r": cost.r, "p": cost.p}
    else:
        kdf = {"name": "hkdf-sha256", "salt": _b64(salt)}
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_kek(secret, kdf)).encrypt(nonce, data_key, _wrap_ad(fixed_digest, secret.key_id))
    return {"id": secret.key_id, "kdf": kdf, "nonce": _b64(nonce), "wrapped": _b64(sealed)}


def unwrap(header: Header, secret: Secret) -> bytes:
    """The data key, or backup.wrong_key (a sound header, checked before this, that this secret cannot open)."""
    kdf = header.key.get("kdf") or {}
    wrong = AppError("backup.wrong_key", needs=header.key_id)
    if (kdf.get("name") == "scrypt") != (secret.kind == "passphrase"):
        raise wrong  # a key file for a passphrase backup, or the other way round
    try:
        kek = _kek(secret, kdf)
        return AESGCM(kek).decrypt(_unb64(header.key["nonce"]), _unb64(header.key["wrapped"]),
                                   _wrap_ad(header.fixed_digest(), header.key_id))
    except InvalidTag:
        raise wrong from None
    except (KeyError, TypeError, ValueError):
        raise corrupt(0) from None


def _kek(secret: Secret, kdf: dict) -> bytes:
    salt = _unb64(kdf["salt"])
    if kdf["name"] == "scrypt":
        cost = Cost(int(kdf["n"]), int(kdf["r"]), int(kdf["p"]))
        if not (1 < cost.n <= _MOST.n and cost.n & (cost.n - 1) == 0 and 0 < cost.r <= _MOST.r
                and 0 < cost.p <= _MOST.p):
            raise ValueError("scrypt parameters out of range")
        return Scrypt(salt=salt, length=32, n=cost.n, r=cost.r, p=cost.p).derive(secret.material)
    if kdf["name"] == "hkdf-sha256":
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_HKDF_INFO).derive(secret.material)
    raise ValueError(f"unknown kdf {kdf['name']!r}")


def _wrap_ad(fixed_digest: bytes, key_id: str) -> bytes:
    return _WRAP_AD + fixed_digest + key_id.encode()


# --- the header on disk ----------------------------------------------------------------------------------

def read_header(src: BinaryIO) -> tuple[Header, int]:
    """The header and the file offset of the first chunk; backup.corrupt when it is not a sound header of ours."""
    head = src.read(len(MAGIC) + _LENGTH.size)
    if len(head) < len(MAGIC) + _LENGTH.size or head[:len(MAGIC)] != MAGIC:
        raise corrupt(0)
    (length,) = _LENGTH.unpack(head[len(MAGIC):])
    if length > MAX_HEADER:
        raise corrupt(len(MAGIC))
    body = src.read(length)
    checksum = src.read(_CHECKSUM)
    if len(body) < length or checksum != hashlib.sha256(head + body).digest():
        raise corrupt(0)
    try:
        doc = json.loads(body)
        header = Header(version=int(doc["v"]), chunk=int(doc["chunk"]), created_at=str(doc["created_at"]),
                        stream_id=_unb64(doc["stream"]), nonce_prefix=_unb64(doc["nonce"]), key=dict(doc["key"]))
    except (KeyError, TypeError, ValueError):
        raise corrupt(0) from None
    if header.version != VERSION or doc.get("cipher") != CIPHER or not 0 < header.chunk <= MAX_CHUNK \
            or len(header.nonce_prefix) != NONCE_PREFIX:
        raise corrupt(0)
    return header, len(head) + length + _CHECKSUM


def peek(path: Path) -> Header:
    """What a backup's header says (its id, key id, date), without any key."""
    with path.open("rb") as fh:
        return read_header(fh)[0]


# --- chunks ----------------------------------------------------------------------------------------------

def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


class Sealer:
    """A write-only stream: what is written goes out sealed in chunks after the header. `close()` seals the last
    chunk (the stream is incomplete without it); it does not close `out`."""

    def __init__(self, out: BinaryIO, secret: Secret, *, created_at: str, stream_id: bytes | None = None,
                 chunk: int | None = None) -> None:
        data_key = AESGCM.generate_key(bit_length=256)
        header = Header(VERSION, chunk or CHUNK_SIZE, created_at, stream_id or secrets.token_bytes(16),
                        secrets.token_bytes(NONCE_PREFIX), {})
        self.header = replace(header, key=wrap(secret, data_key, header.fixed_digest()))
        self._out = out
        self._aead = AESGCM(data_key)
        self._ad = self.header.fixed_digest()
        self._buf = bytearray()
        self._counter = 0
        self.closed = False
        encoded = self.header.encode()
        out.write(encoded)
        self.size = len(encoded)  # bytes written to `out` so far

    def write(self, data) -> int:
        self._buf += data
        chunk = self.header.chunk
        full = (len(self._buf) - 1) // chunk  # strictly more than a chunk held: the last one is only known at close()
        if full > 0:
            with memoryview(self._buf) as view:
                for k in range(full):
                    self._seal(view[k * chunk:(k + 1) * chunk], last=False)
            del self._buf[:full * chunk]
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self._buf), last=True)
            self._buf = bytearray()
            self.closed = True

    def _seal(self, plain: bytes, last: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self.header.nonce_prefix, self._counter, last), plain, self._ad)
        self._out.write(sealed)
        self.size += len(sealed)
        self._counter += 1


def _chunks(src: BinaryIO, header: Header, aead: AESGCM, offset: int) -> Iterator[tuple[bytes, bytes]]:
    """(sealed, plain) for each chunk in order, each authenticated before it is yielded; backup.corrupt at the
    offset of the first chunk that fails, and for a stream that ends before its last chunk."""
    size = header.chunk + TAG
    ad = header.fixed_digest()
    ahead = b""
    counter = 0
    while True:
        sealed = ahead + src.read(size - len(ahead))
        if len(sealed) == size:
            ahead = src.read(1)
            last = not ahead
        else:
            ahead, last = b"", True
        if len(sealed) < TAG:
            raise corrupt(offset)
        try:
            plain = aead.decrypt(_nonce(header.nonce_prefix, counter, last), sealed, ad)
        except InvalidTag:
            raise corrupt(offset) from None
        yield sealed, plain
        if last:
            return
        offset += len(sealed)
        counter += 1


class Opener:
    """A read-only stream of a backup's plaintext. `read(n)` gives at most n bytes (b"" at the end), each from a
    chunk already authenticated; reaching the end proves nothing was cut off."""

    def __init__(self, src: BinaryIO, secret: Secret) -> None:
        self.header, start = read_header(src)
        self._chunks = _chunks(src, self.header, AESGCM(unwrap(self.header, secret)), start)
        self._plain = b""
        self._at = 0
        self.finished = False

    def read(self, n: int = -1) -> bytes:
        while self._at >= len(self._plain):
            if self.finished:
                return b""
            try:
                _, self._plain = next(self._chunks)
            except StopIteration:
                self.finished = True
                self._plain = b""
            self._at = 0
        end = len(self._plain) if n is None or n < 0 else min(len(self._plain), self._at + n)
        out = self._plain[self._at:end]
        self._at = end
        return out

    def drain(self) -> int:
        """Read to the end (what a verify does after the archive's last member); returns the bytes skipped."""
        skipped = 0
        while chunk := self.read(CHUNK_SIZE):
            skipped += len(chunk)
        return skipped


def rekey(path: Path, old: Secret, new: Secret) -> Header:
    """Re-wrap a backup's data key under `new` (`old` must open it) and copy its chunks unchanged, each one
    authenticated on the way: a damaged backup is refused, not blessed with a new key. The file is replaced
    atomically; the old one stays as it was until then."""
    tmp = path.with_name(f".{path.name}.rekey")
    try:
        with path.open("rb") as src, tmp.open("wb") as out:
            header, start = read_header(src)
            data_key = unwrap(header, old)
            fresh = replace(header, key=wrap(new, data_key, header.fixed_digest()))
            out.write(fresh.encode())
            for sealed, _ in _chunks(src, header, AESGCM(data_key), start):
                out.write(sealed)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return fresh


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _canonical(doc: dict) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)
