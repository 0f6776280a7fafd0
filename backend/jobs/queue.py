"""The task queue: Huey on a SQLite file by default, on Redis when FAPIAO_REDIS_URL is set."""

from __future__ import annotations

from collections.abc import Callable

from huey import Huey, RedisHuey, SqliteHuey, crontab

from ..settings import Settings

RECOVER_EVERY = crontab(minute="*")
PROBE_TIMEOUT_SECONDS = 2.0  # a readiness probe answers in seconds, whatever the queue's storage does


def make_huey(settings: Settings, immediate: bool = False) -> Huey:
    if settings.redis_url:
        return RedisHuey("fapiao", url=settings.redis_url, results=False, immediate=immediate)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # fsync: a job answered "accepted" must survive a power cut along with its Job row.
    return SqliteHuey(
        "fapiao", filename=str(settings.queue_path), fsync=True, results=False, immediate=immediate
    )


def depth(settings: Settings) -> int:
    """Messages waiting in the queue's storage (the SQLite file, or Redis), read from it: raises when the storage
    cannot be reached (GET /readyz). A storage handle of its own, made once per process, with short timeouts: a
    Redis that hangs is an answer in seconds, not a probe that hangs too."""
    key = (settings.redis_url, str(settings.queue_path))
    if key not in _probes:
        _probes[key] = _probe_huey(settings)
    return _probes[key].pending_count()


_probes: dict[tuple[str, str], Huey] = {}


def _probe_huey(settings: Settings) -> Huey:
    if settings.redis_url:
        from redis import ConnectionPool

        pool = ConnectionPool.from_url(settings.redis_url, socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
                                       socket_timeout=PROBE_TIMEOUT_SECONDS)
        return RedisHuey("fapiao", connection_pool=pool, results=False)
    return SqliteHuey("fapiao", filename=str(settings.queue_path), results=False, timeout=PROBE_TIMEOUT_SECONDS)


class Tasks:
    """The queue's two tasks. The web process only enqueues; workers also run them."""

    def __init__(self, huey: Huey, run_job: Callable[[int], None], recover: Callable[[], None]) -> None:
        self.huey = huey

        # Defined here, so that their registered names (Huey prefixes the function's module) are the
        # same in every process that enqueues or runs them: web, worker, scheduler, CLI.
        def run(job_id: int) -> None:
            run_job(job_id)

        def sweep() -> None:
            recover()

        self.process = huey.task(name="fapiao.run_job")(run)
        self.recover = huey.periodic_task(RECOVER_EVERY, name="fapiao.recover_jobs")(sweep)

    @classmethod
    def enqueue_only(cls, settings: Settings) -> Tasks:
        """For processes that only queue jobs (web, scheduler, CLI)."""

        def nowhere(*args) -> None:
            raise RuntimeError("jobs run in worker processes only")

        return cls(make_huey(settings), run_job=nowhere, recover=nowhere)

    def dispatch(self, job_id: int, delay: float = 0) -> None:
        if delay > 0:
            self.process.schedule(args=(job_id,), delay=delay)
        else:
            self.process(job_id)
