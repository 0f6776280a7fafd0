import { describe, expect, it } from "vitest";
import { backoffMs, isRetryable } from "../src/lib/backoff";
import { MAX_LONG_SIDE, targetSize } from "../src/lib/downscale";

describe("downscale target size", () => {
  it("keeps small images as they are", () => {
    expect(targetSize(2000, 1500)).toEqual({ width: 2000, height: 1500 });
  });
  it("caps the long side at 2500 px, portrait or landscape, keeping the aspect ratio", () => {
    expect(targetSize(4032, 3024)).toEqual({ width: MAX_LONG_SIDE, height: 1875 });
    expect(targetSize(3024, 4032)).toEqual({ width: 1875, height: MAX_LONG_SIDE });
    expect(targetSize(8160, 6120).width).toBe(2500);
  });
});

describe("upload retry", () => {
  it("backs off exponentially with jitter, capped", () => {
    expect(backoffMs(1, 1000, 30000, () => 0)).toBe(500);
    expect(backoffMs(1, 1000, 30000, () => 1)).toBe(1000);
    expect(backoffMs(3, 1000, 30000, () => 1)).toBe(4000);
    expect(backoffMs(20, 1000, 30000, () => 1)).toBe(30000);
  });
  it("retries network drops and server faults, not refusals", () => {
    expect(isRetryable(0)).toBe(true);
    expect(isRetryable(503)).toBe(true);
    expect(isRetryable(422)).toBe(false);
    expect(isRetryable(415)).toBe(false);
  });
});
