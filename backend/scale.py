"""`fapiao run --scale` (make scale): the scaled deployment, on this machine, from the files a real one copies.

PostgreSQL and Redis (the machine's own; started when down and local), then every unit that
deploy/systemd/fapiao.target wants — two web processes, two workers, the scheduler, the simulator — read from
their unit files (Environment= and ExecStart=, instances by %i) and supervised as systemd would (Restart=always),
and Debian's nginx in front with deploy/nginx/fapiao.conf as the site. So the shipped files are the tested ones.

Ports: nginx listens on FAPIAO_PORT (8000). The web units' instance is their port in a deployment on 8000
(fapiao-web@8101); on another FAPIAO_PORT each keeps its offset (9000: 9101, 9102). The simulator is on port + 1.
`stack.json` in the run dir names every process and its PID, for operators and the fault tests.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from . import metrics
from .settings import Settings
from .supervisor import Child, supervise

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/fapiao"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEPLOYED_PORT = 8000  # the port deploy/ is written for: unit instances are ports relative to it
INSTALLED_FAPIAO = "/opt/fapiao/.venv/bin/fapiao"  # where the unit files expect the app
NGINX = "/usr/sbin/nginx"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class ScaleError(RuntimeError):
    """The stack cannot start: what is missing, said plainly."""


# --- the unit files ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Unit:
    name: str  # fapiao-web@8101
    argv: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    stop_signal: int = signal.SIGTERM


def parse_unit(text: str) -> dict[str, list[tuple[str, str]]]:
    """A systemd unit file as {section: [(key, value), ...]}, keys repeated in order (Environment=, Wants=)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
        elif "=" in line and current is not None:
            key, value = line.split("=", 1)
            current.append((key.strip(), value.strip()))
    return sections


def wanted_units(deploy: Path = DEPLOY) -> list[str]:
    target = parse_unit((deploy / "systemd" / "fapiao.target").read_text())
    return [name for key, value in target.get("Unit", []) if key == "Wants" for name in value.split()]


def load_unit(name: str, deploy: Path = DEPLOY) -> Unit:
    """fapiao-web@8101.service → its ExecStart as a command of this checkout, its Environment= with %i filled."""
    stem = name.removesuffix(".service")
    template, _, instance = stem.partition("@")
    path = deploy / "systemd" / (f"{template}@.service" if instance else f"{stem}.service")
    service = dict.fromkeys(("ExecStart", "KillSignal"), "")
    env: dict[str, str] = {}
    for key, value in parse_unit(path.read_text()).get("Service", []):
        value = value.replace("%i", instance)
        if key == "Environment":
            k, _, v = value.partition("=")
            env[k] = v
        elif key in service:
            service[key] = value
    exec_start = service["ExecStart"].split()
    if not exec_start or exec_start[0] != INSTALLED_FAPIAO:
        raise ScaleError(f"{path.name}: ExecStart must run {INSTALLED_FAPIAO}")
    argv = (sys.executable, "-m", "backend.cli", *exec_start[1:])
    stop = getattr(signal, service["KillSignal"] or "SIGTERM")
    return Unit(stem, argv, env, stop)


def place(unit: Unit, port: int) -> Unit:
    """A web unit's port moved with the stack's (its offset from the deployed 8000 kept)."""
    if "FAPIAO_PORT" not in unit.env:
        return unit
    moved = int(unit.env["FAPIAO_PORT"]) - DEPLOYED_PORT + port
    return Unit(unit.name, unit.argv, {**unit.env, "FAPIAO_PORT": str(moved)}, unit.stop_signal)


def web_ports(units: list[Unit]) -> list[int]:
    return [int(u.env["FAPIAO_PORT"]) for u in units if "FAPIAO_PORT" in u.env]


# --- nginx ------------------------------------------------------------------------------------------------

def render_site(site: str, port: int, webs: list[int]) -> str:
    """deploy/nginx/fapiao.conf with its listen port and upstream servers set to this stack's."""
    out, n = re.subn(r"(?m)^(\s*listen\s+)\d+;", rf"\g<1>{port};", site)
    if n != 1:
        raise ScaleError("deploy/nginx/fapiao.conf: expected one `listen PORT;`")
    lines = re.findall(r"(?m)^\s*server\s+127\.0\.0\.1:\d+(.*);$", out)
    if not lines:
        raise ScaleError("deploy/nginx/fapiao.conf: expected `server 127.0.0.1:PORT ...;` lines in the upstream")
    options = lines[0]
    servers = "".join(f"    server 127.0.0.1:{p}{options};\n" for p in webs)
    out = re.sub(r"(?m)^\s*server\s+127\.0\.0\.1:\d+.*;\n", "", out)
    return re.sub(r"(?m)^(\s*hash .*;\n)", lambda m: m.group(1) + servers, out, count=1)


def nginx_main(run: Path) -> str:
    """The part a Debian host already has in /etc/nginx/nginx.conf, here with every path in the run dir. Request
    and response bodies are streamed (the site says so), so worker processes never need the temp dirs."""
    return f"""worker_processes 2;
worker_rlimit_nofile 16384;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    # which web process served each request (upstream=): what an operator asks first when one misbehaves
    log_format fapiao '$remote_addr [$time_local] "$request" $status $body_bytes_sent $request_time '
                      'upstream=$upstream_addr';
    access_log {run}/access.log fapiao;
    client_body_temp_path {run}/tmp/body;
    proxy_temp_path {run}/tmp/proxy;
    fastcgi_temp_path {run}/tmp/fastcgi;
    uwsgi_temp_path {run}/tmp/uwsgi;
    scgi_temp_path {run}/tmp/scgi;
    include {run}/fapiao.conf;
}}
"""


def write_nginx(run: Path, port: int, webs: list[int], deploy: Path = DEPLOY) -> Path:
    (run / "tmp").mkdir(parents=True, exist_ok=True)
    (run / "fapiao.conf").write_text(render_site((deploy / "nginx" / "fapiao.conf").read_text(), port, webs))
    conf = run / "nginx.conf"
    conf.write_text(nginx_main(run))
    return conf


def nginx_child(run: Path, conf: Path) -> Child:
    if not Path(NGINX).exists():
        raise ScaleError("nginx is not installed: `apt-get install nginx` (make scale does it)")
    test = subprocess.run([NGINX, "-t", "-q", "-p", str(run), "-c", str(conf)], capture_output=True, text=True)
    if test.returncode != 0:
        raise ScaleError(f"nginx rejects the configuration: {test.stderr.strip()}")
    return Child("nginx", [NGINX, "-p", str(run), "-c", str(conf), "-g", "daemon off;"], signal.SIGTERM)


# --- PostgreSQL and Redis ------------------------------------------------------------------------------------

def _local(url: str) -> bool:
    return (urlsplit(url).hostname or "127.0.0.1") in LOCAL_HOSTS


def ensure_postgres(url: str) -> None:
    """Reachable, started when down (a local cluster), the database created when missing."""
    import psycopg2

    parts = urlsplit(url)
    admin_url = parts._replace(path="/postgres").geturl()
    if not _reachable(lambda: psycopg2.connect(admin_url, connect_timeout=2).close()):
        if not (_local(url) and shutil.which("pg_ctlcluster")):
            raise ScaleError(f"PostgreSQL is not reachable at {parts.hostname}:{parts.port or 5432}")
        version = sorted(os.listdir("/etc/postgresql"))[0]
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=False)
        if not _wait(lambda: psycopg2.connect(admin_url, connect_timeout=2).close(), 30):
            raise ScaleError("PostgreSQL did not come up")
    create_database(admin_url, parts.path.lstrip("/"))


def create_database(admin_url: str, name: str) -> None:
    """The database `name` on the server of `admin_url` (its maintenance database), created when missing."""
    import psycopg2

    conn = psycopg2.connect(admin_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def redis_argv(url: str) -> list[str]:
    """How a local Redis for this stack is started when none answers (as .ci/run does): in memory only; the job
    table is the truth, so a restart loses nothing but deliveries, which recovery makes again."""
    port = urlsplit(url).port or 6379
    workdir = Path("/var/lib/redis") if Path("/var/lib/redis").is_dir() else Path("/tmp")
    return ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
            "--appendonly", "no", "--dir", str(workdir), "--logfile", str(workdir / f"fapiao-{port}.log")]


def ensure_redis(url: str) -> None:
    import redis

    ping = lambda: redis.Redis.from_url(url, socket_timeout=2).ping()  # noqa: E731
    if _reachable(ping):
        return
    if not (_local(url) and shutil.which("redis-server")):
        raise ScaleError(f"Redis is not reachable at {url}")
    subprocess.run(redis_argv(url), check=False)
    if not _wait(ping, 15):
        raise ScaleError("Redis did not come up")


def _reachable(probe) -> bool:
    try:
        probe()
        return True
    except Exception:  # noqa: BLE001 - any failure to connect means "not up"
        return False


def _wait(probe, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _reachable(probe):
            return True
        time.sleep(0.3)
    return False


# --- the stack ----------------------------------------------------------------------------------------------

def scaled(settings: Settings) -> Settings:
    """The settings of the scaled stack: PostgreSQL and Redis (defaults on this machine), the simulator on
    port + 1 unless one is named."""
    return settings.with_(database_url=settings.database_url or DEFAULT_DATABASE_URL,
                          redis_url=settings.redis_url or DEFAULT_REDIS_URL,
                          simulator_url=settings.simulator_url or f"http://127.0.0.1:{settings.port + 1}")


def environment(settings: Settings) -> dict[str, str]:
    """What every process of the stack is started with (the EnvironmentFile of a deployment). The secret key and
    the simulator's token stay in their files in the data dir, which every process reads."""
    return {"FAPIAO_DATA_DIR": str(settings.data_dir), "FAPIAO_DATABASE_URL": settings.database_url,
            "FAPIAO_REDIS_URL": settings.redis_url, "FAPIAO_SIMULATOR_URL": settings.simulator_url}


def plan(settings: Settings, deploy: Path = DEPLOY) -> list[Unit]:
    units = [place(load_unit(name, deploy), settings.port) for name in wanted_units(deploy)]
    if settings.connector != "simulator" or settings.simulator_url != f"http://127.0.0.1:{settings.port + 1}":
        units = [u for u in units if not u.name.startswith("fapiao-simulator")]  # an external authority
    return units


def children(settings: Settings, units: list[Unit], run: Path) -> list[Child]:
    base = environment(settings)
    kids = [Child(u.name, list(u.argv), u.stop_signal, env={**base, **u.env}) for u in units]
    return kids + [nginx_child(run, write_nginx(run, settings.port, web_ports(units)))]


def prepare(settings: Settings) -> None:
    """Services up, schema current, the first admin made: before any unit starts (two web processes must not
    race to migrate)."""
    ensure_postgres(settings.database_url)
    ensure_redis(settings.redis_url)
    _raise_open_files()


def _raise_open_files() -> None:
    """A web process holds a socket per watcher: lift the soft limit to the hard one for every child."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def write_stack(run: Path, kids: list[Child], settings: Settings, units: list[Unit]) -> None:
    state = {"url": f"http://127.0.0.1:{settings.port}/", "web_ports": web_ports(units),
             "processes": {k.name: k.proc.pid for k in kids if k.proc is not None}}
    tmp = run / "stack.json.part"
    tmp.write_text(json.dumps(state, indent=1))
    os.replace(tmp, run / "stack.json")


def run_dir(settings: Settings) -> Path:
    path = settings.data_dir / "run"
    path.mkdir(parents=True, exist_ok=True)
    return path


def serve(settings: Settings, on_ready=None) -> int:
    """Start and supervise the stack until SIGINT/SIGTERM; `settings` already scaled()."""
    units = plan(settings)
    run = run_dir(settings)
    metrics.reset_dir(settings)  # every process of the stack records there (GET /metrics sums them); none left
    kids = children(settings, units, run)

    def started() -> None:
        write_stack(run, kids, settings, units)
        if on_ready:
            on_ready()

    return supervise(kids, on_ready=started, on_restart=lambda kid: write_stack(run, kids, settings, units))
