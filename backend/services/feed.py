"""The scheduler's tick: queue due checks, and pull what the authority newly shows (free of quota)."""

from __future__ import annotations

import logging

from .. import prepared
from ..models import BuyerEntity
from ..runtime import Runtime
from ..sync.connector import ConnectorError
from . import health, ledger, sync

log = logging.getLogger(__name__)


def pull(rt: Runtime) -> int:
    """One page of the authority's ledger feed into the teams' ledgers; returns invoices settled."""
    conn = rt.connector
    if conn is None or not conn.online:
        return 0
    entities = prepared.rows(BuyerEntity, "entities", lambda: BuyerEntity.select(BuyerEntity.team, BuyerEntity.tax_id))
    if not entities:
        return 0  # the platform shows a taxpayer its own ledger: with none registered there is none to pull
    before = health.standing()  # its maintenance and cursor in one read (every tick asks)
    if health.waiting_for_maintenance(rt, rt.clock.now(), before):
        return 0  # closed for an announced maintenance: the feed waits for its end, as the checks do
    since, buyers = before.feed_cursor, sorted({e.tax_id for e in entities})
    try:
        rows, cursor = conn.changes(since, buyers)
    except ConnectorError as exc:
        health.record(rt, exc.key, exc.params.get("until"))
        return 0
    health.record(rt, None)
    # The cursor moves past what the page served, whether or not a row of it is kept (out of the platform's ledger,
    # no number to check): else a full page of such rows is asked for again every tick. Read before the replays,
    # whose calls overwrite the connector's note of its last page.
    served = bool(rows) or getattr(conn, "served", 0) > 0 or getattr(conn, "more", False)
    replays: list[tuple[str, str | None]] = []
    for tax_id, replay_from in health.record_refused(getattr(conn, "refused", []), since, buyers).items():
        shown = {r.get("key") for r in rows}
        replayed, step = _replay(conn, tax_id, replay_from)
        rows += [r for r in replayed if r.get("key") not in shown]
        replays += [step] if step else []
    settled = _import(rt, entities, rows) if rows else 0
    if rows or served:  # else keep the old cursor: nothing was served since it, and nothing is written
        health.save_feed_cursor(cursor)
    _replayed(replays)
    return settled


def _import(rt: Runtime, entities: list[BuyerEntity], rows: list[dict]) -> int:
    """The feed's rows into the ledgers of the teams whose taxpayers they name; returns invoices settled."""
    settled = 0
    by_team: dict[int, set[str]] = {}
    for e in entities:
        by_team.setdefault(e.team_id, set()).add(e.tax_id.upper())
    for team_id, mine in sorted(by_team.items()):  # a team sees the rows of its own taxpayers, and only those
        wanted = [r for r in rows if (r.get("buyer_tax_id") or "").upper() in mine]
        if wanted:
            summary = ledger.ImportSummary()
            changed = ledger.upsert(rt, team_id, ledger.rows_from_feed(wanted), "feed", summary)
            settled += ledger.settle(rt, team_id, changed, "feed")
    return settled


def _replay(conn, tax_id: str, since: str | None) -> tuple[list[dict], tuple[str, str | None] | None]:
    """One page of a taxpayer's rows from where they were refused: the shared cursor moved past them while the
    platform refused us that taxpayer, so once it is authorised they are asked for again (and its invoices settle
    now, not at their next look-up). Returns the rows and the replay's step: (tax id, the cursor of the next page,
    or None when done), None when nothing was served."""
    try:
        rows, upto = conn.changes(since, [tax_id])
    except ConnectorError:
        return [], None  # the next pass asks again
    if tax_id.upper() in getattr(conn, "refused", []):
        return [], None  # refused again meanwhile: the next pass notes it
    # The cursor is the platform's, opaque: the replay is done when its page was the last one (it has reached now,
    # and the shared feed, which asks for this taxpayer too, serves what changes from here).
    return rows, (tax_id, upto if getattr(conn, "more", False) else None)


def _replayed(steps: list[tuple[str, str | None]]) -> None:
    """A replay moves on only once its rows are in the ledgers: if their import fails, the next pass asks again
    (rows sent twice are kept as they are)."""
    for tax_id, upto in steps:
        health.replayed(tax_id, upto)


def tick(rt: Runtime) -> tuple[int, int]:
    """Returns (checks queued, invoices settled by the feed). A failing half never stops the other."""
    queued = settled = 0
    try:
        queued = len(sync.due(rt))
    except Exception:  # noqa: BLE001 - the loop must survive anything; the next tick tries again
        log.exception("scheduling due checks failed")
    try:
        settled = pull(rt)
    except Exception:  # noqa: BLE001
        log.exception("pulling the ledger feed failed")
    return queued, settled
