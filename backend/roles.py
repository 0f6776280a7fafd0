"""What each role may do in its team: the one definition. The access layer (backend/access.py) enforces it, the
API's routes declare which permission they need (backend/api/guard.py), and the SPA reads the same table from
`/api/auth/me` to show only what a role may do."""

from __future__ import annotations

from enum import StrEnum

from .models import Role


class Perm(StrEnum):
    READ = "read"  # the team's board, invoices, files, history, claims, dashboard, ledger, entities
    UPLOAD = "upload"  # add files; ask for a check at the authority
    CORRECT = "correct"  # correct fields, accept a near miss, unlink a duplicate
    CLAIM = "claim"  # make a claim (报销单) of invoices and submit it
    FINANCE = "finance"  # decide claims, claim for others, 已报销 / 已入账, bulk marks, ledger import
    EXPORT = "export"  # Excel / CSV export of the team's invoices
    MANAGE = "manage"  # members, buyer entities, settings
    AUDIT = "audit"  # the audit log


_SUBMITTER = frozenset({Perm.READ, Perm.UPLOAD, Perm.CORRECT, Perm.CLAIM})
_ACCOUNTANT = _SUBMITTER | {Perm.FINANCE, Perm.EXPORT}

GRANTS: dict[Role, frozenset[Perm]] = {
    Role.SUBMITTER: _SUBMITTER,
    Role.ACCOUNTANT: _ACCOUNTANT,
    Role.ADMIN: _ACCOUNTANT | {Perm.MANAGE, Perm.AUDIT},
    Role.AUDITOR: frozenset({Perm.READ, Perm.EXPORT, Perm.AUDIT}),
}
# A site admin holds every permission in the teams they belong to (and manages people and teams site-wide).
SITE_ADMIN = frozenset(Perm)

# A submitter may correct and claim only the invoices they uploaded themselves.
OWN_ONLY: dict[Role, frozenset[Perm]] = {Role.SUBMITTER: frozenset({Perm.CORRECT, Perm.CLAIM})}


def grants(role: str | None, *, site_admin: bool = False) -> frozenset[Perm]:
    if site_admin:
        return SITE_ADMIN
    try:
        return GRANTS[Role(role)]
    except ValueError:
        return frozenset()


def own_only(role: str | None, perm: Perm, *, site_admin: bool = False) -> bool:
    if site_admin:
        return False
    try:
        return perm in OWN_ONLY.get(Role(role), frozenset())
    except ValueError:
        return False
