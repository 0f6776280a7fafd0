"""The team-scoped access layer: every read of invoices and events goes through here, so
nobody sees another team's data. Missing and forbidden look the same (404) to the caller."""

from __future__ import annotations

from functools import cached_property

from peewee import JOIN

from .errors import AppError, NotFound
from .models import Claim, Invoice, Membership, Role, StoredFile, Team, User

Uploader = User.alias("uploader")


class Access:
    def __init__(self, user: User) -> None:
        self.user = user

    @cached_property
    def teams(self) -> list[Team]:
        """My teams, each with my `role` in it (admins manage every team they belong to)."""
        rows = (Team.select(Team, Membership.role).join(Membership).where(Membership.user == self.user)
                .order_by(Team.id).objects())
        return list(rows)

    def can_manage(self, team: Team) -> bool:
        return self.user.is_admin or getattr(team, "role", None) in (Role.ACCOUNTANT.value, Role.ADMIN.value)

    @cached_property
    def team_ids(self) -> list[int]:
        return [t.id for t in self.teams]

    def team(self, team_id: int | None) -> Team:
        """The given team if the user belongs to it; the user's first team when None."""
        for team in self.teams:
            if team_id is None or team.id == team_id:
                return team
        raise NotFound()

    def manage(self, team_id: int | None) -> Team:
        """The team, if the user may change its settings (accountants and admins)."""
        team = self.team(team_id)
        if not self.can_manage(team):
            raise AppError("auth.forbidden", 403)
        return team

    def invoices(self):
        """My teams' invoices, with what their JSON shows of the file, the claim and the uploader."""
        return (Invoice.select(Invoice, StoredFile, Claim, Uploader).join(StoredFile).switch(Invoice)
                .join(Claim, JOIN.LEFT_OUTER).switch(Invoice)
                .join(Uploader, JOIN.LEFT_OUTER, on=(Invoice.uploaded_by == Uploader.id))
                .where(Invoice.team.in_(self.team_ids)))

    def invoices_by_id(self, ids: list[int]) -> list[Invoice]:
        """These invoices, in the given order; 404 when any of them is not mine to see (nothing changes)."""
        found = {inv.id: inv for inv in self.invoices().where(Invoice.id.in_(ids))}
        if len(found) != len(set(ids)):
            raise NotFound()
        return [found[i] for i in ids]

    def is_member_of(self, user_id: int, team_id: int) -> bool:
        return team_id in self.team_ids and is_member(user_id, team_id)

    def invoice(self, invoice_id: int) -> Invoice:
        inv = self.invoices().where(Invoice.id == invoice_id).first()
        if inv is None:
            raise NotFound()
        return inv


def is_member(user_id: int, team_id: int) -> bool:
    return Membership.select().where(Membership.user == user_id, Membership.team == team_id).exists()
