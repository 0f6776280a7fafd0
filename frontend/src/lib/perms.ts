// What a person may do, read from GET /api/auth/me (`user.teams[].permissions`, the server's one table in
// backend/roles.py). Every control that changes something asks here, so the UI shows only what a role may do;
// the API still decides (it answers 403 for the rest). Pure: tests/perms.test.ts.
import type { Invoice, User } from "../state/types";

export const PERMS = ["read", "upload", "correct", "claim", "finance", "export", "manage", "audit"] as const;
export type Perm = (typeof PERMS)[number];

export interface TeamGrant {
  id: number;
  name: string;
  role: string | null;
  can_manage: boolean;
  permissions: readonly string[];
  /** The permissions the role limits to the person's own invoices and claims (a submitter: correct, claim). */
  own_only?: readonly string[];
}

/** May this team membership do `perm`? (No team: no.) */
export function can(team: TeamGrant | null | undefined, perm: Perm): boolean {
  return !!team && team.permissions.includes(perm);
}

export function teamOf(user: User | null | undefined, teamId: number | null | undefined): TeamGrant | undefined {
  return teamId == null ? undefined : user?.teams.find((t) => t.id === teamId);
}

/** `perm` in this team of mine. */
export function canIn(user: User | null | undefined, teamId: number | null | undefined, perm: Perm): boolean {
  return can(teamOf(user, teamId), perm);
}

/** `perm` in at least one of my teams (what shows a page or a control that is not about one team). */
export function canAny(user: User | null | undefined, perm: Perm): boolean {
  return !!user?.teams.some((t) => can(t, perm));
}

/** `perm` in every one of these teams (a selection spanning teams); none given: no. */
export function canAll(user: User | null | undefined, teamIds: readonly number[], perm: Perm): boolean {
  return teamIds.length > 0 && teamIds.every((id) => canIn(user, id, perm));
}

export function teamsWith(user: User | null | undefined, perm: Perm): TeamGrant[] {
  return (user?.teams ?? []).filter((t) => can(t, perm));
}

/** Whether the role limits `perm` to the person's own invoices and claims. */
export function ownOnly(user: User | null | undefined, teamId: number, perm: Perm): boolean {
  if (!user) return false;
  return (teamOf(user, teamId)?.own_only ?? []).includes(perm);
}

/** `perm` (correct, claim) on this invoice: the team allows it, and it is mine if the role says own only. */
export function canOnInvoice(user: User | null | undefined, inv: Pick<Invoice, "team_id" | "uploaded_by">, perm: Perm): boolean {
  if (!canIn(user, inv.team_id, perm)) return false;
  return !ownOnly(user, inv.team_id, perm) || inv.uploaded_by === user!.id;
}

/** What I may do with one team's claims (lib/claims.ts claimActions). */
export function claimGrants(user: User | null | undefined, teamId: number): { claim: boolean; finance: boolean; ownOnly: boolean } {
  return { claim: canIn(user, teamId, "claim"), finance: canIn(user, teamId, "finance"), ownOnly: ownOnly(user, teamId, "claim") };
}

/** The people page: a team admin (manage somewhere) or a site admin. */
export function canSeePeople(user: User | null | undefined): boolean {
  return !!user && (user.is_admin || canAny(user, "manage"));
}

/** The backups page (GET/POST /api/backups): site admins only. */
export function canSeeBackups(user: User | null | undefined): boolean {
  return !!user?.is_admin;
}
