// Loads the pages of a result that the board shows, by offset, as they scroll into view. The reducer marks
// results stale when a push may change them; their visible pages are then asked again, at most once per
// REQUERY_MS (pushes come in bursts: a claim approved moves many invoices at once).
import { PAGE, pagesToLoad, type ResultPage, type ResultState } from "../state/reduce";
import { board, receivePage } from "../state/store";
import { api } from "./http";

export const REQUERY_MS = 400;
const RETRY_MS = 3000;

const inflight = new Set<string>(); // `${query}|${page}|${gen}`
const failedAt = new Map<string, number>(); // query → when a request of it last failed
const timers = new Map<string, ReturnType<typeof setTimeout>>();

export function invoicesUrl(query: string, limit: number, offset = 0): string {
  return `/api/invoices?${query ? query + "&" : ""}limit=${limit}&offset=${offset}`;
}

async function fetchPage(query: string, page: number, limit: number, gen: number): Promise<void> {
  const key = `${query}|${page}|${gen}|${limit}`;
  if (inflight.has(key)) return;
  inflight.add(key);
  try {
    const body = await api<ResultPage>(invoicesUrl(query, limit, page * PAGE));
    receivePage(query, { offset: page * PAGE, limit, gen }, body);
    failedAt.delete(query);
  } catch {
    failedAt.set(query, Date.now());
  } finally {
    inflight.delete(key);
  }
}

function current(query: string): ResultState | undefined {
  return board.value.results.get(query);
}

function due(query: string, run: () => void, stale: boolean): void {
  const failed = failedAt.get(query);
  const wait = failed !== undefined ? Math.max(0, failed + RETRY_MS - Date.now()) : stale ? REQUERY_MS : 0;
  if (wait === 0) return run();
  if (timers.has(query)) return; // one pending re-query per result: later pushes join it
  timers.set(query, setTimeout(() => {
    timers.delete(query);
    failedAt.delete(query);
    run();
  }, wait));
}

/** Make sure rows [from, to) of `query`'s result are (being) loaded and current. */
export function ensureRows(query: string, from: number, to: number): void {
  const result = current(query);
  if (!result) return;
  const wanted = pagesToLoad(result, from, to);
  if (!wanted.length) return;
  const missing = wanted.some((p) => !result.pages.has(p));
  due(query, () => {
    const r = current(query);
    if (!r) return;
    for (const p of pagesToLoad(r, from, to)) void fetchPage(query, p, PAGE, r.gen);
  }, !missing);
}

/** Make sure a result's total, counts and facets are current (the board's header; rows come from columns). */
export function ensureCounts(query: string): void {
  const result = current(query);
  if (!result || result.countsGen >= result.gen) return;
  due(query, () => {
    const r = current(query);
    if (r && r.countsGen < r.gen) void fetchPage(query, 0, 0, r.gen);
  }, result.countsGen >= 0);
}
