"""The task queue: Huey on a SQLite file by default, on Redis when FAPIAO_REDIS_URL is set."""

from __future__ import annotations

from collections.abc import Callable

from huey import Huey, RedisHuey, SqliteHuey, crontab

from ..settings import Settings

RECOVER_EVERY = crontab(minute="*")


def make_huey(settings: Settings, immediate: bool = False) -> Huey:
    if settings.redis_url:
        return RedisHuey("fapiao", url=settings.redis_url, results=False, immediate=immediate)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # fsync: a job answered "accepted" must survive a power cut along with its Job row.
    return SqliteHuey(
        "fapiao", filename=str(settings.queue_path), fsync=True, results=False, immediate=immediate
    )


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
