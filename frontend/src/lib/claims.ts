// What a person may do with a claim in its state (mirrors backend/api/claims.py and services/claims.py:
// someone with `claim` edits a draft and reopens a returned claim — a submitter only their own, as claimant or
// creator; only `finance` approves or returns a submitted one). Pure (tests/claims.test.ts); the server decides.
import { t } from "../i18n";
import type { Claim, ClaimState } from "../state/types";
import { causeParams } from "./causes";

export type ClaimAction = "add" | "remove" | "submit" | "approve" | "return" | "reopen";

/** What my role lets me do with the claims of one team (lib/perms.ts claimGrants reads it off /api/auth/me). */
export interface ClaimGrants {
  claim: boolean;
  finance: boolean;
  ownOnly: boolean; // `claim` only on claims I am the claimant or creator of
}

export function claimActions(claim: Claim, userId: number | undefined, grants: ClaimGrants): ClaimAction[] {
  const mine = userId !== undefined && (claim.claimant?.id === userId || claim.created_by === userId);
  const editor = grants.claim && (!grants.ownOnly || mine);
  switch (claim.state) {
    case "draft":
      return editor ? (claim.count > 0 ? ["add", "remove", "submit"] : ["add", "remove"]) : [];
    case "submitted":
      return grants.finance ? ["approve", "return"] : [];
    case "returned":
      return editor ? ["reopen"] : [];
    default:
      return [];
  }
}

/** A team's claims, newest first, optionally of one state. */
export function teamClaims(claims: ReadonlyMap<number, Claim>, teamId: number | null, state: ClaimState | null = null): Claim[] {
  return [...claims.values()]
    .filter((c) => (teamId === null || c.team_id === teamId) && (state === null || c.state === state))
    .sort((a, b) => b.id - a.id);
}

/** How many claims of each state (the list's tabs). */
export function countByState(claims: readonly Claim[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of claims) out[c.state] = (out[c.state] ?? 0) + 1;
  return out;
}

/** A claim error's params made readable: the state translated, invoice ids as "#3, #9". */
export function claimErrorParams(params: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...params };
  if (typeof out.state === "string") out.state = t(`claim_state.${out.state}`);
  if (Array.isArray(out.invoices)) out.invoices = out.invoices.map((i) => `#${i}`).join(", ");
  return out;
}

export function claimErrorText(error: { key: string; params?: Record<string, unknown> }): string {
  return t(`error.${error.key}`, claimErrorParams(error.params));
}

/** What a claim shows beside an invoice the authority has not confirmed (the warning kept when it was added). */
export interface ClaimWarning {
  status: string;
  cause: string | null;
  params: Record<string, unknown>;
}

export function warningText(w: ClaimWarning): string {
  const head = t("claims.warning", { status: t(`status.${w.status}`) });
  return w.cause ? `${head} ${t(`diagnosis.${w.cause}`, causeParams({ key: w.cause, params: w.params, score: 0, action: null }))}` : head;
}
