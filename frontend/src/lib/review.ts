// "Next needing review": the board's 待核对 invoices in the board's own order (newest first), the one after
// this one, wrapping round; null when no other invoice needs review.
import { api } from "../api/http";
import type { Invoice } from "../state/types";

export function nextAfter(ids: number[], current: number | null): number | null {
  const others = ids.filter((id) => id !== current);
  if (!others.length) return null;
  const at = current === null ? -1 : ids.indexOf(current);
  return at < 0 ? others[0] : ids.slice(at + 1).find((id) => id !== current) ?? others[0];
}

export async function nextNeedingReview(current: number | null): Promise<number | null> {
  const page = await api<{ items: Invoice[] }>("/api/invoices?status=needs_review&limit=200");
  return nextAfter(page.items.map((inv) => inv.id), current);
}

/** The keys of the invoice page (documented in its visible hint); null: a key it leaves alone. */
export type KeyAction = "next_field" | "prev_field" | "next_review" | "zoom_in" | "zoom_out" | "fit" | "rotate" | "unselect";

export function keyAction(e: { key: string; altKey: boolean; ctrlKey: boolean; metaKey: boolean; target: EventTarget | null }): KeyAction | null {
  const el = e.target as HTMLElement | null;
  if (el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName))) return null;
  if (e.ctrlKey || e.metaKey) return null;
  if (e.altKey) return e.key === "ArrowDown" ? "next_field" : e.key === "ArrowUp" ? "prev_field" : null;
  const keys: Record<string, KeyAction> = { j: "next_field", k: "prev_field", n: "next_review", "+": "zoom_in", "=": "zoom_in",
    "-": "zoom_out", "0": "fit", r: "rotate", Escape: "unselect" };
  return keys[e.key] ?? null;
}
