import { describe, expect, it } from "vitest";
import {
  applyEvents, applyInvoices, applyPage, emptyBoard, idAt, idsBetween, keepResults, mayChangeResults, PAGE, pagesToLoad,
  sortedInvoices, type BoardState,
} from "../src/state/reduce";
import { claim, claimEv, ev, inv } from "./fixtures";

describe("board reducer", () => {
  it("keeps the newest version whatever the arrival order", () => {
    const a = applyEvents(emptyBoard, [ev(3, inv(1, 3, "processed")), ev(2, inv(1, 2, "processing"))]);
    expect(a.invoices.get(1)?.status).toBe("processed");
    expect(a.cursor).toBe(3);
  });

  it("is idempotent: applying the same events twice changes nothing", () => {
    const once = applyEvents(emptyBoard, [ev(1, inv(1, 1)), ev(2, inv(2, 1))]);
    const twice = applyEvents(once, [ev(1, inv(1, 1)), ev(2, inv(2, 1))]);
    expect(twice).toBe(once);
  });

  it("applies REST results and pushes through the same rules", () => {
    const pushed = applyEvents(emptyBoard, [ev(5, inv(7, 4, "processed"))]);
    const stale = applyInvoices(pushed, [inv(7, 2, "processing")]);
    expect(stale.invoices.get(7)?.status).toBe("processed");
    const newer = applyInvoices(pushed, [inv(7, 5, "failed")]);
    expect(newer.invoices.get(7)?.status).toBe("failed");
  });

  it("never moves the cursor backwards", () => {
    const s = applyEvents({ ...emptyBoard, cursor: 10 }, [ev(4, inv(1, 1))]);
    expect(s.cursor).toBe(10);
  });

  it("sorts newest first", () => {
    const s = applyInvoices(emptyBoard, [inv(1, 1, "failed"), inv(3, 1, "processed"), inv(2, 1, "processed")]);
    expect(sortedInvoices(s).map((i) => i.id)).toEqual([3, 2, 1]);
  });

  it("keeps claims from claim.updated pushes by version, beside the invoices", () => {
    const s = applyEvents(emptyBoard, [claimEv(4, claim(2, 3, "submitted")), claimEv(3, claim(2, 2, "draft")), ev(5, inv(1, 1))]);
    expect(s.claims.get(2)?.state).toBe("submitted");
    expect(s.invoices.get(1)).toBeDefined();
    expect(s.cursor).toBe(5);
  });
});

const Q = "q=华为";
const page = (items: ReturnType<typeof inv>[], total: number, counts: Record<string, number> = {}) =>
  ({ items, total, counts, facets: { reimbursement: { unclaimed: total }, booking: {}, flags: {} } });

function withResult(): BoardState {
  const s = keepResults(emptyBoard, [Q]);
  return applyPage(s, Q, { offset: 0, limit: PAGE, gen: 0 },
    page([inv(3, 1, "found"), inv(2, 1, "found")], 2, { found: 2, mismatch: 1 }));
}

describe("a current result", () => {
  it("holds the server's total, counts and facets, and the ids of each page", () => {
    const s = withResult();
    const r = s.results.get(Q)!;
    expect(r.total).toBe(2);
    expect(r.counts).toEqual({ found: 2, mismatch: 1 });
    expect(r.facets.reimbursement).toEqual({ unclaimed: 2 });
    expect([idAt(r, 0), idAt(r, 1), idAt(r, 2)]).toEqual([3, 2, undefined]);
  });

  it("updates an invoice of the result in place, and only re-asks when membership or counts may change", () => {
    const s = withResult();
    const staged = applyEvents(s, [ev(10, { ...inv(3, 2, "found"), stage: "validating" })]);
    expect(staged.invoices.get(3)?.stage).toBe("validating");
    expect(staged.results.get(Q)!.gen).toBe(0); // a stage changes no filter
    const moved = applyEvents(staged, [ev(11, { ...inv(3, 3, "found"), reimbursement: "reimbursed" })]);
    expect(moved.invoices.get(3)?.reimbursement).toBe("reimbursed");
    expect(idAt(moved.results.get(Q)!, 0)).toBe(3); // still shown until the server says otherwise
    expect(moved.results.get(Q)!.gen).toBe(1);
    expect(pagesToLoad(moved.results.get(Q)!, 0, 10)).toEqual([0]);
  });

  it("re-asks on a created invoice or one it never saw", () => {
    const s = withResult();
    expect(applyEvents(s, [ev(12, inv(9, 1), "invoice.created")]).results.get(Q)!.gen).toBe(1);
    expect(mayChangeResults(undefined, inv(9, 2))).toBe(true);
  });

  it("never lets an answer asked before a push overwrite one asked after it", () => {
    let s = applyEvents(withResult(), [ev(13, { ...inv(2, 2, "mismatch") })]); // gen 1
    s = applyPage(s, Q, { offset: 0, limit: PAGE, gen: 1 }, page([inv(3, 1, "found")], 1, { found: 1, mismatch: 2 }));
    s = applyPage(s, Q, { offset: 0, limit: PAGE, gen: 0 }, page([inv(3, 1), inv(2, 1)], 2, { found: 2 }));
    const r = s.results.get(Q)!;
    expect(r.total).toBe(1);
    expect(r.counts).toEqual({ found: 1, mismatch: 2 });
    expect(idsBetween(r, 0, 5)).toEqual([3]);
    expect(s.invoices.get(2)?.status).toBe("mismatch"); // and the older copy of the invoice is not taken either
  });

  it("ignores answers for a query the board no longer shows, but keeps their invoices", () => {
    const s = applyPage(withResult(), "q=other", { offset: 0, limit: PAGE, gen: 0 }, page([inv(5, 1)], 1));
    expect(s.results.has("q=other")).toBe(false);
    expect(s.invoices.get(5)).toBeDefined();
  });

  it("takes counts from a counts-only answer without touching rows, and drops pages past a shorter end", () => {
    let s = keepResults(emptyBoard, [Q]);
    for (let p = 0; p < 3; p++) {
      const items = Array.from({ length: PAGE }, (_, i) => inv(1000 - p * PAGE - i, 1));
      s = applyPage(s, Q, { offset: p * PAGE, limit: PAGE, gen: 0 }, page(items, 3 * PAGE));
    }
    expect(pagesToLoad(s.results.get(Q)!, 0, 3 * PAGE)).toEqual([]);
    s = applyPage(s, Q, { offset: 0, limit: 0, gen: 0 }, page([], 150));
    const r = s.results.get(Q)!;
    expect(r.total).toBe(150);
    expect([...r.pages.keys()]).toEqual([0, 1]);
    expect(idAt(r, 0)).toBe(1000);
  });

  it("loads the pages rows need, and only those", () => {
    const s = keepResults(emptyBoard, [Q]);
    expect(pagesToLoad(s.results.get(Q)!, 0, 30)).toEqual([0]); // total unknown: the first page
    const known = applyPage(s, Q, { offset: 0, limit: PAGE, gen: 0 }, page([inv(1, 1)], 10_000));
    expect(pagesToLoad(known.results.get(Q)!, 4990, 5030)).toEqual([49, 50]);
    expect(pagesToLoad(known.results.get(Q)!, 9990, 10_050)).toEqual([99]);
  });

  it("keeps the results of the queries shown and lets the others go", () => {
    const s = keepResults(withResult(), [Q, "status=found"]);
    expect(s.results.get(Q)!.total).toBe(2);
    expect(keepResults(s, [Q, "status=found"])).toBe(s);
    expect([...keepResults(s, ["status=found"]).results.keys()]).toEqual(["status=found"]);
  });
});
