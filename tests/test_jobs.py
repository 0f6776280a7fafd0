import datetime as dt
import os
import subprocess

import pytest

from backend import jobrows
from backend.db import database
from backend.jobs.runner import COMPANY, HANDLERS, Company, recover, run_job
from backend.models import Job

from . import media
from .helpers import DONE, upload

# Not about reading: the worker reads with a fake (no ONNX per upload).
pytestmark = pytest.mark.usefixtures("fake_reader")


def job(job_id=1) -> Job:
    with database.connection_context():
        return Job.get_by_id(job_id)


@pytest.fixture
def flaky(monkeypatch):
    """Make the process handler fail `n` times with a transient error, then work."""
    real = HANDLERS["process"]
    state = {"left": 0}

    def handler(rt, job):
        if state["left"]:
            state["left"] -= 1
            raise TimeoutError("disk busy")
        real(rt, job)

    monkeypatch.setitem(HANDLERS, "process", handler)
    return state


def test_transient_failure_retries_with_backoff_then_succeeds(client, alice, queue, clock, flaky):
    flaky["left"] = 2
    upload(client, ("a.jpg", media.jpeg()))
    queue.run_all(clock=clock)
    j = job()
    assert (j.state, j.attempts, j.last_error) == ("done", 3, "job.failed")
    assert client.get("/api/invoices/1").json["invoice"]["status"] in DONE


def test_retry_is_not_run_before_it_is_due(client, alice, queue, clock, flaky):
    flaky["left"] = 1
    upload(client, ("a.jpg", media.jpeg()))
    queue.run_all(max_rounds=1)
    (job_id, delay), = queue.dispatched
    assert delay > 0 and job().state == "retry"
    run_job(queue.runtime, job_id)  # delivered early: claim refuses
    assert job().state == "retry" and job().attempts == 1
    clock.advance(seconds=delay + 1)
    run_job(queue.runtime, job_id)
    assert job().state == "done"


def test_gives_up_after_max_attempts_with_reason(client, alice, queue, clock, flaky):
    flaky["left"] = 99
    upload(client, ("a.jpg", media.jpeg()))
    queue.run_all(clock=clock)
    assert (job().state, job().attempts) == ("failed", 3)
    inv = client.get("/api/invoices/1").json["invoice"]
    assert inv["status"] == "failed" and inv["reason"] == "error.job.failed"
    assert inv["reason_params"]["attempts"] == 3 and "disk busy" in inv["reason_params"]["detail"]


def test_backoff_grows():
    delays = [jobrows.backoff_seconds(a, 5) for a in (1, 2, 3)]
    assert 4 <= delays[0] <= 6 and 16 <= delays[1] <= 24 and 64 <= delays[2] <= 96


def test_a_job_runs_once_even_if_delivered_twice(client, alice, queue):
    upload(client, ("a.jpg", media.jpeg()))
    queue.dispatched.append(queue.dispatched[0])
    queue.run_all()
    assert (job().state, job().attempts) == ("done", 1)
    events = client.get("/api/events?after=0").json["events"]
    statuses = [e["invoice"]["status"] for e in events]
    stages = [e["invoice"]["stage"] for e in events if e["invoice"]["status"] == "processing"]
    assert statuses[0] == "received" and statuses[-1] in DONE
    # one run, each stage once
    assert stages == ["decoding", "qr", "detecting", "recognising", "extracting", "validating"]


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _mark_running(job_id: int, pid: int, clock, lease=600):
    with database.connection_context():
        Job.update(state="running", attempts=Job.attempts + 1, worker=f"{jobrows.WORKER_HOST}:{pid}",
                   lease_until=clock.now() + dt.timedelta(seconds=lease)).where(
            Job.id == job_id).execute()


def test_job_of_a_dead_worker_is_delivered_again(client, alice, queue, clock):
    upload(client, ("a.jpg", media.jpeg()))
    queue.dispatched.clear()
    _mark_running(1, _dead_pid(), clock)
    assert recover(queue.runtime) == [1]
    queue.run_all()
    assert (job().state, job().attempts) == ("done", 2)


def test_running_job_of_a_live_worker_is_left_alone(client, alice, queue, clock):
    upload(client, ("a.jpg", media.jpeg()))
    queue.dispatched.clear()
    _mark_running(1, os.getpid(), clock)
    assert recover(queue.runtime) == []
    clock.advance(seconds=601)  # ...until its lease runs out
    assert recover(queue.runtime) == [1]


def test_worker_that_keeps_dying_ends_failed_with_reason(client, alice, queue, clock):
    upload(client, ("a.jpg", media.jpeg()))
    queue.dispatched.clear()
    for _ in range(3):
        _mark_running(1, _dead_pid(), clock)
        recover(queue.runtime)
    assert job().state == "failed" and job().last_error == "job.worker_died"
    inv = client.get("/api/invoices/1").json["invoice"]
    assert inv["status"] == "failed" and inv["reason"] == "error.job.worker_died"
    assert inv["reason_params"] == {"attempts": 3}


def test_late_finish_of_a_worker_declared_dead_is_ignored(client, alice, queue, clock):
    upload(client, ("a.jpg", media.jpeg()))
    with database.connection_context():
        claimed = jobrows.claim(1, "elsewhere:1", clock.now(), 60)
        clock.advance(seconds=61)
        assert recover(queue.runtime) == [1]
        jobrows.finish(claimed, clock.now())  # the zombie reports back
        assert Job.get_by_id(1).state == "retry"


def test_an_outcome_is_recorded_on_a_new_connection_when_the_database_went_away(client, alice, queue, clock,
                                                                                  flaky, monkeypatch):
    """A PostgreSQL restart mid-job breaks the worker's connection: the retry is still written (on a new one),
    not left `running` under a live worker until its lease runs out."""
    from peewee import InterfaceError

    real, broken = jobrows.retry_later, {"left": 1}

    def retry_later(*args, **kwargs):
        if broken["left"]:
            broken["left"] -= 1
            raise InterfaceError("connection already closed")
        return real(*args, **kwargs)

    monkeypatch.setattr(jobrows, "retry_later", retry_later)
    flaky["left"] = 1
    upload(client, ("a.jpg", media.jpeg()))
    queue.run_all(max_rounds=1)
    assert broken["left"] == 0 and (job().state, job().last_error) == ("retry", "job.failed")
    queue.run_all(clock=clock)
    assert job().state == "done"


def test_a_claim_whose_answer_was_lost_is_given_back(client, alice, queue, clock, monkeypatch):
    """The database went away between the claim's UPDATE and its answer: the claim is written but the worker
    never learns it. Given back (and delivered again), not left `running` under a live worker for its lease."""
    from peewee import OperationalError

    real, lost = jobrows.claim, {"left": 1}

    def claim(*args, **kwargs):
        taken = real(*args, **kwargs)
        if lost["left"]:
            lost["left"] -= 1
            raise OperationalError("server closed the connection unexpectedly")
        return taken

    monkeypatch.setattr(jobrows, "claim", claim)
    upload(client, ("a.jpg", media.jpeg()))
    queue.run_all(max_rounds=1)
    assert lost["left"] == 0 and (job().state, job().attempts, job().worker) == ("retry", 0, None)
    assert [d for d in queue.dispatched if d[0] == 1]  # delivered again, not left to the lease
    queue.run_all(clock=clock)
    assert (job().state, job().attempts) == ("done", 1)


@pytest.mark.skipif(not os.environ.get("FAPIAO_TEST_DATABASE_URL"), reason="a server connection to cut: PostgreSQL")
def test_a_worker_connection_cut_by_postgresql_mid_job(client, alice, queue, clock, monkeypatch):
    import psycopg2

    real = HANDLERS["process"]

    def handler(rt, j):
        pid = database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
        other = psycopg2.connect(os.environ["FAPIAO_TEST_DATABASE_URL"])
        other.autocommit = True
        other.cursor().execute("SELECT pg_terminate_backend(%s)", (pid,))
        other.close()
        monkeypatch.setitem(HANDLERS, "process", real)
        real(rt, j)  # its first statement meets the cut connection

    monkeypatch.setitem(HANDLERS, "process", handler)
    upload(client, ("a.jpg", media.jpeg()))
    queue.run_all(clock=clock)
    assert (job().state, job().attempts) == ("done", 2)


def test_a_worker_loads_the_reader_before_its_first_job_and_a_failure_is_left_to_the_job(rt, caplog):
    from backend.jobs.worker import warm

    class Engines:
        def __init__(self, fails: bool) -> None:
            self.fails, self.warmed = fails, 0

        def warm(self):
            self.warmed += 1
            if self.fails:
                raise MemoryError

    rt.engines = Engines(fails=False)
    warm(rt)
    assert rt.engines.warmed == 1
    rt.engines = Engines(fails=True)
    warm(rt)  # logged, not raised: the worker starts, and the first job meets the failure itself
    assert rt.engines.warmed == 1 and "models" in caplog.text


def test_jobs_running_in_one_process_know_whether_another_ran_beside_them():
    company = Company()
    with company.joined() as first:
        assert not first()
        with company.joined() as second:
            assert first() and second()
        assert first()  # it had company once: its memory may have been the other's
    with company.joined() as later:
        assert not later()


@pytest.fixture
def bomb(monkeypatch):
    def handler(rt, job):
        raise MemoryError

    monkeypatch.setitem(HANDLERS, "process", handler)


def test_out_of_memory_beside_another_job_is_retried_and_alone_fails_for_good(client, alice, queue, clock, bomb):
    upload(client, ("a.jpg", media.jpeg()))
    with COMPANY.joined():  # another job reading in this process (a worker's threads)
        queue.run_all(max_rounds=1)
    assert (job().state, job().attempts, job().last_error) == ("retry", 1, "job.failed")
    queue.run_all(clock=clock)  # alone now
    assert (job().state, job().attempts, job().last_error) == ("failed", 2, "job.out_of_memory")
    inv = client.get("/api/invoices/1").json["invoice"]
    assert inv["reason"] == "error.job.out_of_memory"


def test_out_of_memory_at_the_last_attempt_fails_for_good_even_beside_another(client, alice, queue, clock, bomb):
    upload(client, ("a.jpg", media.jpeg()))
    with COMPANY.joined():
        queue.run_all(clock=clock)
    assert (job().state, job().attempts, job().last_error) == ("failed", 3, "job.out_of_memory")
