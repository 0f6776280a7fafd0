// Bulk calls: one action on the selection (ids) or on everything the filter matches (query).
import { api } from "../../api/http";
import type { Selection } from "../../state/selection";

export interface Refusal {
  id: number;
  key: string;
  params: Record<string, unknown>;
}

export interface Outcome {
  action: string;
  done: number[];
  refused: Refusal[];
  claim?: { id: number; number: string }; // the claim they were added to
}

/** The part of a bulk body that says which invoices: `ids`, or `query` when all matching are selected. */
export function targets(sel: Selection, filterQuery: string): { ids: number[] } | { query: string } {
  return sel.all ? { query: filterQuery } : { ids: [...sel.ids] };
}

export async function runBulk(action: string, sel: Selection, filterQuery: string,
  params: Record<string, unknown> = {}): Promise<Outcome> {
  const res = await api<{ done: number[]; refused: Refusal[] }>("/api/invoices/bulk", {
    method: "POST", json: { action, ...targets(sel, filterQuery), params },
  });
  return { action, done: res.done, refused: res.refused };
}

/** The export of what is selected: the filter's file, or these ids'. */
export function exportUrl(sel: Selection | null, filterQuery: string, format = "xlsx"): string {
  const which = sel && !sel.all ? `ids=${[...sel.ids].join(",")}` : filterQuery;
  return `/api/export?format=${format}${which ? "&" + which : ""}`;
}
