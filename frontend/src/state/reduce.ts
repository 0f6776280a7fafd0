// The one reducer: REST results and socket pushes both go through it. The database is the
// truth and every payload carries a whole invoice (or claim) with its version, so applying is an upsert
// that keeps the newest version: order and repetition do not matter.
//
// A result is what the server answered for one query (the board's filter, or one column of it): its total,
// counts and facets, and the ids of each loaded page. A push updates an invoice in place (rows render from
// `invoices`); a push that may change which invoices match or how many marks every result stale (`gen` moves
// on), and the loader asks the server again. Pages and counts from an older generation never overwrite newer.
import type { Claim, Invoice, ServerEvent, SyncHealth } from "./types";

export const PAGE = 100;

export interface Facets {
  reimbursement: Record<string, number>;
  booking: Record<string, number>;
  flags: Record<string, number>;
}

export interface ResultState {
  query: string; // the API query string: the result's identity
  gen: number; // bumped by pushes that may change membership or counts
  countsGen: number; // the generation total/counts/facets were read at (-1: never)
  total: number | null;
  counts: Record<string, number>;
  facets: Facets;
  pages: ReadonlyMap<number, { ids: number[]; gen: number }>;
}

export interface BoardState {
  invoices: ReadonlyMap<number, Invoice>;
  claims: ReadonlyMap<number, Claim>;
  results: ReadonlyMap<string, ResultState>;
  cursor: number; // the last event applied; catch-up asks for events after it
  health: SyncHealth | null; // the authority connector, as last read or pushed (null: not yet known)
}

export interface ResultPage {
  items: Invoice[];
  total?: number;
  counts?: Record<string, number>;
  facets?: Partial<Facets>;
}

export const emptyBoard: BoardState = { invoices: new Map(), claims: new Map(), results: new Map(), cursor: 0, health: null };

const noFacets: Facets = { reimbursement: {}, booking: {}, flags: {} };

export function emptyResult(query: string): ResultState {
  return { query, gen: 0, countsGen: -1, total: null, counts: {}, facets: noFacets, pages: new Map() };
}

// `asked`: the items answer a request (REST), not a push. At the same version such an answer may still carry a
// newer diagnosis (the server's as of now, backend/services/sync.current_diagnosis) than the one stored with
// the change that a push carried: it replaces it. A push never replaces an invoice of its own version.
function upsert<T extends { id: number; version: number; diagnosis?: unknown }>(
  map: ReadonlyMap<number, T>, items: readonly T[], asked = false,
) {
  let next: Map<number, T> | null = null;
  const changed: { prev: T | undefined; next: T }[] = [];
  for (const item of items) {
    const current = (next ?? map).get(item.id);
    if (current && current.version > item.version) continue;
    if (current && current.version === item.version && !(asked && newDiagnosis(current, item))) continue;
    next ??= new Map(map);
    next.set(item.id, item);
    changed.push({ prev: current, next: item });
  }
  return { map: next ?? map, changed };
}

function newDiagnosis(current: { diagnosis?: unknown }, item: { diagnosis?: unknown }): boolean {
  return JSON.stringify(current.diagnosis ?? null) !== JSON.stringify(item.diagnosis ?? null);
}

/** Invoices a request answered (a page, one invoice): newest version kept, or the same one's newer diagnosis. */
export function applyInvoices(state: BoardState, items: readonly Invoice[]): BoardState {
  const { map } = upsert(state.invoices, items, true);
  return map === state.invoices ? state : { ...state, invoices: map };
}

export function applyClaims(state: BoardState, items: readonly Claim[]): BoardState {
  const { map } = upsert(state.claims, items);
  return map === state.claims ? state : { ...state, claims: map };
}

// What the board filters, sorts or counts by: a change to any of these may move an invoice in or out of
// a result or change a count. A reader stage or the next check time does not.
const MEMBERSHIP: (keyof Invoice)[] = ["status", "reimbursement", "booking", "flags", "duplicate_of", "family", "key",
  "issue_date", "total_amount", "seller_name", "buyer_name", "original_name", "uploaded_by", "team_id", "fields"];

/** Whether going from `prev` (unknown: undefined) to `next` may change any result's members or counts. */
export function mayChangeResults(prev: Invoice | undefined, next: Invoice): boolean {
  if (!prev) return true; // new, or never loaded: it may match a filter now
  return MEMBERSHIP.some((k) => JSON.stringify(prev[k]) !== JSON.stringify(next[k]));
}

function markStale(results: ReadonlyMap<string, ResultState>): ReadonlyMap<string, ResultState> {
  const next = new Map<string, ResultState>();
  for (const [k, r] of results) next.set(k, { ...r, gen: r.gen + 1 });
  return next;
}

/** The connector's health, read or pushed: the one of the higher version is kept (a read answered after a push may
 * be older). The server bumps it in the write of every change, so it neither ties nor goes back as the times of the
 * answers can (two in one millisecond, two processes' clocks). An equal version is the same stored state, but what
 * the server works out beside it (online, resumes_at once passed) may have moved: taken unless it is all the same. */
export function applyHealth(state: BoardState, health: SyncHealth): BoardState {
  const held = state.health;
  if (held && (held.version > health.version || (held.version === health.version && sameHealth(held, health)))) {
    return state;
  }
  return { ...state, health };
}

function sameHealth(a: SyncHealth, b: SyncHealth): boolean {
  const keys = Object.keys(a) as (keyof SyncHealth)[];
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/** After a break the server may not be the one the held health came from (restored from a backup, its count
 * started again): the next health is taken whatever its version, then versions order them again. */
export function unconfirmHealth(state: BoardState): BoardState {
  return state.health ? { ...state, health: { ...state.health, version: -1 } } : state;
}

export function applyEvents(state: BoardState, events: readonly ServerEvent[]): BoardState {
  const invoices: Invoice[] = [];
  const claims: Claim[] = [];
  const healths: SyncHealth[] = [];
  for (const e of events) {
    if (e.kind === "claim.updated") claims.push(e.claim);
    else if (e.kind === "connector.updated") healths.push(e.health);
    else if (e.invoice) invoices.push(e.invoice);
  }
  const { map, changed } = upsert(state.invoices, invoices);
  let next = map === state.invoices ? state : { ...state, invoices: map };
  if (changed.some((c) => mayChangeResults(c.prev, c.next)) && next.results.size) {
    next = { ...next, results: markStale(next.results) };
  }
  next = applyClaims(next, claims);
  next = healths.reduce(applyHealth, next);
  const cursor = events.reduce((max, e) => Math.max(max, e.cursor), state.cursor);
  return cursor === next.cursor ? next : { ...next, cursor };
}

export interface PageRequest {
  offset: number;
  limit: number; // 0: counts only (no rows)
  gen: number; // the result's generation when it was asked
}

/**
 * What the server answered for `query` (`req` says what was asked). Its invoices always apply (by
 * version); its ids and counts only where they are not older than what the result holds.
 */
export function applyPage(state: BoardState, query: string, req: PageRequest, page: ResultPage): BoardState {
  const withInvoices = applyInvoices(state, page.items);
  const result = withInvoices.results.get(query);
  if (!result) return withInvoices; // the view moved on: nothing shows this query any more
  let next: ResultState = result;
  const index = Math.floor(req.offset / PAGE);
  const held = result.pages.get(index);
  if (req.limit > 0 && (!held || held.gen <= req.gen)) {
    const pages = new Map(result.pages);
    pages.set(index, { ids: page.items.map((i) => i.id), gen: req.gen });
    next = { ...next, pages };
  }
  if (page.total !== undefined && req.gen >= result.countsGen) {
    const facets = { ...noFacets, ...(page.facets ?? {}) };
    next = { ...next, total: page.total, counts: page.counts ?? {}, facets, countsGen: req.gen };
    next = { ...next, pages: dropBeyond(next.pages, page.total) };
  }
  if (next === result) return withInvoices;
  const results = new Map(withInvoices.results);
  results.set(query, next);
  return { ...withInvoices, results };
}

// After a re-query the result may be shorter: pages past its end would show invoices it no longer holds.
function dropBeyond(pages: ResultState["pages"], total: number): ResultState["pages"] {
  const last = Math.max(0, Math.ceil(total / PAGE) - 1);
  if (![...pages.keys()].some((k) => k > last)) return pages;
  return new Map([...pages].filter(([k]) => k <= last));
}

/** Keep exactly these queries' results (creating empty ones): what the board shows now. */
export function keepResults(state: BoardState, queries: readonly string[]): BoardState {
  const same = queries.length === state.results.size && queries.every((q) => state.results.has(q));
  if (same) return state;
  const results = new Map<string, ResultState>();
  for (const q of queries) results.set(q, state.results.get(q) ?? emptyResult(q));
  return { ...state, results };
}

/** The invoice id at a row of a result, undefined while its page is not loaded. */
export function idAt(result: ResultState, row: number): number | undefined {
  return result.pages.get(Math.floor(row / PAGE))?.ids[row % PAGE];
}

/** Ids of rows [from, to) that are loaded, in order (for range selection). */
export function idsBetween(result: ResultState, from: number, to: number): number[] {
  const out: number[] = [];
  for (let row = from; row < to; row++) {
    const id = idAt(result, row);
    if (id !== undefined) out.push(id);
  }
  return out;
}

/** Page indexes the rows [from, to) need that are missing or older than the result's generation. */
export function pagesToLoad(result: ResultState, from: number, to: number): number[] {
  const out: number[] = [];
  const end = result.total === null ? Math.max(to, 1) : Math.min(to, result.total);
  for (let p = Math.floor(from / PAGE); p * PAGE < Math.max(end, 1); p++) {
    const held = result.pages.get(p);
    if (!held || held.gen < result.gen) out.push(p);
  }
  return out;
}

export function sortedInvoices(state: BoardState): Invoice[] {
  return [...state.invoices.values()].sort((a, b) => b.id - a.id);
}
