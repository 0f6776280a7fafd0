// The upload queue: each file is prepared (downscaled), sent with a progress bar, and retried
// with back-off when the network drops; a file the server refuses shows its translated reason.
// The queue is kept in IndexedDB (lib/uploadqueue): a reload brings the rows back and sends the unfinished
// ones again, files chosen offline wait there for the network, and leaving with files unsent asks first.
import { effect, signal } from "@preact/signals";
import { CSRF_HEADERS } from "../api/http";
import { t } from "../i18n";
import { backoffMs, isRetryable } from "../lib/backoff";
import { downscaleIfLarge } from "../lib/downscale";
import {
  busy, deleteRecords, isFinished, loadRecords, openQueue, patchRecord, resumePlan, saveRecord, storedPatch,
  type QueueRecord, type UploadItem,
} from "../lib/uploadqueue";
import { sessionEnded } from "./session";
import { receiveInvoices, user } from "./store";
import type { ApiErrorBody, Invoice } from "./types";

export type { UploadItem, UploadPhase } from "../lib/uploadqueue";

const CONCURRENCY = 3;
const MAX_ATTEMPTS = 10;
let lastId = 0;
let running = 0;
const waiting: { id: number; file: File; prepared: boolean; owner: number }[] = [];
const active = new Set<number>(); // ids waiting or being sent by this page
const owners = new Map<number, number>(); // row id -> the person who chose the file

export const uploads = signal<UploadItem[]>([]);

// Ids outlive the page (they key the stored records): time-based, never repeating within a page.
function newId(): number {
  lastId = Math.max(lastId + 1, Date.now());
  return lastId;
}

// IndexedDB, opened once; without it (blocked, private mode) the queue still works, for this page only.
let db: Promise<IDBDatabase | null> | null = null;
let writes: Promise<void> = Promise.resolve();

function store(): Promise<IDBDatabase | null> {
  db ??= globalThis.indexedDB ? openQueue(globalThis.indexedDB).catch(() => null) : Promise.resolve(null);
  return db;
}

/** Writes go one after another, in the order the states happened. */
function persist(op: (db: IDBDatabase) => Promise<void>): Promise<void> {
  writes = writes.then(async () => {
    const handle = await store();
    if (handle) await op(handle);
  }).catch(() => undefined);
  return writes;
}

function update(id: number, patch: Partial<UploadItem>): void {
  uploads.value = uploads.value.map((u) => (u.id === id ? { ...u, ...patch } : u));
  const stored = storedPatch(patch);
  if (stored) void persist((handle) => patchRecord(handle, id, stored));
}

export function addFiles(files: Iterable<File>): void {
  const owner = user.value?.id ?? 0;
  const added: UploadItem[] = [];
  for (const file of files) {
    const item: UploadItem = { id: newId(), name: file.name, size: file.size, phase: "preparing", progress: 0, attempt: 0 };
    const record: QueueRecord = { ...item, owner, type: file.type, blob: file, prepared: false, added: Date.now() };
    void persist((handle) => saveRecord(handle, record));
    added.push(item);
    owners.set(item.id, owner);
    active.add(item.id);
    waiting.push({ id: item.id, file, prepared: false, owner });
  }
  uploads.value = [...added, ...uploads.value];
  pump();
}

export function clearFinished(): void {
  const gone = uploads.value.filter((u) => isFinished(u.phase)).map((u) => u.id);
  uploads.value = uploads.value.filter((u) => !isFinished(u.phase));
  void persist((handle) => deleteRecords(handle, gone));
}

/** When a person is signed in (at start, or after another one signed out on this page): only their rows show,
 * their stored rows come back, and their unfinished files not already on their way are sent again. */
export async function resumeUploads(owner: number): Promise<void> {
  uploads.value = uploads.value.filter((u) => owners.get(u.id) === owner);
  const handle = await store();
  if (!handle) return;
  await writes;
  const { rows, resend } = resumePlan(await loadRecords(handle).catch(() => []), owner);
  if (user.value?.id !== owner) return; // signed out meanwhile
  const shown = new Set(uploads.value.map((u) => u.id));
  for (const r of rows) owners.set(r.id, owner);
  uploads.value = [...uploads.value, ...rows.filter((r) => !shown.has(r.id))];
  for (const r of resend) {
    if (active.has(r.id) || !r.blob) continue;
    lastId = Math.max(lastId, r.id);
    const file = r.blob instanceof File ? r.blob : new File([r.blob], r.name, { type: r.type });
    active.add(r.id);
    waiting.push({ id: r.id, file, prepared: r.prepared, owner });
  }
  for (const row of rows.filter((r) => r.error?.key === "upload.lost")) {
    void persist((h) => patchRecord(h, row.id, { phase: "rejected", error: row.error }));
  }
  pump();
}

/** The browser asks before leaving while files are unsent (the handler is there only then). */
export function warnBeforeLeaving(event: BeforeUnloadEvent): string {
  event.preventDefault();
  event.returnValue = t("upload.leave_warning"); // older engines show it; current ones show their own words
  return event.returnValue;
}

if (typeof window !== "undefined") {
  let installed = false;
  effect(() => {
    const unsent = busy(uploads.value);
    if (unsent === installed) return;
    installed = unsent;
    if (unsent) window.addEventListener("beforeunload", warnBeforeLeaving);
    else window.removeEventListener("beforeunload", warnBeforeLeaving);
  });
}

function pump(): void {
  while (running < CONCURRENCY && waiting.length) {
    const next = waiting.shift()!;
    running++;
    process(next.id, next.file, next.prepared, next.owner).finally(() => {
      active.delete(next.id);
      running--;
      pump();
    });
  }
}

interface UploadResult {
  name: string;
  status: "accepted" | "duplicate" | "rejected";
  invoice?: Invoice;
  error?: ApiErrorBody;
}

async function process(id: number, original: File, prepared: boolean, owner: number): Promise<void> {
  const file = prepared ? original : await downscaleIfLarge(original);
  if (!prepared) void persist((handle) => patchRecord(handle, id, { blob: file, prepared: true, type: file.type }));
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    if (!navigator.onLine) {
      update(id, { phase: "waiting_online" });
      await new Promise((resolve) => window.addEventListener("online", resolve, { once: true }));
    }
    // Another person signed in on this page meanwhile: never sent on their session; it stays stored for mine.
    if (user.value?.id !== owner) return;
    update(id, { phase: "uploading", attempt, progress: 0 });
    const { status, body } = await send(file, (p) => update(id, { progress: p }));
    if (status >= 200 && status < 500 && body?.results?.length) {
      const result: UploadResult = body.results[0];
      if (result.invoice) receiveInvoices([result.invoice]);
      update(id, { phase: result.status, progress: 1, error: result.error, invoiceId: result.invoice?.id });
      return;
    }
    if (status === 401 && body?.error?.key === "auth.required") sessionEnded(); // signed out meanwhile
    if (!isRetryable(status) || attempt === MAX_ATTEMPTS) {
      update(id, { phase: "rejected", error: body?.error ?? { key: "network", message: "", params: {} } });
      return;
    }
    const wait = backoffMs(attempt);
    update(id, { phase: "retrying", retryInSeconds: Math.ceil(wait / 1000) });
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

function send(file: File, onProgress: (fraction: number) => void): Promise<{ status: number; body: any }> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/uploads");
    for (const [k, v] of Object.entries(CSRF_HEADERS)) xhr.setRequestHeader(k, v);
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => resolve({ status: xhr.status, body: xhr.response });
    xhr.onerror = () => resolve({ status: 0, body: null });
    xhr.ontimeout = () => resolve({ status: 0, body: null });
    const form = new FormData();
    form.append("files", file, file.name);
    xhr.send(form);
  });
}
