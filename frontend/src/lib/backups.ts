// The backups page (views/Backups.tsx) in words: GET /api/backups read as what the page shows and whether it
// keeps asking (a backup waiting, running or being verified), sizes and ages for people. Pure
// (tests/backups.test.ts).
import { errorText, lang as currentLang, t, type Lang } from "../i18n";

export type BackupState = "queued" | "running" | "done" | "failed";

/** One backup as the API shows it (backend/backup/records.public, plus who asked for it by name). */
export interface BackupRecord {
  id: number;
  state: BackupState;
  trigger: "manual" | "schedule" | "cli" | string;
  requested_by: number | null;
  requested_by_name?: string | null;
  created_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_seconds: number | null;
  size: number | null;
  path: string | null;
  file: string | null;
  backup_id: string | null;
  key_id: string | null;
  contents: { invoices?: number; files?: number; file_bytes?: number };
  ok: boolean | null;
  error: { key: string; params: Record<string, unknown> } | null;
  verified: boolean;
  verified_at: string | null;
  verify_error: string | null;
  pruned: boolean;
  pruned_at: string | null;
}

/** GET /api/backups (backend/api/backups.py). */
export interface BackupListing {
  configured: boolean;
  key_kind: "passphrase" | "key_file" | null;
  dir: string;
  interval_hours: number;
  keep: number;
  keep_days: number;
  running: BackupRecord | null;
  queued: BackupRecord | null;
  last: BackupRecord | null;
  next_run: string | null;
  records: BackupRecord[];
}

export const POLL_MS = 3000;
// The scheduler verifies a backup from disk after it finished (the record says so when done). One it has not
// verified this long after is not waited for any more (its process stopped; a CLI backup is never verified here).
const VERIFY_WAIT_MS = 10 * 60 * 1000;

/** What one backup is now, for its badge: waiting, running, verifying, good, not verified, failing its check,
 * failed; and deleted by retention once its file is gone. */
export type BackupStatus = "queued" | "running" | "verifying" | "verified" | "unverified" | "verify_failed" | "failed" | "pruned";

export function backupStatus(r: BackupRecord, now: number): BackupStatus {
  if (r.state === "queued" || r.state === "running") return r.state;
  if (r.state === "failed") return "failed";
  if (r.pruned) return "pruned";
  if (r.verify_error) return "verify_failed";
  if (r.verified) return "verified";
  return awaitingVerification(r, now) ? "verifying" : "unverified";
}

function awaitingVerification(r: BackupRecord, now: number): boolean {
  if (r.state !== "done" || r.verified_at || r.verify_error || r.pruned || r.trigger === "cli") return false;
  const finished = r.finished_at ? Date.parse(r.finished_at) : NaN;
  return Number.isFinite(finished) && now - finished < VERIFY_WAIT_MS;
}

/** Keep asking while something will change by itself: a backup waiting or running, or the last one being
 * verified. Nothing of that: stop (a scheduled one starting later shows on the next visit). */
export function shouldPoll(b: BackupListing | null, now: number): boolean {
  if (!b) return false;
  return b.running !== null || b.queued !== null || (b.last !== null && awaitingVerification(b.last, now));
}

/** "Back up now" is offered when a key is set and no backup is waiting or running (one asked for now would wait
 * behind it anyway). */
export function canBackUpNow(b: BackupListing | null): boolean {
  return !!b && b.configured && b.running === null && b.queued === null;
}

/** The backup in progress (running first, else the one waiting), if any. */
export function inProgress(b: BackupListing | null): BackupRecord | null {
  return b ? b.running ?? b.queued : null;
}

const locale = (language: Lang) => (language === "zh" ? "zh-CN" : "en");

/** Bytes for people: 512 B, 340 KB, 1.2 MB, 12 MB, 3.4 GB (1 KB = 1024 B; one decimal below 10). */
export function humanSize(bytes: number | null | undefined, language: Lang = currentLang.value): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return "—";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  const digitsOf = (v: number, u: number) => (u === 0 || v >= 10 ? 0 : 1);
  // Up a unit while it is 1024 or more once rounded (1023.96 KB reads 1.0 MB, never "1,024 KB").
  while (unit < units.length - 1 && Number(value.toFixed(digitsOf(value, unit))) >= 1024) {
    value /= 1024;
    unit += 1;
  }
  const digits = digitsOf(value, unit);
  const n = new Intl.NumberFormat(locale(language), { maximumFractionDigits: digits, minimumFractionDigits: digits });
  return `${n.format(value)} ${units[unit]}`;
}

/** How long ago (past) or how soon (future), to the minute, hour or day: "5 分钟前", "in 3 h". */
export function relativeTime(iso: string | null | undefined, now: number, language: Lang = currentLang.value): string {
  if (!iso) return "";
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return "";
  const diff = at - now;
  const minutes = Math.round(Math.abs(diff) / 60_000);
  if (minutes < 1) return t(diff > 0 ? "backups.soon" : "backups.just_now", {}, language);
  const [n, unit] = minutes < 60 ? [minutes, "min"] : minutes < 48 * 60 ? [Math.round(minutes / 60), "h"] : [Math.round(minutes / 1440), "d"];
  return t(`backups.${diff > 0 ? "in" : "ago"}_${unit}`, { n }, language);
}

/** How long a backup took: 0.4 s, 12 s, 3 min 5 s. */
export function durationText(seconds: number | null | undefined, language: Lang = currentLang.value): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "";
  if (seconds < 0.05) return t("backups.seconds", { n: "<0.1" }, language);
  if (seconds < 10) return t("backups.seconds", { n: new Intl.NumberFormat(locale(language), { maximumFractionDigits: 1 }).format(seconds) }, language);
  if (seconds < 60) return t("backups.seconds", { n: Math.round(seconds) }, language);
  const whole = Math.round(seconds);
  return t("backups.minutes_seconds", { m: Math.floor(whole / 60), s: whole % 60 }, language);
}

/** The schedule in words: every N hours, or only when asked for (0). */
export function scheduleText(intervalHours: number, language: Lang = currentLang.value): string {
  if (!(intervalHours > 0)) return t("backups.on_request", {}, language);
  const n = new Intl.NumberFormat(locale(language), { maximumFractionDigits: 2 }).format(intervalHours);
  return t(intervalHours === 24 ? "backups.daily" : "backups.every_hours", { n }, language);
}

/** The retention rules in words (either turned off by 0); the newest good backup always stays. */
export function retentionText(keep: number, keepDays: number, language: Lang = currentLang.value): string {
  if (keep > 0 && keepDays > 0) return t("backups.keep_both", { n: keep, days: keepDays }, language);
  if (keep > 0) return t("backups.keep_count", { n: keep }, language);
  if (keepDays > 0) return t("backups.keep_days", { days: keepDays }, language);
  return t("backups.keep_all", {}, language);
}

/** Who or what started it: the schedule, the command line, or the person who asked. */
export function triggerText(r: BackupRecord, language: Lang = currentLang.value): string {
  if (r.trigger === "schedule") return t("backups.trigger.schedule", {}, language);
  if (r.trigger === "cli") return t("backups.trigger.cli", {}, language);
  const who = r.requested_by_name ?? (r.requested_by !== null ? `#${r.requested_by}` : "—");
  return t("backups.trigger.manual", { who }, language);
}

/** Why it failed, or why it does not verify, in the viewer's language (the server's stable keys). */
export function problemText(r: BackupRecord): string | null {
  if (r.error) return errorText({ key: r.error.key, params: r.error.params });
  if (r.verify_error) return t("backups.verify_error", { reason: errorText({ key: r.verify_error }) });
  return null;
}

/** What is in it: "12 invoices, 14 files (3.1 MB)". */
export function contentsText(r: BackupRecord, language: Lang = currentLang.value): string {
  const c = r.contents ?? {};
  if (c.invoices === undefined && c.files === undefined) return "";
  return t("backups.contents", { invoices: c.invoices ?? 0, files: c.files ?? 0, bytes: humanSize(c.file_bytes ?? 0, language) }, language);
}

/** The time a record shows: finished, else started, else asked for. */
export function recordTime(r: BackupRecord): string | null {
  return r.finished_at ?? r.started_at ?? r.created_at;
}
