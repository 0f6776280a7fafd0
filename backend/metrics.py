"""Prometheus metrics, summed over every process of the host (prometheus_client's multiprocess mode).

The web server, the workers (a huey consumer and the processes it forks) and the scheduler are separate
processes. Each writes its samples to memory-mapped files of its own in settings.metrics_dir
(DATA_DIR/run/metrics); GET /metrics (api/health.py) sums those files and adds what it reads from the database
at scrape time (queue depth, the connector's health, the last backup's age).

prometheus_client chooses multiprocess mode once, when it is first imported, from PROMETHEUS_MULTIPROC_DIR. So
nothing imports it at module level: `setup(settings)`, which every process calls at start (create_app in the
web process, run_worker, run_scheduler), sets the variable and only then imports it. The launcher (`fapiao run`,
backend/scale.py) calls `reset_dir` once before it starts them: the files of an earlier run's processes go, and
the counters start from zero with the stack.

Observing never fails the caller: a sample that cannot be written (a full disk, a mistake here) is logged and
the job goes on. In a process that never called setup (a one-off CLI command), observing does nothing.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path

from .settings import Settings

log = logging.getLogger(__name__)

ENV = "PROMETHEUS_MULTIPROC_DIR"
# A check answers in milliseconds, a phone photo reads in seconds, a 50-page PDF in minutes.
JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


@dataclass(frozen=True)
class Family:
    """A gauge read at scrape time (from the database), as plain data: (label values, value) per sample."""

    name: str
    help: str
    labels: tuple[str, ...] = ()
    samples: tuple[tuple[tuple[str, ...], float], ...] = ()


class _Metrics:
    """The process's metric objects, writing into `path`."""

    def __init__(self, path: Path) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.path = path
        self.job_seconds = Histogram("fapiao_job_duration_seconds", "Time a worker spent on one job run, by kind "
                                     "and outcome (done, retry, failed)", ("kind", "outcome"), buckets=JOB_BUCKETS,
                                     registry=None)
        self.stage_seconds = Histogram("fapiao_reader_stage_seconds", "Time the reader spent in one stage of "
                                       "reading a file", ("stage",), buckets=STAGE_BUCKETS, registry=None)
        self.checks = Counter("fapiao_authority_checks_total", "Authority answers applied to invoices, by outcome",
                              ("outcome",), registry=None)
        # livesum: the sockets of the web processes alive now; a dead process's files are dropped (render).
        self.sockets = Gauge("fapiao_connected_sockets", "Browser sockets connected to the web processes",
                             multiprocess_mode="livesum", registry=None)


_current: _Metrics | None = None


def reset_dir(settings: Settings) -> Path:
    """For the launcher, before it starts the processes: an empty directory, named in the environment the
    children inherit."""
    path = settings.metrics_dir
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    os.environ[ENV] = str(path)
    return path


def setup(settings: Settings) -> None:
    """This process records into settings.metrics_dir (idempotent; another directory re-points it, as each
    test's app does)."""
    global _current
    path = settings.metrics_dir
    if _current is not None and _current.path == path:
        return
    path.mkdir(parents=True, exist_ok=True)
    os.environ[ENV] = str(path)
    from prometheus_client import values
    from prometheus_client.multiprocess import mark_process_dead

    if not getattr(values.ValueClass, "_multiprocess", False):
        # Something imported prometheus_client before the variable was set: its samples would stay in this
        # process, unseen by /metrics. Metrics made from here on take the multiprocess value class.
        log.warning("prometheus_client was imported before %s was set; switching it to multiprocess mode", ENV)
        values.ValueClass = values.MultiProcessValue()
    values.ValueClass.close_all_files()  # the files of a directory this process wrote to before
    mark_process_dead(os.getpid(), str(path))  # live gauges an earlier process of this PID left behind
    _current = _Metrics(path)


def _observer(record: Callable[..., None]) -> Callable[..., None]:
    @wraps(record)
    def observe(*args) -> None:
        metrics = _current
        if metrics is None:
            return
        try:
            record(metrics, *args)
        except Exception:  # noqa: BLE001 - a sample is never worth a failed job or request
            log.warning("metric not recorded: %s%r", record.__name__, args, exc_info=True)

    return observe


@_observer
def job_ran(m: _Metrics, kind: str, outcome: str, seconds: float) -> None:
    m.job_seconds.labels(kind, outcome).observe(seconds)


@_observer
def reader_stages(m: _Metrics, timings: dict[str, float]) -> None:
    for stage, seconds in timings.items():
        if stage != "total":  # the sum of the others, not a stage
            m.stage_seconds.labels(stage).observe(seconds)


@_observer
def authority_checked(m: _Metrics, outcome: str) -> None:
    m.checks.labels(outcome).inc()


@_observer
def socket_connected(m: _Metrics) -> None:
    m.sockets.inc()


@_observer
def socket_disconnected(m: _Metrics) -> None:
    m.sockets.dec()


# -- the scrape ------------------------------------------------------------------------------------------------
def render(read: Callable[[], Iterable[Family]]) -> tuple[bytes, str]:
    """(body, content type) of the text exposition: every process's samples summed, then what `read` yields."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    if _current is not None:
        _drop_dead(_current.path)
        MultiProcessCollector(registry, path=str(_current.path))
    registry.register(_Scraped(read))
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Scraped:
    """A collector of Family readings, made when scraped."""

    def __init__(self, read: Callable[[], Iterable[Family]]) -> None:
        self.read = read

    def describe(self):
        return []  # names unknown until read: registering must not run the queries

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        for family in self.read():
            gauge = GaugeMetricFamily(family.name, family.help, labels=family.labels)
            for labels, value in family.samples:
                gauge.add_metric(labels, value)
            yield gauge


def _drop_dead(path: Path) -> None:
    """Live gauges (connected sockets) of processes that are gone, killed without a word (kill -9, OOM)."""
    from prometheus_client.multiprocess import mark_process_dead

    for file in path.glob("gauge_live*_*.db"):
        pid = file.stem.rpartition("_")[2]
        if pid.isdigit() and not _alive(int(pid)):
            mark_process_dead(int(pid), str(path))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's: alive
    return True
