// Text of one diagnosis cause: its params made readable (times in local time, field keys translated), and the
// evidence behind it (our value against the authority's, field by field).
import { lang, t } from "../i18n";
import type { Cause } from "../state/types";
import { localTime } from "./format";

export function when(iso: string | null | undefined): string {
  return iso ? localTime(iso, lang.value) : "—";
}

/** A list of names the way the language writes one: 金额、税额 / amount, tax. */
export const listOf = (names: string[]) => names.join(lang.value === "zh" ? "、" : ", ");

export function causeParams(cause: Cause): Record<string, unknown> {
  const params: Record<string, unknown> = { ...cause.params };  // times: t() writes them in local time
  if (typeof params.fields === "string" && params.fields) {
    params.fields = listOf((params.fields as string).split(", ").map((f) => t(`field.${f}`)));
  }
  return params;
}

export interface FieldDiff {
  field: string;
  ours: string;
  theirs: string;
  kind: string;
}

/** What a "fields differ" cause rests on: per field, what we read and what the authority holds ("—": none). */
export function fieldDiffs(cause: Cause): FieldDiff[] {
  const diffs = cause.params.differences;
  if (!Array.isArray(diffs)) return [];
  return diffs
    .filter((d): d is { field: string; ours?: unknown; theirs?: unknown; kind?: unknown } => typeof d?.field === "string")
    .map((d) => ({ field: d.field, ours: shown(d.ours), theirs: shown(d.theirs), kind: typeof d.kind === "string" ? d.kind : "differs" }));
}

const shown = (v: unknown) => (v === null || v === undefined || v === "" ? "—" : String(v));

export const causeText = (cause: Cause) => t(`diagnosis.${cause.key}`, causeParams(cause));
export const causeNext = (cause: Cause) => t(`diagnosis.${cause.key}.next`, causeParams(cause));

/** The number with the characters that differ from the candidate marked, for the near-miss evidence. */
export function markDiffs(text: string, positions: readonly number[]): { ch: string; diff: boolean }[] {
  const set = new Set(positions);
  return [...text].map((ch, i) => ({ ch, diff: set.has(i) }));
}
