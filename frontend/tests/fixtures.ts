// Invoices and events for the unit tests, shaped like serializers.invoice_public.
import type { Claim, Invoice, ServerEvent } from "../src/state/types";

export function inv(id: number, version: number, status: Invoice["status"] = "received", extra: Partial<Invoice> = {}): Invoice {
  return {
    id, team_id: 1, original_name: `f${id}.jpg`, status, reason: null, reason_params: {}, duplicate_of: null,
    file: { kind: "jpeg", mime: "image/jpeg", size: 1, sha256: "x" }, page_count: null, width: null, height: null,
    has_thumbnail: false, stage: null, family: null, fields: null, qr_text: null, validation: null, reading: null, uploaded_by: 1,
    next_check_at: null, pending_since: null, checks_done: 0, last_outcome: null, authority: null, diagnosis: [],
    key: null, issue_date: null, total_amount: null, seller_name: null, buyer_name: null, uploaded_by_name: "alice",
    duplicate: null, reimbursement: "unclaimed", claim: null, reimbursed_at: null,
    booking: { state: "unbooked", period: null, voucher: null, at: null, by: null, by_name: null }, flags: [],
    version, created_at: "", updated_at: "", ...extra,
  };
}

export const ev = (cursor: number, invoice: Invoice, kind: "invoice.updated" | "invoice.created" = "invoice.updated"): ServerEvent =>
  ({ cursor, kind, team_id: 1, at: "", invoice });

export function claim(id: number, version: number, state: Claim["state"] = "draft"): Claim {
  return {
    id, team_id: 1, number: `BX202601-${String(id).padStart(4, "0")}`, purpose: "差旅", claimant: { id: 1, name: "alice" },
    state, total: "0.00", count: 0, note: null, created_by: 1, created_at: "", submitted_at: null, decided_at: null,
    decided_by: null, decided_by_name: null, version, updated_at: "",
  };
}

export const claimEv = (cursor: number, c: Claim): ServerEvent => ({ cursor, kind: "claim.updated", team_id: 1, at: "", claim: c });
