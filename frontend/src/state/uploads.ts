// The upload queue: each file is prepared (downscaled), sent with a progress bar, and retried
// with back-off when the network drops; a file the server refuses shows its translated reason.
import { signal } from "@preact/signals";
import { CSRF_HEADERS } from "../api/http";
import { backoffMs, isRetryable } from "../lib/backoff";
import { downscaleIfLarge } from "../lib/downscale";
import { sessionEnded } from "./session";
import { receiveInvoices } from "./store";
import type { ApiErrorBody, Invoice } from "./types";

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
}

const CONCURRENCY = 3;
const MAX_ATTEMPTS = 10;
let nextId = 1;
let running = 0;
const waiting: { item: UploadItem; file: File }[] = [];

export const uploads = signal<UploadItem[]>([]);

function update(id: number, patch: Partial<UploadItem>): void {
  uploads.value = uploads.value.map((u) => (u.id === id ? { ...u, ...patch } : u));
}

export function addFiles(files: Iterable<File>): void {
  const added: UploadItem[] = [];
  for (const file of files) {
    const item: UploadItem = { id: nextId++, name: file.name, size: file.size, phase: "preparing", progress: 0, attempt: 0 };
    added.push(item);
    waiting.push({ item, file });
  }
  uploads.value = [...added, ...uploads.value];
  pump();
}

export function clearFinished(): void {
  uploads.value = uploads.value.filter((u) => !["accepted", "duplicate", "rejected"].includes(u.phase));
}

function pump(): void {
  while (running < CONCURRENCY && waiting.length) {
    const next = waiting.shift()!;
    running++;
    process(next.item.id, next.file).finally(() => {
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

async function process(id: number, original: File): Promise<void> {
  const file = await downscaleIfLarge(original);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    if (!navigator.onLine) {
      update(id, { phase: "waiting_online" });
      await new Promise((resolve) => window.addEventListener("online", resolve, { once: true }));
    }
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
