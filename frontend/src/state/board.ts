// The board's view state: the filter (read from the URL, written back to it), whether the screen is wide
// enough for the table, and the selection.
import { computed, effect, signal } from "@preact/signals";
import { apiQuery, formatFilter, parseFilter, type Filter } from "./filter";
import { boardQuery, navigateBoard } from "./nav";
import { noSelection, type Selection } from "./selection";

export const boardFilter = computed(() => parseFilter(boardQuery.value));
export const filterQuery = computed(() => apiQuery(boardFilter.value));

/** Show the board with this filter; `replace` keeps one history entry while someone types a search. */
export function setFilter(filter: Filter, replace = false): void {
  navigateBoard(formatFilter(filter), replace);
}

const WIDE = "(min-width: 1024px)";
const media = globalThis.matchMedia?.(WIDE);
/** ≥ 1024 px: columns side by side and the table view; narrower: one list of compact cards. */
export const isDesktop = signal<boolean>(media?.matches ?? false);
media?.addEventListener?.("change", (e) => (isDesktop.value = e.matches));

export const selection = signal<Selection>(noSelection);

// A selection belongs to the filter it was made in: another filter starts with nothing selected.
// (Sorting keeps it: the same invoices match.)
const membership = computed(() => formatFilter(boardFilter.value, ["view", "sort"]));
let selectedIn = membership.peek();
effect(() => {
  const query = membership.value;
  if (query !== selectedIn) {
    selectedIn = query;
    selection.value = noSelection;
  }
});
