"""Files at rest: the data dir 0700, everything in it 0600 (databases, originals, previews,
thumbnails, queue, secret key), from the real entry points; looser modes left by an older version
are tightened at start and logged."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from backend import atrest

from . import media
from .helpers import DONE, upload
from .procs import REPO, Stack, wait_for


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def loose(root: Path) -> list[str]:
    """Everything under root (root too) that a group or other user may read, with its mode."""
    found = [root, *root.rglob("*")]
    return [f"{p} {mode(p):o}" for p in found if mode(p) & 0o077]


@pytest.fixture
def private_umask():
    old = atrest.private_umask()  # what cli.main() does first, in every entry point
    yield
    os.umask(old)


@pytest.fixture
def app(private_umask, app):
    """The app, created (and its SQLite file written) under the entry points' umask."""
    return app


def test_an_upload_leaves_nothing_others_can_read(client, alice, queue, rt, fake_reader):
    res = upload(client, ("photo.jpg", media.jpeg()))
    queue.run_all()
    inv = client.get(f"/api/invoices/{res.json['results'][0]['invoice']['id']}").json["invoice"]
    assert inv["status"] in DONE and inv["has_thumbnail"]
    data = rt.settings.data_dir
    thumbs = list(rt.settings.thumbs_dir.rglob("*.jpg"))
    assert len(thumbs) == 2 and {mode(p) for p in thumbs} == {0o600}  # thumbnail and preview
    assert [mode(p) for p in rt.settings.files_dir.rglob("*") if p.is_file()] == [0o600]  # the original
    if not rt.settings.database_url:
        assert mode(data / "fapiao.db") == 0o600
    assert mode(data) == 0o700
    assert loose(data) == []


def _cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "backend.cli", *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def _env(data: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAPIAO_")}
    return {**env, "FAPIAO_DATA_DIR": str(data), "FAPIAO_CONNECTOR": "off"}


def test_the_cli_creates_a_private_data_dir_whatever_the_callers_umask(tmp_path):
    data = tmp_path / "data"
    old = os.umask(0o022)  # the usual login umask: 0644 files, 0755 directories
    try:
        out = _cli(_env(data), "db", "upgrade")
    finally:
        os.umask(old)
    assert out.returncode == 0, out.stderr
    assert mode(data) == 0o700
    assert mode(data / "fapiao.db") == 0o600 and mode(data / "secret_key") == 0o600
    assert loose(data) == []
    assert "made private" not in out.stderr  # nothing was loose


def test_start_up_tightens_what_an_older_version_left_and_logs_it(tmp_path):
    data = tmp_path / "data"
    thumb = data / "thumbs" / "ab" / "ab12.jpg"
    original = data / "files" / "ab" / "12" / "ab12"
    for path in (thumb, original):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"x")
    (data / "fapiao.db").write_bytes(b"")
    for path in (data, *data.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)

    out = _cli(_env(data), "db", "upgrade")
    assert out.returncode == 0, out.stderr
    assert loose(data) == []
    assert mode(thumb) == 0o600 and mode(thumb.parent) == 0o700 and mode(data) == 0o700
    assert f"made private: {data / 'fapiao.db'} (mode 644 → 600)" in out.stderr
    assert f"made private: {thumb} (mode 644 → 600)" in out.stderr

    # Later starts check the data dir and what lies in it (the whole tree was done once).
    (data / "fapiao.db").chmod(0o644)
    out = _cli(_env(data), "db", "upgrade")
    assert out.returncode == 0, out.stderr
    assert mode(data / "fapiao.db") == 0o600 and "(mode 644 → 600)" in out.stderr


def test_tighten_keeps_the_owners_bits_and_skips_links(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "script").write_bytes(b"")
    (data / "script").chmod(0o755)
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"")
    outside.chmod(0o644)
    (data / "link").symlink_to(outside)
    changed = atrest.tighten(data)
    assert {(c.path.name, c.old, c.new) for c in changed} == {("data", 0o755, 0o700), ("script", 0o755, 0o700)}
    assert mode(outside) == 0o644  # not ours: a link is not followed


@pytest.mark.subprocess
def test_the_real_web_and_worker_write_private_files(tmp_path):
    old = os.umask(0o022)
    try:
        with Stack(tmp_path) as stack:
            stack.start("worker", "worker")
            stack.start("web", "serve")
            stack.wait_http()
            http = stack.session()
            res = http.post(stack.url + "/api/uploads", files=[("files", ("photo.jpg", media.jpeg()))])
            inv_id = res.json()["results"][0]["invoice"]["id"]
            wait_for(lambda: http.get(f"{stack.url}/api/invoices/{inv_id}").json()["invoice"]["status"] in DONE,
                     timeout=90)
    finally:
        os.umask(old)
    data = stack.data
    assert len(list((data / "thumbs").rglob("*.jpg"))) == 2
    assert mode(data / "queue.db") == 0o600 and mode(data / "fapiao.db") == 0o600
    assert loose(data) == []
