"""The key a backup is encrypted under: a passphrase or a key file that the admin holds, never the app's secret key.

A backup's own data key is random; this secret only wraps it (backup/format.py), so rotating the secret re-wraps a
32-byte key in each file's header instead of re-encrypting the backup.

A key file holds 32 random bytes as `fapiao-backup-key-1:<base64url>` (`fapiao backup keygen FILE` writes one,
0600); any other file of at least 32 bytes is taken as raw key material, as it is. A key file's id is a
fingerprint of its key, the same in every backup made with it, so an admin can tell which key a backup needs. A
passphrase has no fingerprint: one that anyone could compute would let them test guesses without the scrypt cost.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import AppError
from ..settings import Settings

KEY_PREFIX = b"fapiao-backup-key-1:"
KEY_BYTES = 32
PASSPHRASE_ID = "passphrase"
_ID_DOMAIN = b"fapiao-backup key-id\x00"


@dataclass(frozen=True)
class Secret:
    """What wraps the data keys: `kind` is passphrase or keyfile; `material` the bytes the KDF starts from."""

    kind: str
    material: bytes = field(repr=False)

    @property
    def key_id(self) -> str:
        if self.kind == "passphrase":
            return PASSPHRASE_ID
        return "key:" + hashlib.sha256(_ID_DOMAIN + self.material).hexdigest()[:16]


def passphrase(text: str) -> Secret:
    if not text:
        raise AppError("backup.no_key")
    # One phrase typed on two systems (or input methods) can come as different code points: NFC makes them one.
    return Secret("passphrase", unicodedata.normalize("NFC", text).encode("utf-8"))


def key_file(path: Path) -> Secret:
    try:
        raw = path.read_bytes().strip()
    except OSError as exc:
        raise AppError("backup.key_file_invalid", path=str(path), detail=exc.strerror or str(exc)) from None
    if raw.startswith(KEY_PREFIX):
        try:
            material = base64.urlsafe_b64decode(raw[len(KEY_PREFIX):])
        except ValueError:
            material = b""
        if len(material) != KEY_BYTES:
            raise AppError("backup.key_file_invalid", path=str(path), detail="not a fapiao backup key")
        return Secret("keyfile", material)
    if len(raw) < KEY_BYTES:
        raise AppError("backup.key_file_invalid", path=str(path), detail=f"shorter than {KEY_BYTES} bytes")
    return Secret("keyfile", raw)


def configured(settings: Settings) -> Secret:
    """The secret the settings name (FAPIAO_BACKUP_KEY_FILE or FAPIAO_BACKUP_PASSPHRASE); backup.no_key if none."""
    if settings.backup_key_file is not None:
        return key_file(settings.backup_key_file)
    return passphrase(settings.backup_passphrase)


def generate(path: Path) -> Secret:
    """Write a new random key file (0600; refused if the file exists, so a key is never overwritten)."""
    material = secrets.token_bytes(KEY_BYTES)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(KEY_PREFIX + base64.urlsafe_b64encode(material) + b"\n")
        fh.flush()
        os.fsync(fh.fileno())
    return Secret("keyfile", material)
