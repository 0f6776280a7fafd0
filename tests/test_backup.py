"""Backups (backend/backup): the round trip through the real CLI (create → verify → restore into a fresh data dir,
then every table's rows, every file's SHA-256 and the board compared, on SQLite and on PostgreSQL), wrong keys,
damaged and cut files, key rotation, the schedule and retention on the FakeClock, the one-at-a-time lease, the API,
a backup taken while uploads run, and a disk that fills up (a real 1 MiB tmpfs where one can be mounted)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from backend import cli
from backend.app import create_app
from backend.backup import format as container
from backend.backup import keys, records, schedule, service
from backend.db import database
from backend.errors import AppError
from backend.models import AuditEntry, BackupRecord, Invoice, Role, StoredFile, User
from backend.simulator import store as sim_store

from . import media
from .conftest import PG_URL
from .helpers import login, upload

PASSPHRASE = "a long backup passphrase"
OTHER = "another long passphrase"


# --- fixtures and helpers -------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def cheap_kdf():
    """scrypt at its real cost takes ~0.3 s a backup; the format is the same at the least cost (as passwords)."""
    container.use_cost(container.CHEAPEST)
    yield
    container.use_cost(container.DEFAULT_COST)


@pytest.fixture(autouse=True)
def keep_umask():
    """cli.main() sets umask 077 for the process, as every entry point does: put the test process's back."""
    old = os.umask(0o077)
    os.umask(old)
    yield
    os.umask(old)


@pytest.fixture
def bsettings(settings, tmp_path):
    """The test settings with a passphrase and a backup dir of their own."""
    return settings.with_(backup_passphrase=PASSPHRASE, backup_location=tmp_path / "backups")


@pytest.fixture
def restore_url():
    """For PostgreSQL: a second, empty database on the same server to restore into."""
    if not PG_URL:
        return ""
    import psycopg2

    url = PG_URL.rsplit("/", 1)[0] + "/" + PG_URL.rsplit("/", 1)[1].split("?")[0] + "_restore"
    admin = psycopg2.connect(PG_URL)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (url.rsplit("/", 1)[1],))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"')
    admin.close()
    target = psycopg2.connect(url)
    target.autocommit = True
    with target.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS public CASCADE")
        cur.execute("CREATE SCHEMA public")
    target.close()
    return url


def _env(monkeypatch, tmp_path, s, **extra):
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    values = {"FAPIAO_DATA_DIR": str(s.data_dir), "FAPIAO_DATABASE_URL": s.database_url,
              "FAPIAO_BACKUP_PASSPHRASE": s.backup_passphrase, "FAPIAO_BACKUP_DIR": str(s.backup_dir),
              "FAPIAO_BACKUP_KEY_FILE": "", "FAPIAO_BACKUP_OLD_PASSPHRASE": "", **extra}
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def _cli(capsys, *argv) -> tuple[int, list[str], str]:
    rc = cli.main(["backup", *argv])
    captured = capsys.readouterr()
    database.connect(reuse_if_open=True)  # the command closed the connection it opened
    return rc, captured.out.strip().splitlines(), captured.err


def _world(client, make_user, queue, settings, clock, uploads: int = 4) -> dict:
    """Three people (one a site admin), uploads read by the (fake) worker, a duplicate, a claim, the simulator's
    own database and the installation's session key."""
    make_user("alice", "Team A")
    make_user("boss", "Team A", role=Role.ACCOUNTANT)
    root = make_user("root", "Team A", role=Role.ADMIN)
    User.update(is_admin=True).where(User.id == root.id).execute()
    login(client, "alice")
    bodies = [media.jpeg(480, 320, f"FAPIAO {i:08d}") for i in range(uploads)]
    for i, body in enumerate(bodies):
        assert upload(client, (f"invoice-{i}.jpg", body)).status_code in (200, 201, 202)
    upload(client, ("again.jpg", bodies[0]))  # byte-identical: a duplicate of the first
    queue.run_all()
    res = client.post("/api/claims", json={"purpose": "差旅", "team_id": Invoice.get().team_id})
    assert res.status_code in (200, 201), res.json
    (settings.data_dir / "secret_key").write_text("test-secret")
    sim_store.open_store(str(settings.data_dir / "simulator.db"))
    sim_store.issue("1100171320-00000001", {"total": "500.00"}, clock.now(), clock.now())
    sim_store.db.close()
    return {"root": root}


def _tables(url: str) -> dict[str, list[tuple]]:
    """Every table's rows, in a stable order, straight from the database (no model in between)."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(url.split("///", 1)[1])
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                            "AND name NOT LIKE 'sqlite_%'")]
        out = {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
        conn.close()
        return out
    import psycopg2

    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema='public' "
                    "AND table_type='BASE TABLE'")
        names = [r[0] for r in cur.fetchall()]
        out = {}
        for n in names:
            cur.execute(f'SELECT * FROM "{n}"')
            out[n] = sorted(cur.fetchall(), key=repr)
    conn.close()
    return out


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".incoming" not in p.parts}


def _board(app, username: str = "alice") -> dict:
    c = app.test_client()
    c.environ_base["HTTP_X_REQUESTED_WITH"] = "test"
    login(c, username)
    res = c.get("/api/invoices?limit=100")
    assert res.status_code == 200
    return res.json


def _key(fn, *args, **kwargs) -> AppError:
    with pytest.raises(AppError) as info:
        fn(*args, **kwargs)
    return info.value


# --- the round trip -------------------------------------------------------------------------------------

def test_round_trip_through_the_cli_restores_every_row_and_file(app, client, make_user, queue, fake_reader, bsettings,
                                                                clock, monkeypatch, tmp_path, capsys, restore_url):
    _world(client, make_user, queue, bsettings, clock)
    board = _board(app)
    source_url = bsettings.db_url
    _env(monkeypatch, tmp_path, bsettings)

    rc, out, err = _cli(capsys, "create", "--lang", "en")
    assert rc == 0, err
    path = Path(out[-1])  # the file's path on the last line
    assert path.parent == bsettings.backup_dir and path.is_file() and path.stat().st_mode & 0o077 == 0
    assert not [p for p in bsettings.backup_dir.iterdir() if p != path]  # no part file, no scratch dir left

    rc, out, err = _cli(capsys, "verify", str(path), "--lang", "en")
    assert rc == 0, err

    target = tmp_path / "restored"
    argv = ["restore", str(path), "--data-dir", str(target), "--lang", "en"]
    rc, out, err = _cli(capsys, *argv, *(["--database-url", restore_url] if restore_url else []))
    assert rc == 0, err
    assert "fapiao run" in out[-1]

    # Every table, row for row — bar what the backup itself wrote after its snapshot: its record (running in the
    # snapshot, settled on restore) and its audit entries (backup.created here; backup.restored there).
    before, after = _tables(source_url), _tables(restore_url or f"sqlite:///{target / 'fapiao.db'}")
    assert set(before) == set(after)
    for table in set(before) - {"audit_entry", "backup_record"}:
        assert after[table] == before[table], table
    created = AuditEntry.get(AuditEntry.action == "backup.created").id
    kept = [r for r in before["audit_entry"] if r[0] < created]
    assert [r for r in after["audit_entry"] if "backup.restored" not in r] == kept
    assert len(after["audit_entry"]) == len(kept) + 1
    assert [r[0] for r in after["backup_record"]] == [r[0] for r in before["backup_record"]]
    database.connect(reuse_if_open=True)
    assert Invoice.select().count() == 5 and User.select().count() == 3

    # Every original bit-identical by SHA-256, the thumbnails, the simulator's database and the session key.
    originals = _hashes(target / "files")
    assert originals == _hashes(bsettings.files_dir)
    assert {Path(name).name for name in originals} == {f.sha256 for f in StoredFile.select()}
    assert all(Path(name).name == digest for name, digest in originals.items())
    assert _hashes(target / "thumbs") == _hashes(bsettings.thumbs_dir) and originals
    simulator = "sqlite:///{}/simulator.db"
    assert _tables(simulator.format(target)) == _tables(simulator.format(bsettings.data_dir))
    assert (target / "secret_key").read_text() == "test-secret"
    assert (target / "backup-settings.json").is_file()

    # The app starts on it and shows the same board; the originals are served.
    restored = create_app(bsettings.with_(data_dir=target, database_url=restore_url, secret_key="test-secret"),
                          dispatch=queue.dispatch, clock=clock)
    assert _board(restored) == board
    c = restored.test_client()
    c.environ_base["HTTP_X_REQUESTED_WITH"] = "test"
    login(c, "alice")
    assert len(board["items"]) == 5
    first = board["items"][0]["id"]
    assert c.get(f"/api/invoices/{first}/file").status_code == 200
    assert c.get(f"/api/invoices/{first}/thumbnail").status_code == 200
    with database.connection_context():
        restored_record = BackupRecord.get()
        assert (restored_record.state, restored_record.ok, restored_record.running) == ("done", True, None)
        assert AuditEntry.select().where(AuditEntry.action == "backup.restored").count() == 1


def test_restore_refuses_a_target_that_is_not_empty_and_a_wrong_engine(app, db, bsettings, clock, tmp_path):
    made = service.create(bsettings, clock, keys.configured(bsettings))
    secret = keys.configured(bsettings)
    full = tmp_path / "full"
    full.mkdir()
    (full / "something").write_text("mine")
    assert _key(service.restore, made.path, secret, full, clock).key == "backup.target_not_empty"
    assert (full / "something").read_text() == "mine"
    if PG_URL:
        assert _key(service.restore, made.path, secret, tmp_path / "new", clock).key == "backup.needs_database_url"
    else:
        error = _key(service.restore, made.path, secret, tmp_path / "new", clock, "postgresql://x@127.0.0.1/none")
        assert error.key == "backup.engine_mismatch"
    assert not (tmp_path / "new").exists()  # a refused restore leaves nothing behind


# --- keys, damage and rotation --------------------------------------------------------------------------

def test_a_wrong_key_is_told_apart_from_damage(app, db, bsettings, clock, tmp_path, monkeypatch, capsys):
    made = service.create(bsettings, clock, keys.configured(bsettings))
    error = _key(service.verify, made.path, keys.passphrase(OTHER))
    assert (error.key, error.params) == ("backup.wrong_key", {"needs": "passphrase"})
    key_file = tmp_path / "backup.key"
    keys.generate(key_file)
    assert _key(service.verify, made.path, keys.key_file(key_file)).key == "backup.wrong_key"
    _env(monkeypatch, tmp_path, bsettings, FAPIAO_BACKUP_PASSPHRASE=OTHER)
    rc, _, err = _cli(capsys, "verify", str(made.path), "--lang", "en")
    assert rc == 1 and "does not open the backup" in err and "[backup.wrong_key]" in err
    rc, _, err = _cli(capsys, "verify", str(made.path))  # Chinese by default
    assert rc == 1 and "无法打开该备份" in err


def _chunked_backup(bsettings, clock, monkeypatch) -> Path:
    monkeypatch.setattr(container, "CHUNK_SIZE", 4096)  # a small backup, many chunks
    _big_files(bsettings, clock, 3, 5000)
    made = service.create(bsettings, clock, keys.configured(bsettings))
    assert made.size > 10 * 4096
    return made.path


def test_a_flipped_byte_anywhere_or_a_cut_is_corrupt(app, db, bsettings, clock, monkeypatch, tmp_path, capsys):
    path = _chunked_backup(bsettings, clock, monkeypatch)
    secret = keys.configured(bsettings)
    data = path.read_bytes()
    header_end = data.index(b"}", len(container.MAGIC)) + 1 + 32
    damaged = tmp_path / "damaged.fapiao-backup"

    def fails(blob: bytes) -> AppError:
        damaged.write_bytes(blob)
        return _key(service.verify, damaged, secret)

    for offset in (3, len(container.MAGIC) + 2, header_end - 40, header_end - 5,  # magic, length, header, checksum
                   header_end + 10, len(data) // 2, len(data) - 20, len(data) - 1):  # first, middle, last chunk
        flipped = bytearray(data)
        flipped[offset] ^= 0x01
        assert fails(bytes(flipped)).key == "backup.corrupt", offset
    sealed = 4096 + container.TAG
    chunks = [data[i:i + sealed] for i in range(header_end, len(data), sealed)]
    assert len(chunks) > 10
    body = data[:header_end]
    cuts = {"mid-chunk": data[:len(data) // 2], "at a chunk boundary": body + b"".join(chunks[:-1]),
            "header only": body, "half a header": data[:header_end // 2], "empty": b"",
            "two chunks swapped": body + chunks[1] + chunks[0] + b"".join(chunks[2:]),
            "a chunk dropped": body + chunks[0] + b"".join(chunks[2:]),
            "a chunk repeated": body + chunks[0] + b"".join(chunks),
            "bytes appended": data + b"\0" * 16}
    for what, blob in cuts.items():
        assert fails(blob).key == "backup.corrupt", what
    error = fails(data[:len(data) // 2])
    assert error.params["offset"] > header_end  # it names where the damage starts
    _env(monkeypatch, tmp_path, bsettings)
    rc, _, err = _cli(capsys, "verify", str(damaged), "--lang", "en")
    assert rc == 1 and "damaged or incomplete" in err and "[backup.corrupt]" in err
    assert service.verify(path, secret).files == StoredFile.select().count()  # the original is still sound


def test_a_damaged_backup_restores_nothing(app, db, bsettings, clock, monkeypatch, tmp_path, restore_url):
    path = _chunked_backup(bsettings, clock, monkeypatch)
    data = bytearray(path.read_bytes())
    data[-30] ^= 0x80  # the very end: everything before it was written out already
    path.write_bytes(bytes(data))
    target = tmp_path / "restored"
    assert _key(service.restore, path, keys.configured(bsettings), target, clock, restore_url).key == "backup.corrupt"
    assert not target.exists()
    if restore_url:
        assert service.restored_tables(restore_url) == {}  # nothing was loaded


def test_rotation_rewraps_the_key_and_keeps_the_chunks(app, db, bsettings, clock, monkeypatch, tmp_path, capsys,
                                                       restore_url):
    path = _chunked_backup(bsettings, clock, monkeypatch)
    before = path.read_bytes()
    # The admin sets the new passphrase and names the old one once, for the rekey.
    _env(monkeypatch, tmp_path, bsettings, FAPIAO_BACKUP_PASSPHRASE=OTHER, FAPIAO_BACKUP_OLD_PASSPHRASE=PASSPHRASE)
    rc, out, err = _cli(capsys, "rekey", "--all", "--lang", "en")
    assert rc == 0, err
    assert '"rekeyed": true' in out[0]
    after = path.read_bytes()
    assert after != before
    with path.open("rb") as fh:
        _, new_end = container.read_header(fh)
    old_end = new_end + len(before) - len(after)  # the header's length changed (new salt, new KDF parameters)
    assert after[new_end:] == before[old_end:]  # every chunk byte for byte: only the key was re-wrapped
    assert _key(service.verify, path, keys.passphrase(PASSPHRASE)).key == "backup.wrong_key"
    assert service.verify(path, keys.passphrase(OTHER)).files > 0
    rc, out, _ = _cli(capsys, "rekey", str(path), "--lang", "en")  # again: it is under the new key already
    assert rc == 0 and '"already": true' in out[0]
    # Then to a key file: the new key only opens it, and it restores.
    key_file = tmp_path / "new.key"
    rc, out, _ = _cli(capsys, "keygen", str(key_file))
    assert rc == 0 and key_file.stat().st_mode & 0o077 == 0
    _env(monkeypatch, tmp_path, bsettings, FAPIAO_BACKUP_PASSPHRASE="", FAPIAO_BACKUP_KEY_FILE=str(key_file),
         FAPIAO_BACKUP_OLD_PASSPHRASE=OTHER)
    rc, out, err = _cli(capsys, "rekey", str(path), "--lang", "en")
    assert rc == 0, err
    header = container.peek(path)
    assert header.key_id == keys.key_file(key_file).key_id and header.key_id.startswith("key:")
    assert _key(service.verify, path, keys.passphrase(OTHER)).key == "backup.wrong_key"
    restored = service.restore(path, keys.key_file(key_file), tmp_path / "restored", clock, restore_url)
    assert restored.files == StoredFile.select().count()
    rc, _, _ = _cli(capsys, "keygen", str(key_file))
    assert rc == 1  # a key file is never overwritten


def test_without_a_key_nothing_is_made(app, db, settings, clock, monkeypatch, tmp_path, capsys):
    _env(monkeypatch, tmp_path, settings.with_(backup_location=tmp_path / "backups"), FAPIAO_BACKUP_PASSPHRASE="")
    rc, _, err = _cli(capsys, "create", "--lang", "en")
    assert rc == 1 and "[backup.no_key]" in err and "FAPIAO_BACKUP_PASSPHRASE" in err
    assert not (tmp_path / "backups").exists()
    assert schedule.run_due(settings, clock) is None  # and the scheduler makes none


# --- schedule, retention, the lease ---------------------------------------------------------------------

def test_the_schedule_runs_daily_verifies_and_keeps_by_count(app, db, bsettings, clock):
    s = bsettings.with_(backup_interval_hours=24, backup_keep=3, backup_keep_days=0)
    first = schedule.run_due(s, clock)  # never backed up: due at once
    assert (first.state, first.ok, first.trigger) == ("done", True, "schedule")
    assert first.verified_at is not None and first.verify_error is None
    assert schedule.run_due(s, clock) is None  # not due again
    clock.advance(hours=23)
    assert schedule.run_due(s, clock) is None
    for _ in range(4):
        clock.advance(hours=1, minutes=1)
        assert schedule.run_due(s, clock).ok
        clock.advance(hours=23)
    done = list(BackupRecord.select().order_by(BackupRecord.id))
    assert len(done) == 5
    assert [r.pruned_at is not None for r in done] == [True, True, False, False, False]
    assert sorted(p.name for p in s.backup_dir.iterdir()) == sorted(Path(r.path).name for r in done[2:])
    actions = [e.action for e in AuditEntry.select().order_by(AuditEntry.id)]
    assert actions.count("backup.created") == 5 and actions.count("backup.pruned") == 2


def test_retention_by_age_keeps_the_newest_good_one(app, db, bsettings, clock):
    s = bsettings.with_(backup_interval_hours=24, backup_keep=0, backup_keep_days=2)
    for _ in range(4):
        assert schedule.run_due(s, clock).ok
        clock.advance(days=1, minutes=1)
    kept = BackupRecord.select().where(BackupRecord.pruned_at.is_null()).count()
    assert kept == 2  # today's and yesterday's; the two older than 2 days are gone
    # Backups stop (say the disk went read-only): however old, the newest good one stays.
    clock.advance(days=30)
    assert schedule.prune(s.with_(backup_passphrase=""), clock) == [BackupRecord.select().order_by(
        BackupRecord.id.desc()).offset(1).first().id]
    assert BackupRecord.select().where(BackupRecord.pruned_at.is_null()).count() == 1


def test_prune_plan():
    now, day = dt.datetime(2026, 3, 1), dt.timedelta(days=1)
    kept = [schedule.Kept(i, now - i * day, ok) for i, ok in enumerate([False, True, True, True, True])]
    # Newest first; #0 fails its verification, so #1 is the newest good one and always stays.
    assert schedule.prune_plan(kept, now, keep=2, keep_days=0) == [(2, "count"), (3, "count"), (4, "count")]
    assert schedule.prune_plan(kept, now, keep=0, keep_days=2) == [(3, "age"), (4, "age")]
    assert schedule.prune_plan(kept, now, keep=0, keep_days=0) == []
    assert schedule.prune_plan(kept[1:2], now + 99 * day, keep=1, keep_days=1) == []


def test_a_failed_backup_is_tried_again_within_the_hour(app, db, bsettings, clock, monkeypatch):
    s = bsettings.with_(backup_interval_hours=24)
    monkeypatch.setattr(service.snapshot, "take", lambda *a: (_ for _ in ()).throw(AppError("backup.disk_full",
                                                                                           path="x")))
    failed = schedule.run_due(s, clock)
    assert (failed.state, failed.ok, failed.error) == ("failed", False, "backup.disk_full")
    assert AuditEntry.get(AuditEntry.action == "backup.failed").data["error"] == "backup.disk_full"
    monkeypatch.undo()
    clock.advance(minutes=59)
    assert schedule.run_due(s, clock) is None
    clock.advance(minutes=2)
    assert schedule.run_due(s, clock).ok


def test_one_backup_at_a_time_and_a_dead_ones_lease_runs_out(app, db, bsettings, clock):
    held = records.begin_now(clock, "cli", "ab" * 16)
    assert held is not None and held.running == records.RUNNING
    assert records.begin_now(clock, "cli", "cd" * 16) is None  # the unique lease refuses a second
    assert schedule.claim(bsettings, clock) is None
    clock.advance(minutes=11)  # its process died: no heartbeat renewed the lease
    assert schedule.wanted(bsettings, clock.now())
    assert schedule.claim(bsettings, clock) is None  # reaped — a failed attempt, so the next is in an hour
    dead = BackupRecord.get_by_id(held.id)
    assert (dead.state, dead.error, dead.running) == ("failed", "backup.interrupted", None)
    clock.advance(minutes=50)
    claimed = schedule.claim(bsettings, clock)
    assert claimed is not None and claimed.trigger == "schedule"
    records.heartbeat(claimed.id, clock)
    clock.advance(minutes=9)
    assert schedule.claim(bsettings, clock) is None  # renewed: still alive


def test_the_scheduler_loop_runs_a_backup_in_a_thread_of_its_own(app, bsettings, clock):
    loop = schedule.BackupLoop(bsettings, clock)
    loop.tick()  # due at once: claimed here, run in its thread
    assert loop._thread is not None
    loop._thread.join(30)
    loop.tick()  # not due again: nothing started
    assert not loop._thread.is_alive()
    with database.connection_context():
        done = BackupRecord.get()
        assert (BackupRecord.select().count(), done.state, done.verify_error) == (1, "done", None)
        assert Path(done.path).is_file() and done.running is None
    off = schedule.BackupLoop(bsettings.with_(backup_passphrase=""), clock)
    clock.advance(days=2)
    off.tick()
    assert off._thread is None  # no key: backups are off


def test_two_schedulers_claim_once(app, bsettings, clock):
    got, barrier = [], threading.Barrier(4)

    def claim():
        barrier.wait()
        with database.connection_context():
            got.append(schedule.claim(bsettings, clock))

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len([r for r in got if r is not None]) == 1
    with database.connection_context():
        assert BackupRecord.select().count() == 1


# --- the API --------------------------------------------------------------------------------------------

def test_site_admins_see_backups_and_ask_for_one(app, make_user, bsettings, clock, monkeypatch):
    rt = app.extensions["fapiao"]
    make_user("alice", "Team A")
    root = make_user("root", "Team A", role=Role.ADMIN)
    with database.connection_context():
        User.update(is_admin=True).where(User.id == root.id).execute()
    c = app.test_client()
    c.environ_base["HTTP_X_REQUESTED_WITH"] = "test"
    login(c, "alice")
    assert c.get("/api/backups").status_code == 403
    assert c.post("/api/backups").status_code == 403
    login(c, "root")
    res = c.get("/api/backups")
    assert res.status_code == 200
    assert (res.json["configured"], res.json["last"], res.json["records"]) == (False, None, [])
    res = c.post("/api/backups", headers={"Accept-Language": "en"})
    assert (res.status_code, res.json["error"]["key"]) == (409, "backup.no_key")
    assert "FAPIAO_BACKUP_PASSPHRASE" in res.json["error"]["message"]

    monkeypatch.setattr(rt, "settings", bsettings.with_(backup_interval_hours=24))
    res = c.get("/api/backups")
    assert res.json["configured"] and res.json["key_kind"] == "passphrase"
    assert res.json["next_run"] == "2026-01-05T09:00:00.000Z"  # never backed up: due now
    res = c.post("/api/backups")
    assert res.status_code == 202 and res.json["queued"] and res.json["record"]["state"] == "queued"
    again = c.post("/api/backups")
    assert again.json["record"]["id"] == res.json["record"]["id"] and not again.json["queued"]
    assert c.get("/api/backups").json["queued"]["id"] == res.json["record"]["id"]
    assert schedule.run_due(rt.settings, clock).trigger == "manual"  # the scheduler's next tick runs it

    listing = c.get("/api/backups").json
    last = listing["last"]
    assert (last["id"], last["ok"], last["verified"], last["error"]) == (res.json["record"]["id"], True, True, None)
    assert last["size"] == Path(last["path"]).stat().st_size and last["requested_by"] == root.id
    assert listing["next_run"] == "2026-01-06T09:00:00.000Z" and listing["running"] is None
    assert [r["id"] for r in listing["records"]] == [last["id"]]
    with database.connection_context():
        requested = AuditEntry.get(AuditEntry.action == "backup.requested")
        assert (requested.actor, requested.target) == (root.id, f"backup:{last['id']}")
    assert c.get("/api/backups?limit=0").status_code == 400


# --- consistency and faults -----------------------------------------------------------------------------

def test_a_backup_taken_while_uploads_run_has_every_invoice_with_its_file(app, make_user, bsettings, clock,
                                                                          tmp_path, restore_url):
    make_user("alice", "Team A")
    stop, uploaded = threading.Event(), []

    def uploader(n: int) -> None:
        c = app.test_client()
        c.environ_base["HTTP_X_REQUESTED_WITH"] = "test"
        login(c, "alice")
        i = 0
        while not stop.is_set() and i < 60:
            res = upload(c, (f"u{n}-{i}.png", media.encode(media.invoice_like(64 + n, 48 + i, f"{n}-{i}"), ".png")))
            assert res.status_code in (200, 201, 202), res.json
            uploaded.append(1)
            i += 1

    threads = [threading.Thread(target=uploader, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    while len(uploaded) < 6:
        threading.Event().wait(0.01)
    made = service.create(bsettings, clock, keys.configured(bsettings))
    during = len(uploaded)
    stop.set()
    for t in threads:
        t.join()
    target = tmp_path / "restored"
    service.restore(made.path, keys.configured(bsettings), target, clock, restore_url)
    url = restore_url or f"sqlite:///{target / 'fapiao.db'}"
    rows = _tables(url)
    invoices, files = rows["invoice"], {r[1] for r in rows["stored_file"]}  # (id, sha256, ...)
    assert 6 <= len(invoices) <= len(uploaded)
    assert len(invoices) < len(uploaded) or during == len(uploaded)  # uploads went on after the snapshot
    for sha in files:
        restored = target / "files" / sha[:2] / sha[2:4] / sha
        assert hashlib.sha256(restored.read_bytes()).hexdigest() == sha
    with database.connection_context():
        invoice_files = {i.file.sha256 for i in Invoice.select()}  # the live database, a superset
    assert files <= invoice_files


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    return done.returncode == 0


def _big_files(settings, clock, count: int, size: int) -> None:
    from backend.storage import FileStore

    store = FileStore(settings.files_dir)
    for _ in range(count):
        got = store.receive(io.BytesIO(os.urandom(size)), size + 1)
        store.commit(got)
        StoredFile.create(sha256=got.sha256, size=got.size, kind="jpeg", mime="image/jpeg", created_at=clock.now())


def test_a_disk_that_fills_up_fails_the_backup_clearly_and_the_app_goes_on(app, db, client, make_user, bsettings,
                                                                           clock, tmp_path, monkeypatch, capsys):
    _big_files(bsettings, clock, 6, 300_000)  # ~1.8 MB of originals for a 1 MiB disk
    small = tmp_path / "small-disk"
    if _mount_tmpfs(small, "1m"):
        try:
            s = bsettings.with_(backup_location=small)
            failed = schedule.run_due(s, clock)
            assert (failed.state, failed.error) == ("failed", "backup.disk_full")
            assert failed.error_params == {"path": str(small)}
            assert list(small.iterdir()) == []  # the partial file and the scratch copy are gone
            _env(monkeypatch, tmp_path, s)
            rc, _, err = _cli(capsys, "create", "--to", str(small), "--lang", "en")
            assert rc == 1 and "The disk is full" in err and "[backup.disk_full]" in err
            assert list(small.iterdir()) == []
        finally:
            subprocess.run(["umount", str(small)], check=False)
    else:  # no mount allowed here: a file size limit fails the writes the same way (EFBIG)
        _env(monkeypatch, tmp_path, bsettings)
        code = ("import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
                "resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20)); "
                "from backend import cli; sys.exit(cli.main(['backup', 'create', '--lang', 'en']))")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
        assert done.returncode == 1 and "[backup.disk_full]" in done.stderr, done.stderr
        assert [p for p in bsettings.backup_dir.iterdir()] == []
    # The app keeps running: uploads, the board, the backups listing.
    make_user("alice", "Team A")
    login(client, "alice")
    assert upload(client, ("after.jpg", media.jpeg(200, 100))).status_code in (200, 201, 202)
    assert client.get("/api/invoices").status_code == 200
    assert service.create(bsettings, clock, keys.configured(bsettings)).files == 7  # with room, it works


def test_a_missing_original_fails_the_backup_and_names_it(app, db, bsettings, clock):
    _big_files(bsettings, clock, 2, 1000)
    gone = StoredFile.select().first().sha256
    (bsettings.files_dir / gone[:2] / gone[2:4] / gone).unlink()
    error = _key(service.create, bsettings, clock, keys.configured(bsettings))
    assert (error.key, error.params) == ("backup.file_missing", {"sha256": gone})
    assert list(bsettings.backup_dir.iterdir()) == []


@pytest.mark.slow
def test_a_larger_backup_streams_in_bounded_memory(app, db, bsettings, clock, tmp_path, restore_url):
    import tracemalloc

    _big_files(bsettings, clock, 250, 100_000)  # 25 MB of originals
    secret = keys.configured(bsettings)
    tracemalloc.start()
    made = service.create(bsettings, clock, secret)
    _, create_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    service.verify(made.path, secret)
    _, verify_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    restored = service.restore(made.path, secret, tmp_path / "restored", clock, restore_url)
    _, restore_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert made.size > 25_000_000 and restored.files == 250
    # ~7 MB (chunk, tar and copy buffers) whatever the size: twice that is still half the data.
    assert max(create_peak, verify_peak, restore_peak) < 12 << 20, (create_peak, verify_peak, restore_peak)
    assert _hashes(tmp_path / "restored" / "files") == _hashes(bsettings.files_dir)


def test_what_a_killed_backup_left_is_swept_by_the_next(app, db, bsettings, clock):
    bsettings.backup_dir.mkdir(parents=True)
    stale_part = bsettings.backup_dir / ".fapiao-20260101-000000Z.fapiao-backup.part"
    stale_dir = bsettings.backup_dir / ".fapiao-backup-abc123"
    fresh_part = bsettings.backup_dir / ".fapiao-20260105-085959Z.fapiao-backup.part"  # one running right now
    mine = bsettings.backup_dir / ".fapiao-notes"  # not a name a backup leaves
    stale_part.write_bytes(b"x")
    stale_dir.mkdir()
    fresh_part.write_bytes(b"y")
    mine.write_bytes(b"z")
    for path in (stale_part, stale_dir, mine):
        os.utime(path, (0, 0))
    made = service.create(bsettings, clock, keys.configured(bsettings))
    left = sorted(p.name for p in bsettings.backup_dir.iterdir())
    assert left == sorted([made.path.name, fresh_part.name, mine.name])


def test_the_tar_reader_takes_what_the_writer_writes():
    from backend.backup import archive

    out = io.BytesIO()
    writer = archive.Writer(out, 0)
    long_name = "名" * 80 + "/x" * 30  # past ustar's 100 bytes: a PAX header carries it
    writer.add_bytes(long_name, b"first")
    writer.add_bytes("b", b"x" * 1000)
    writer.add_bytes("empty", b"")
    writer.close()
    out.seek(0)
    members = archive._Members(out)
    first = members.next()
    assert (first.name, first.size, first.regular) == (long_name, 5, True)
    second = members.next()  # the first member's data is skipped unread
    assert (second.name, members.content()) == ("b", b"x" * 1000)
    assert (members.next().name, members.content()) == ("empty", b"")
    assert members.next() is None


def test_every_backup_error_is_translated():
    from backend.i18n import catalog

    source = "".join(p.read_text() for p in Path(service.__file__).parent.glob("*.py"))
    raised = set(re.findall(r'"(backup\.[a-z_]+)"', source)) - {"backup.created", "backup.failed", "backup.pruned",
                                                                  "backup.requested", "backup.restored"}
    assert len(raised) > 15
    for lang in ("zh", "en"):
        missing = [k for k in raised if f"error.{k}" not in catalog(lang)]
        assert missing == [], lang
        audit_missing = [k for k in ("created", "failed", "pruned", "requested", "restored")
                         if f"audit.backup.{k}" not in catalog(lang)]
        assert audit_missing == [], lang


def test_the_settings_name_the_key_and_the_schedule(tmp_path):
    from backend.settings import Settings, SettingsError

    s = Settings.from_mapping({"FAPIAO_DATA_DIR": str(tmp_path), "FAPIAO_SECRET_KEY": "x",
                               "FAPIAO_BACKUP_PASSPHRASE": PASSPHRASE, "FAPIAO_BACKUP_KEEP": "3"})
    assert s.backup_configured and s.backup_dir == tmp_path / "backups" and s.backup_keep == 3
    assert s.backup_interval_hours == 24 and s.backup_keep_days == 30
    assert PASSPHRASE not in repr(s)
    for bad in ({"FAPIAO_BACKUP_PASSPHRASE": "short"},
                {"FAPIAO_BACKUP_PASSPHRASE": PASSPHRASE, "FAPIAO_BACKUP_KEY_FILE": "/k"}):
        with pytest.raises(SettingsError):
            Settings.from_mapping({"FAPIAO_DATA_DIR": str(tmp_path), "FAPIAO_SECRET_KEY": "x", **bad})
    assert not Settings.from_mapping({"FAPIAO_DATA_DIR": str(tmp_path), "FAPIAO_SECRET_KEY": "x"}).backup_configured
    assert re.fullmatch(r"fapiao-\d{8}-\d{6}Z\.fapiao-backup", service.backup_name(dt.datetime(2026, 1, 5, 9)))
