// A followed invoice's diagnosis rests on times ("expected by 03:56", the quota's "next allowed", the check's
// "overdue at"): once one has passed, the server serves the diagnosis as of now (services/sync.board_diagnosis,
// current_diagnosis), but a pushed event or a card already on screen keeps the stored one. The database is the
// truth: the store asks GET /api/invoices/<id> again for each invoice whose premise time has passed, once per
// invoice and time (no loops), a few at a time (no storm for a board of hundreds), with one timer for the
// soonest time still to come.
import type { Invoice } from "./types";

/** The params of a cause that hold such times (backend/services/sync.PREMISE_TIMES). */
export const PREMISE_TIMES = ["expected_by", "overdue_at", "next_allowed", "resumes_at"] as const;
// The statuses the server recomputes a diagnosis for (backend/sync/machine.WATCHED); others keep theirs.
const WATCHED = new Set<string>(["pending_sync", "not_found", "sync_error"]);
export const MAX_IN_FLIGHT = 4;
export const SPACING_MS = 50; // between two request starts: 300 expiring together take ~15 s, not one burst
const SLACK_MS = 1000; // the server's clock may lag ours: ask a little after the time, not at it
const MAX_DELAY_MS = 2 ** 31 - 1; // setTimeout's longest

/** The premise times (ms since the epoch, with their text) of an invoice's diagnosis, if the server follows it. */
export function premiseTimes(inv: Invoice): { text: string; at: number }[] {
  if (!WATCHED.has(inv.status)) return [];
  const out: { text: string; at: number }[] = [];
  for (const cause of inv.diagnosis ?? []) {
    for (const key of PREMISE_TIMES) {
      const text = cause.params?.[key];
      if (typeof text !== "string") continue;
      const at = Date.parse(text);
      if (!Number.isNaN(at)) out.push({ text, at });
    }
  }
  return out;
}

export interface ExpiryWatch {
  /** Look at the store's invoices: queue the expired ones, set the timer for the soonest future time. */
  observe(invoices: ReadonlyMap<number, Invoice>): void;
  /** Forget everything (signed out): no timer, nothing queued. */
  reset(): void;
}

export function createExpiryWatch(refetch: (id: number) => Promise<unknown>): ExpiryWatch {
  const asked = new Map<number, Set<string>>(); // id → premise times already asked about
  const queue: number[] = [];
  const queued = new Set<number>();
  let inFlight = 0;
  let lastStart = -Infinity;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let pump: ReturnType<typeof setTimeout> | null = null;
  let latest: ReadonlyMap<number, Invoice> = new Map();
  let epoch = 0; // a reset drops the answers of requests asked before it

  function drain() {
    pump = null;
    while (queue.length && inFlight < MAX_IN_FLIGHT) {
      const wait = Math.min(lastStart + SPACING_MS - Date.now(), SPACING_MS); // a clock set back waits no longer
      if (wait > 0) {
        pump = setTimeout(drain, wait);
        return;
      }
      const id = queue.shift()!;
      queued.delete(id);
      inFlight++;
      lastStart = Date.now();
      const mine = epoch;
      refetch(id).catch(() => undefined).finally(() => {
        if (mine !== epoch) return;
        inFlight--;
        if (!pump) drain();
      });
    }
  }

  function observe(invoices: ReadonlyMap<number, Invoice>) {
    latest = invoices;
    const now = Date.now();
    let soonest = Infinity;
    for (const inv of invoices.values()) {
      for (const { text, at } of premiseTimes(inv)) {
        const seen = asked.get(inv.id);
        if (seen?.has(text)) continue;
        if (at + SLACK_MS <= now) {
          if (seen) seen.add(text);
          else asked.set(inv.id, new Set([text]));
          if (!queued.has(inv.id)) {
            queued.add(inv.id);
            queue.push(inv.id);
          }
        } else soonest = Math.min(soonest, at + SLACK_MS);
      }
    }
    if (timer) clearTimeout(timer);
    timer = soonest === Infinity ? null : setTimeout(() => {
      timer = null;
      observe(latest);
    }, Math.min(soonest - now, MAX_DELAY_MS));
    if (queue.length && !pump) drain();
  }

  function reset() {
    if (timer) clearTimeout(timer);
    if (pump) clearTimeout(pump);
    timer = pump = null;
    asked.clear();
    queue.length = 0;
    queued.clear();
    inFlight = 0;
    lastStart = -Infinity;
    latest = new Map();
    epoch++;
  }

  return { observe, reset };
}
