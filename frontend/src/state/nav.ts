// Which invoice is open: kept in the URL hash (#/invoice/12) so back/forward and reload work.
import { signal } from "@preact/signals";

function fromHash(): number | null {
  const m = /^#\/invoice\/(\d+)$/.exec(globalThis.location?.hash ?? "");
  return m ? Number(m[1]) : null;
}

export const openInvoiceId = signal<number | null>(fromHash());
export const settingsOpen = signal<boolean>(globalThis.location?.hash === "#/settings");

// The finance pages: the claims list (#/claims), one claim (#/claims/7) and the dashboard (#/dashboard).
export type FinancePage = { name: "claims"; id: number | null } | { name: "dashboard" } | null;

export function financePageOf(hash: string): FinancePage {
  if (hash === "#/dashboard") return { name: "dashboard" };
  const m = /^#\/claims(?:\/(\d+))?$/.exec(hash);
  return m ? { name: "claims", id: m[1] ? Number(m[1]) : null } : null;
}

export const financePage = signal<FinancePage>(financePageOf(globalThis.location?.hash ?? ""));

// The accounts pages: people (#/people), the audit log (#/audit), my own account (#/account) and, for site
// admins, the backups (#/backups).
export const ACCOUNTS_PAGES = ["people", "audit", "account", "backups"] as const;
export type AccountsPage = (typeof ACCOUNTS_PAGES)[number] | null;

export function accountsPageOf(hash: string): AccountsPage {
  const m = /^#\/(people|audit|account|backups)$/.exec(hash);
  return m ? (m[1] as AccountsPage) : null;
}

export const accountsPage = signal<AccountsPage>(accountsPageOf(globalThis.location?.hash ?? ""));

/** The public page a one-time link opens (`/set-password#<token>`): no sign-in, the token in the hash only. */
export function setPasswordToken(path: string, hash: string): string | null {
  return path.replace(/\/+$/, "") === "/set-password" ? hash.replace(/^#/, "") : null;
}

// The board's filter is the query of its route (#/?q=华为&status=found; state/filter.ts reads it). Other routes
// keep the last one, so "back to the board" returns to the same filtered view.
function boardQueryOf(hash: string): string | null {
  if (hash === "" || hash === "#" || hash === "#/") return "";
  const m = /^#\/\?(.*)$/.exec(hash);
  return m ? m[1] : null;
}

export const boardQuery = signal<string>(boardQueryOf(globalThis.location?.hash ?? "") ?? "");

export function openInvoice(id: number | null): void {
  location.hash = id === null ? boardHash(boardQuery.value) : `#/invoice/${id}`;
}

function boardHash(query: string): string {
  return query ? `#/?${query}` : "#/";
}

/** Show the board with this filter query; `replace` rewrites the current history entry (typing in search). */
export function navigateBoard(query: string, replace = false): void {
  const hash = boardHash(query);
  if (replace) {
    history.replaceState(history.state, "", hash); // fires no hashchange: set the signal here
    boardQuery.value = query;
  } else if (location.hash !== hash) {
    location.hash = hash;
  }
}

globalThis.addEventListener?.("hashchange", () => {
  openInvoiceId.value = fromHash();
  settingsOpen.value = globalThis.location?.hash === "#/settings";
  financePage.value = financePageOf(globalThis.location?.hash ?? "");
  accountsPage.value = accountsPageOf(globalThis.location?.hash ?? "");
  const query = boardQueryOf(globalThis.location?.hash ?? "");
  if (query !== null) boardQuery.value = query;
});
