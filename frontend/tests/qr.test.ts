import { describe, expect, it } from "vitest";
import { boxStyle, qrAgreement } from "../src/lib/qr";
import type { FieldReading, Invoice } from "../src/state/types";

const reading = (source: string, alternatives: FieldReading["alternatives"] = []): FieldReading =>
  ({ value: "1", confidence: 0.99, box: null, source, review: alternatives.length > 0, alternatives });
const inv = (qr: string | null, fields: Record<string, FieldReading>) => ({ qr_text: qr, fields }) as unknown as Invoice;

describe("invoice page helpers", () => {
  it("says whether the QR agrees with what was read", () => {
    expect(qrAgreement(inv(null, { a: reading("ocr") }))).toBe("none");
    expect(qrAgreement(inv("01,04", { a: reading("ocr+qr") }))).toBe("agrees");
    expect(qrAgreement(inv("01,04", { a: reading("ocr+qr"), b: reading("ocr", [{ source: "qr", value: "2" }]) }))).toBe("disagrees");
  });
  it("places boxes as percentages of the page", () => {
    expect(boxStyle([100, 50, 300, 100], [1000, 500])).toEqual({ left: "10%", top: "10%", width: "20%", height: "10%" });
  });
});
