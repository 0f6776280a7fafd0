import { describe, expect, it } from "vitest";
import { catalogs } from "../src/i18n";

// Every literal key the finance pages pass to t(), read from their source, and the keys they build from values.
const sources = import.meta.glob(
  ["../src/views/Claims.tsx", "../src/views/ClaimDetail.tsx", "../src/views/DashboardPage.tsx", "../src/views/dashboard/*.tsx",
    "../src/components/detail/*.tsx", "../src/components/TeamPick.tsx", "../src/lib/activity.ts", "../src/lib/claims.ts",
    "../src/lib/dashboard.ts", "../src/app.tsx"],
  { query: "?raw", import: "default", eager: true },
) as Record<string, string>;

const literal = Object.values(sources).flatMap((src) => [...src.matchAll(/\bt\(\s*"([a-z_]+(?:\.[a-z_0-9]+)+)"/g)].map((m) => m[1]));

const ACTIVITY = ["uploaded", "read", "corrected", "checked", "duplicate_linked", "duplicate_released", "duplicate_unlinked",
  "claim_added", "claim_removed", "claim_returned", "reimbursed", "booked", "rebooked", "unbooked", "exported"];
const built = [
  ...ACTIVITY.map((k) => `activity.${k}`),
  ...["key_changed", "holder_changed", "unlinked"].map((w) => `activity.why.${w}`),
  ...["lt1", "d1_3", "d3_7", "d7_30", "d30_90", "gt90"].map((b) => `dash.bucket.${b}`),
  ...["code_differs", "number_differs"].map((k) => `dup.near.${k}`),
  ...["normal", "abnormal"].map((s) => `rec.state.${s}`),
  ...["unbooked", "booked", "revoked"].map((e) => `entry.${e}`),
  "dash.by_amount", "dash.by_count",
];

describe("finance page strings", () => {
  it("finds the keys it checks", () => {
    expect(Object.keys(sources).length).toBeGreaterThan(8);
    expect(literal).toContain("dup.unlink");
  });
  it("has every key in Chinese and English", () => {
    for (const lang of ["zh", "en"] as const) {
      expect([...literal, ...built].filter((k) => !catalogs[lang][k]), lang).toEqual([]);
    }
  });
});
