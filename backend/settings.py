"""Typed settings, read once from the environment (and an optional `.env`).

Everything the app needs to know about its surroundings lives here; no other module reads
`os.environ`. The secret key is never a hard-coded default: it comes from FAPIAO_SECRET_KEY or is
generated on first run and kept (mode 0600) in the data directory.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from dotenv import dotenv_values

_TRUE = {"1", "true", "yes", "on"}
ASYNC_MODES = ("eventlet", "threading", "gevent")
CONNECTORS = ("simulator", "ledger", "off")
# The first is the default (FAPIAO_WORKER_MODE). Not "threads" yet: pdfium (PDFs' text layer, pages, images) is
# not thread-safe, and two PDFs read at once by one process's threads can be misread (a bundle's parts lost their
# numbers in a CI run) until its calls are serialised.
WORKER_MODES = ("processes", "threads")
DEMO_TIME_SCALE = 1 / 120  # demo: one authority hour passes in 30 s, so the journey fits in minutes
WORKER_MEMORY_MB = 2048  # a worker reading a phone photo peaks near 600 MB of data, a 96 MP one near 900 (README)
MIN_BACKUP_PASSPHRASE = 8  # characters; the key is derived with scrypt, but a short phrase is still guessable


class SettingsError(ValueError):
    """A setting in the environment has a value the app cannot use."""


@dataclass(frozen=True)
class SimulatorSettings:
    """The local stand-in for the national verification platform (backend/simulator)."""

    delay_median_hours: float = 3.0  # issuance → findable: log-normal around this
    delay_sigma: float = 1.0
    offline_share: float = 0.1  # invoices issued offline sync a day or more later
    offline_extra_hours: float = 24.0
    daily_quota: int = 5  # look-ups per invoice per day
    max_age_days: int = 5 * 365 + 1
    latency_ms: int = 0
    error_rate: float = 0.0  # share of requests answered 500
    outages: tuple[tuple[dt.datetime, dt.datetime], ...] = ()  # UTC windows when it is down
    # Announced maintenance (UTC windows): down as in an outage, but it says so, and until when.
    maintenance: tuple[tuple[dt.datetime, dt.datetime], ...] = ()
    # The taxpayers (buyer tax IDs) the installation is authorised for at the platform; empty: public 查验, every
    # invoice answers and every named ledger is served. Set: others' invoices are 查无此票, others' ledgers refused.
    taxpayers: tuple[str, ...] = ()
    unsupported_regions: tuple[str, ...] = ()  # 2-digit province codes it cannot verify
    seed: int | None = None
    ledger_file: Path | None = None  # an official export to seed the simulated platform with at start


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    secret_key: str
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str = ""  # empty: SQLite file inside data_dir
    redis_url: str = ""  # empty: embedded mode (SQLite job queue, DB-polling relay)
    async_mode: str = "eventlet"
    # Connections one web process serves at once (each a green thread under eventlet). eventlet's own default,
    # 1024, is full with ~1000 open sockets: further requests (an upload) then wait for one to close.
    web_max_connections: int = 10_000
    workers: int = 2  # jobs one `fapiao worker` runs at once (`fapiao run` starts one)
    # How: "threads" of one reading process sharing its models (a parent process only restarts it), or
    # "processes", each with models of its own (Huey's process consumer). See backend/jobs/launch.py.
    worker_mode: str = WORKER_MODES[0]
    # Niceness of the worker processes: on shared cores the web process (answers, pushes, Socket.IO pings) goes
    # first. Without it, 2 workers reading on 2 cores starved the web process: pushes up to 14 s late, sockets
    # dropped for want of a ping (python -m bench.load, embedded).
    worker_nice: int = 10
    worker_memory_mb: int = WORKER_MEMORY_MB  # data segment cap of each worker process; 0: none
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
    proxy_hops: int = 0  # trusted reverse proxies in front of the web server (X-Forwarded-For/-Proto)
    session_idle_minutes: int = 8 * 60  # a session unused this long has ended
    session_absolute_hours: int = 7 * 24  # and any session this old, however busy
    frontend_dist: Path | None = None
    model_dir: Path | None = None  # where `fapiao models` puts the int8 detector; None: inside the venv
    # -- the tax-authority side --------------------------------------------------------------
    connector: str = "simulator"  # simulator | ledger (imported exports only) | off
    simulator_url: str = ""  # empty: the embedded simulator on port + 1
    # The bearer token the simulator demands and the connector sends; from_mapping fills it (generated into
    # the data dir on first run). Empty: no simulator can start and the connector is refused.
    simulator_token: str = ""
    simulator_host: str = "127.0.0.1"  # where `fapiao simulator` listens (not FAPIAO_HOST: it stays local)
    demo: bool = True  # the simulator issues each read invoice after a random delay
    time_scale: float = 1.0  # wall seconds per authority second for delays and re-check spacing
    sync_tick_seconds: float = 2.0  # how often the scheduler looks for due checks and new ledger rows
    sync_window_hours: float = 24.0  # T+1: an invoice this new may simply not be synced yet
    sync_overdue_hours: float = 72.0  # past this, a still-missing invoice is `not_found`
    sync_limit_days: int = 30  # daily re-checks stop after this
    connector_timeout_seconds: float = 10.0
    simulator: SimulatorSettings = field(default_factory=lambda: SimulatorSettings())
    # -- backups (backend/backup) -----------------------------------------------------------------------
    # The key the admin holds, never the app's secret key: a passphrase, or a key file (`fapiao backup keygen`).
    backup_passphrase: str = field(default="", repr=False)
    backup_key_file: Path | None = None
    backup_old_passphrase: str = field(default="", repr=False)  # only `fapiao backup rekey` reads it (rotation)
    backup_location: Path | None = None  # None: data_dir/backups (see backup_dir)
    backup_interval_hours: float = 24.0  # the scheduler's cadence; 0: only backups asked for
    backup_keep: int = 7  # at most this many scheduled/asked-for backups in backup_dir; 0: no count limit
    backup_keep_days: int = 30  # and none older than this; 0: no age limit (the newest good one is always kept)
    # -- health and metrics (backend/metrics.py, api/health.py) ------------------------------------------------
    metrics_token: str = field(default="", repr=False)  # a bearer token that may read /metrics from off the host

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
    def authority_url(self) -> str:
        return self.simulator_url or f"http://127.0.0.1:{self.port + 1}"

    @property
    def queue_path(self) -> Path:
        return self.data_dir / "queue.db"

    @property
    def metrics_dir(self) -> Path:
        """prometheus_client's multiprocess directory: each process writes its own files, /metrics sums them."""
        return self.data_dir / "run" / "metrics"

    @property
    def backup_dir(self) -> Path:
        return self.backup_location or self.data_dir / "backups"

    @property
    def backup_configured(self) -> bool:
        """A key to encrypt with is set: only then do scheduled (or asked-for) backups run."""
        return bool(self.backup_passphrase or self.backup_key_file)

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
        model_dir = env.get("FAPIAO_MODEL_DIR")
        demo = env.get("FAPIAO_DEMO", "1").lower() in _TRUE
        backup = _backup_key(env)
        return cls(
            data_dir=data_dir,
            secret_key=env.get("FAPIAO_SECRET_KEY") or _stored_secret(data_dir),
            host=env.get("FAPIAO_HOST", "127.0.0.1"),
            port=_int(env, "FAPIAO_PORT", 8000),
            database_url=env.get("FAPIAO_DATABASE_URL", ""),
            redis_url=env.get("FAPIAO_REDIS_URL", ""),
            async_mode=async_mode,
            web_max_connections=_int(env, "FAPIAO_WEB_MAX_CONNECTIONS", 10_000),
            workers=_int(env, "FAPIAO_WORKERS", 2),
            worker_mode=_choice(env, "FAPIAO_WORKER_MODE", WORKER_MODES),
            worker_nice=_int(env, "FAPIAO_WORKER_NICE", 10),
            worker_memory_mb=_int(env, "FAPIAO_WORKER_MEMORY_MB", WORKER_MEMORY_MB),
            max_upload_bytes=_int(env, "FAPIAO_MAX_UPLOAD_BYTES", 25 * 1024 * 1024),
            max_pixels=_int(env, "FAPIAO_MAX_PIXELS", 100_000_000),
            max_pdf_pages=_int(env, "FAPIAO_MAX_PDF_PAGES", 50),
            job_max_attempts=_int(env, "FAPIAO_JOB_MAX_ATTEMPTS", 3),
            job_retry_base_seconds=float(env.get("FAPIAO_JOB_RETRY_BASE_SECONDS", "5")),
            job_lease_seconds=_int(env, "FAPIAO_JOB_LEASE_SECONDS", 600),
            admin_password=env.get("FAPIAO_ADMIN_PASSWORD", ""),
            secure_cookies=env.get("FAPIAO_SECURE_COOKIES", "").lower() in _TRUE,
            proxy_hops=_int(env, "FAPIAO_PROXY_HOPS", 0),
            session_idle_minutes=_int(env, "FAPIAO_SESSION_IDLE_MINUTES", 8 * 60),
            session_absolute_hours=_int(env, "FAPIAO_SESSION_ABSOLUTE_HOURS", 7 * 24),
            frontend_dist=Path(dist).resolve() if dist else None,
            model_dir=Path(model_dir).expanduser().resolve() if model_dir else None,
            connector=_choice(env, "FAPIAO_CONNECTOR", CONNECTORS),
            simulator_url=env.get("FAPIAO_SIMULATOR_URL", ""),
            simulator_token=env.get("FAPIAO_SIMULATOR_TOKEN") or _stored_secret(data_dir, "simulator_token"),
            simulator_host=env.get("FAPIAO_SIMULATOR_HOST") or "127.0.0.1",
            demo=demo,
            time_scale=_float(env, "FAPIAO_TIME_SCALE", DEMO_TIME_SCALE if demo else 1.0),
            sync_tick_seconds=_float(env, "FAPIAO_SYNC_TICK_SECONDS", 2.0),
            sync_window_hours=_float(env, "FAPIAO_SYNC_WINDOW_HOURS", 24.0),
            sync_overdue_hours=_float(env, "FAPIAO_SYNC_OVERDUE_HOURS", 72.0),
            sync_limit_days=_int(env, "FAPIAO_SYNC_LIMIT_DAYS", 30),
            connector_timeout_seconds=_float(env, "FAPIAO_CONNECTOR_TIMEOUT_SECONDS", 10.0),
            simulator=SimulatorSettings(
                delay_median_hours=_float(env, "FAPIAO_SIM_DELAY_MEDIAN_HOURS", 3.0),
                delay_sigma=_float(env, "FAPIAO_SIM_DELAY_SIGMA", 1.0),
                offline_share=_float(env, "FAPIAO_SIM_OFFLINE_SHARE", 0.1),
                offline_extra_hours=_float(env, "FAPIAO_SIM_OFFLINE_EXTRA_HOURS", 24.0),
                daily_quota=_int(env, "FAPIAO_SIM_DAILY_QUOTA", 5),
                latency_ms=_int(env, "FAPIAO_SIM_LATENCY_MS", 0),
                error_rate=_float(env, "FAPIAO_SIM_ERROR_RATE", 0.0),
                outages=_windows(env, "FAPIAO_SIM_OUTAGES"),
                maintenance=_windows(env, "FAPIAO_SIM_MAINTENANCE"),
                taxpayers=tuple(t.strip().upper() for t in env.get("FAPIAO_SIM_TAXPAYERS", "").split(",") if t.strip()),
                unsupported_regions=tuple(r for r in env.get("FAPIAO_SIM_UNSUPPORTED_REGIONS", "").split(",") if r),
                seed=_int(env, "FAPIAO_SIM_SEED", 0) or None,
                ledger_file=Path(env["FAPIAO_SIM_LEDGER_FILE"]) if env.get("FAPIAO_SIM_LEDGER_FILE") else None,
            ),
            backup_passphrase=backup[0],
            backup_key_file=backup[1],
            backup_old_passphrase=env.get("FAPIAO_BACKUP_OLD_PASSPHRASE", ""),
            backup_location=Path(env["FAPIAO_BACKUP_DIR"]).expanduser().resolve() if env.get("FAPIAO_BACKUP_DIR")
            else None,
            backup_interval_hours=_float(env, "FAPIAO_BACKUP_INTERVAL_HOURS", 24.0),
            backup_keep=_int(env, "FAPIAO_BACKUP_KEEP", 7),
            backup_keep_days=_int(env, "FAPIAO_BACKUP_KEEP_DAYS", 30),
            metrics_token=env.get("FAPIAO_METRICS_TOKEN", ""),
        )


def _int(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{key} must be an integer, not {raw!r}") from None


def _float(env: Mapping[str, str], key: str, default: float) -> float:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{key} must be a number, not {raw!r}") from None


def _choice(env: Mapping[str, str], key: str, choices: tuple[str, ...]) -> str:
    value = env.get(key) or choices[0]
    if value not in choices:
        raise SettingsError(f"{key} must be one of {choices}, not {value!r}")
    return value


def _backup_key(env: Mapping[str, str]) -> tuple[str, Path | None]:
    """The backup passphrase or key file: one of them (two would leave unclear which one a backup is under)."""
    passphrase, key_file = env.get("FAPIAO_BACKUP_PASSPHRASE", ""), env.get("FAPIAO_BACKUP_KEY_FILE", "")
    if passphrase and key_file:
        raise SettingsError("set FAPIAO_BACKUP_PASSPHRASE or FAPIAO_BACKUP_KEY_FILE, not both")
    if passphrase and len(passphrase) < MIN_BACKUP_PASSPHRASE:
        raise SettingsError(f"FAPIAO_BACKUP_PASSPHRASE must have at least {MIN_BACKUP_PASSPHRASE} characters")
    return passphrase, Path(key_file).expanduser().resolve() if key_file else None


def _windows(env: Mapping[str, str], key: str) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    """`START/END,START/END` in ISO format (UTC): when the simulated authority is down."""
    out = []
    for part in filter(None, (p.strip() for p in env.get(key, "").split(","))):
        try:
            start, end = (dt.datetime.fromisoformat(x) for x in part.split("/"))
        except ValueError:
            raise SettingsError(f"{key}: {part!r} is not START/END in ISO format") from None
        out.append((start.replace(tzinfo=None), end.replace(tzinfo=None)))
    return tuple(out)


def _stored_secret(data_dir: Path, name: str = "secret_key") -> str:
    """A per-installation secret (the session key, the simulator's token): generated once, then read back on
    every start."""
    path = data_dir / name
    if path.is_file():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Write aside, then link into place: link() fails if another process won the race, and the
    # file is never seen half-written.
    tmp = data_dir / f".{name}.{os.getpid()}"
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
