import { describe, expect, it } from "vitest";
import { clickRow, isSelected, noSelection, selectAllMatching, selectedCount, setMany } from "../src/state/selection";

// A list of 10 rows whose ids are 100 + row; rows 4 and 5 are not loaded yet.
const loaded = (from: number, to: number) => {
  const out = [];
  for (let r = from; r < to; r++) if (r !== 4 && r !== 5) out.push(100 + r);
  return out;
};

describe("selection", () => {
  it("toggles one row with a plain click and remembers it as the anchor", () => {
    const a = clickRow(noSelection, "L", 2, 102, false, loaded);
    expect([...a.ids]).toEqual([102]);
    expect(a.anchor).toEqual({ list: "L", row: 2 });
    const b = clickRow(a, "L", 2, 102, false, loaded);
    expect(b.ids.size).toBe(0);
  });

  it("selects the range between the anchor and a shift-click, either direction, skipping unloaded rows", () => {
    const a = clickRow(noSelection, "L", 7, 107, false, loaded);
    const b = clickRow(a, "L", 2, 102, true, loaded);
    expect([...b.ids].sort()).toEqual([102, 103, 106, 107]);
    expect(b.anchor).toEqual({ list: "L", row: 7 }); // a second shift-click ranges from the same anchor
    const c = clickRow(b, "L", 9, 109, true, loaded);
    expect([...c.ids].sort()).toEqual([102, 103, 106, 107, 108, 109]);
  });

  it("does not range across lists: a shift-click in another column is a plain click", () => {
    const a = clickRow(noSelection, "A", 1, 101, false, loaded);
    const b = clickRow(a, "B", 5, 205, true, loaded);
    expect([...b.ids].sort()).toEqual([101, 205]);
    expect(b.anchor).toEqual({ list: "B", row: 5 });
  });

  it("selects all matching the filter, counted by the server's total, and leaves that mode on a click", () => {
    const all = selectAllMatching();
    expect(isSelected(all, 12345)).toBe(true);
    expect(selectedCount(all, 10_000)).toBe(10_000);
    const one = clickRow(all, "L", 0, 100, false, loaded);
    expect(one.all).toBe(false);
    expect(selectedCount(one, 10_000)).toBe(1);
  });

  it("checks and unchecks many at once", () => {
    const on = setMany(noSelection, [1, 2, 3], true);
    expect(on.ids.size).toBe(3);
    expect(setMany(on, [2], false).ids.has(2)).toBe(false);
  });
});
