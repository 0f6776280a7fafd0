import { computed, signal } from "@preact/signals";
import {
  applyClaims, applyEvents, applyHealth, applyInvoices, applyPage, emptyBoard, keepResults, sortedInvoices,
  unconfirmHealth,
  type BoardState, type PageRequest, type ResultPage,
} from "./reduce";
import { api } from "../api/http";
import { createExpiryWatch } from "./expiry";
import type { Claim, ConnectionState, Invoice, ServerEvent, SyncHealth, User } from "./types";

export const user = signal<User | null>(null);
export const authChecked = signal(false);
export const connection = signal<ConnectionState>("offline");
export const board = signal<BoardState>(emptyBoard);
export const invoiceList = computed(() => sortedInvoices(board.value));
/** Claims as last seen (REST or `claim.updated` pushes), newest version kept. */
export const claimsById = computed(() => board.value.claims);
/** The authority connector as last read or pushed (`connector.updated`), the newer kept. */
export const syncHealth = computed(() => board.value.health);

// A diagnosis whose premise time has passed is asked again (state/expiry.ts); its answer comes back here.
const expiry = createExpiryWatch((id) =>
  api<{ invoice: Invoice }>(`/api/invoices/${id}`).then((r) => receiveInvoices([r.invoice])));

function setBoard(next: BoardState): void {
  const before = board.value.invoices;
  board.value = next;
  if (next.invoices !== before) expiry.observe(next.invoices);
}

export function receiveInvoices(items: readonly Invoice[]): void {
  setBoard(applyInvoices(board.value, items));
}

export function receiveClaims(items: readonly Claim[]): void {
  board.value = applyClaims(board.value, items);
}

export function receiveEvents(events: readonly ServerEvent[]): void {
  setBoard(applyEvents(board.value, events));
}

export function receiveHealth(health: SyncHealth): void {
  board.value = applyHealth(board.value, health);
}

export function healthMayHaveGoneBack(): void {
  board.value = unconfirmHealth(board.value);
}

export function receivePage(query: string, req: PageRequest, page: ResultPage): void {
  setBoard(applyPage(board.value, query, req, page));
}

/** The queries the board shows now; results of others are let go. */
export function showResults(queries: readonly string[]): void {
  board.value = keepResults(board.value, queries);
}

export function setCursorAtLeast(cursor: number): void {
  if (cursor > board.value.cursor) board.value = { ...board.value, cursor };
}

export function resetBoard(): void {
  expiry.reset();
  board.value = emptyBoard;
}
