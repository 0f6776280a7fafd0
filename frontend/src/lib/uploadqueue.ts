// The upload queue kept in the browser (IndexedDB), so a reload, a closed tab or a phone that drops the page
// loses no photo: each file is saved (as a Blob) the moment it is chosen, its row's state follows it, and on
// the next start the unfinished ones are sent again. The server dedupes by the file's hash, so a resend of a
// file whose answer was lost comes back as "duplicate", never as a silent second copy.
// The rules are pure functions; the IndexedDB calls take the factory, so tests run them on fake-indexeddb.
import type { ApiErrorBody } from "../state/types";

export type UploadPhase = "preparing" | "uploading" | "retrying" | "waiting_online" | "accepted" | "duplicate" | "rejected";

export interface UploadItem {
  id: number;
  name: string;
  size: number;
  phase: UploadPhase;
  progress: number; // 0..1
  attempt: number;
  retryInSeconds?: number;
  error?: ApiErrorBody;
  invoiceId?: number;
  resumed?: boolean; // brought back after a reload
}

/** What is stored per file: the row, whose file it is, and the bytes until the server has answered. */
export interface QueueRecord extends UploadItem {
  owner: number; // the user who chose it: never sent on another person's session
  type: string;
  blob: Blob | null; // null once finished (the bytes are the server's now)
  prepared: boolean; // the blob is already downscaled: sent as it is, byte for byte (same hash on resend)
  added: number; // ms since epoch, for the order of rows
}

const FINISHED: ReadonlySet<UploadPhase> = new Set(["accepted", "duplicate", "rejected"]);

export function isFinished(phase: UploadPhase): boolean {
  return FINISHED.has(phase);
}

/** Whether leaving the page now would drop work: any file not yet answered by the server. */
export function busy(items: readonly UploadItem[]): boolean {
  return items.some((u) => !isFinished(u.phase));
}

/** The row as the page shows it (the stored bytes and bookkeeping left out). */
export function rowOf(record: QueueRecord): UploadItem {
  const { owner: _o, type: _t, blob: _b, prepared: _p, added: _a, ...item } = record;
  return item;
}

/** After a reload: my rows, newest first; finished ones as they ended, unfinished ones back at the start
 * (to be sent again) and marked as resumed. A row whose bytes were lost cannot be sent: it says so. */
export function resumePlan(records: readonly QueueRecord[], owner: number): { rows: UploadItem[]; resend: QueueRecord[] } {
  const mine = records.filter((r) => r.owner === owner).sort((a, b) => b.added - a.added || b.id - a.id);
  const rows: UploadItem[] = [];
  const resend: QueueRecord[] = [];
  for (const r of mine) {
    if (isFinished(r.phase)) {
      rows.push(rowOf(r));
    } else if (!r.blob) {
      rows.push({ ...rowOf(r), phase: "rejected", progress: 0, error: { key: "upload.lost", message: "", params: {} }, resumed: true });
    } else {
      const again = { ...r, phase: "preparing" as const, progress: 0, attempt: 0, retryInSeconds: undefined, resumed: true };
      rows.push(rowOf(again));
      resend.push(again);
    }
  }
  return { rows, resend };
}

/** The stored change for a row's new state: progress alone is not worth a write, and a finished row lets its
 * bytes go. Null when nothing needs writing. */
export function storedPatch(patch: Partial<UploadItem>): Partial<QueueRecord> | null {
  const { progress: _progress, ...rest } = patch;
  if (Object.keys(rest).length === 0) return null;
  const out: Partial<QueueRecord> = { ...rest };
  if (rest.phase && isFinished(rest.phase)) {
    out.blob = null;
    out.progress = 1;
  }
  return out;
}

const DB_NAME = "fapiao-uploads";
const STORE = "queue";

export function openQueue(factory: IDBFactory): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = factory.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function run<T>(db: IDBDatabase, mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T> | void): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(STORE, mode);
    const req = work(tx.objectStore(STORE));
    tx.oncomplete = () => resolve(req ? req.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export async function saveRecord(db: IDBDatabase, record: QueueRecord): Promise<void> {
  await run(db, "readwrite", (s) => s.put(record));
}

/** Merge a change into a stored record (one transaction: read, merge, write); a record gone stays gone. */
export async function patchRecord(db: IDBDatabase, id: number, patch: Partial<QueueRecord>): Promise<void> {
  await run(db, "readwrite", (s) => {
    const get = s.get(id);
    get.onsuccess = () => {
      if (get.result) s.put({ ...get.result, ...patch, id });
    };
  });
}

export async function loadRecords(db: IDBDatabase): Promise<QueueRecord[]> {
  return ((await run(db, "readonly", (s) => s.getAll())) as QueueRecord[] | undefined) ?? [];
}

export async function deleteRecords(db: IDBDatabase, ids: readonly number[]): Promise<void> {
  await run(db, "readwrite", (s) => {
    for (const id of ids) s.delete(id);
  });
}
