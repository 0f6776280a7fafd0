import { describe, expect, it } from "vitest";
import { keyAction, nextAfter } from "../src/lib/review";
import { stageSize, stepZoom } from "../src/components/detail/PageViewer";

const key = (k: string, more: Partial<{ altKey: boolean; ctrlKey: boolean; metaKey: boolean; target: EventTarget | null }> = {}) =>
  ({ key: k, altKey: false, ctrlKey: false, metaKey: false, target: null, ...more });

describe("next needing review", () => {
  it("is the one after this one in the board's order, round to the first", () => {
    expect(nextAfter([5, 4, 3], 4)).toBe(3);
    expect(nextAfter([5, 4, 3], 3)).toBe(5);
    expect(nextAfter([5, 4, 3], 9)).toBe(5); // this one needs no review: the first that does
    expect(nextAfter([5, 4, 3], null)).toBe(5);
    expect(nextAfter([4], 4)).toBeNull(); // only this one: nothing to go to
    expect(nextAfter([], null)).toBeNull();
  });
});

describe("the invoice page's keys", () => {
  it("walk the fields with j/k and Alt+↓/↑, leave typing and browser shortcuts alone", () => {
    expect(keyAction(key("j"))).toBe("next_field");
    expect(keyAction(key("k"))).toBe("prev_field");
    expect(keyAction(key("ArrowDown", { altKey: true }))).toBe("next_field");
    expect(keyAction(key("ArrowUp", { altKey: true }))).toBe("prev_field");
    expect(keyAction(key("ArrowDown"))).toBeNull(); // plain arrows scroll the page
    expect(keyAction(key("n"))).toBe("next_review");
    expect(keyAction(key("r", { ctrlKey: true }))).toBeNull(); // reload stays reload
    const input = { tagName: "INPUT", isContentEditable: false } as unknown as EventTarget;
    expect(keyAction(key("j", { target: input }))).toBeNull(); // typing a correction
  });
});

describe("the page viewer", () => {
  it("steps through its zooms and sizes a turned page by its width", () => {
    expect(stepZoom(1, 1)).toBe(1.5);
    expect(stepZoom(1, -1)).toBe(0.75);
    expect(stepZoom(4, 1)).toBe(4);
    const flat = stageSize(800, [2000, 1000], { zoom: 1, rotation: 0 });
    expect([flat.visualW, flat.visualH, flat.pageW, flat.pageH]).toEqual([800, 400, 800, 400]);
    const turned = stageSize(800, [2000, 1000], { zoom: 2, rotation: 90 });
    expect([turned.visualW, turned.visualH, turned.pageW, turned.pageH]).toEqual([1600, 3200, 3200, 1600]);
  });
});

describe("English punctuation", () => {
  it("never lists with 、 (the Chinese enumeration comma)", async () => {
    const { catalogs } = await import("../src/i18n");
    const bad = Object.entries(catalogs.en).filter(([, text]) => text.includes("、")).map(([key]) => key);
    expect(bad).toEqual([]);
  });
});
