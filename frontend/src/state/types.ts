// Mirrors backend/models.py (InvoiceStatus), backend/services/events.py (EventKind) and
// backend/serializers.py. Keys are stable; labels come from the i18n catalogs.

export const INVOICE_STATUSES = ["received", "processing", "extracted", "needs_review", "processed", "failed", "duplicate",
  "pending_sync", "found", "mismatch", "voided", "red_flushed", "not_found", "sync_error"] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

export const EVENT_KINDS = ["invoice.created", "invoice.updated", "claim.updated"] as const;
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
  // One file, many invoices (backend/services/bundles.py): the file's pages (1-based) this invoice is, or its
  // box in a photo of several; the upload's first invoice; on that one, how many the file held.
  pages?: number[] | null;
  crop?: { box: [number, number, number, number]; quad?: [number, number][] } | null;
  part_of?: number | null;
  parts?: number | null;
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
  // The finance team's side (issue 9): identity, search columns, reimbursement and booking
  key: string | null;
  issue_date: string | null; // YYYY-MM-DD
  total_amount: string | null; // 价税合计, "123.40"
  seller_name: string | null;
  buyer_name: string | null;
  uploaded_by_name: string | null;
  duplicate: Record<string, unknown> | null; // evidence of the duplicate link (or near misses)
  reimbursement: Reimbursement;
  claim: { id: number; number: string; state: ClaimState } | null;
  reimbursed_at: string | null;
  booking: { state: BookingState; period: string | null; voucher: string | null; at: string | null; by: number | null; by_name: string | null };
  flags: string[]; // reconcile flags (backend/services/reconcile.py)
  version: number;
  created_at: string;
  updated_at: string;
}

export const REIMBURSEMENTS = ["unclaimed", "claimed", "reimbursed"] as const;
export type Reimbursement = (typeof REIMBURSEMENTS)[number];
export const BOOKINGS = ["unbooked", "booked"] as const;
export type BookingState = (typeof BOOKINGS)[number];
export const RECONCILE_FLAGS = ["booked_not_at_authority", "authority_booked_not_reimbursed", "reimbursed_then_voided",
  "booked_then_voided", "duplicate_claimed"] as const;
export const CLAIM_STATES = ["draft", "submitted", "approved", "returned"] as const;
export type ClaimState = (typeof CLAIM_STATES)[number];

/** A claim (报销单), serializers.claim_public. */
export interface Claim {
  id: number;
  team_id: number;
  number: string;
  purpose: string;
  claimant: { id: number; name: string | null } | null;
  state: ClaimState;
  total: string;
  count: number;
  note: string | null;
  created_by: number | null;
  created_at: string;
  submitted_at: string | null;
  decided_at: string | null;
  decided_by: number | null;
  decided_by_name: string | null;
  version: number;
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

/** The authority connector's health (services/health.snapshot): GET /api/sync/health and connector.updated. */
export interface SyncHealth {
  connector: string;
  online: boolean;
  ok: boolean;
  last_ok_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
  down_since: string | null;
  failures: number;
  maintenance_until?: string | null;
  maintenance_since?: string | null; // when the kept maintenance was first answered
  resumes_at?: string | null;
  version: number; // bumped by every change the server notes: of a read and a push, the higher is kept
}

interface EventBase {
  cursor: number;
  team_id: number;
  at: string;
}
export interface InvoiceEvent extends EventBase {
  kind: "invoice.created" | "invoice.updated";
  invoice: Invoice;
}
export interface ClaimEvent extends EventBase {
  kind: "claim.updated";
  claim: Claim;
}
export interface ConnectorEvent extends EventBase {
  kind: "connector.updated";
  health: SyncHealth;
}
export type ServerEvent = InvoiceEvent | ClaimEvent | ConnectorEvent;

export interface User {
  id: number;
  username: string;
  display_name: string;
  is_admin: boolean;
  teams: { id: number; name: string; role: string | null; can_manage: boolean; permissions: string[]; own_only?: string[] }[];
}

export const ROLES = ["submitter", "accountant", "admin", "auditor"] as const;
export type Role = (typeof ROLES)[number];

/** A person as GET /api/people lists them (services/users.person_public). */
export interface Person {
  id: number;
  username: string;
  display_name: string;
  is_admin: boolean;
  disabled: boolean;
  created_at: string;
  password_set: boolean;
  teams: { id: number; name: string; role: Role }[];
}

/** A one-time link to set a password (`<host>/set-password#<token>`), shown once to the admin who made it. */
export interface OneTimeLink {
  url: string;
  expires_at: string;
}

/** One of my sign-in sessions (GET /api/auth/sessions). */
export interface LoginSession {
  id: number;
  created_at: string;
  last_seen_at: string;
  address: string | null;
  user_agent: string | null;
  current: boolean;
}

/** One line of the audit log (GET /api/audit). */
export interface AuditEntry {
  id: number;
  at: string;
  actor: number | null;
  actor_name: string | null;
  team: number | string | { id: number; name: string } | null;
  action: string;
  target: string | null;
  address: string | null;
  data: Record<string, unknown> | null;
}

export interface ApiErrorBody {
  key: string;
  message: string;
  params: Record<string, unknown>;
}

export type ConnectionState = "online" | "reconnecting" | "offline";
