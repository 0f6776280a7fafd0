// The store asks an invoice again once a premise time of its diagnosis has passed (state/expiry.ts): the
// socket carries the diagnosis stored with the change, the server answers the one as of now.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { MAX_IN_FLIGHT } from "../src/state/expiry";
import { applyEvents, applyInvoices, emptyBoard } from "../src/state/reduce";
import { board, receiveEvents, receiveInvoices, resetBoard } from "../src/state/store";
import type { Cause, Invoice } from "../src/state/types";
import { ev, inv } from "./fixtures";

const NOW = Date.parse("2026-12-03T04:10:00Z");
const waiting = (at: string): Cause[] => [{ key: "sync_window", score: 0.9, params: { expected_by: at }, action: null }];
const current: Cause[] = [{ key: "quota_spent", score: 0.8, params: {}, action: "check_now" }];

let asked: number[];
let inFlight: number;
let most: number;
let answer: (id: number) => Invoice;

function fakeFetch(url: string) {
  const id = Number(/\/api\/invoices\/(\d+)$/.exec(url)![1]);
  asked.push(id);
  inFlight++;
  most = Math.max(most, inFlight);
  return new Promise((resolve) => setTimeout(() => {
    inFlight--;
    resolve({ ok: true, status: 200, json: async () => ({ invoice: answer(id) }) });
  }, 20));
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
  asked = [];
  inFlight = most = 0;
  answer = (id) => inv(id, 2, "not_found", { diagnosis: current });
  vi.stubGlobal("fetch", vi.fn(fakeFetch));
  resetBoard();
});

afterEach(() => {
  resetBoard();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("a diagnosis whose premise time has passed", () => {
  it("is asked again once, and the answer at the same version replaces it", async () => {
    const pushed = inv(7, 2, "not_found", { diagnosis: waiting("2026-12-03T03:56:00Z") });
    receiveEvents([ev(1, pushed)]);
    receiveEvents([ev(2, pushed)]); // the same push again asks nothing more
    await vi.advanceTimersByTimeAsync(1000);
    expect(asked).toEqual([7]);
    expect(board.value.invoices.get(7)?.diagnosis).toEqual(current);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(asked).toEqual([7]);
  });

  it("is not asked again while the server still answers the same time (no loop)", async () => {
    const stale = inv(7, 2, "not_found", { diagnosis: waiting("2026-12-03T03:56:00Z") });
    answer = () => stale;
    receiveInvoices([stale]);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(asked).toEqual([7]);
  });

  it("is left alone on an invoice the server no longer follows", async () => {
    receiveInvoices([inv(7, 2, "found", { diagnosis: waiting("2026-12-03T03:56:00Z") })]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(asked).toEqual([]);
  });
});

describe("a diagnosis whose premise time is still to come", () => {
  it("is asked again when the time passes, not before", async () => {
    receiveInvoices([
      inv(1, 2, "pending_sync", { diagnosis: waiting("2026-12-03T04:20:00Z") }),
      inv(2, 2, "not_found", { diagnosis: waiting("2026-12-03T04:40:00Z") }),
    ]);
    await vi.advanceTimersByTimeAsync(9 * 60_000);
    expect(asked).toEqual([]);
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    expect(asked).toEqual([1]);
    expect(board.value.invoices.get(1)?.diagnosis).toEqual(current);
    await vi.advanceTimersByTimeAsync(20 * 60_000);
    expect(asked).toEqual([1, 2]);
  });
});

describe("300 invoices expiring together", () => {
  it("are asked once each, a few at a time", async () => {
    const items = Array.from({ length: 300 }, (_, i) =>
      inv(i + 1, 2, "pending_sync", { diagnosis: waiting("2026-12-03T04:15:00Z") }));
    receiveInvoices(items);
    await vi.advanceTimersByTimeAsync(5 * 60_000 + 1000); // the time passed, and the server's clock too
    const before = asked.length;
    await vi.advanceTimersByTimeAsync(1000);
    expect(asked.length - before).toBeGreaterThan(0);
    expect(asked.length - before).toBeLessThanOrEqual(25); // in the first second: not one burst of 300
    await vi.advanceTimersByTimeAsync(60_000);
    expect(asked.length).toBe(300);
    expect(new Set(asked).size).toBe(300);
    expect(most).toBeLessThanOrEqual(MAX_IN_FLIGHT);
    expect([...board.value.invoices.values()].every((i) => i.diagnosis === current)).toBe(true);
  });
});

describe("the reducer at the same version", () => {
  it("takes an asked answer's newer diagnosis, never a push's", () => {
    const fresh = applyInvoices(emptyBoard, [inv(7, 2, "not_found", { diagnosis: current })]);
    const pushed = applyEvents(fresh, [ev(1, inv(7, 2, "not_found", { diagnosis: waiting("2026-12-03T03:56:00Z") }))]);
    expect(pushed.invoices.get(7)?.diagnosis).toEqual(current);
    const page = applyInvoices(pushed, [inv(7, 2, "not_found", { diagnosis: [] })]);
    expect(page.invoices.get(7)?.diagnosis).toEqual([]);
    expect(applyInvoices(page, [inv(7, 2, "not_found", { diagnosis: [] })])).toBe(page);
  });
});
