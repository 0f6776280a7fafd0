// How amounts and dates read on the board: ¥1,234.50 and 2026-01-03 in both languages (what finance writes).
const money = new Intl.NumberFormat("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function yuan(amount: string | null | undefined): string {
  if (amount === null || amount === undefined || amount === "") return "";
  const n = Number(amount);
  return Number.isFinite(n) ? `¥${money.format(n)}` : amount;
}

/** A local date and time, short: "2026-01-03 14:05". */
export function shortDateTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

// A moment as the API writes it (2026-01-03T06:05:00Z, .000Z, +08:00); a bare date (2026-01-03) is no moment.
const MOMENT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

export function isMoment(value: unknown): value is string {
  return typeof value === "string" && MOMENT.test(value);
}

/** A moment in the viewer's own timezone, written the way the page's language writes times. */
export function localTime(iso: string, language: "zh" | "en"): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const nav = globalThis.navigator?.language ?? "";
  const locale = language === "zh" ? "zh-CN" : nav.startsWith("en") ? nav : "en-GB";
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(d);
}

/** Message params with every moment in local time: the catalogs interpolate these, never a UTC string. */
export function localTimes(params: Record<string, unknown> | undefined, language: "zh" | "en"): Record<string, unknown> | undefined {
  if (!params || !Object.values(params).some(isMoment)) return params;
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, isMoment(v) ? localTime(v, language) : v]));
}
