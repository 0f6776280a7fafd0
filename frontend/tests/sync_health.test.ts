import { describe, expect, it } from "vitest";
import { applyEvents, applyHealth, emptyBoard } from "../src/state/reduce";
import { receiveEvents, receiveHealth, resetBoard, syncHealth } from "../src/state/store";
import type { ServerEvent, SyncHealth } from "../src/state/types";
import { ev, inv } from "./fixtures";

// Shaped like services/health.snapshot: GET /api/sync/health's `health`, and a connector.updated push's.
function health(asOf: string | null, extra: Partial<SyncHealth> = {}): SyncHealth {
  return {
    connector: "simulator", online: true, ok: true, last_ok_at: asOf, last_error: null, last_error_at: null,
    down_since: null, failures: 0, maintenance_until: null, resumes_at: null, as_of: asOf, ...extra,
  };
}

const pushed = (cursor: number, h: SyncHealth): ServerEvent => ({ cursor, kind: "connector.updated", team_id: 1, at: "", health: h });

const NEVER = health(null);
const FIRST_OK = health("2026-03-02T06:00:00.000Z");
const DOWN = health("2026-03-02T06:10:00.000Z", {
  ok: false, last_ok_at: FIRST_OK.last_ok_at, last_error: "connector.down", last_error_at: "2026-03-02T06:10:00.000Z",
  down_since: "2026-03-02T06:05:00.000Z", failures: 3,
});

describe("the connector chip's health", () => {
  it("takes a push at once: a first success after 'never'", () => {
    const read = applyHealth(emptyBoard, NEVER);
    const s = applyEvents(read, [pushed(4, FIRST_OK)]);
    expect(s.health?.last_ok_at).toBe(FIRST_OK.last_ok_at);
    expect(s.cursor).toBe(4);
  });

  it("keeps the newer of a read and a push, whatever their order", () => {
    const s = applyEvents(emptyBoard, [pushed(7, DOWN)]);
    expect(applyHealth(s, FIRST_OK)).toBe(s); // a read answered before the failure, arriving after its push
    const back = health("2026-03-02T06:20:00.000Z", { last_error: "connector.down", last_error_at: DOWN.last_error_at });
    expect(applyHealth(s, back).health).toEqual(back);
    expect(applyEvents(applyHealth(emptyBoard, DOWN), [pushed(3, FIRST_OK)]).health).toEqual(DOWN);
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
