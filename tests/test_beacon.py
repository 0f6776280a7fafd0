"""The cursor beacon (realtime/beacon.py): each round, each team with news hears its newest cursor, once."""

from __future__ import annotations

import pytest

from backend.models import Event, Team
from backend.realtime.beacon import SOCKET_CURSOR, Beacon


class Emits:
    """Socket.IO's emit as the beacon uses it; what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict, str]] = []

    def emit(self, name, payload, to=None):
        self.sent.append((name, payload, to))


def _event(team, clock) -> int:
    return Event.create(team=team, kind="invoice_updated", data={}, created_at=clock.now()).id


def test_each_team_with_news_hears_its_newest_cursor_once(db, clock):
    a, b, quiet = (Team.create(name=n, created_at=clock.now()) for n in ("A", "B", "Q"))
    start = _event(quiet, clock)
    io = Emits()
    beacon = Beacon(io, start_after=start)
    _event(a, clock)
    top_a = _event(a, clock)
    top_b = _event(b, clock)
    assert beacon.beam_once() == 2
    assert sorted(io.sent, key=lambda s: s[2]) == [
        (SOCKET_CURSOR, {"team_id": a.id, "cursor": top_a}, f"team:{a.id}"),
        (SOCKET_CURSOR, {"team_id": b.id, "cursor": top_b}, f"team:{b.id}")]
    io.sent.clear()
    assert beacon.beam_once() == 0 and io.sent == []  # nothing new: silence
    newer = _event(b, clock)
    beacon.beam_once()
    assert io.sent == [(SOCKET_CURSOR, {"team_id": b.id, "cursor": newer}, f"team:{b.id}")]


def test_a_failing_round_keeps_the_loop_alive(db, clock):
    class Broken(Emits):
        def emit(self, *a, **k):
            raise ConnectionError("redis restarting")

    rounds = []

    def sleep(_):
        rounds.append(1)
        if len(rounds) == 2:
            raise KeyboardInterrupt  # stop the loop after two rounds

    team = Team.create(name="A", created_at=clock.now())
    _event(team, clock)
    beacon = Beacon(Broken())
    with pytest.raises(KeyboardInterrupt):
        beacon.run_forever(sleep, 0)
    assert len(rounds) == 2  # the error was logged and the beacon went on
