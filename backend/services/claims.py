"""Reimbursement: claims (报销单) and the lock that keeps one invoice from being reimbursed twice.

    invoice: unclaimed (未报销) ─add─▶ claimed (报销中, locked) ─approve─▶ reimbursed (已报销)
                   ▲                        │ remove, or the claim is returned (退回: unlocked)
                   └────────────────────────┘
    claim:   draft ─submit─▶ submitted ─approve─▶ approved
               ▲                 └─return─▶ returned ─reopen─┘

The lock is one conditional UPDATE per invoice, taken under a per-key lock, whose guard says: still
unclaimed, not a duplicate, not voided or red-flushed, and no other invoice of the team with the same key is
in a claim or reimbursed. Of two people adding the same invoice at the same moment exactly one wins, and no
sequence of actions reimburses one key twice. An invoice not (yet) found at the authority may enter a claim;
the claim keeps the warning with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import peewee
from peewee import fn

from ..clock import iso
from ..db import write_transaction
from ..errors import AppError, NotFound
from ..models import Claim, ClaimItem, ClaimState, Invoice, InvoiceStatus, Reimbursement, Team, User
from ..runtime import Runtime
from ..serializers import claim_public, invoice_public
from . import activity, audit, invoices
from .events import append_claim
from .identity import lock_key

S = InvoiceStatus
UNREAD = {S.RECEIVED.value, S.PROCESSING.value, S.FAILED.value}
BLOCKED = {S.VOIDED.value: "claim.voided", S.RED_FLUSHED.value: "claim.red_flushed",
           S.DUPLICATE.value: "claim.duplicate"}
# Not (yet) confirmed by the authority: may be claimed, with the warning kept on the claim.
WARNED = {S.PENDING_SYNC.value, S.NOT_FOUND.value, S.MISMATCH.value, S.SYNC_ERROR.value, S.EXTRACTED.value,
          S.NEEDS_REVIEW.value, S.PROCESSED.value}
MAX_PURPOSE = 200
MAX_NOTE = 500
MAX_BATCH = 5000


# -- rules ----------------------------------------------------------------------------------------
def refusal(invoice: Invoice) -> dict | None:
    """Why this invoice cannot be reimbursed now, as {key, params}; None when it can."""
    if invoice.duplicate_of_id is not None:
        return {"key": "claim.duplicate", "params": {"invoice_id": invoice.duplicate_of_id}}
    if invoice.status in BLOCKED:
        return {"key": BLOCKED[invoice.status], "params": {}}
    if invoice.status in UNREAD:
        return {"key": "claim.unread", "params": {}}
    if invoice.reimbursement == Reimbursement.REIMBURSED.value:
        return {"key": "claim.already_reimbursed", "params": {}}
    if invoice.reimbursement == Reimbursement.CLAIMED.value:
        number = Claim.select(Claim.number).where(Claim.id == invoice.claim_id).scalar()
        return {"key": "claim.taken", "params": {"claim": number}}
    holder = key_holder(invoice.team_id, invoice.key, invoice.id)
    if holder is not None:
        return {"key": "claim.key_taken", "params": {"invoice_id": holder, "invoice_key": invoice.key}}
    return None


def warning(invoice: Invoice) -> dict | None:
    """What a claim should show about an invoice the authority has not confirmed: its status and top cause."""
    if invoice.status not in WARNED:
        return None
    top = (invoice.diagnosis or [None])[0] or {}
    return {"status": invoice.status, "cause": top.get("key"), "params": top.get("params") or {}}


def key_holder(team_id: int, key: str | None, other_than: int) -> int | None:
    """Another invoice of the team with this key that is in a claim or reimbursed: the key is taken."""
    if not key:
        return None
    return (Invoice.select(Invoice.id)
            .where(Invoice.team == team_id, Invoice.key == key, Invoice.id != other_than,
                   Invoice.reimbursement != Reimbursement.UNCLAIMED.value).scalar())


def _guard(invoice: Invoice) -> peewee.Expression:
    """What must still hold when the lock is taken (the database re-checks it, so a race has one winner)."""
    guard = ((Invoice.reimbursement == Reimbursement.UNCLAIMED.value) & Invoice.claim.is_null()
             & Invoice.duplicate_of.is_null() & Invoice.status.not_in(sorted(set(BLOCKED) | UNREAD)))
    if invoice.key:
        Other = Invoice.alias()
        taken = (Other.select(Other.id).where(Other.team == invoice.team_id, Other.key == invoice.key,
                                              Other.id != invoice.id,
                                              Other.reimbursement != Reimbursement.UNCLAIMED.value))
        guard &= ~fn.EXISTS(taken)
    return guard


def _lock(rt: Runtime, invoice: Invoice, also, **changes) -> Invoice | None:
    with write_transaction():
        if invoice.key:
            lock_key(invoice.team_id, invoice.key)
        return invoices.update_if(rt, invoice.id, _guard(invoice), also=also, **changes)


# -- claims ---------------------------------------------------------------------------------------
def get(claim_id: int, team_ids: list[int]) -> Claim:
    claim = Claim.get_or_none(Claim.id == claim_id, Claim.team.in_(team_ids))
    if claim is None:
        raise NotFound()
    return claim


def listing(team: Team, state: str | None = None, limit: int = 200) -> list[dict]:
    query = Claim.select().where(Claim.team == team.id)
    if state:
        query = query.where(Claim.state == state)
    return [claim_public(c) for c in query.order_by(Claim.id.desc()).limit(limit)]


def detail(claim: Claim) -> dict:
    items = (ClaimItem.select(ClaimItem, Invoice).join(Invoice).where(ClaimItem.claim == claim.id)
             .order_by(ClaimItem.id))
    held = [i for i in items if i.removed_at is None]
    returned = [i for i in items if claim.state == ClaimState.RETURNED.value and i.removed_at == claim.decided_at]
    return {"claim": claim_public(claim),
            "invoices": [{**invoice_public(i.invoice), "claim_warning": i.warning} for i in held or returned],
            "history": [{"invoice_id": i.invoice_id, "added_at": iso(i.added_at), "added_by": i.added_by,
                         "removed_at": iso(i.removed_at), "warning": i.warning} for i in items]}


def create(rt: Runtime, team: Team, user: User, purpose, claimant: User | None = None, *,
           address: str | None = None) -> Claim:
    purpose = purpose.strip() if isinstance(purpose, str) else ""
    if not purpose or len(purpose) > MAX_PURPOSE:
        raise AppError("claim.invalid_purpose", 422, limit=MAX_PURPOSE)
    now = rt.clock.now()
    for _ in range(5):  # two claims created at once may pick the same number: the unique index decides
        try:
            with write_transaction():
                seq = Claim.select().where(Claim.team == team.id).count() + 1
                claim = Claim.create(team=team.id, number=f"BX{now:%Y%m}-{seq:04d}", claimant=(claimant or user).id,
                                     purpose=purpose, created_by=user.id, created_at=now, updated_at=now)
                activity.record(rt, None, "claim_created", user, {"claim": claim.number}, team_id=team.id,
                                claim_id=claim.id)
                _audit(rt, "claim.created", user, claim, address, purpose=purpose, claimant=claim.claimant_id)
                event = append_claim(claim, now)
        except peewee.IntegrityError:
            continue
        rt.notifier.publish([event])
        return claim
    raise AppError("claim.busy", 409)


def _require(claim: Claim, *states: ClaimState) -> None:
    if claim.state not in {s.value for s in states}:
        raise AppError("claim.wrong_state", 409, state=claim.state)


def _touch(rt: Runtime, claim: Claim, recount: bool = True, also: Callable[[Claim], object] | None = None,
           **changes) -> Claim:
    """Save the claim's new state (and its total and count, from the invoices it holds) and push it; `also`
    runs in the same transaction (the audit entry of the step)."""
    now = rt.clock.now()
    with write_transaction():
        claim = Claim.get_by_id(claim.id)
        if recount:
            count, total = (Invoice.select(fn.COUNT(Invoice.id), fn.SUM(Invoice.total_amount))
                            .where(Invoice.claim == claim.id).scalar(as_tuple=True))
            changes.update(count=count or 0, total=Decimal(str(total or 0)))
        for name, value in changes.items():
            setattr(claim, name, value)
        claim.version += 1
        claim.updated_at = now
        claim.save()
        if also is not None:
            also(claim)
        event = append_claim(claim, now)
    rt.notifier.publish([event])
    return claim


def _audit(rt: Runtime, action: str, user: User, claim: Claim, address: str | None, target: str | None = None,
           **data) -> None:
    """A claim step in the audit log: the claim's, or one invoice's in it (`target`)."""
    audit.record(rt.clock, action, actor=user, address=address, team=claim.team_id,
                 target=target or f"claim:{claim.id}", claim=claim.number, **data)


def _audit_step(rt: Runtime, action: str, user: User, address: str | None, **data) -> Callable[[Claim], None]:
    """The audit entry of a claim's new state, for _touch: with the count and total it has now."""
    return lambda claim: _audit(rt, action, user, claim, address, state=claim.state, count=claim.count,
                                total=format(Decimal(str(claim.total)), ".2f"), **data)


def add(rt: Runtime, claim: Claim, user: User, invoice_list: list[Invoice], *, address: str | None = None) -> dict:
    """Lock each invoice into the claim; returns {done: [ids], refused: [{id, key, params}]}."""
    _require(claim, ClaimState.DRAFT)
    if any(inv.team_id != claim.team_id for inv in invoice_list):
        raise NotFound()  # another team's invoice: nothing changes
    done, refused = [], []
    for inv in invoice_list[:MAX_BATCH]:
        why = refusal(inv)
        if why is None:
            note = warning(inv)
            now = rt.clock.now()

            def keep(locked: Invoice, note=note, now=now) -> None:
                ClaimItem.create(claim=claim.id, invoice=locked.id, added_by=user.id, added_at=now, warning=note)
                activity.record(rt, locked, "claim_added", user, {"claim": claim.number, "warning": note},
                                claim_id=claim.id)
                _audit(rt, "claim.invoice_added", user, claim, address, f"invoice:{locked.id}", claim_id=claim.id,
                       amount=str(locked.total_amount) if locked.total_amount is not None else None,
                       warning=note["status"] if note else None)

            if _lock(rt, inv, keep, claim=claim.id, reimbursement=Reimbursement.CLAIMED.value) is not None:
                done.append(inv.id)
                continue
            why = refusal(Invoice.get_by_id(inv.id)) or {"key": "claim.taken", "params": {}}
        refused.append({"id": inv.id, **why})
    if done:
        _touch(rt, claim)
    return {"done": done, "refused": refused}


def remove(rt: Runtime, claim: Claim, user: User, invoice: Invoice, *, address: str | None = None) -> None:
    _require(claim, ClaimState.DRAFT)
    now = rt.clock.now()

    def keep(released: Invoice) -> None:
        (ClaimItem.update(removed_at=now, removed_by=user.id)
         .where(ClaimItem.claim == claim.id, ClaimItem.invoice == released.id, ClaimItem.removed_at.is_null())
         .execute())
        activity.record(rt, released, "claim_removed", user, {"claim": claim.number}, claim_id=claim.id)
        _audit(rt, "claim.invoice_removed", user, claim, address, f"invoice:{released.id}", claim_id=claim.id)

    if invoices.update_if(rt, invoice.id, (Invoice.claim == claim.id), also=keep, claim=None,
                          reimbursement=Reimbursement.UNCLAIMED.value) is None:
        raise NotFound()
    _touch(rt, claim)


def submit(rt: Runtime, claim: Claim, user: User, *, address: str | None = None) -> Claim:
    _require(claim, ClaimState.DRAFT)
    if claim.count == 0:
        raise AppError("claim.empty", 409)
    _log_claim(rt, claim, "claim_submitted", user)
    return _touch(rt, claim, state=ClaimState.SUBMITTED.value, submitted_at=rt.clock.now(),
                  also=_audit_step(rt, "claim.submitted", user, address))


def approve(rt: Runtime, claim: Claim, user: User, *, address: str | None = None) -> Claim:
    """Every invoice of the claim becomes 已报销, unless one was voided, red-flushed or found a duplicate since."""
    _require(claim, ClaimState.SUBMITTED)
    held = list(Invoice.select().where(Invoice.claim == claim.id))
    blocked = [inv.id for inv in held if inv.status in BLOCKED or inv.duplicate_of_id is not None]
    if blocked:
        raise AppError("claim.has_blocked", 409, invoices=blocked)
    now = rt.clock.now()
    for inv in held:
        invoices.update_if(rt, inv.id, (Invoice.claim == claim.id) & (Invoice.reimbursement == "claimed"),
                           also=lambda done: activity.record(rt, done, "reimbursed", user,
                                                             {"claim": claim.number}, claim_id=claim.id),
                           reimbursement=Reimbursement.REIMBURSED.value, reimbursed_at=now)
    _log_claim(rt, claim, "claim_approved", user)
    return _touch(rt, claim, state=ClaimState.APPROVED.value, decided_at=now, decided_by=user.id,
                  also=_audit_step(rt, "claim.approved", user, address, invoices=[inv.id for inv in held]))


def return_(rt: Runtime, claim: Claim, user: User, note, *, address: str | None = None) -> Claim:
    """Back to the claimant with a note; its invoices are unlocked (reopening takes back those still free)."""
    _require(claim, ClaimState.SUBMITTED)
    note = note.strip()[:MAX_NOTE] if isinstance(note, str) else ""
    if not note:
        raise AppError("claim.note_required", 422)
    now = rt.clock.now()
    for inv in Invoice.select().where(Invoice.claim == claim.id):
        def keep(released: Invoice) -> None:
            (ClaimItem.update(removed_at=now).where(ClaimItem.claim == claim.id, ClaimItem.invoice == released.id,
                                                    ClaimItem.removed_at.is_null()).execute())
            activity.record(rt, released, "claim_returned", user, {"claim": claim.number, "note": note},
                            claim_id=claim.id)

        invoices.update_if(rt, inv.id, Invoice.claim == claim.id, also=keep, claim=None,
                           reimbursement=Reimbursement.UNCLAIMED.value)
    _log_claim(rt, claim, "claim_returned", user, {"note": note})
    return _touch(rt, claim, recount=False, state=ClaimState.RETURNED.value, note=note, decided_at=now,
                  decided_by=user.id, also=_audit_step(rt, "claim.returned", user, address, note=note))


def reopen(rt: Runtime, claim: Claim, user: User, *, address: str | None = None) -> dict:
    """A returned claim becomes a draft again and takes back the invoices it had that are still free."""
    _require(claim, ClaimState.RETURNED)
    returned = [i.invoice_id for i in ClaimItem.select(ClaimItem.invoice)
                .where(ClaimItem.claim == claim.id, ClaimItem.removed_at == claim.decided_at)]
    _log_claim(rt, claim, "claim_reopened", user)
    claim = _touch(rt, claim, state=ClaimState.DRAFT.value, decided_at=None, decided_by=None,
                   also=_audit_step(rt, "claim.reopened", user, address))
    return add(rt, claim, user, list(Invoice.select().where(Invoice.id.in_(returned))), address=address)


def reimburse(rt: Runtime, invoice: Invoice, user: User, *, address: str | None = None) -> dict | None:
    """已报销 without a claim (a finance person marking it done); returns the refusal, None when done."""
    why = refusal(invoice)
    if why is not None:
        return why
    now = rt.clock.now()

    def keep(inv: Invoice) -> None:
        activity.record(rt, inv, "reimbursed", user, {"claim": None})
        audit.record(rt.clock, "invoice.reimbursed", actor=user, address=address, team=inv.team_id,
                     target=f"invoice:{inv.id}", amount=str(inv.total_amount) if inv.total_amount is not None else None)

    done = _lock(rt, invoice, keep, reimbursement=Reimbursement.REIMBURSED.value, reimbursed_at=now)
    return None if done else (refusal(Invoice.get_by_id(invoice.id)) or {"key": "claim.taken", "params": {}})


def _log_claim(rt: Runtime, claim: Claim, kind: str, user: User, data: dict | None = None) -> None:
    with write_transaction():
        activity.record(rt, None, kind, user, {"claim": claim.number, **(data or {})}, team_id=claim.team_id,
                        claim_id=claim.id)
