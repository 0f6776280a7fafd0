"""The scheduler's tick: queue due checks, and pull what the authority newly shows (free of quota)."""

from __future__ import annotations

import logging

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
    entities = list(BuyerEntity.select(BuyerEntity.team, BuyerEntity.tax_id))
    if not entities:
        return 0  # the platform shows a taxpayer its own ledger: with none registered there is none to pull
    if health.waiting_for_maintenance(rt, rt.clock.now()):
        return 0  # closed for an announced maintenance: the feed waits for its end, as the checks do
    try:
        rows, cursor = conn.changes(health.feed_cursor(), sorted({e.tax_id for e in entities}))
    except ConnectorError as exc:
        health.record(rt, exc.key, exc.params.get("until"))
        return 0
    health.record(rt, None)
    health.record_refused(getattr(conn, "refused", []))
    if not rows:
        return 0  # keep the old cursor: nothing has changed since it, and nothing is written
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
    health.save_feed_cursor(cursor)
    return settled


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
