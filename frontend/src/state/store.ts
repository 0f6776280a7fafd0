import { computed, signal } from "@preact/signals";
import { applyEvents, applyInvoices, emptyBoard, sortedInvoices, type BoardState } from "./reduce";
import type { ConnectionState, Invoice, ServerEvent, User } from "./types";

export const user = signal<User | null>(null);
export const authChecked = signal(false);
export const connection = signal<ConnectionState>("offline");
export const board = signal<BoardState>(emptyBoard);
export const invoiceList = computed(() => sortedInvoices(board.value));

export function receiveInvoices(items: readonly Invoice[]): void {
  board.value = applyInvoices(board.value, items);
}

export function receiveEvents(events: readonly ServerEvent[]): void {
  board.value = applyEvents(board.value, events);
}

export function setCursorAtLeast(cursor: number): void {
  if (cursor > board.value.cursor) board.value = { ...board.value, cursor };
}

export function resetBoard(): void {
  board.value = emptyBoard;
}
