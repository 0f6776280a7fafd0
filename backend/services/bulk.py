"""One action on many invoices: each invoice succeeds or is refused with its own reason, never all-or-nothing
(a batch of 300 with one voided invoice still books the other 299)."""

from __future__ import annotations

from ..errors import AppError
from ..models import Claim, Invoice, User
from ..roles import Perm
from ..runtime import Runtime
from . import booking, claims, sync

# Each action and what it needs on every invoice it touches (the access layer checks it before anything runs).
ACTIONS: dict[str, Perm] = {"reimburse": Perm.FINANCE, "book": Perm.FINANCE, "unbook": Perm.FINANCE,
                            "check": Perm.UPLOAD, "add_to_claim": Perm.CLAIM}


def run(rt: Runtime, user: User, action: str, targets: list[Invoice], params: dict,
        claim: Claim | None = None, *, address: str | None = None) -> dict:
    """`claim` is the one `add_to_claim` adds to (the caller found it among the user's teams); `address` is the
    caller's, for the audit log."""
    if action == "add_to_claim":
        if claim is None:
            raise AppError("request.invalid", field="claim_id")
        return claims.add(rt, claim, user, targets, address=address)
    if action == "book":
        period, voucher = booking.parse(params.get("period"), params.get("voucher"))
    done, refused = [], []
    for inv in targets:
        if action == "reimburse":
            why = claims.reimburse(rt, inv, user, address=address)
        elif action == "book":
            why = booking.book(rt, inv, user, period, voucher, address=address)
        elif action == "unbook":
            why = booking.unbook(rt, inv, user, address=address)
        elif action == "check":
            why = _check(rt, inv, user)
        else:
            raise AppError("request.invalid", field="action")
        if why is None:
            done.append(inv.id)
        else:
            refused.append({"id": inv.id, **why})
    return {"done": done, "refused": refused}


def _check(rt: Runtime, invoice: Invoice, user: User) -> dict | None:
    try:
        sync.request_check(rt, invoice, user.id)
    except AppError as exc:
        return {"key": exc.key, "params": exc.params}
    return None
