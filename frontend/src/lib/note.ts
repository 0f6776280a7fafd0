// The one thing the card, the invoice page and its heading say about an invoice's current state, from the
// invoice alone, so they never disagree: the authority's top cause while it has one, else the status's reason;
// a reading that found nothing says so before any authority cause.
// A reading's reason (nothing read, not an invoice) is about the reading: once a person gives the invoice a
// field it is superseded and stays only in the timeline.
import { t } from "../i18n";
import type { Invoice } from "../state/types";
import { causeText } from "./causes";

export const NOT_INVOICE = "reader.not_invoice";

export interface Note {
  kind: "cause" | "reason";
  key: string;
  text: string;
  tone: "error" | "note" | "warn";
}

export function hasFields(inv: Invoice): boolean {
  return Object.values(inv.fields ?? {}).some((f) => f?.value !== null && f?.value !== undefined && f.value !== "");
}

export function isNotInvoice(inv: Invoice): boolean {
  return inv.reason === NOT_INVOICE && !hasFields(inv);
}

export function currentNote(inv: Invoice): Note | null {
  // Nothing read: that comes first (what the authority lacks follows from it and is no help yet).
  const unread = !!inv.reason?.startsWith("reader.") && !hasFields(inv);
  if (inv.diagnosis?.length && !unread) {
    const top = inv.diagnosis[0];
    return { kind: "cause", key: top.key, text: causeText(top), tone: "note" };
  }
  const reason = inv.reason;
  if (!reason || reason === "sync.outcome") return null;
  if (reason.startsWith("reader.") && hasFields(inv)) return null;
  const tone = inv.status === "failed" ? "error" : reason === NOT_INVOICE ? "warn" : "note";
  return { kind: "reason", key: reason, text: t(reason, inv.reason_params), tone };
}
