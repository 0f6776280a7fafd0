"""Health of the authority connector, shared by all processes through one database row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .. import prepared
from ..clock import iso
from ..db import database, is_postgres, write_transaction
from ..models import BuyerEntity, ConnectorState, Event
from ..runtime import Runtime
from ..sync.diagnosis import MAINTENANCE_ERROR
from ..sync.schedule import believed_end, resume_after_maintenance
from . import events
from .sync_facts import policy

NAME = "authority"
# While the authority is down for an announced maintenance, one row of this name holds its announced end (in
# `last_error_at`): every process's checks and feed wait for it (sync/schedule.resume_after_maintenance). Only a
# new maintenance answer naming an end or a success after that end replaces it.
MAINTENANCE = "maintenance"
DOWN_AFTER_FAILURES = 3  # one lost request is noise; three in a row is an outage
# The scheduler succeeds every tick: while all is well, "last good answer" is refreshed at most this
# often, so an idle system does not take the write lock every two seconds.
OK_REFRESH = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class Standing:
    """Every row of connector_state, read in one query (a handful: the authority's health, an announced
    maintenance, a row per refused taxpayer): a diagnosis and a feed pull each read it two to four times."""

    authority: ConnectorState | None
    maintenance_until: dt.datetime | None
    maintenance_since: dt.datetime | None  # when the kept maintenance was first answered (its row's down_since)
    refused: frozenset[str]  # as refused_taxpayers()

    @property
    def feed_cursor(self) -> str | None:
        return self.authority.feed_cursor if self.authority else None


def standing() -> Standing:
    rows = {r.name: r for r in prepared.rows(ConnectorState, "connector_state", ConnectorState.select)}
    announced = rows.get(MAINTENANCE)
    return Standing(rows.get(NAME), announced.last_error_at if announced else None,
                    announced.down_since if announced else None,
                    frozenset(n[len(REFUSED):] for n, r in rows.items() if n.startswith(REFUSED) and not r.ok))


def record(rt: Runtime, error_key: str | None, until: dt.datetime | None = None) -> None:
    """Note one call's result: None for success, else its connector.* key (and an announced maintenance's end).
    A change the boards' connector chip shows is appended and pushed as a connector.updated event."""
    now = rt.clock.now()
    if error_key is None and _still_well(standing(), now):
        return  # read alone: an idle system does not take the write lock every tick
    with write_transaction():
        # What the change is compared with is read in its transaction, after every other process's record: read
        # before it, a failure noted meanwhile was missed and a success ending it went untold.
        _lock()
        before = standing()
        if error_key is None:
            # One UPDATE of the four columns a success sets and the version (the row is created but once).
            if not ConnectorState.update(ok=True, failures=0, down_since=None, last_ok_at=now,
                                         version=ConnectorState.version + 1) \
                    .where(ConnectorState.name == NAME).execute():
                ConnectorState.create(name=NAME, ok=True, failures=0, last_ok_at=now, version=1)
            if _maintenance_over(before.maintenance_until, now):
                _end_maintenance()
        else:
            state, _ = ConnectorState.get_or_create(name=NAME)
            state.failures += 1
            state.version += 1  # read under the lock: no other record's bump is lost
            state.last_error, state.last_error_at = error_key, now
            state.down_since = state.down_since or now
            state.ok = state.failures < DOWN_AFTER_FAILURES
            state.save()
            if error_key == MAINTENANCE_ERROR:
                _note_maintenance(until, now)
        told = _tell(rt, before, now)
    rt.notifier.publish(told)  # after the commit, as every event is


def _still_well(current: Standing, now: dt.datetime) -> bool:
    """A success that changes nothing shown and refreshes a time noted lately: not written."""
    state = current.authority
    return bool(state and state.ok and not state.failures and state.last_ok_at and now - state.last_ok_at < OK_REFRESH
                and not _maintenance_over(current.maintenance_until, now))


def _lock() -> None:
    """Inside a write transaction, wait until every other writer of the authority's row is done: on SQLite the
    transaction holds the write lock from its start (BEGIN IMMEDIATE); on PostgreSQL a lock of the transaction's
    own (not the row's, which a first record has yet to create)."""
    if is_postgres():
        database.execute_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"connector_state:{NAME}",))


def _tell(rt: Runtime, before: Standing, now: dt.datetime) -> list[Event]:
    """The connector.updated events of a change the chip shows (none for another): the same transaction appends
    them, so a board that catches up from its cursor gets them too."""
    after = standing()
    return events.append_connector(snapshot(rt, after), now) if _shown(before) != _shown(after) else []


def _shown(current: Standing) -> tuple:
    """What a change must alter to be pushed: a first success, a success after failures, the first failure, going
    down, another error, a maintenance kept or ended. Not each further failure's count, nor a success refreshing
    its time (an outage fails every due check; the chip's own refresh reads those)."""
    state = current.authority
    if state is None:
        return (current.maintenance_until, False, True, False, None)
    return (current.maintenance_until, state.last_ok_at is not None, state.ok, bool(state.failures), state.last_error)


def _maintenance_over(until: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a success at `now` ends the maintenance kept: only once its announced end has come. One before it
    is an answer the platform gave before it closed (a call under way), which says nothing of its end."""
    return until is not None and now >= until


def _note_maintenance(until: dt.datetime | None, now: dt.datetime) -> None:
    """A maintenance answer: keep the end it announced. One naming no end keeps the end known (the platform is still
    closed until then; only a later end it names replaces it), as another failure during it does (a timeout, an
    outage); a success after the end ends it (record).

    An end too far off to believe is not kept, as if none were named: the checks do not wait for it, so calls go
    on and are answered, each before that end; kept, it would outlive them (only a success after the end ends it)
    and park every check once it came within MAINTENANCE_AT_MOST though the platform answers. Not kept, the next
    maintenance answer is weighed again. (Ending it on any success while not waited for would also do, but would
    keep an end nothing waits for, shown on the chip and weighed by two rules instead of one.)"""
    until = believed_end(until, now)
    if until is None:
        return
    row, _ = ConnectorState.get_or_create(name=MAINTENANCE, defaults={"ok": False, "last_error": MAINTENANCE_ERROR,
                                                                     "down_since": now})
    row.last_error_at = until
    row.save()


def _end_maintenance() -> None:
    ConnectorState.delete().where(ConnectorState.name == MAINTENANCE).execute()


def maintenance_until() -> dt.datetime | None:
    """The announced end of the maintenance the authority last said it is in, if it said one."""
    row = ConnectorState.get_or_none(ConnectorState.name == MAINTENANCE)
    return row.last_error_at if row else None


def waiting_for_maintenance(rt: Runtime, now: dt.datetime, current: Standing | None = None) -> dt.datetime | None:
    """The announced end of a maintenance while calls wait for it (it, and the margin after it, lasts)."""
    until = (current or standing()).maintenance_until
    return until if resume_after_maintenance(until, now, policy(rt)) else None


def snapshot(rt: Runtime, current: Standing | None = None) -> dict:
    current = current or standing()
    state, until = current.authority, current.maintenance_until
    base = {"connector": rt.settings.connector, "online": bool(rt.connector and rt.connector.online),
            "maintenance_until": iso(until), "maintenance_since": iso(current.maintenance_since),
            "resumes_at": iso(resume_after_maintenance(until, rt.clock.now(), policy(rt)))}
    if state is None:
        return {**base, "ok": True, "last_ok_at": None, "last_error": None, "last_error_at": None,
                "down_since": None, "failures": 0, "version": 0}
    # version: of a REST read and a push, a board keeps the higher (the times of the answers can tie, or go back
    # between processes' clocks).
    return {**base, "ok": state.ok, "last_ok_at": iso(state.last_ok_at), "last_error": state.last_error,
            "last_error_at": iso(state.last_error_at), "down_since": iso(state.down_since),
            "failures": state.failures, "version": state.version}


def condition(snap: dict) -> str:
    """One word for a snapshot(): off (sync is off), ok, degraded (calls failed lately, fewer than
    DOWN_AFTER_FAILURES in a row), down."""
    if snap["connector"] == "off":
        return "off"
    if not snap["ok"]:
        return "down"
    return "degraded" if snap["failures"] else "ok"


# One row per taxpayer whose ledger the platform refused (no authorisation for it): `feed_cursor` is where its rows
# went unserved (the cursor of the first refused call; the shared cursor moves on past them with the others' rows).
# Once the platform serves that taxpayer again the row turns `ok` and the feed replays its rows from there, then
# drops the row (services/feed.pull).
REFUSED = "refused:"


def _refused_name(tax_id: str) -> str:
    return (REFUSED + tax_id.upper())[:32]


def record_refused(refused: list[str], since: str | None, asked: list[str]) -> dict[str, str | None]:
    """Note which of the `asked` taxpayers the ledger call from cursor `since` was refused for. Returns those served
    again whose refused rows are still to be replayed, each with the cursor to replay from. Written only when
    something changed (the feed asks every tick)."""
    wanted, asked_ids = {t.upper() for t in refused}, {t.upper() for t in asked}
    rows = {r.name: r for r in ConnectorState.select(ConnectorState.name, ConnectorState.ok, ConnectorState.feed_cursor)
            .where(ConnectorState.name.startswith(REFUSED))}
    names = {_refused_name(t): t for t in asked_ids}
    # No longer registered: nothing of it to replay. Registered is read now, after the rows: an entity added while the
    # call was out (its replay row written with it, services/entities.add) is not in `asked` but must stay.
    registered = {_refused_name(t.upper()) for (t,) in BuyerEntity.select(BuyerEntity.tax_id).tuples()}
    gone = [n for n in rows if n not in names and n not in registered]
    new = [n for n, t in names.items() if t in wanted and n not in rows]
    again = [n for n, t in names.items() if t in wanted and n in rows and rows[n].ok]
    served = [n for n, t in names.items() if t not in wanted and n in rows and not rows[n].ok]
    if gone or new or again or served:
        with write_transaction():
            if gone:
                ConnectorState.delete().where(ConnectorState.name.in_(gone)).execute()
            for name in new:
                ConnectorState.create(name=name, ok=False, last_error="connector.not_authorised", feed_cursor=since)
            for name, ok in [(n, False) for n in again] + [(n, True) for n in served]:
                ConnectorState.update(ok=ok).where(ConnectorState.name == name).execute()
    return {names[n]: rows[n].feed_cursor for n in rows if n in names and names[n] not in wanted}


def replayed(tax_id: str, upto: str | None) -> None:
    """A served-again taxpayer's refused rows: replayed (None), or replayed up to cursor `upto` (a page more due)."""
    with write_transaction():
        row = ConnectorState.name == _refused_name(tax_id)
        if upto is None:
            ConnectorState.delete().where(row).execute()
        else:
            ConnectorState.update(feed_cursor=upto).where(row).execute()


def replay_from_start(tax_id: str) -> None:
    """A taxpayer added after the feed's cursor moved on: its rows before the cursor never reached the team that
    added it. Replay them as refused ones are, from the feed's beginning (the platform serves its own window: what a
    look-up would refuse is not in it). Kept refused if it is refused now: it replays once served."""
    if feed_cursor() is None:
        return  # the feed has not started: its first pages bring them
    name = _refused_name(tax_id)
    with write_transaction():
        if not ConnectorState.update(feed_cursor=None).where(ConnectorState.name == name).execute():
            ConnectorState.create(name=name, ok=True, feed_cursor=None)


def refused_taxpayers() -> set[str]:
    """The taxpayers the platform refuses us now (not those served again, whose rows are being replayed)."""
    rows = ConnectorState.select(ConnectorState.name).where(ConnectorState.name.startswith(REFUSED),
                                                            ~ConnectorState.ok)
    return {r.name[len(REFUSED):] for r in rows}


def feed_cursor() -> str | None:
    return standing().feed_cursor


def save_feed_cursor(cursor: str | None) -> None:
    with write_transaction():  # the cursor alone: a save of the row would undo a record's write made meanwhile
        _lock()
        if not ConnectorState.update(feed_cursor=cursor).where(ConnectorState.name == NAME).execute():
            ConnectorState.create(name=NAME, feed_cursor=cursor)
