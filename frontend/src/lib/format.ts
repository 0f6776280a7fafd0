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
