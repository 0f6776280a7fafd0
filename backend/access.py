"""The team-scoped access layer: every read and change of a team's data goes through here, so nobody sees
another team's data and nobody does what their role does not allow (backend/roles.py). Missing and another
team's look the same (404); a team's own data beyond the role is 403 `auth.forbidden`."""

from __future__ import annotations

from functools import cached_property

from peewee import JOIN

from .errors import AppError, NotFound
from .models import Claim, Invoice, Membership, StoredFile, Team, User
from .roles import Perm, grants, own_only

Uploader = User.alias("uploader")


class Access:
    """One person's view of the data for one request. `need` is what the route declared (backend/api/guard.py):
    the default permission every team, invoice and claim looked up here is checked against."""

    def __init__(self, user: User, need: Perm = Perm.READ) -> None:
        self.user = user
        self.need = need

    @cached_property
    def teams(self) -> list[Team]:
        """My teams, each with my `role` in it."""
        rows = (Team.select(Team, Membership.role).join(Membership).where(Membership.user == self.user)
                .order_by(Team.id).objects())
        return list(rows)

    @cached_property
    def team_ids(self) -> list[int]:
        return [t.id for t in self.teams]

    def grants(self, team: Team) -> frozenset[Perm]:
        return grants(getattr(team, "role", None), site_admin=self.user.is_admin)

    def own_only(self, team: Team) -> frozenset[Perm]:
        """The permissions my role there limits to my own invoices and claims."""
        return frozenset(p for p in self.grants(team)
                         if own_only(getattr(team, "role", None), p, site_admin=self.user.is_admin))

    def allows(self, team: Team, perm: Perm) -> bool:
        return perm in self.grants(team)

    def can_manage(self, team: Team) -> bool:
        return self.allows(team, Perm.MANAGE)

    def teams_with(self, perm: Perm | None = None) -> list[int]:
        return [t.id for t in self.teams if self.allows(t, perm or self.need)]

    def team(self, team_id: int | None, perm: Perm | None = None) -> Team:
        """The given team (the first one when None) if I belong to it (else 404) and may do `perm` there
        (else 403). With no team given, the first team where I may."""
        perm = perm or self.need
        mine = [t for t in self.teams if team_id is None or t.id == team_id]
        if not mine:
            raise NotFound()
        allowed = [t for t in mine if self.allows(t, perm)]
        if not allowed:
            raise AppError("auth.forbidden", 403)
        return allowed[0]

    def site_admin(self) -> None:
        if not self.user.is_admin:
            raise AppError("auth.forbidden", 403)

    def invoices(self):
        """My teams' invoices, with what their JSON shows of the file, the claim and the uploader."""
        return (Invoice.select(Invoice, StoredFile, Claim, Uploader).join(StoredFile).switch(Invoice)
                .join(Claim, JOIN.LEFT_OUTER).switch(Invoice)
                .join(Uploader, JOIN.LEFT_OUTER, on=(Invoice.uploaded_by == Uploader.id))
                .where(Invoice.team.in_(self.team_ids)))

    def check(self, inv: Invoice, perm: Perm) -> Invoice:
        """The invoice, if my role in its team allows `perm` on it (else 403)."""
        team = self.team(inv.team_id, perm)
        if own_only(getattr(team, "role", None), perm, site_admin=self.user.is_admin) \
                and inv.uploaded_by_id != self.user.id:
            raise AppError("auth.not_own", 403)
        return inv

    def invoice(self, invoice_id: int, perm: Perm | None = None) -> Invoice:
        inv = self.invoices().where(Invoice.id == invoice_id).first()
        if inv is None:
            raise NotFound()
        return self.check(inv, perm or self.need)

    def invoices_by_id(self, ids: list[int], perm: Perm | None = None) -> list[Invoice]:
        """These invoices, in the given order; 404 when any of them is not mine to see, 403 when any is beyond my
        role (nothing changes either way)."""
        found = {inv.id: inv for inv in self.invoices().where(Invoice.id.in_(ids))}
        if len(found) != len(set(ids)):
            raise NotFound()
        return [self.check(found[i], perm or self.need) for i in ids]

    def claim(self, claim_id: int, perm: Perm | None = None) -> Claim:
        """A claim of my teams; with an own-only permission, one I am the claimant of or created."""
        claim = Claim.get_or_none(Claim.id == claim_id)
        if claim is None or claim.team_id not in self.team_ids:
            raise NotFound()
        perm = perm or self.need
        team = self.team(claim.team_id, perm)
        if own_only(getattr(team, "role", None), perm, site_admin=self.user.is_admin) \
                and self.user.id not in (claim.claimant_id, claim.created_by):
            raise AppError("auth.not_own", 403)
        return claim

    def is_member_of(self, user_id: int, team_id: int) -> bool:
        return team_id in self.team_ids and is_member(user_id, team_id)


def is_member(user_id: int, team_id: int) -> bool:
    return Membership.select().where(Membership.user == user_id, Membership.team == team_id).exists()
