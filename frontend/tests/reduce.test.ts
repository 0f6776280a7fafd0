import { describe, expect, it } from "vitest";
import { applyEvents, applyInvoices, countByStatus, emptyBoard, sortedInvoices } from "../src/state/reduce";
import type { Invoice, ServerEvent } from "../src/state/types";

function inv(id: number, version: number, status: Invoice["status"] = "received"): Invoice {
  return {
    id, team_id: 1, original_name: `f${id}.jpg`, status, reason: null, reason_params: {}, duplicate_of: null,
    file: { kind: "jpeg", mime: "image/jpeg", size: 1, sha256: "x" }, page_count: null, width: null, height: null,
    has_thumbnail: false, stage: null, family: null, fields: null, qr_text: null, validation: null, reading: null, uploaded_by: 1,
    next_check_at: null, pending_since: null, checks_done: 0, last_outcome: null, authority: null, diagnosis: [], version, created_at: "", updated_at: "",
  };
}
const ev = (cursor: number, invoice: Invoice): ServerEvent => ({ cursor, kind: "invoice.updated", team_id: 1, at: "", invoice });

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

  it("sorts newest first and counts by status", () => {
    const s = applyInvoices(emptyBoard, [inv(1, 1, "failed"), inv(3, 1, "processed"), inv(2, 1, "processed")]);
    expect(sortedInvoices(s).map((i) => i.id)).toEqual([3, 2, 1]);
    expect(countByStatus(sortedInvoices(s))).toEqual({ failed: 1, processed: 2 });
  });
});
