"""Fixtures: a fresh app and a fresh database per test, an in-process queue, factories.

Set FAPIAO_TEST_DATABASE_URL=postgresql://... to run the same suite on PostgreSQL.
"""

from __future__ import annotations

import os

import pytest

from backend.app import create_app
from backend.clock import FakeClock
from backend.db import database, open_database, upgrade
from backend.models import Role
from backend.realtime.notifier import NullNotifier
from backend.runtime import Runtime
from backend.services.users import create_user
from backend.settings import Settings

from .fakes import InlineQueue, connect_simulator
from .helpers import PASSWORD, login

PG_URL = os.environ.get("FAPIAO_TEST_DATABASE_URL", "")


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        secret_key="test-secret",
        async_mode="threading",
        database_url=PG_URL,
        job_retry_base_seconds=0.01,
        max_upload_bytes=25 * 1024 * 1024,
        frontend_dist=tmp_path / "dist",
        connector="off",  # tests about the authority side turn it on (the `sim` fixture)
        demo=False,
    )


def _reset_postgres(url: str) -> None:
    db = open_database(url)
    with db.connection_context():
        db.execute_sql("DROP SCHEMA IF EXISTS public CASCADE")
        db.execute_sql("CREATE SCHEMA public")


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing():
    """argon2id at its production cost takes ~75 ms a hash; the tests sign in thousands of times. Hashes made
    here are argon2id all the same, only with the least work (the real processes hash at the real cost)."""
    from backend.services import passwords

    passwords.use_cost(passwords.CHEAPEST)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def queue() -> InlineQueue:
    return InlineQueue()


@pytest.fixture(scope="session")
def engines():
    """ONNX sessions are built once, as a worker process does."""
    from backend.pipeline.engines import Engines
    from backend.weights import detector_file, recogniser_file

    return Engines(det_model=detector_file(), rec_model=recogniser_file())


@pytest.fixture
def app(settings, clock, queue, engines):
    if settings.database_url:
        _reset_postgres(settings.database_url)
    app = create_app(settings, dispatch=queue.dispatch, clock=clock)
    upgrade()
    queue.runtime = Runtime(settings, dispatch=queue.dispatch, notifier=NullNotifier(), clock=clock,
                            engines=engines)
    yield app
    if not database.is_closed():
        database.close()


@pytest.fixture
def sim(tmp_path, clock, rt, queue):
    """The real simulator in-process behind the connector of both runtimes (web and worker), with sync set to it:
    the one fixture of the tests about the authority side (a FlaskSession: its client talks to the simulator)."""
    for runtime in (rt, queue.runtime):
        runtime.settings = runtime.settings.with_(connector="simulator")
    return connect_simulator(tmp_path, clock, rt, queue)


@pytest.fixture
def fake_reader(app, queue):
    """The worker reads with a fake (tests that are not about reading: no ONNX per upload)."""
    from .fakes import FakeReader

    queue.runtime.reader = FakeReader()
    return queue.runtime.reader


@pytest.fixture
def db(app):
    """A connection for tests that call services directly (requests through `client` close theirs)."""
    database.connect(reuse_if_open=True)


@pytest.fixture
def rt(app) -> Runtime:
    return app.extensions["fapiao"]


@pytest.fixture
def make_user(app, clock):
    def make(username: str = "alice", team: str = "Team A", role: Role = Role.SUBMITTER):
        with database.connection_context():
            return create_user(clock, username, PASSWORD, team_name=team, role=role)

    return make


@pytest.fixture
def client(app):
    c = app.test_client()
    c.environ_base["HTTP_X_REQUESTED_WITH"] = "test"
    return c


@pytest.fixture
def alice(make_user, client):
    user = make_user("alice", "Team A")
    login(client, "alice")
    return user


@pytest.fixture
def team(alice, db):
    """Alice's team (she is logged in on `client`), for tests that make rows with tests/factories.py."""
    from backend.models import Team

    return Team.get(Team.name == "Team A")


@pytest.fixture
def boss(make_user, team):
    """An accountant of Alice's team: approves claims, reimburses and books."""
    return make_user("boss", "Team A", role=Role.ACCOUNTANT)


@pytest.fixture(scope="session")
def png_bomb_bytes() -> bytes:
    from . import media

    return media.png_bomb()
