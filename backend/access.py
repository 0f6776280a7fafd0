"""The team-scoped access layer: every read of invoices and events goes through here, so
nobody sees another team's data. Missing and forbidden look the same (404) to the caller."""

from __future__ import annotations

from functools import cached_property

from .errors import AppError, NotFound
from .models import Invoice, Membership, Role, StoredFile, Team, User


class Access:
    def __init__(self, user: User) -> None:
        self.user = user

    @cached_property
    def teams(self) -> list[Team]:
        return list(Team.select().join(Membership).where(Membership.user == self.user).order_by(Team.id))

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
        if self.user.is_admin:
            return team
        role = (Membership.select(Membership.role)
                .where(Membership.user == self.user, Membership.team == team.id).scalar())
        if role not in (Role.ACCOUNTANT.value, Role.ADMIN.value):
            raise AppError("auth.forbidden", 403)
        return team

    def invoices(self):
        return Invoice.select(Invoice, StoredFile).join(StoredFile).where(Invoice.team.in_(self.team_ids))

    def invoice(self, invoice_id: int) -> Invoice:
        inv = self.invoices().where(Invoice.id == invoice_id).first()
        if inv is None:
            raise NotFound()
        return inv


def is_member(user_id: int, team_id: int) -> bool:
    return Membership.select().where(Membership.user == user_id, Membership.team == team_id).exists()
