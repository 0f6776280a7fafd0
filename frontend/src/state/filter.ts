// The board's filter, kept in the URL (#/?q=华为&status=found) so a view can be bookmarked, shared and
// survives a reload. Pure: parse and format are inverse on canonical input (tests/filter.test.ts), and what
// the URL says that the app does not understand is dropped instead of sent to the server.
import { BOOKINGS, INVOICE_STATUSES, RECONCILE_FLAGS, REIMBURSEMENTS } from "./types";

export const SORTS = ["-created", "created", "-date", "date", "-total", "total", "seller", "-seller",
  "status", "-status", "uploader", "-uploader"] as const;
export type Sort = (typeof SORTS)[number];
export const DEFAULT_SORT: Sort = "-created";
export const VIEWS = ["columns", "table"] as const;
export type View = (typeof VIEWS)[number];
export const FAMILIES = ["vat_special", "vat_normal", "vat_e_normal", "vat_e_special", "digital_special",
  "digital_normal", "taxi", "train", "toll", "unknown"] as const;

export interface Filter {
  q: string;
  status: string[];
  reimbursement: string[];
  booking: string[];
  family: string[];
  flag: string[];
  date_from: string;
  date_to: string;
  amount_min: string;
  amount_max: string;
  uploaded_by: string;
  duplicate: "" | "true" | "false";
  claim: string;
  team_id: string;
  sort: Sort;
  view: View;
}

export type ListKey = "status" | "reimbursement" | "booking" | "family" | "flag";

const LISTS: Record<ListKey, readonly string[]> = {
  status: INVOICE_STATUSES, reimbursement: REIMBURSEMENTS, booking: BOOKINGS, family: FAMILIES, flag: RECONCILE_FLAGS,
};

export const emptyFilter: Filter = {
  q: "", status: [], reimbursement: [], booking: [], family: [], flag: [], date_from: "", date_to: "",
  amount_min: "", amount_max: "", uploaded_by: "", duplicate: "", claim: "", team_id: "", sort: DEFAULT_SORT,
  view: "columns",
};

// The order keys are written in: one filter has one URL, so a saved view matches the board's URL.
const ORDER: (keyof Filter)[] = ["q", "status", "reimbursement", "booking", "family", "flag", "date_from", "date_to",
  "amount_min", "amount_max", "uploaded_by", "duplicate", "claim", "team_id", "sort", "view"];

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const AMOUNT = /^\d{1,12}(\.\d{1,2})?$/;
const ID = /^[1-9]\d{0,17}$/;
const MAX_Q = 200; // a search box, not a document: longer is cut here, the server refuses nothing for it

function isList(key: keyof Filter): key is ListKey {
  return key in LISTS;
}

function cleanList(key: ListKey, raw: string): string[] {
  const allowed = LISTS[key];
  const seen = raw.split(",").map((v) => v.trim()).filter((v) => allowed.includes(v));
  return allowed.filter((v) => seen.includes(v)); // canonical order, no repeats
}

function cleanScalar(key: keyof Filter, raw: string): string {
  const v = raw.trim();
  switch (key) {
    case "q":
      return raw.replace(/\s+/g, " ").trimStart().slice(0, MAX_Q);
    case "date_from":
    case "date_to":
      return DATE.test(v) ? v : "";
    case "amount_min":
    case "amount_max":
      return AMOUNT.test(v) ? v : "";
    case "uploaded_by":
    case "claim":
    case "team_id":
      return ID.test(v) ? v : "";
    case "duplicate":
      return v === "true" || v === "false" ? v : "";
    case "sort":
      return (SORTS as readonly string[]).includes(v) ? v : DEFAULT_SORT;
    case "view":
      return (VIEWS as readonly string[]).includes(v) ? v : "columns";
    default:
      return "";
  }
}

/** The filter a query string (without the leading `?`) describes; unknown keys and bad values are dropped. */
export function parseFilter(query: string): Filter {
  const params = new URLSearchParams(query.startsWith("?") ? query.slice(1) : query);
  const out: Filter = { ...emptyFilter };
  const target = out as unknown as Record<string, unknown>;
  for (const key of ORDER) {
    const raw = params.get(key);
    if (raw === null) continue;
    target[key] = isList(key) ? cleanList(key, raw) : cleanScalar(key, raw);
  }
  out.q = out.q.trim();
  return out;
}

// Readable in the address bar (华为 stays 华为); only what would break the query is escaped.
function encode(value: string): string {
  return value.replace(/[%&=#+\s]/g, (c) => encodeURIComponent(c));
}

/** The canonical query string of a filter: keys in one order, empty values and defaults left out. */
export function formatFilter(filter: Filter, omit: readonly (keyof Filter)[] = []): string {
  const parts: string[] = [];
  for (const key of ORDER) {
    if (omit.includes(key)) continue;
    const value = filter[key];
    const text = Array.isArray(value) ? value.join(",") : value.trim();
    if (!text || text === emptyFilter[key]) continue;
    parts.push(`${key}=${encode(text)}`);
  }
  return parts.join("&");
}

/** What the server is asked (and what bulk actions and exports send): the filter without the UI's own keys. */
export function apiQuery(filter: Filter): string {
  return formatFilter(filter, ["view"]);
}

/** The same filter restricted to some statuses (a board column): the intersection, or null when empty. */
export function withinStatuses(filter: Filter, statuses: readonly string[]): Filter | null {
  const status = filter.status.length ? statuses.filter((s) => filter.status.includes(s)) : [...statuses];
  return status.length ? { ...filter, status } : null;
}

/** Toggle one value of a list filter (a chip). */
export function toggle(filter: Filter, key: ListKey, value: string): Filter {
  const list = filter[key].includes(value) ? filter[key].filter((v) => v !== value) : [...filter[key], value];
  return { ...filter, [key]: LISTS[key].filter((v) => list.includes(v)) };
}

// The filters the "more filters" panel holds (the chips and the search box show their own state).
const PANEL: (keyof Filter)[] = ["date_from", "date_to", "amount_min", "amount_max", "family", "uploaded_by", "claim",
  "team_id"];

/** How many of the panel's filters are set: the "more filters" button shows it. */
export function activeCount(filter: Filter): number {
  return PANEL.filter((k) => formatFilter({ ...emptyFilter, [k]: filter[k] })).length;
}

/** Whether anything but the search, the sort and the view narrows the result ("clear filters"). */
export function isNarrowed(filter: Filter): boolean {
  return formatFilter(filter, ["q", "sort", "view"]) !== "";
}

/** A table column's next sort: numbers and dates start newest/largest first, names A→Z; a second click flips it. */
export function nextSort(current: Sort, column: string): Sort {
  const asc = column as Sort;
  const desc = `-${column}` as Sort;
  const first = ["created", "date", "total"].includes(column) ? desc : asc;
  const next = current === first ? (first === asc ? desc : asc) : first;
  return (SORTS as readonly string[]).includes(next) ? next : DEFAULT_SORT;
}
