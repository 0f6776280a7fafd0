// Evidence in every explanation, and per-invoice state (lib/held.ts, lib/causes.ts, lib/ledger.ts, lib/format.ts).
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { errorText, lang, t } from "../src/i18n";
import { causeText, fieldDiffs } from "../src/lib/causes";
import { isMoment, localTime } from "../src/lib/format";
import { heldFor, hold } from "../src/lib/held";
import { problemText } from "../src/lib/ledger";
import type { Cause } from "../src/state/types";

beforeAll(() => {
  // The viewer's timezone (Node reads TZ when a date is next formatted): UTC 06:05 is 14:05 there.
  (globalThis as unknown as { process: { env: Record<string, string> } }).process.env.TZ = "Asia/Shanghai";
});
afterEach(() => {
  lang.value = "zh";
});

const differ: Cause = {
  key: "fields_differ", score: 0.95, action: "edit_fields",
  params: { fields: "amount, buyer_tax_id", differences: [
    { field: "amount", ours: "721.30", theirs: "700.88", kind: "differs" },
    { field: "buyer_tax_id", ours: "91110108MA01ABCD3X", theirs: null, kind: "differs" },
  ] },
};

describe("ours against theirs", () => {
  it("lists every differing field with both values", () => {
    expect(fieldDiffs(differ)).toEqual([
      { field: "amount", ours: "721.30", theirs: "700.88", kind: "differs" },
      { field: "buyer_tax_id", ours: "91110108MA01ABCD3X", theirs: "—", kind: "differs" },
    ]);
    expect(fieldDiffs({ ...differ, params: {} })).toEqual([]);
  });
  it("names the fields with the language's list separator", () => {
    expect(causeText(differ)).toContain("金额、购买方识别号");
    lang.value = "en";
    expect(causeText(differ)).not.toContain("、");
  });
});

describe("import problems", () => {
  it("say the row, the column and the field", () => {
    const p = { line: 4, key: "ledger.row_unusable", field: "invoice_number", column: "C" };
    expect(problemText(p)).toBe("第 4 行 C 列（发票号码）为空或无法读取，该行未导入。");
    lang.value = "en";
    expect(problemText(p)).toContain("Row 4, column C");
  });
  it("still say the row for a summary stored before columns were kept", () => {
    expect(problemText({ line: 7, key: "ledger.row_unusable" })).toBe("第 7 行为空或无法读取，该行未导入。");
  });
});

describe("times in messages", () => {
  it("tells moments from bare dates", () => {
    expect(isMoment("2026-01-03T06:05:00Z")).toBe(true);
    expect(isMoment("2026-01-03T06:05:00.000+08:00")).toBe(true);
    expect(isMoment("2026-01-03")).toBe(false);
    expect(isMoment(12)).toBe(false);
  });
  it("writes every ISO param in the viewer's timezone, never the UTC string", () => {
    const text = t("note.duplicate_of", { invoice_id: 3, uploaded_at: "2026-01-03T06:05:00Z" });
    expect(text).not.toContain("T06:05");
    expect(text).toContain("14:05");
    expect(text).toContain(localTime("2026-01-03T06:05:00Z", "zh"));
  });
  it("does so in errors too, in the page's language", () => {
    lang.value = "en";
    const text = errorText({ key: "sync.quota", params: { limit: 5, next_allowed: "2026-01-03T16:00:00.000Z" } });
    expect(text).not.toContain("2026-01-03T");
    expect(text).toMatch(/12:00\s*AM|00:00/);
  });
  it("names a refused field in words", () => {
    expect(errorText({ key: "correction.amount_format", params: { field: "total" } })).toContain("价税合计");
  });
});

describe("a panel's state is about one invoice", () => {
  const a = { id: 1, version: 3 };
  it("is not shown for another invoice", () => {
    expect(heldFor(hold("今日已用 5/5 次", a), { id: 2, version: 3 })).toBeNull();
    expect(heldFor(hold("x", a), a)).toBe("x");
  });
  it("an answer about the invoice as it was is gone once it changes; loaded data stays until reloaded", () => {
    expect(heldFor(hold("缺少发票号码", a, true), { id: 1, version: 4 })).toBeNull();
    expect(heldFor(hold({ used: 0 }, a), { id: 1, version: 4 })).toEqual({ used: 0 });
    expect(heldFor(null, a)).toBeNull();
  });
});
