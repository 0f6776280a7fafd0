// The dashboard's numbers (GET /api/dashboard, backend/services/dashboard.py) turned into what the charts
// draw: labels in the current language, amounts as numbers of yuan. Pure (tests/dashboard.test.ts); the
// chart component only hands these to Chart.js.
import { t } from "../i18n";

export interface Group {
  count: number;
  total: string; // 价税合计, "123.40"
}
export interface OldInvoice {
  id: number;
  key: string | null;
  seller_name: string | null;
  total_amount: string | null;
  status: string;
  reimbursement: string;
  issue_date: string | null;
  since: string;
  age_days: number;
}
export interface DashboardData {
  team_id: number;
  totals: Group;
  duplicates: Group;
  by_status: (Group & { status: string })[];
  by_month: (Group & { month: string | null })[];
  by_seller: (Group & { seller: string })[];
  aging: { authority: (Group & { bucket: string })[]; reimbursement: (Group & { bucket: string })[] };
  oldest: { authority: OldInvoice[]; reimbursement: OldInvoice[] };
  buckets: string[];
  at: string;
}

export interface Series {
  labels: string[];
  counts: number[];
  amounts: number[]; // yuan
  keys: string[]; // what each bar stands for (status, month, seller, bucket): colours and test ids
}

const yuanOf = (total: string) => {
  const n = Number(total);
  return Number.isFinite(n) ? n : 0;
};

function series<T extends Group>(rows: readonly T[], key: (r: T) => string, label: (r: T) => string): Series {
  return {
    labels: rows.map(label),
    counts: rows.map((r) => r.count),
    amounts: rows.map((r) => yuanOf(r.total)),
    keys: rows.map(key),
  };
}

export const statusSeries = (d: DashboardData) =>
  series(d.by_status, (r) => r.status, (r) => t(`status.${r.status}`));

export const monthSeries = (d: DashboardData) =>
  series(d.by_month, (r) => r.month ?? "none", (r) => r.month ?? t("dash.no_date"));

export const sellerSeries = (d: DashboardData) => series(d.by_seller, (r) => r.seller, (r) => r.seller);

export const agingSeries = (rows: DashboardData["aging"]["authority"]) =>
  series(rows, (r) => r.bucket, (r) => t(`dash.bucket.${r.bucket}`));

/** Totals of what waits: the tiles above the aging charts. */
export function waiting(rows: readonly Group[]): Group {
  const count = rows.reduce((n, r) => n + r.count, 0);
  const fen = rows.reduce((n, r) => n + Math.round(yuanOf(r.total) * 100), 0);
  return { count, total: (fen / 100).toFixed(2) };
}

// One colour per status family, as the board's chips: found green, waiting amber, trouble red, rest grey.
const STATUS_COLOURS: Record<string, string> = {
  found: "#16a34a", pending_sync: "#f59e0b", extracted: "#0ea5e9", needs_review: "#fb923c", processed: "#0ea5e9",
  mismatch: "#dc2626", not_found: "#dc2626", voided: "#991b1b", red_flushed: "#991b1b", sync_error: "#ef4444",
  failed: "#7f1d1d", received: "#6366f1", processing: "#a78bfa",
};

export function statusColour(status: string): string {
  return STATUS_COLOURS[status] ?? "#9ca3af";
}

/** Older buckets darker: the eye goes to what has waited longest. */
export function bucketColours(buckets: readonly string[]): string[] {
  const ramp = ["#fde68a", "#fcd34d", "#fbbf24", "#f59e0b", "#d97706", "#b45309", "#92400e"];
  return buckets.map((_, i) => ramp[Math.min(ramp.length - 1, Math.round((i * (ramp.length - 1)) / Math.max(1, buckets.length - 1)))]);
}

/** A short axis label for an amount: ¥1.2万 / ¥12k would both be read; finance here reads 万 in zh. */
export function compactYuan(n: number, lang: "zh" | "en"): string {
  const abs = Math.abs(n);
  if (lang === "zh" && abs >= 10_000) return `¥${trim(n / 10_000)}万`;
  if (lang === "en" && abs >= 1_000_000) return `¥${trim(n / 1_000_000)}M`;
  if (lang === "en" && abs >= 1_000) return `¥${trim(n / 1_000)}k`;
  return `¥${trim(n)}`;
}

function trim(n: number): string {
  return String(Math.round(n * 10) / 10);
}
