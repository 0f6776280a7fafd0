"""Typed settings, read once from the environment (and an optional `.env`).

Everything the app needs to know about its surroundings lives here; no other module reads
`os.environ`. The secret key is never a hard-coded default: it comes from FAPIAO_SECRET_KEY or is
generated on first run and kept (mode 0600) in the data directory.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from dotenv import dotenv_values

_TRUE = {"1", "true", "yes", "on"}
ASYNC_MODES = ("eventlet", "threading", "gevent")


class SettingsError(ValueError):
    """A setting in the environment has a value the app cannot use."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    secret_key: str
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = ""  # empty: SQLite file inside data_dir
    redis_url: str = ""  # empty: embedded mode (SQLite job queue, DB-polling relay)
    async_mode: str = "eventlet"
    workers: int = 2  # worker processes started by `fapiao worker` / `fapiao run`
    max_upload_bytes: int = 25 * 1024 * 1024
    max_pixels: int = 100_000_000  # decompression-bomb guard (a 50 MP phone photo fits twice)
    max_pdf_pages: int = 50
    max_files_per_request: int = 50
    job_max_attempts: int = 3
    job_retry_base_seconds: float = 5.0
    job_lease_seconds: int = 600
    relay_interval_seconds: float = 0.05
    admin_password: str = ""
    secure_cookies: bool = False
    frontend_dist: Path | None = None

    # -- derived values -------------------------------------------------------------------
    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'fapiao.db'}"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def thumbs_dir(self) -> Path:
        return self.data_dir / "thumbs"

    @property
    def queue_path(self) -> Path:
        return self.data_dir / "queue.db"

    @property
    def embedded(self) -> bool:
        """True without Redis: workers reach the web process through the database."""
        return not self.redis_url

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)

    # -- loading ----------------------------------------------------------------------------
    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Settings:
        env: dict[str, str] = {}
        if dotenv is not None and dotenv.is_file():
            env.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
        env.update(os.environ if environ is None else environ)
        return cls.from_mapping(env)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> Settings:
        data_dir = Path(env.get("FAPIAO_DATA_DIR", "./data")).expanduser().resolve()
        async_mode = env.get("FAPIAO_ASYNC_MODE", "eventlet")
        if async_mode not in ASYNC_MODES:
            raise SettingsError(f"FAPIAO_ASYNC_MODE must be one of {ASYNC_MODES}, not {async_mode!r}")
        dist = env.get("FAPIAO_FRONTEND_DIST")
        return cls(
            data_dir=data_dir,
            secret_key=env.get("FAPIAO_SECRET_KEY") or _stored_secret(data_dir),
            host=env.get("FAPIAO_HOST", "127.0.0.1"),
            port=_int(env, "FAPIAO_PORT", 8000),
            database_url=env.get("FAPIAO_DATABASE_URL", ""),
            redis_url=env.get("FAPIAO_REDIS_URL", ""),
            async_mode=async_mode,
            workers=_int(env, "FAPIAO_WORKERS", 2),
            max_upload_bytes=_int(env, "FAPIAO_MAX_UPLOAD_BYTES", 25 * 1024 * 1024),
            max_pixels=_int(env, "FAPIAO_MAX_PIXELS", 100_000_000),
            max_pdf_pages=_int(env, "FAPIAO_MAX_PDF_PAGES", 50),
            job_max_attempts=_int(env, "FAPIAO_JOB_MAX_ATTEMPTS", 3),
            job_retry_base_seconds=float(env.get("FAPIAO_JOB_RETRY_BASE_SECONDS", "5")),
            job_lease_seconds=_int(env, "FAPIAO_JOB_LEASE_SECONDS", 600),
            admin_password=env.get("FAPIAO_ADMIN_PASSWORD", ""),
            secure_cookies=env.get("FAPIAO_SECURE_COOKIES", "").lower() in _TRUE,
            frontend_dist=Path(dist).resolve() if dist else None,
        )


def _int(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{key} must be an integer, not {raw!r}") from None


def _stored_secret(data_dir: Path) -> str:
    """The per-installation secret: generated once, then read back on every start."""
    path = data_dir / "secret_key"
    if path.is_file():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Write aside, then link into place: link() fails if another process won the race, and the
    # file is never seen half-written.
    tmp = data_dir / f".secret_key.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    try:
        os.link(tmp, path)
    except FileExistsError:
        key = path.read_text().strip()
    finally:
        tmp.unlink()
    return key
