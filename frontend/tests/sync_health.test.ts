import { describe, expect, it } from "vitest";
import { applyEvents, applyHealth, emptyBoard, unconfirmHealth } from "../src/state/reduce";
import { receiveEvents, receiveHealth, resetBoard, syncHealth } from "../src/state/store";
import type { ServerEvent, SyncHealth } from "../src/state/types";
import { ev, inv } from "./fixtures";

// Shaped like services/health.snapshot: GET /api/sync/health's `health`, and a connector.updated push's.
function health(version: number, lastOk: string | null, extra: Partial<SyncHealth> = {}): SyncHealth {
  return {
    connector: "simulator", online: true, ok: true, last_ok_at: lastOk, last_error: null, last_error_at: null,
    down_since: null, failures: 0, maintenance_until: null, resumes_at: null, version, ...extra,
  };
}

const pushed = (cursor: number, h: SyncHealth): ServerEvent => ({ cursor, kind: "connector.updated", team_id: 1, at: "", health: h });

const NEVER = health(0, null);
const FIRST_OK = health(1, "2026-03-02T06:00:00.000Z");
const DOWN = health(4, FIRST_OK.last_ok_at, {
  ok: false, last_error: "connector.down", last_error_at: "2026-03-02T06:10:00.000Z",
  down_since: "2026-03-02T06:05:00.000Z", failures: 3,
});

describe("the connector chip's health", () => {
  it("takes a push at once: a first success after 'never'", () => {
    const read = applyHealth(emptyBoard, NEVER);
    const s = applyEvents(read, [pushed(4, FIRST_OK)]);
    expect(s.health?.last_ok_at).toBe(FIRST_OK.last_ok_at);
    expect(s.cursor).toBe(4);
  });

  it("keeps the higher version of a read and a push, whatever their order", () => {
    const s = applyEvents(emptyBoard, [pushed(7, DOWN)]);
    expect(applyHealth(s, FIRST_OK)).toBe(s); // a read answered before the failure, arriving after its push
    const back = health(5, "2026-03-02T06:20:00.000Z", { last_error: "connector.down", last_error_at: DOWN.last_error_at });
    expect(applyHealth(s, back).health).toEqual(back);
    expect(applyEvents(applyHealth(emptyBoard, DOWN), [pushed(3, FIRST_OK)]).health).toEqual(DOWN);
  });

  it("goes by the version, not by the times of the answers", () => {
    // A failure and the success after it noted in one millisecond: the times tie, the success is the later.
    const at = "2026-03-02T06:10:00.000Z";
    const failed = health(2, at, { last_error: "connector.timeout", last_error_at: at, failures: 1 });
    const answered = health(3, at, { last_error: "connector.timeout", last_error_at: at });
    for (const order of [[failed, answered], [answered, failed]]) {
      expect(order.reduce(applyHealth, emptyBoard).health).toEqual(answered);
    }
    // Noted by a process whose clock is behind: earlier times, a later change.
    const behind = health(4, "2026-03-02T06:09:00.000Z");
    expect(applyHealth(applyHealth(emptyBoard, answered), behind).health).toEqual(behind);
  });

  it("keeps the held object for an equal version (the same state, read again)", () => {
    const s = applyHealth(emptyBoard, DOWN);
    expect(applyHealth(s, { ...DOWN })).toBe(s);
    expect(applyEvents(s, [pushed(9, { ...DOWN })]).health).toBe(DOWN);
  });

  it("takes an equal version whose worked-out parts moved (online, a maintenance's resume time once passed)", () => {
    const waiting = health(6, FIRST_OK.last_ok_at, { resumes_at: "2026-03-02T07:05:00.000Z" });
    const s = applyHealth(emptyBoard, waiting);
    expect(applyHealth(s, { ...waiting, resumes_at: null }).health?.resumes_at).toBeNull();
    expect(applyHealth(s, { ...waiting, online: false }).health?.online).toBe(false);
  });

  it("after a break takes the next health whatever its version (a server restored from a backup counts from less)", () => {
    const s = applyHealth(emptyBoard, DOWN);
    expect(applyHealth(s, FIRST_OK)).toBe(s);
    const after = applyHealth(unconfirmHealth(s), FIRST_OK);
    expect(after.health).toEqual(FIRST_OK);
    expect(applyHealth(after, NEVER)).toBe(after); // then ordered by version again
  });

  it("is idempotent and leaves the invoices beside it alone", () => {
    const events = [ev(1, inv(1, 1)), pushed(2, DOWN), pushed(3, DOWN)]; // one push per team room
    const once = applyEvents(emptyBoard, events);
    expect(applyEvents(once, events)).toBe(once);
    expect(once.invoices.get(1)).toBeDefined();
    expect(once.health).toEqual(DOWN);
  });

  it("reaches what the chip renders from, REST and pushes alike", () => {
    resetBoard();
    receiveHealth(NEVER);
    expect(syncHealth.value?.last_ok_at).toBeNull();
    receiveEvents([pushed(1, FIRST_OK)]);
    expect(syncHealth.value?.last_ok_at).toBe(FIRST_OK.last_ok_at);
    resetBoard();
    expect(syncHealth.value).toBeNull();
  });
});
