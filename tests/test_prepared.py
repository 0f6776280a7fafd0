"""backend/prepared: statements built by Peewee once, run again with new values, do what Peewee's own would."""

from __future__ import annotations

import datetime as dt

import peewee
import pytest

from backend import jobrows, prepared
from backend.models import Event, Invoice, Job, JobState, StoredFile, SyncCheck
from backend.serializers import invoice_public
from backend.services.events import EventKind, append

from . import factories

NOW = dt.datetime(2026, 3, 2, 8, 30)


def _kept(name) -> list[tuple]:
    return [k for k in prepared._kept if k[0] == name or (isinstance(k[0], tuple) and k[0][0] == name)]


def test_create_makes_the_row_and_instance_model_create_makes(team):
    data = dict(invoice=factories.invoice(team).id, at=NOW, trigger="auto", by_user=None, outcome="found",
                status_after="found", next_check_at=None, detail={"error": None, "fields": {"总额": "1.00"}})
    ours, peewees = prepared.create(SyncCheck, "test_check", **data), SyncCheck.create(**data)
    again = prepared.create(SyncCheck, "test_check", **{**data, "trigger": "manual"})
    assert ours.id and again.id == ours.id + 2 == peewees.id + 1
    assert not ours.dirty_fields and ours.spent_quota is False  # its default filled, as Model.create fills it
    for made in (ours, peewees):
        read = SyncCheck.get_by_id(made.id)
        assert {**read.__data__, "id": None} == {**peewees.__data__, "id": None}
    assert SyncCheck.get_by_id(again.id).trigger == "manual"
    assert len(_kept("test_check")) == 1  # one shape: the None of by_user is bound like any value


def test_update_binds_set_values_as_their_columns_store_them_and_a_null_condition_is_not_reused(team):
    first, second = (jobrows.create(None, "check", NOW, 3, payload={"n": n}) for n in (1, 2))
    Job.update(worker="w").where(Job.id == first.id).execute()

    def where(worker):
        return Job.worker == worker

    changed = prepared.update(Job, "test_jobs", {"payload": {"n": 9}, "run_after": None}, where, "w")
    assert changed == 1 and Job.get_by_id(first.id).payload == {"n": 9}
    # The same shape with None in the condition is Peewee's `IS NULL`, never `= NULL` with the first SQL.
    assert prepared.update(Job, "test_jobs", {"payload": {"n": 8}, "run_after": None}, where, None) == 1
    assert Job.get_by_id(second.id).payload == {"n": 8} and Job.get_by_id(first.id).payload == {"n": 9}
    assert [k[3] for k in _kept("test_jobs")] == [(1,)]  # the SET's None kept, the condition's not


def test_save_dirty_writes_only_what_was_set_since_the_read(team):
    inv = factories.invoice(team, status="pending_sync")
    read = Invoice.get_by_id(inv.id)
    Invoice.update(reason="elsewhere").where(Invoice.id == inv.id).execute()  # another process, meanwhile
    read.status, read.diagnosis, read.checks_done = "found", [{"key": "found"}], 4
    assert prepared.save_dirty(read, "test_invoice") == 1 and not read.dirty_fields
    stored = Invoice.get_by_id(inv.id)
    assert (stored.status, stored.diagnosis, stored.checks_done, stored.reason) == (
        "found", [{"key": "found"}], 4, "elsewhere")
    with pytest.raises(ValueError):
        prepared.save_dirty(stored, "test_invoice")


def test_related_reads_what_the_lazy_foreign_key_reads_once(team, alice):
    inv = Invoice.get_by_id(factories.invoice(team, alice).id)
    fresh = Invoice.get_by_id(inv.id)
    assert prepared.related(inv, Invoice.file).__data__ == fresh.file.__data__
    assert prepared.related(inv, Invoice.file) is inv.file  # kept on the instance, as Peewee keeps it
    assert prepared.related(inv, Invoice.uploaded_by).username == "alice"
    assert prepared.related(inv, Invoice.claim) is None
    inv.__data__["file"] = StoredFile.select().order_by(StoredFile.id.desc()).get().id + 1
    inv.__rel__.clear()
    with pytest.raises(StoredFile.DoesNotExist):
        prepared.related(inv, Invoice.file)


def test_a_job_claimed_and_finished_by_kept_sql_moves_as_before(team):
    job = jobrows.create(None, "check", NOW, 3)
    assert Job.get_by_id(job.id).state == JobState.QUEUED.value
    claimed = jobrows.claim(job.id, "host:1", NOW, 60)
    assert (claimed.state, claimed.attempts, claimed.worker) == (JobState.RUNNING.value, 1, "host:1")
    assert jobrows.claim(job.id, "host:2", NOW, 60) is None  # running: not ours
    jobrows.finish(claimed, NOW)
    done = Job.get_by_id(job.id)
    assert (done.state, done.worker, done.lease_until) == (JobState.DONE.value, None, None)
    later = jobrows.create(None, "check", NOW, 3)
    jobrows.retry_later(jobrows.claim(later.id, "host:1", NOW, 60), NOW, 5, "x.y")
    assert jobrows.claim(later.id, "host:1", NOW, 60) is None  # not due yet
    assert jobrows.claim(later.id, "host:1", NOW + dt.timedelta(seconds=10), 60).attempts == 2
    assert _kept("job_claim") and _kept("job_leave") and _kept("job")


def test_an_event_inserted_by_kept_sql_carries_the_invoice(team, alice):
    inv = Invoice.get_by_id(factories.invoice(team, alice).id)
    made = [append(inv, EventKind.INVOICE_UPDATED, NOW) for _ in range(2)]
    assert made[1].id == made[0].id + 1 and not made[0].dirty_fields
    read = Event.get_by_id(made[1].id)
    assert read.data == {"invoice": invoice_public(Invoice.get_by_id(inv.id))} and read.invoice_id == inv.id
    assert read.data["invoice"]["uploaded_by_name"] == "alice"  # her username: she has no display name


def test_rows_are_the_instances_peewee_reads(team, alice):
    inv = factories.invoice(team, alice, total="12.30")
    ours = prepared.first(Invoice, "test_invoice_by_id", lambda i: Invoice.select().where(Invoice.id == i), inv.id)
    peewees = Invoice.get_by_id(inv.id)
    assert ours.__data__ == peewees.__data__ and not ours.dirty_fields and ours.__rel__ == {}
    counted = prepared.rows(Invoice, "test_counted", lambda t: Invoice.select(
        Invoice.team, peewee.fn.COUNT(Invoice.id).alias("n")).where(Invoice.team == t).group_by(Invoice.team), team.id)
    assert [(c.team_id, c.n) for c in counted] == [(team.id, 1)]  # a column of no field: an attribute, as Peewee's
