import { afterEach, describe, expect, it } from "vitest";
import { setLang } from "../src/i18n";
import {
  agingSeries, bucketColours, compactYuan, monthSeries, sellerSeries, statusColour, statusSeries, waiting, type DashboardData,
} from "../src/lib/dashboard";

const data: DashboardData = {
  team_id: 1,
  totals: { count: 3, total: "600.30" },
  duplicates: { count: 1, total: "500.00" },
  by_status: [{ status: "found", count: 2, total: "600.10" }, { status: "not_found", count: 1, total: "0.20" }],
  by_month: [{ month: "2025-12", count: 2, total: "600.10" }, { month: null, count: 1, total: "0.20" }],
  by_seller: [{ seller: "华为", count: 2, total: "600.10" }],
  aging: {
    authority: [{ bucket: "lt1", count: 1, total: "0.10" }, { bucket: "gt90", count: 2, total: "0.20" }],
    reimbursement: [],
  },
  oldest: { authority: [], reimbursement: [] },
  buckets: ["lt1", "gt90"],
  at: "2026-01-05T09:00:00.000Z",
};

describe("dashboard series", () => {
  afterEach(() => setLang("zh"));
  it("labels statuses, months and buckets in the current language, amounts in yuan", () => {
    setLang("en");
    expect(statusSeries(data)).toEqual({ labels: ["Found", "Not found"], counts: [2, 1], amounts: [600.1, 0.2], keys: ["found", "not_found"] });
    expect(monthSeries(data).labels).toEqual(["2025-12", "no date"]);
    expect(agingSeries(data.aging.authority).labels).toEqual(["<1 day", ">90 days"]);
    setLang("zh");
    expect(statusSeries(data).labels).toEqual(["已查到", "查无此票"]);
    expect(agingSeries(data.aging.authority).labels).toEqual(["<1 天", ">90 天"]);
    expect(sellerSeries(data).keys).toEqual(["华为"]);
  });
  it("adds what waits to the fen (no floating-point drift)", () => {
    expect(waiting(data.aging.authority)).toEqual({ count: 3, total: "0.30" });
    expect(waiting([])).toEqual({ count: 0, total: "0.00" });
  });
  it("colours statuses by family and darkens older buckets", () => {
    expect(statusColour("found")).not.toBe(statusColour("not_found"));
    expect(statusColour("something new")).toBe("#9ca3af");
    const ramp = bucketColours(["a", "b", "c", "d", "e", "f"]);
    expect(new Set(ramp).size).toBe(6);
    expect(bucketColours(["only"])).toHaveLength(1);
  });
  it("writes axis amounts the way each language reads them", () => {
    expect(compactYuan(125_000, "zh")).toBe("¥12.5万");
    expect(compactYuan(125_000, "en")).toBe("¥125k");
    expect(compactYuan(2_500_000, "en")).toBe("¥2.5M");
    expect(compactYuan(800, "zh")).toBe("¥800");
  });
});
