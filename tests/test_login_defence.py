"""Sign-in defence: throttling per account and per address (with the fake clock), argon2id hashes that replace
older ones at sign-in, the password policy, and every sign-in outcome in the audit log."""

from __future__ import annotations

import time

import pytest
from argon2 import PasswordHasher
from werkzeug.security import generate_password_hash

from backend.db import database
from backend.errors import AppError
from backend.i18n import catalog
from backend.models import AuditEntry, LoginThrottle, User
from backend.services import passwords, throttle
from backend.services.users import ensure_admin

from .helpers import PASSWORD, login

WRONG = "not the password at all"


def _try(client, username: str = "alice", password: str = WRONG):
    return client.post("/api/auth/login", json={"username": username, "password": password})


def _fail(client, times: int, username: str = "alice") -> None:
    for _ in range(times):
        res = _try(client, username)
        assert res.status_code == 401, res.json


def _fail_waiting(client, clock, times: int) -> None:
    """Fail `times` times, each after any block the one before started is over (as a patient guesser would)."""
    for _ in range(times):
        res = _try(client)
        assert res.status_code == 401, res.json
        clock.advance(seconds=throttle.ACCOUNT.cap.total_seconds())


def _throttled_wait(res) -> int:
    assert res.status_code == 429, res.json
    error = res.json["error"]
    assert error["key"] == "auth.throttled" and res.headers["Retry-After"] == str(error["params"]["wait_seconds"])
    return error["params"]["wait_seconds"]


def _entries(action: str) -> list[AuditEntry]:
    with database.connection_context():
        return list(AuditEntry.select().where(AuditEntry.action == action).order_by(AuditEntry.id))


# --- throttling ----------------------------------------------------------------------------------------------

def test_waits_double_up_to_the_cap_and_block_even_the_right_password(client, make_user, clock):
    make_user("alice")
    _fail(client, throttle.ACCOUNT.free)  # the free failures: each a plain 401
    waits = []
    for _ in range(13):
        assert _try(client).status_code == 401  # the failure that starts the next block
        waits.append(_throttled_wait(_try(client, password=PASSWORD)))  # blocked: not even checked
        clock.advance(seconds=waits[-1])
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
    assert _try(client, password=PASSWORD).status_code == 200  # the block over: the right password works


def test_the_wait_counts_down_with_the_clock(client, make_user, clock):
    make_user("alice")
    _fail_waiting(client, clock, throttle.ACCOUNT.free + 4)
    assert _try(client).status_code == 401  # the 10th failure blocks for 16 s
    assert _throttled_wait(_try(client)) == 16
    clock.advance(seconds=10.5)
    assert _throttled_wait(_try(client)) == 6  # 5.5 s left, rounded up


def test_the_message_says_the_wait_in_both_languages(client, make_user, clock):
    make_user("alice")
    _fail_waiting(client, clock, throttle.ACCOUNT.free + 2)
    assert _try(client).status_code == 401  # the 8th blocks for 4 s
    en = client.post("/api/auth/login", json={"username": "alice", "password": WRONG},
                     headers={"Accept-Language": "en"})
    zh = _try(client)
    assert "4 seconds" in en.json["error"]["message"] and "4 秒" in zh.json["error"]["message"]
    for lang in ("zh", "en"):
        for key in ("auth.throttled", "password.common", "password.username", "password.too_short"):
            assert f"error.{key}" in catalog(lang), (lang, key)


def test_an_address_is_blocked_across_usernames(app, make_user, clock):
    make_user("alice")
    guesser = app.test_client()
    guesser.environ_base.update(HTTP_X_REQUESTED_WITH="test", REMOTE_ADDR="203.0.113.7")
    for i in range(throttle.ADDRESS.free + 1):  # one failure per name: no account is blocked, the address is
        assert _try(guesser, f"user{i}").status_code == 401
    assert _throttled_wait(_try(guesser, "alice", PASSWORD)) == 1
    elsewhere = app.test_client()
    elsewhere.environ_base.update(HTTP_X_REQUESTED_WITH="test", REMOTE_ADDR="198.51.100.2")
    assert _try(elsewhere, "alice", PASSWORD).status_code == 200  # alice herself, from her own address
    throttled = _entries("auth.throttled")[-1]
    assert throttled.data == {"key": "addr:203.0.113.7", "wait_seconds": 1} and throttled.address == "203.0.113.7"
    assert throttled.actor_name == "alice"


def test_a_success_clears_the_account_but_not_the_address(app, client, make_user, clock):
    make_user("alice")
    _fail(client, throttle.ACCOUNT.free)
    login(client)
    _fail(client, throttle.ACCOUNT.free)  # counted from nothing again: still free
    assert _try(client).status_code == 401
    assert _throttled_wait(_try(client)) == 1
    with database.connection_context():
        address = LoginThrottle.get(LoginThrottle.key == "addr:127.0.0.1")
    assert address.failures == 2 * throttle.ACCOUNT.free + 1  # the sign-in in between cleared only the account's


def test_counters_are_forgotten_after_a_quiet_hour(client, make_user, clock):
    make_user("alice")
    _fail(client, throttle.ACCOUNT.free + 1)
    assert _throttled_wait(_try(client)) == 1
    clock.advance(minutes=59)
    _fail(client, 1)  # within the hour: remembered, the next block is longer
    assert _throttled_wait(_try(client)) == 2
    clock.advance(minutes=61)
    _fail(client, throttle.ACCOUNT.free)  # quiet for over an hour: free again
    with database.connection_context():
        assert LoginThrottle.get(LoginThrottle.key == "user:alice").failures == throttle.ACCOUNT.free
    assert _try(client, password=PASSWORD).status_code == 200


def test_two_failures_at_once_both_count(app, make_user, clock):
    """The counter is an upsert: failures arriving together are not lost (nor do they fail on the unique key)."""
    make_user("alice")
    import threading

    def fail():
        with database.connection_context():
            throttle.failed(clock, "alice", None)

    threads = [threading.Thread(target=fail) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with database.connection_context():
        assert LoginThrottle.get(LoginThrottle.key == "user:alice").failures == 8


def test_every_outcome_is_audited(app, client, make_user):
    alice = make_user("alice")
    _try(client)
    _try(client, "nobody")
    login(client)
    failed = _entries("auth.login_failed")
    assert [(e.actor, e.actor_name, e.address) for e in failed] == [(alice.id, "alice", "127.0.0.1"),
                                                                     (None, "nobody", "127.0.0.1")]
    [ok] = _entries("auth.login")
    assert (ok.actor, ok.actor_name, ok.team) == (alice.id, "alice", None)


# --- hashes --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["pbkdf2:sha256:1000", "scrypt:1024:8:1"])
def test_an_old_werkzeug_hash_still_works_and_becomes_argon2id(client, make_user, method):
    alice = make_user("alice")
    old = generate_password_hash(PASSWORD, method=method)
    with database.connection_context():
        User.update(password_hash=old).where(User.id == alice.id).execute()
    assert _try(client).status_code == 401
    with database.connection_context():
        assert User.get_by_id(alice.id).password_hash == old  # a wrong password changes nothing
    login(client)
    with database.connection_context():
        new = User.get_by_id(alice.id).password_hash
    assert new.startswith("$argon2id$") and not passwords.needs_rehash(new)
    client.post("/api/auth/logout")
    login(client)  # and the new hash verifies


def test_an_argon2_hash_with_outdated_parameters_is_rehashed(client, make_user):
    alice = make_user("alice")
    cost = passwords.CHEAPEST
    older = PasswordHasher(time_cost=cost.time_cost + 1, memory_cost=cost.memory_kib * 2, parallelism=1).hash(PASSWORD)
    assert passwords.needs_rehash(older)
    with database.connection_context():
        User.update(password_hash=older).where(User.id == alice.id).execute()
    login(client)
    with database.connection_context():
        new = User.get_by_id(alice.id).password_hash
    assert new != older and not passwords.needs_rehash(new)


def test_new_hashes_are_argon2id(make_user):
    assert make_user("alice").password_hash.startswith("$argon2id$v=19$")


def test_an_unknown_name_costs_as_much_as_a_wrong_password(make_user):
    """At the production cost: a name that is not taken (or has no password yet) takes a hash's time too."""
    make_user("alice")
    with database.connection_context():
        User.create(username="invited", password_hash="!", created_at=User.get().created_at)
        passwords.use_cost(passwords.PRODUCTION)
        try:
            def fastest(name: str) -> float:
                times = []
                for _ in range(3):
                    start = time.perf_counter()
                    assert passwords.verify(name, WRONG) is None
                    times.append(time.perf_counter() - start)
                return min(times)

            known = fastest("alice")  # alice's hash was made cheap: compare with the dummy's cost instead
            unknown, invited = fastest("nobody"), fastest("invited")
        finally:
            passwords.use_cost(passwords.CHEAPEST)
    assert unknown > 0.02 and invited > 0.02 and unknown > 0.5 * invited  # an argon2id hash at ~75 ms each
    assert known < unknown  # the cheap one is much faster: the test can tell the difference


# --- policy --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("password", "key"), [
    ("12345678", "password.too_short"), ("password", "password.too_short"), ("short pw", "password.too_short"),
    ("1234567890", "password.common"), ("qwertyuiop", "password.common"), ("Password2024!", "password.common"),
    ("iloveyou1314", "password.common"), ("Wonderland", "password.username"), ("wonderland99", "password.username"),
])
def test_the_policy_refuses(password, key):
    with pytest.raises(AppError) as err:
        passwords.check_policy(password, "wonderland")
    assert err.value.key == key


@pytest.mark.parametrize("password", [PASSWORD, "a much longer passphrase 42", "财务部-报销-2026-春", "Tr0ub4dor&3x"])
def test_the_policy_accepts(password):
    passwords.check_policy(password, "wonderland")


def test_the_policy_applies_over_http(client, alice):
    for bad, key in (("12345678", "password.too_short"), ("1234567890", "password.common"),
                     ("alice12345", "password.username")):
        res = client.post("/api/auth/password", json={"current": PASSWORD, "new": bad})
        assert res.status_code == 400 and res.json["error"]["key"] == key, (bad, res.json)
    assert client.post("/api/auth/password", json={"current": PASSWORD, "new": "Tr0ub4dor&3x"}).status_code == 200


def test_the_first_admins_generated_password_passes(db, clock):
    boot = ensure_admin(clock)
    assert boot.password is not None
    passwords.check_policy(boot.password, "admin")
    assert passwords.verify("admin", boot.password) is not None
