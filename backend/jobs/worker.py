"""The worker: a Huey consumer whose tasks run our jobs, on threads of one process or on processes of its own
(FAPIAO_WORKER_MODE, started by launch.py). No web machinery, no eventlet."""

from __future__ import annotations

import logging
import os
import resource
import threading

from huey import Huey

from .. import metrics
from ..db import open_database
from ..pipeline.engines import Engines
from ..realtime.notifier import worker_notifier
from ..runtime import Runtime
from ..settings import Settings
from ..weights import detector_file, recogniser_file
from .memory import give_back, share_arenas
from .queue import Tasks, make_huey
from .runner import recover, run_job

log = logging.getLogger(__name__)

# With SQLite the consumer polls; cap its idle back-off so a new upload waits ≤ 0.1 s (at 0.25 s a lone
# photo on an idle app waited ~0.12 s on average of its ~1.5 s; a poll is one indexed read of the file).
IDLE_POLL_MAX_SECONDS = 0.1


class WorkerRuntime:
    """Builds the Runtime lazily in each process (forked workers must not share sockets), once for all its
    threads: they share its models."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tasks: Tasks | None = None
        self._rt: Runtime | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def __call__(self) -> Runtime:
        with self._lock:
            if self._rt is None or self._pid != os.getpid():
                assert self.tasks is not None
                # Each job's share of the cores; a lone reading takes them all (processing.reading_lanes).
                threads = max(1, (os.cpu_count() or 1) // max(1, self.settings.workers))
                self._rt = Runtime(self.settings, dispatch=self.tasks.dispatch,
                                   notifier=worker_notifier(self.settings.redis_url),
                                   engines=Engines(threads, detector_file(self.settings.model_dir),
                                                   recogniser_file(self.settings.model_dir)))
                self._pid = os.getpid()
            return self._rt


def limit_memory(megabytes: int) -> None:
    """The last line against a file that slips past every cap: this process's data (heap and
    anonymous mappings: what numpy, OpenCV and onnxruntime allocate) is capped, so an allocation
    past it fails in the job that made it (MemoryError, failed for good by the runner) instead of
    the machine swapping or the kernel killing some process. RLIMIT_DATA, not RLIMIT_AS: address
    space only reserved (malloc arenas, read-only mapped libraries and models) does not count.
    With threads the jobs running at once share it: the runner retries a job that ran out beside another."""
    if megabytes <= 0:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    soft = megabytes << 20
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


def reading_process(settings: Settings) -> None:
    limit_memory(settings.worker_memory_mb)
    share_arenas()


def warm(rt: Runtime) -> None:
    """The reader's models loaded as the process starts, not by its first job (an upload to an idle
    app waited ~1 s more for them). A failure is left to that job to meet and report."""
    try:
        if rt.engines is not None:
            rt.engines.warm()
    except Exception:  # noqa: BLE001 - e.g. out of memory under a low cap: the job fails with its reason
        log.exception("could not load the reader's models ahead of the first job")


def build_tasks(huey: Huey, get_runtime) -> Tasks:
    def run(job_id: int) -> None:
        try:
            run_job(get_runtime(), job_id)
        finally:
            give_back()  # what the job freed, not kept beside the next one's

    return Tasks(huey, run_job=run, recover=lambda: recover(get_runtime()))


def run_worker(settings: Settings, worker_type: str = "process") -> None:
    """Consume jobs on `settings.workers` Huey workers of `worker_type` ("thread" or "process")."""
    metrics.setup(settings)  # before the consumer forks its processes: they inherit it
    open_database(settings.db_url)
    huey = make_huey(settings)
    runtime = WorkerRuntime(settings)
    runtime.tasks = build_tasks(huey, runtime)
    started = threading.Lock()
    ready: set[int] = set()  # the processes (pids) this ran in
    if worker_type == "thread":  # this is the reading process: capped and tuned before its threads start
        reading_process(settings)

    # Huey runs it as each of its workers starts (a thread, or a process, including one started again after
    # it died: kill -9, out of memory): once per process, as its first worker starts. A dead process's job is
    # found and delivered again within a second, not at the next periodic sweep; on first start it resumes
    # what a previous run left.
    @huey.on_startup()
    def resume():
        with started:
            if os.getpid() in ready:
                return
            ready.add(os.getpid())
            if worker_type == "process":  # in each reading process, not in the consumer
                reading_process(settings)
            warm(runtime())
            again = recover(runtime())
        if again:
            log.info("delivered %d job(s) again: %s", len(again), again)
    consumer = huey.create_consumer(
        workers=settings.workers,
        worker_type=worker_type,
        max_delay=IDLE_POLL_MAX_SECONDS,
        check_worker_health=True,
        health_check_interval=1,
    )
    consumer.run()
