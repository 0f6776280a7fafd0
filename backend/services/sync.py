"""Following an invoice at the tax authority: enrol it, check it, apply what the authority says.

The only place that turns a connector answer into an invoice change. Every check is a SyncCheck row
written in the same transaction as the invoice's new status, schedule and diagnosis, and pushed live.
"""

from __future__ import annotations

import datetime as dt
import logging

from .. import jobrows, metrics, prepared
from ..clock import iso
from ..errors import AppError
from ..models import Invoice, InvoiceStatus, Job, SyncCheck
from ..runtime import Runtime
from ..sync import machine
from ..sync.connector import ConnectorError
from ..sync.matching import differences
from ..sync.schedule import expected_by, next_check, overdue_at
from ..sync.types import Outcome, Result
from . import health, invoices
from .diagnose import diagnosis_for
from .sync_facts import (
    FIELD_KEYS,
    from_ledger_row,
    invoice_by_id,
    issued,
    ledger_row,
    policy,
    query_of,
    quota_used_today,
    values,
)

log = logging.getLogger(__name__)

CHECKABLE = machine.ENTRY | machine.SYNC_STATUSES


# -- entering the sync ----------------------------------------------------------------------------
def enroll(rt: Runtime, invoice: Invoice, fresh: bool) -> None:
    """Start following an invoice once it is read (`fresh`) or after a person changed a field."""
    if rt.connector is None or invoice.status not in CHECKABLE:
        return
    now = rt.clock.now()
    fields = values(invoice)
    if query_of(fields) is None:
        invoices.update(rt, invoice, diagnosis=diagnosis_for(rt, invoice, None, now))
        return
    changes = dict(status=InvoiceStatus.PENDING_SYNC.value, reason="sync.entered", reason_params=None,
                   authority_key=query_of(fields).key,
                   pending_since=invoice.pending_since or now, next_check_at=now, last_outcome=None, authority=None)
    if fresh:
        changes["checks_done"] = 0
    for name, value in changes.items():  # the diagnosis is of the invoice as it is about to be
        setattr(invoice, name, value)
    invoices.update(rt, invoice, diagnosis=diagnosis_for(rt, invoice, None, now), **changes)
    if fresh and rt.settings.demo and rt.connector.online:
        _issue_for_demo(rt, fields)


def _issue_for_demo(rt: Runtime, fields: dict) -> None:
    """Demo mode: the simulated authority 'issues' the invoice as read, to appear after its delay."""
    try:
        rt.connector.issue({k: fields.get(k) for k in FIELD_KEYS})
    except ConnectorError as exc:
        log.warning("demo: could not issue the invoice at the simulator: %s", exc.key)


# -- asking ---------------------------------------------------------------------------------------
def request_check(rt: Runtime, invoice: Invoice, user_id: int) -> dict:
    """A person's "check now": queued at once; refused when today's quota for it is spent."""
    if rt.connector is None:
        raise AppError("sync.off", 409)
    if invoice.status not in CHECKABLE:
        raise AppError("sync.not_checkable", 409)
    if query_of(values(invoice)) is None:
        number = (values(invoice).get("invoice_number") or "").strip()
        raise AppError("sync.number_unusable", 409, number=number) if number else AppError("sync.no_key", 409)
    now = rt.clock.now()
    pol = policy(rt)
    used, limit = quota_used_today(invoice, now, pol), pol.daily_quota
    if rt.connector.online and used >= limit:
        raise AppError("sync.quota", 429, limit=limit, next_allowed=pol.next_day(now).isoformat() + "Z")
    job = jobrows.create(invoice.id, "check", now, rt.settings.job_max_attempts, requested_by=user_id)
    rt.dispatch(job.id, 0)
    return {"job_id": job.id, "quota": {"used": used, "limit": limit, "spends": 1 if rt.connector.online else 0}}


def check_job(rt: Runtime, job: Job) -> None:
    """The `check` job: one look at the authority for one invoice."""
    invoice = invoice_by_id(job.invoice_id)
    run_check(rt, invoice, "manual" if job.requested_by else "auto", job.requested_by)


def check_given_up(rt: Runtime, job: Job, key: str, params: dict) -> None:
    """The `check` job failed for good: record it as an unavailable answer, so the next check is scheduled."""
    apply_result(rt, invoice_by_id(job.invoice_id), Result(Outcome.UNAVAILABLE, error=key), "auto", None)


def run_check(rt: Runtime, invoice: Invoice, trigger: str, user_id: int | None = None) -> Outcome | None:
    query = query_of(values(invoice))
    if rt.connector is None or query is None or invoice.status not in CHECKABLE:
        return None
    row = ledger_row(invoice.team_id, query.key)
    now, pol, used = rt.clock.now(), policy(rt), None
    if row is not None:
        result, trigger = from_ledger_row(row, values(invoice)), "ledger" if trigger == "auto" else trigger
    elif not rt.connector.online:
        result = Result(Outcome.NOT_FOUND)
    elif (used := quota_used_today(invoice, now, pol)) >= pol.daily_quota:
        result = Result(Outcome.QUOTA, remaining=0)
    elif until := health.waiting_for_maintenance(rt, rt.clock.now()):
        # The authority announced it is closed until then: asking now would learn nothing (nor cost anything).
        result = Result(Outcome.UNAVAILABLE, error="connector.maintenance", maintenance_until=until)
    else:
        result = rt.connector.lookup(query)
        health.record(rt, result.error, result.maintenance_until)
    apply_result(rt, invoice, result, trigger, user_id, None if used is None else (pol.day_start(now), used))
    return result.outcome


# -- applying an answer ---------------------------------------------------------------------------
def apply_result(rt: Runtime, invoice: Invoice, result: Result, trigger: str, user_id: int | None,
                 counted: tuple[dt.datetime, int] | None = None) -> None:
    """`counted`: (day start, look-ups spent that day) as the check counted them before asking; nothing spends
    quota in between, so they are not counted again while it is still that day."""
    now = rt.clock.now()
    pol = policy(rt)
    fields = values(invoice)
    errors = _errors_in_row(invoice) + 1 if _invoice_error(result.outcome, result.error) else 0
    since = invoice.pending_since or now
    start = issued(rt, invoice, now)
    overdue = overdue_at(start, pol)
    status = machine.next_status(result.outcome, now=now, overdue_at=overdue, errors_in_row=errors)
    checks_done = invoice.checks_done + (1 if result.outcome != Outcome.UNAVAILABLE else 0)
    used = counted[1] if counted and counted[0] == pol.day_start(now) else quota_used_today(invoice, now, pol)
    spent = used + (1 if result.spent_quota else 0)
    next_at = None if result.outcome in machine.STOPS_CHECKING else next_check(
        now=now, outcome=result.outcome, checks_done=checks_done, pending_since=since, quota_used_today=spent,
        policy=pol, expected_at=expected_by(start, pol), maintenance_until=result.maintenance_until)
    authority = _authority(result, fields)
    changes = dict(status=status, reason="sync.outcome", reason_params={"outcome": result.outcome.value},
                   last_outcome=result.outcome.value, checks_done=checks_done, next_check_at=next_at,
                   authority=authority)
    for name, value in changes.items():  # the diagnosis is of the invoice as it is about to be
        setattr(invoice, name, value)
    diagnosis = diagnosis_for(rt, invoice, result.outcome, now, quota_used=spent)

    def record() -> None:
        prepared.create(SyncCheck, "sync_check", invoice=invoice.id, at=now, trigger=trigger, by_user=user_id,
                        outcome=result.outcome.value, status_after=status, spent_quota=result.spent_quota,
                        next_check_at=next_at, detail={**result.as_dict(), "fields": result.fields or None})

    invoices.update(rt, invoice, also=record, diagnosis=diagnosis, **changes)
    metrics.authority_checked(result.outcome.value)


def _authority(result: Result, fields: dict) -> dict | None:
    if not result.fields and not result.differences:
        return None
    detailed = [d.as_dict() for d in differences(fields, result.fields)] if result.fields else []
    named = {d["field"] for d in detailed}
    detailed += [{"field": f, "ours": fields.get(f), "theirs": None, "kind": "differs"}
                 for f in result.differences if f not in named]
    return {"fields": result.fields or None, "differences": detailed}


# Failures of the connection, not of one invoice (a wrong token included): they never make a sync_error.
OUTAGE_ERRORS = {"connector.down", "connector.timeout", "connector.unauthorized", "connector.maintenance"}


def _invoice_error(outcome: Outcome | str, error: str | None) -> bool:
    """A failure tied to this invoice (garbage answers, a crashing check), not a general outage:
    an outage says nothing about the invoice, however long it lasts."""
    return outcome == Outcome.UNAVAILABLE and error not in OUTAGE_ERRORS


def _errors_in_row(invoice: Invoice) -> int:
    recent = (SyncCheck.select(SyncCheck.outcome, SyncCheck.detail).where(SyncCheck.invoice == invoice.id)
              .order_by(SyncCheck.id.desc()).limit(machine.ERRORS_BEFORE_SYNC_ERROR))
    count = 0
    for check in recent:
        if not _invoice_error(check.outcome, (check.detail or {}).get("error")):
            break
        count += 1
    return count


def check_panel(rt: Runtime, invoice: Invoice) -> dict:
    """What the invoice page's sync panel shows: the checks, the next one, the diagnosis, today's quota."""
    return {"checks": timeline(invoice), "next_check_at": iso(invoice.next_check_at),
            "diagnosis": current_diagnosis(rt, invoice),
            "quota": {"used": quota_used_today(invoice, rt.clock.now(), policy(rt)), "limit": policy(rt).daily_quota}}


def current_diagnosis(rt: Runtime, invoice: Invoice) -> list[dict]:
    """The diagnosis as of now. One stored with the last answer rests on premises that expire ("expected by
    03:56", today's quota, the connector's health): while the invoice is still followed it is recomputed."""
    if invoice.status not in machine.WATCHED or rt.connector is None:
        return invoice.diagnosis or []
    try:
        outcome = Outcome(invoice.last_outcome) if invoice.last_outcome else None
    except ValueError:  # an outcome key this version no longer knows: as if none
        outcome = None
    return diagnosis_for(rt, invoice, outcome, rt.clock.now())


# The times a stored diagnosis rests on (sync_window's "expected by", its "overdue at", the quota's "next
# allowed", a maintenance's "resumes at"): once one has passed, the stored ranking may no longer hold and the
# current one is computed.
PREMISE_TIMES = ("expected_by", "overdue_at", "next_allowed", "resumes_at")


def premise_passed(diagnosis: list[dict] | None, now: dt.datetime) -> bool:
    stamp = iso(now)  # ISO-8601 UTC strings of one format compare as times
    return any((c.get("params") or {}).get(k) and c["params"][k] <= stamp
               for c in diagnosis or () for k in PREMISE_TIMES)


def board_diagnosis(rt: Runtime, invoice: Invoice) -> list[dict]:
    """The board card's diagnosis: the page's (current_diagnosis), computed only where a premise of the stored
    one has passed. Recomputing every followed card costs ~3.4 ms each (+0.7 s on a page of 200); a stored
    diagnosis whose times still stand ranks as the current one would, so it is served as is."""
    if invoice.status in machine.WATCHED and premise_passed(invoice.diagnosis, rt.clock.now()):
        return current_diagnosis(rt, invoice)
    return invoice.diagnosis or []


def timeline(invoice: Invoice) -> list[dict]:
    rows = SyncCheck.select().where(SyncCheck.invoice == invoice.id).order_by(SyncCheck.id.desc()).limit(200)
    return [{"id": c.id, "at": iso(c.at), "trigger": c.trigger, "by_user": c.by_user, "outcome": c.outcome,
             "status_after": c.status_after, "spent_quota": c.spent_quota, "next_check_at": iso(c.next_check_at),
             "error": (c.detail or {}).get("error")} for c in rows]


def due(rt: Runtime, limit: int = 500) -> list[int]:
    """Claim the invoices whose next check is due and queue a `check` job for each.

    The conditional UPDATE is the claim: two schedulers never queue the same check twice."""
    now = rt.clock.now()
    queued = []
    # Every tick asks, most often to find nothing due: its SQL is built once (building it was most of its cost).
    candidates = prepared.rows(Invoice, "due", _due_query, now, *sorted(machine.WATCHED), limit)
    for inv in candidates:
        job_id = _claim(rt, inv.id, inv.next_check_at, now)
        if job_id is not None:
            queued.append(job_id)
    for job_id in queued:
        rt.dispatch(job_id, 0)
    return queued


def _due_query(now: dt.datetime, *statuses_and_limit):
    """The due invoices' SELECT, its values in the order of its parameters (prepared.sql binds them so)."""
    *statuses, limit = statuses_and_limit
    return (Invoice.select(Invoice.id, Invoice.next_check_at)
            .where(Invoice.next_check_at <= now, Invoice.status.in_(statuses))
            .order_by(Invoice.next_check_at).limit(limit))


def check_if_due(rt: Runtime, invoice_id: int) -> int | None:
    """Queue the invoice's check now when it is due (a person just gave it a key): the scheduler's
    claim, so its next tick does not queue the same check again. The job's id, or None."""
    now = rt.clock.now()
    inv = Invoice.get_or_none(Invoice.id == invoice_id)
    if inv is None or inv.next_check_at is None or inv.next_check_at > now or inv.status not in machine.WATCHED:
        return None
    job_id = _claim(rt, inv.id, inv.next_check_at, now)
    if job_id is not None:
        rt.dispatch(job_id, 0)
    return job_id


def _claim(rt: Runtime, invoice_id: int, due_at: dt.datetime, now: dt.datetime) -> int | None:
    """The conditional UPDATE is the claim: two schedulers never queue the same check twice."""
    # Every due check is claimed so: its UPDATE is built once (prepared.update).
    claimed = prepared.update(Invoice, "claim_check", {"next_check_at": None},
                              lambda i, at: (Invoice.id == i) & (Invoice.next_check_at == at), invoice_id, due_at)
    return jobrows.create(invoice_id, "check", now, rt.settings.job_max_attempts).id if claimed else None

