// Text of one diagnosis cause: its params made readable (times in local time, field keys translated).
import { t } from "../i18n";
import type { Cause } from "../state/types";

const TIMES = ["expected_by", "next_allowed", "since", "overdue_at", "next_check_at", "last_ok_at"];

export function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : "—";
}

export function causeParams(cause: Cause): Record<string, unknown> {
  const params: Record<string, unknown> = { ...cause.params };
  for (const k of TIMES) if (typeof params[k] === "string") params[k] = when(params[k] as string);
  if (typeof params.fields === "string" && params.fields) {
    params.fields = (params.fields as string).split(", ").map((f) => t(`field.${f}`)).join("、");
  }
  return params;
}

export const causeText = (cause: Cause) => t(`diagnosis.${cause.key}`, causeParams(cause));
export const causeNext = (cause: Cause) => t(`diagnosis.${cause.key}.next`, causeParams(cause));

/** The number with the characters that differ from the candidate marked, for the near-miss evidence. */
export function markDiffs(text: string, positions: readonly number[]): { ch: string; diff: boolean }[] {
  const set = new Set(positions);
  return [...text].map((ch, i) => ({ ch, diff: set.has(i) }));
}
