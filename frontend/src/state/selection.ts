// Which invoices the bulk bar acts on: ids picked one by one (shift-click picks a range of one list), or
// every invoice matching the filter ("select all N"), in which case bulk calls send the filter, not ids.
// Pure (tests/selection.test.ts); the board keeps one in a signal.

export interface Selection {
  ids: ReadonlySet<number>;
  all: boolean; // every invoice matching the filter, loaded or not
  anchor: { list: string; row: number } | null; // where the last plain click was: a shift-click's other end
}

export const noSelection: Selection = { ids: new Set(), all: false, anchor: null };

/**
 * A click on a row's checkbox. `idsBetween(from, to)` gives the loaded ids of rows [from, to) of `list`.
 * A shift-click selects every row between the anchor and this one (in the same list); a plain click toggles
 * one row and becomes the new anchor. Leaving "all matching" keeps what is checked on screen.
 */
export function clickRow(sel: Selection, list: string, row: number, id: number, shift: boolean,
  idsBetween: (from: number, to: number) => number[]): Selection {
  const ids = new Set(sel.ids);
  if (shift && sel.anchor && sel.anchor.list === list) {
    const from = Math.min(sel.anchor.row, row);
    const to = Math.max(sel.anchor.row, row) + 1;
    for (const each of idsBetween(from, to)) ids.add(each);
    return { ids, all: false, anchor: sel.anchor };
  }
  if (ids.has(id)) ids.delete(id);
  else ids.add(id);
  return { ids, all: false, anchor: { list, row } };
}

export function selectAllMatching(): Selection {
  return { ids: new Set(), all: true, anchor: null };
}

/** Check or uncheck every loaded row of a list (the header checkbox). */
export function setMany(sel: Selection, ids: readonly number[], on: boolean): Selection {
  const next = new Set(sel.ids);
  for (const id of ids) {
    if (on) next.add(id);
    else next.delete(id);
  }
  return { ids: next, all: false, anchor: null };
}

export function isSelected(sel: Selection, id: number): boolean {
  return sel.all || sel.ids.has(id);
}

/** How many invoices an action would touch: the filter's total when all match. */
export function selectedCount(sel: Selection, total: number | null): number {
  return sel.all ? (total ?? 0) : sel.ids.size;
}
