import { IDBFactory } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import {
  busy, deleteRecords, loadRecords, openQueue, patchRecord, resumePlan, saveRecord, storedPatch,
  type QueueRecord,
} from "../src/lib/uploadqueue";

function record(id: number, patch: Partial<QueueRecord> = {}): QueueRecord {
  return {
    id, name: `photo-${id}.jpg`, size: 3, phase: "uploading", progress: 0.09, attempt: 1, owner: 7,
    type: "image/jpeg", blob: new Blob([new Uint8Array([1, 2, id])], { type: "image/jpeg" }), prepared: true,
    added: 1000 + id, ...patch,
  };
}

describe("upload queue: what comes back after a reload", () => {
  it("brings back my rows newest first; unfinished ones restart and are sent again, finished ones stay", () => {
    const records = [
      record(1, { phase: "accepted", blob: null, progress: 1, invoiceId: 41 }),
      record(2),
      record(3, { phase: "waiting_online", progress: 0 }),
      record(4, { owner: 8 }), // another person's, on this browser: never shown, never sent on my session
      record(5, { phase: "rejected", blob: null, error: { key: "upload.unsupported_type", message: "", params: {} } }),
    ];
    const { rows, resend } = resumePlan(records, 7);
    expect(rows.map((r) => [r.id, r.phase, r.resumed ?? false])).toEqual([
      [5, "rejected", false], [3, "preparing", true], [2, "preparing", true], [1, "accepted", false],
    ]);
    expect(rows.find((r) => r.id === 1)?.invoiceId).toBe(41);
    expect(rows.every((r) => !("blob" in r) && !("owner" in r))).toBe(true);
    expect(resend.map((r) => [r.id, r.progress, r.attempt])).toEqual([[3, 0, 0], [2, 0, 0]]);
  });

  it("a row whose bytes are gone cannot be sent: it says so instead of vanishing", () => {
    const { rows, resend } = resumePlan([record(2, { blob: null })], 7);
    expect(resend).toEqual([]);
    expect(rows[0]).toMatchObject({ phase: "rejected", error: { key: "upload.lost" }, resumed: true });
  });

  it("leaving asks only while a file is unanswered", () => {
    expect(busy([])).toBe(false);
    expect(busy([record(1, { phase: "accepted" }), record(2, { phase: "duplicate" })])).toBe(false);
    expect(busy([record(1, { phase: "accepted" }), record(2, { phase: "waiting_online" })])).toBe(true);
  });

  it("progress alone is not written; a finished row lets its bytes go", () => {
    expect(storedPatch({ progress: 0.5 })).toBeNull();
    expect(storedPatch({ phase: "uploading", attempt: 2, progress: 0 })).toEqual({ phase: "uploading", attempt: 2 });
    expect(storedPatch({ phase: "duplicate", invoiceId: 9, progress: 1 })).toEqual({ phase: "duplicate", invoiceId: 9, blob: null, progress: 1 });
  });
});

describe("upload queue in IndexedDB", () => {
  it("keeps the file's bytes and the row's state across opening the database again", async () => {
    const factory = new IDBFactory();
    const first = await openQueue(factory);
    await saveRecord(first, record(1));
    await saveRecord(first, record(2));
    await patchRecord(first, 1, { phase: "retrying", retryInSeconds: 4 });
    await patchRecord(first, 99, { phase: "accepted" }); // gone meanwhile (cleared): stays gone
    first.close();

    const again = await openQueue(factory); // as after a reload
    const stored = (await loadRecords(again)).sort((a, b) => a.id - b.id);
    expect(stored.map((r) => [r.id, r.phase, r.retryInSeconds])).toEqual([[1, "retrying", 4], [2, "uploading", undefined]]);
    const bytes = new Uint8Array(await stored[0].blob!.arrayBuffer());
    expect(Array.from(bytes)).toEqual([1, 2, 1]);
    expect(stored[0].blob!.type).toBe("image/jpeg");

    await patchRecord(again, 2, storedPatch({ phase: "accepted", invoiceId: 5, progress: 1 })!);
    const done = (await loadRecords(again)).find((r) => r.id === 2)!;
    expect([done.phase, done.invoiceId, done.blob]).toEqual(["accepted", 5, null]);

    await deleteRecords(again, [1, 2]);
    expect(await loadRecords(again)).toEqual([]);
  });
});
