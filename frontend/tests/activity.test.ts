import { afterEach, describe, expect, it } from "vitest";
import { setLang } from "../src/i18n";
import { activityDetail, activityText, activityWhen, type HistoryItem } from "../src/lib/activity";

const item = (kind: string, data: Record<string, unknown> = {}, by: string | null = "alice"): HistoryItem =>
  ({ at: "2026-01-05T09:00:00.000Z", kind, by, data });

describe("timeline lines", () => {
  afterEach(() => setLang("zh"));

  it("names the corrected field and shows an empty old value as a dash", () => {
    setLang("en");
    expect(activityText(item("corrected", { field: "invoice_number", old: null, new: "12345678" })))
      .toBe("alice corrected Invoice number: — → 12345678");
    setLang("zh");
    expect(activityText(item("corrected", { field: "total", old: "50.00", new: "500.00" }))).toBe("alice 更正 价税合计：50.00 → 500.00");
  });

  it("translates a check's outcome and says who asked it", () => {
    setLang("en");
    const checked = item("checked", { trigger: "manual", outcome: "not_found", status_after: "not_found", error: null }, "bob");
    expect(activityText(checked)).toBe("Checked at the authority: Not found");
    expect(activityDetail(checked)).toBe("Checked by a person · bob");
  });

  it("says the app did it when nobody did, and keeps the file name of an upload", () => {
    setLang("en");
    expect(activityText(item("uploaded", { name: "desk.jpg", size: 10 }, null))).toBe("Uploaded by the app");
    expect(activityDetail(item("uploaded", { name: "desk.jpg", size: 10 }))).toBe("desk.jpg");
  });

  it("fills claim and booking steps from their data", () => {
    setLang("zh");
    expect(activityText(item("claim_returned", { claim: "BX202601-0001", note: "缺发票原件" }, "boss")))
      .toBe("boss 退回报销单 BX202601-0001：缺发票原件");
    expect(activityText(item("booked", { period: "2026-01", voucher: "记-12" }))).toBe("alice 入账 2026-01，凭证号 记-12");
    expect(activityText(item("unbooked", { period: null, voucher: null }))).toBe("alice 撤销入账（原 —，—）");
    expect(activityDetail(item("reimbursed", { claim: "BX202601-0002" }))).toBe("通过报销单 BX202601-0002");
    expect(activityDetail(item("duplicate_released", { original: 3, why: "key_changed" }))).toBe("发票号码已更正");
  });

  it("says a read page held no invoice instead of naming an unknown type", () => {
    setLang("zh");
    expect(activityDetail(item("read", { family: "unknown", found: 0, reason: "reader.not_invoice" }, null))).toBe("不是发票");
    setLang("en");
    expect(activityDetail(item("read", { family: "unknown", found: 0, reason: "reader.not_invoice" }, null))).toBe("Not an invoice");
    expect(activityDetail(item("read", { family: "unknown", found: 0, reason: "reader.hard_to_read" }, null)))
      .toBe("Looks like an invoice, nothing could be read");
    expect(activityDetail(item("read", { family: "vat_special", found: 9, reason: null }, null))).toBe("VAT special invoice");
  });

  it("shows local time, never the raw ISO string", () => {
    const shown = activityWhen(item("read"));
    expect(shown).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    const d = new Date("2026-01-05T09:00:00.000Z");
    expect(shown.endsWith(`${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`)).toBe(true);
  });
});
