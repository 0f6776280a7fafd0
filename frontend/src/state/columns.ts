// Board columns: where an invoice stands on its way from upload to "found". Pure, so it is tested
// on its own (tests/columns.test.ts); the Board view only renders it.
import type { Invoice, InvoiceStatus } from "./types";

export const COLUMNS = [
  { key: "reading", statuses: ["received", "processing", "extracted", "needs_review", "processed"] },
  { key: "pending_sync", statuses: ["pending_sync"] },
  { key: "found", statuses: ["found"] },
  { key: "attention", statuses: ["mismatch", "not_found", "voided", "red_flushed", "sync_error", "failed", "duplicate"] },
] as const satisfies readonly { key: string; statuses: readonly InvoiceStatus[] }[];

export type ColumnKey = (typeof COLUMNS)[number]["key"];

export function columnOf(status: InvoiceStatus): ColumnKey {
  for (const col of COLUMNS) if ((col.statuses as readonly string[]).includes(status)) return col.key;
  return "attention";
}

/** Invoices per column, newest first, keeping the input order inside a column. */
export function groupByColumn(invoices: readonly Invoice[]): Record<ColumnKey, Invoice[]> {
  const out = Object.fromEntries(COLUMNS.map((c) => [c.key, [] as Invoice[]])) as Record<ColumnKey, Invoice[]>;
  for (const inv of invoices) out[columnOf(inv.status)].push(inv);
  return out;
}
