
import pytest

from backend.db import database
from backend.models import Invoice, Job, StoredFile

from . import media
from .helpers import DONE, upload

# Not about reading: the worker reads with a fake (no ONNX per upload).
pytestmark = pytest.mark.usefixtures("fake_reader")


@pytest.mark.parametrize("name,make,kind", [
    ("photo.jpg", media.jpeg, "jpeg"),
    ("scan.png", media.png, "png"),
    ("shot.webp", media.webp, "webp"),
    ("iphone.heic", media.heic, "heic"),
    ("e-invoice.pdf", media.pdf, "pdf"),
    ("e-invoice.ofd", media.ofd, "ofd"),
])
def test_each_supported_kind_is_accepted_and_processed(client, alice, queue, name, make, kind):
    res = upload(client, (name, make()))
    assert res.status_code == 200, res.json
    result = res.json["results"][0]
    assert result["status"] == "accepted"
    assert result["invoice"]["file"]["kind"] == kind and result["invoice"]["status"] == "received"
    assert queue.run_all() == 1
    detail = client.get(f"/api/invoices/{result['invoice']['id']}").json["invoice"]
    assert detail["status"] in DONE, detail
    assert detail["page_count"] == 1
    assert detail["has_thumbnail"]  # every kind, OFD included (drawn from the text the reader reads)


def test_kind_comes_from_content_not_name(client, alice):
    res = upload(client, ("really-a-png.jpg", media.png()), ("notes.jpg", b"just some text, not an image"))
    a, b = res.json["results"]
    assert a["status"] == "accepted" and a["invoice"]["file"]["kind"] == "png"
    assert b["status"] == "rejected" and b["error"]["key"] == "upload.unsupported_type"
    assert b["error"]["message"]  # translated


def test_bad_files_are_refused_and_the_rest_of_the_batch_proceeds(client, alice, rt, png_bomb_bytes):
    big = b"\xff\xd8\xff\xe0" + b"\0" * (60 * 1024 * 1024)
    res = upload(
        client,
        ("empty.jpg", b""),
        ("good.jpg", media.jpeg()),
        ("huge.jpg", big),
        ("bomb.png", png_bomb_bytes),
        ("text.jpg", b"hello"),
    )
    assert res.status_code == 200
    by_name = {r["name"]: r for r in res.json["results"]}
    assert by_name["good.jpg"]["status"] == "accepted"
    assert by_name["empty.jpg"]["error"]["key"] == "upload.empty"
    assert by_name["huge.jpg"]["error"]["key"] == "upload.too_large"
    assert by_name["huge.jpg"]["error"]["params"]["limit_mb"] == 25
    assert by_name["bomb.png"]["error"]["key"] == "upload.too_many_pixels"
    assert by_name["bomb.png"]["error"]["params"]["width"] == 20000
    assert by_name["text.jpg"]["error"]["key"] == "upload.unsupported_type"
    with database.connection_context():
        assert Invoice.select().count() == 1 and StoredFile.select().count() == 1
    # Refused bytes leave nothing behind in the store.
    assert list((rt.settings.files_dir / ".incoming").iterdir()) == []


def test_all_rejected_answers_422(client, alice):
    res = upload(client, ("empty.jpg", b""))
    assert res.status_code == 422 and res.json["results"][0]["status"] == "rejected"


@pytest.mark.parametrize("make,key,params", [
    (lambda: media.jpeg()[:-3000], "error.file.truncated", {}),
    (lambda: media.pdf(500), "error.pdf.too_many_pages", {"pages": 500, "limit": 50}),
    (lambda: b"PK\x03\x04" + b"garbage" * 10, None, None),
])
def test_files_that_fail_in_the_worker_say_why(client, alice, queue, make, key, params):
    res = upload(client, ("file.bin", make()), ("good.jpg", media.jpeg(text="other")))
    first = res.json["results"][0]
    if key is None:  # a zip that cannot be listed is not known to be an OFD: refused at upload
        assert first["error"]["key"] == "archive.corrupt"
        return
    assert first["status"] == "accepted"
    queue.run_all()
    inv = client.get(f"/api/invoices/{first['invoice']['id']}").json["invoice"]
    assert inv["status"] == "failed" and inv["reason"] == key and inv["reason_params"] == params
    good = client.get(f"/api/invoices/{res.json['results'][1]['invoice']['id']}").json["invoice"]
    assert good["status"] in DONE
    with database.connection_context():
        failed_job = Job.get(Job.invoice == first["invoice"]["id"])
    assert failed_job.state == "failed" and failed_job.attempts == 1  # bad input is not retried


def test_same_bytes_twice_is_flagged_not_processed_twice(client, alice, queue):
    body = media.jpeg()
    first = upload(client, ("a.jpg", body)).json["results"][0]
    second = upload(client, ("copy-of-a.jpg", body)).json["results"][0]
    assert second["status"] == "duplicate"
    assert second["invoice"]["duplicate_of"] == first["invoice"]["id"]
    assert second["invoice"]["reason"] == "note.duplicate_of"
    assert len(queue.dispatched) == 1
    with database.connection_context():
        assert StoredFile.select().count() == 1 and Job.select().count() == 1


def test_accepted_means_durable(client, alice, rt, queue):
    res = upload(client, ("a.jpg", media.jpeg()))
    inv = res.json["results"][0]["invoice"]
    assert rt.store.path_for(inv["file"]["sha256"]).read_bytes() == media.jpeg()
    with database.connection_context():
        job = Job.get(Job.invoice == inv["id"])
    assert job.state == "queued" and queue.dispatched == [(job.id, 0)]


def test_enqueue_failure_still_accepts_and_recovery_delivers(client, alice, rt, queue, clock):
    from backend.jobs.runner import recover

    def broken(job_id, delay=0):
        raise ConnectionError("queue down")

    rt.dispatch = broken
    res = upload(client, ("a.jpg", media.jpeg()))
    assert res.json["results"][0]["status"] == "accepted"
    clock.advance(seconds=120)
    assert recover(queue.runtime) == [1]
    queue.run_all()
    assert client.get("/api/invoices/1").json["invoice"]["status"] in DONE


def test_malformed_multipart(client, alice):
    res = client.post("/api/uploads", data=b"--xyz\r\nContent-Disposition: form-data; name=\"files\"",
                      content_type="multipart/form-data; boundary=xyz")
    assert res.status_code in (400, 422)
    assert res.json["error"]["key"] in ("request.malformed", "request.no_files")
    res = client.post("/api/uploads", data=b"junk", content_type="multipart/form-data")
    assert res.status_code == 400 and res.json["error"]["key"] == "request.malformed"


def test_upload_requires_login(client):
    res = upload(client, ("a.jpg", media.jpeg()))
    assert res.status_code == 401 and res.json["error"]["key"] == "auth.required"


def test_cannot_upload_into_another_team(client, alice, make_user):
    other = make_user("bob", "Team B")
    from backend.access import Access

    with database.connection_context():
        team_b = Access(other).teams[0].id
    res = upload(client, ("a.jpg", media.jpeg()), team_id=str(team_b))
    assert res.status_code == 404


def test_upload_waits_for_a_busy_sqlite_writer_instead_of_failing(client, alice, settings):
    """A worker holding the write lock must delay an upload, never fail it ('database is locked')."""
    if settings.database_url:
        pytest.skip("SQLite-specific locking (PostgreSQL has row locks)")
    import sqlite3
    import threading
    import time

    holding = threading.Event()

    def hold_write_lock():
        con = sqlite3.connect(settings.data_dir / "fapiao.db", isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        con.execute("UPDATE user SET display_name = 'busy' WHERE id = 1")
        holding.set()
        time.sleep(0.5)
        con.execute("COMMIT")
        con.close()

    t = threading.Thread(target=hold_write_lock)
    t.start()
    holding.wait()
    res = upload(client, ("a.jpg", media.jpeg()))
    t.join()
    assert res.status_code == 200 and res.json["results"][0]["status"] == "accepted"
