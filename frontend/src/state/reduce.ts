// The one reducer: REST results and socket pushes both go through it. The database is the
// truth and every payload carries a whole invoice with its version, so applying is an upsert
// that keeps the newest version: order and repetition do not matter.
import type { Invoice, ServerEvent } from "./types";

export interface BoardState {
  invoices: ReadonlyMap<number, Invoice>;
  cursor: number; // the last event applied; catch-up asks for events after it
}

export const emptyBoard: BoardState = { invoices: new Map(), cursor: 0 };

export function applyInvoices(state: BoardState, items: readonly Invoice[]): BoardState {
  let next: Map<number, Invoice> | null = null;
  for (const inv of items) {
    const current = (next ?? state.invoices).get(inv.id);
    if (current && current.version >= inv.version) continue;
    next ??= new Map(state.invoices);
    next.set(inv.id, inv);
  }
  return next ? { ...state, invoices: next } : state;
}

export function applyEvents(state: BoardState, events: readonly ServerEvent[]): BoardState {
  const withInvoices = applyInvoices(state, events.map((e) => e.invoice));
  const cursor = events.reduce((max, e) => Math.max(max, e.cursor), state.cursor);
  return cursor === withInvoices.cursor ? withInvoices : { ...withInvoices, cursor };
}

export function sortedInvoices(state: BoardState): Invoice[] {
  return [...state.invoices.values()].sort((a, b) => b.id - a.id);
}

export function countByStatus(invoices: readonly Invoice[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const inv of invoices) counts[inv.status] = (counts[inv.status] ?? 0) + 1;
  return counts;
}
