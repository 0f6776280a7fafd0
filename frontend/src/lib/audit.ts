// The audit log as the audit page shows it: the filters as the API's query (GET /api/audit and its export
// take the same), pages newest first joined by the `before` cursor, and each entry in words. Pure
// (tests/audit.test.ts).
import { known, t } from "../i18n";
import type { AuditEntry } from "../state/types";

export interface AuditFilter {
  team_id: string;
  actor: string;
  action: string;
  date_from: string; // YYYY-MM-DD
  date_to: string;
}

export const noAuditFilter: AuditFilter = { team_id: "", actor: "", action: "", date_from: "", date_to: "" };
export const AUDIT_PAGE = 50;

// The actions the server records (services/audit.record callers), in the order the action filter lists them.
export const AUDIT_ACTIONS = [
  "auth.login", "auth.login_failed", "auth.throttled", "auth.logout", "auth.logout_everywhere",
  "person.created", "person.password_changed", "person.link_setup", "person.link_reset", "person.password_set",
  "person.disabled", "person.enabled", "member.role", "member.removed", "team.created",
  "invoice.corrected", "claim.created", "claim.submitted", "claim.approved", "claim.returned", "claim.reopened",
  "claim.invoice_added", "claim.invoice_removed", "invoice.reimbursed", "invoice.booked", "invoice.rebooked",
  "invoice.unbooked", "export.created", "ledger.import_queued", "ledger.imported", "ledger.import_failed",
  "entity.added", "entity.removed", "audit.exported",
  "backup.requested", "backup.created", "backup.failed", "backup.pruned", "backup.restored",
] as const;

/** The filter as a query string (empty fields left out), with the cursor when loading an older page. */
export function auditQuery(filter: AuditFilter, before?: number | null): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v.trim()) params.set(k, v.trim());
  if (before != null) params.set("before", String(before));
  return params.toString();
}

export function auditExportUrl(filter: AuditFilter): string {
  const q = auditQuery(filter);
  return `/api/audit/export?format=xlsx${q ? "&" + q : ""}`;
}

/** An older page joined to what is shown: newest first, each entry once (a page asked twice adds nothing). */
export function appendEntries(shown: readonly AuditEntry[], page: readonly AuditEntry[]): AuditEntry[] {
  const seen = new Set(shown.map((e) => e.id));
  return [...shown, ...page.filter((e) => !seen.has(e.id))].sort((a, b) => b.id - a.id);
}

/** Where the next (older) page starts, or null at the end: the server's `next_before`; without one, the last id of
 * a page that came back full. */
export function nextCursor(page: { entries: readonly AuditEntry[]; next_before?: number | null; has_more?: boolean },
  limit = AUDIT_PAGE): number | null {
  if (page.next_before !== undefined) return page.next_before;
  const full = page.has_more ?? page.entries.length >= limit;
  return full && page.entries.length ? page.entries[page.entries.length - 1].id : null;
}

/** The action in words; an action this build has no words for shows as its key. */
export function actionText(action: string): string {
  return known(`audit.${action}`) ? t(`audit.${action}`) : action;
}

/** The team an entry belongs to, by name where I know it. */
export function teamText(team: AuditEntry["team"], names: ReadonlyMap<number, string>): string {
  if (team === null || team === undefined) return "";
  if (typeof team === "object") return team.name ?? String(team.id);
  if (typeof team === "number") return names.get(team) ?? `#${team}`;
  return team;
}

/** `user:12` → a person's name where the entry's data says it, else as it is. */
export function targetText(entry: Pick<AuditEntry, "target" | "data">): string {
  const username = entry.data?.username;
  if (entry.target?.startsWith("user:") && typeof username === "string") return username;
  return entry.target ?? "";
}

/** The entry's details as `key: value` pairs (roles in words); the username already shows as its target. */
export function dataText(data: AuditEntry["data"]): string {
  if (!data) return "";
  return Object.entries(data)
    .filter(([k, v]) => k !== "username" && v !== null && v !== undefined && v !== "")
    .map(([k, v]) => `${known(`audit.field.${k}`) ? t(`audit.field.${k}`) : k}: ${valueText(k, v)}`)
    .join(" · ");
}

function valueText(key: string, value: unknown): string {
  if ((key === "role" || key === "before" || key === "after") && typeof value === "string") return known(`role.${value}`) ? t(`role.${value}`) : value;
  if (typeof value === "boolean") return t(value ? "audit.yes" : "audit.no");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
