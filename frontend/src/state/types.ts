// Mirrors backend/models.py (InvoiceStatus), backend/services/events.py (EventKind) and
// backend/serializers.py. Keys are stable; labels come from the i18n catalogs.

export const INVOICE_STATUSES = ["received", "processing", "extracted", "needs_review", "processed", "failed", "duplicate"] as const;
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
