// What a per-invoice panel holds (loaded data, a message) is tagged with the invoice it is about, so that a
// panel showing another invoice, or the same one after it changed, never shows it: the panel owns its state
// whatever its parent does (remounts it or not). Pure, so it is tested on its own (tests/held.test.ts).

export interface Held<T> {
  id: number;
  version: number | null; // null: about the invoice whatever its version; else only while it is this version
  value: T;
}

interface Of {
  id: number;
  version: number;
}

/** Hold `value` for this invoice; `whileUnchanged`: only until the invoice changes (an answer about it as it was). */
export function hold<T>(value: T, inv: Of, whileUnchanged = false): Held<T> {
  return { id: inv.id, version: whileUnchanged ? inv.version : null, value };
}

/** The held value if it is about this invoice as it is now, else null. */
export function heldFor<T>(held: Held<T> | null, inv: Of): T | null {
  if (!held || held.id !== inv.id) return null;
  return held.version === null || held.version === inv.version ? held.value : null;
}
