import { describe, expect, it } from "vitest";
import { catalogs, format, t } from "../src/i18n";
import { INVOICE_STATUSES } from "../src/state/types";

describe("i18n", () => {
  it("has the same keys in Chinese and English", () => {
    expect(Object.keys(catalogs.zh).sort()).toEqual(Object.keys(catalogs.en).sort());
  });
  it("translates every invoice status the server can send", () => {
    for (const s of INVOICE_STATUSES) {
      expect(catalogs.zh[`status.${s}`]).toBeTruthy();
      expect(catalogs.en[`status.${s}`]).toBeTruthy();
    }
  });
  it("fills parameters and leaves unknown ones visible", () => {
    expect(format("{a} of {b}", { a: 1 })).toBe("1 of {b}");
    expect(t("error.upload.too_large", { size_mb: 60, limit_mb: 25 }, "en")).toBe("The file is 60 MB; the limit is 25 MB.");
    expect(t("error.upload.empty", {}, "zh")).toBe("文件为空（0 字节）。");
  });
});
