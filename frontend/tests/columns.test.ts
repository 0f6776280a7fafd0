import { describe, expect, it } from "vitest";
import { columnOf, COLUMNS, groupByColumn } from "../src/state/columns";
import { markDiffs } from "../src/lib/causes";
import { INVOICE_STATUSES, type Invoice } from "../src/state/types";

const inv = (id: number, status: string) => ({ id, status }) as unknown as Invoice;

describe("board columns", () => {
  it("puts every status in exactly one column", () => {
    for (const s of INVOICE_STATUSES) {
      const holding = COLUMNS.filter((c) => (c.statuses as readonly string[]).includes(s));
      expect(holding.length, s).toBe(1);
    }
  });
  it("groups invoices and keeps their order", () => {
    const g = groupByColumn([inv(3, "found"), inv(2, "pending_sync"), inv(1, "found"), inv(0, "voided")]);
    expect(g.found.map((i) => i.id)).toEqual([3, 1]);
    expect(g.pending_sync.map((i) => i.id)).toEqual([2]);
    expect(g.attention.map((i) => i.id)).toEqual([0]);
    expect(g.reading).toEqual([]);
    expect(columnOf("needs_review")).toBe("reading");
  });
  it("marks the differing characters of a near miss", () => {
    expect(markDiffs("8765", [1]).map((c) => (c.diff ? `[${c.ch}]` : c.ch)).join("")).toBe("8[7]65");
  });
});
