// One line of an invoice's timeline (GET /api/invoices/<id>/history), in words: activity.<kind> from the
// server's catalog, its params from `data` plus `by`, with keys (fields, outcomes, states) translated and
// times in local time. Pure, so it is tested on its own (tests/activity.test.ts).
import { t } from "../i18n";
import { shortDateTime } from "./format";

export interface HistoryItem {
  at: string;
  kind: string;
  by: string | null;
  by_id?: number | null;
  data: Record<string, unknown>;
}

const dash = (v: unknown) => (v === null || v === undefined || v === "" ? "—" : String(v));

/** The params activity.<kind> is written with. */
export function activityParams(item: HistoryItem): Record<string, unknown> {
  const d = item.data ?? {};
  const params: Record<string, unknown> = { ...d, by: item.by ?? t("activity.app") };
  if (item.kind === "corrected") {
    params.field = typeof d.field === "string" ? t(`field.${d.field}`) : dash(d.field);
    params.old = dash(d.old);
    params.new = dash(d.new);
  }
  if (item.kind === "checked") params.outcome = t(`outcome.${d.outcome}`);
  if (item.kind === "exported") params.format = String(d.format ?? "").toUpperCase();
  if (item.kind === "unbooked") {
    params.period = dash(d.period);
    params.voucher = dash(d.voucher);
  }
  if (item.kind === "claim_returned") params.note = dash(d.note);
  if (item.kind === "reimbursed" && !d.claim) params.claim = "";
  return params;
}

export function activityText(item: HistoryItem): string {
  return t(`activity.${item.kind}`, activityParams(item));
}

/** A second, quieter line where the entry has more to say (the file name, who asked a check, why). */
export function activityDetail(item: HistoryItem): string | null {
  const d = item.data ?? {};
  switch (item.kind) {
    case "uploaded":
      return typeof d.name === "string" ? d.name : null;
    case "read": // what the reader made of it: not an invoice, hard to read, or its family
      if (typeof d.reason === "string" && d.reason.startsWith("reader.")) return t(`activity.read_${d.reason.slice(7)}`);
      return d.family ? t(`family.${d.family}`) : null;
    case "checked": {
      const parts = [t(`trigger.${d.trigger}`)];
      if (d.trigger === "manual" && item.by) parts.push(item.by);
      if (typeof d.error === "string" && d.error) parts.push(t(`error.${d.error}`));
      return parts.join(" · ");
    }
    case "duplicate_linked":
      return typeof d.key === "string" ? d.key : null;
    case "duplicate_released":
      return typeof d.why === "string" ? t(`activity.why.${d.why}`) : null;
    case "claim_added":
      return d.warning ? t("activity.added_with_warning") : null;
    case "reimbursed":
      return d.claim ? t("activity.via_claim", { claim: d.claim }) : t("activity.directly");
    default:
      return null;
  }
}

/** When, in the viewer's local time ("2026-01-05 17:00"), never the raw ISO string. */
export const activityWhen = (item: HistoryItem) => shortDateTime(item.at);
