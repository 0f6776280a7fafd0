// Mirrors backend/models.py (InvoiceStatus), backend/services/events.py (EventKind) and
// backend/serializers.py. Keys are stable; labels come from the i18n catalogs.

export const INVOICE_STATUSES = ["received", "processing", "extracted", "needs_review", "processed", "failed", "duplicate",
  "pending_sync", "found", "mismatch", "voided", "red_flushed", "not_found", "sync_error"] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

export const EVENT_KINDS = ["invoice.created", "invoice.updated"] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface Invoice {
  id: number;
  team_id: number;
  original_name: string;
  status: InvoiceStatus;
  reason: string | null;
  reason_params: Record<string, unknown>;
  duplicate_of: number | null;
  file: { kind: string; mime: string; size: number; sha256: string };
  page_count: number | null;
  width: number | null;
  height: number | null;
  has_thumbnail: boolean;
  stage: string | null; // reader stage while processing: decoding, qr, recognising, extracting, validating
  family: string | null;
  fields: Record<string, FieldReading> | null;
  qr_text: string | null;
  validation: Finding[] | null;
  reading: { timings: Record<string, number>; page_size: [number, number] | null } | null;
  uploaded_by: number | null;
  // At the tax authority (backend/services/sync.py)
  next_check_at: string | null;
  pending_since: string | null;
  checks_done: number;
  last_outcome: string | null;
  authority: { fields: Record<string, string | null> | null; differences: Difference[] } | null;
  diagnosis: Cause[];
  version: number;
  created_at: string;
  updated_at: string;
}

export interface FieldReading {
  value: string | null;
  confidence: number;
  box: [number, number, number, number] | null;
  source: string | null;
  review: boolean;
  alternatives: { source: string; value: string }[];
}

export interface Finding {
  key: string;
  severity: "error" | "warning";
  fields: string[];
  params: Record<string, unknown>;
}

/** One ranked reason why an invoice is not found (backend/sync/diagnosis.py). */
export interface Cause {
  key: string;
  score: number;
  params: Record<string, unknown>;
  action: "accept_near_miss" | "edit_fields" | "check_now" | "add_entity" | null;
}

export interface Difference {
  field: string;
  ours: string | null;
  theirs: string | null;
  kind: string;
}

export interface CharDiff {
  field: string;
  position: number;
  ours: string;
  theirs: string;
}

export interface NearMiss {
  key: string;
  kind: "confusion" | "transposition" | "one_edit";
  score: number;
  diffs: CharDiff[];
  differences: Difference[];
  fields: Record<string, string | null>;
}

export interface SyncCheck {
  id: number;
  at: string;
  trigger: "auto" | "manual" | "feed" | "ledger";
  by_user: number | null;
  outcome: string;
  status_after: string;
  spent_quota: boolean;
  next_check_at: string | null;
  error: string | null;
}

export interface SyncHealth {
  connector: string;
  online: boolean;
  ok: boolean;
  last_ok_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  down_since: string | null;
  failures: number;
}

export interface ServerEvent {
  cursor: number;
  kind: EventKind;
  team_id: number;
  at: string;
  invoice: Invoice;
}

export interface User {
  id: number;
  username: string;
  display_name: string;
  is_admin: boolean;
  teams: { id: number; name: string }[];
}

export interface ApiErrorBody {
  key: string;
  message: string;
  params: Record<string, unknown>;
}

export type ConnectionState = "online" | "reconnecting" | "offline";
