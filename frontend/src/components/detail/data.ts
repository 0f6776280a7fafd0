// What the invoice page loads beside the invoice itself (GET /api/invoices/<id>): the other files of the
// same invoice and the reconciliation with the authority. Reloaded whenever the invoice's version changes.
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../../api/http";
import { receiveInvoices } from "../../state/store";
import type { Invoice } from "../../state/types";

export interface DuplicateEvidence {
  basis: "same_file" | "same_key";
  key: string | null;
  original: { id: number; name: string; uploaded_by: string | null; uploaded_at: string | null; status?: string };
  agree: string[];
  differ: { field: string; ours: string | null; theirs: string | null }[];
  linked_at: string | null;
}

export interface NearNote {
  basis: "near";
  near: { id: number; key: string; kind: "code_differs" | "number_differs"; name?: string }[];
}

export interface DuplicateFile {
  id: number;
  name: string;
  uploaded_by: string | null;
  uploaded_at: string | null;
  basis: string | null;
}

export interface Reconcile {
  reimbursement: string;
  booking: string;
  authority: {
    entry: string | null;
    entry_status: string | null;
    state: string | null;
    selected: boolean | null;
    deductible_tax: string | null;
    red_lock: string | null;
    risk: string | null;
    risk_state: string | null;
    source: string | null;
  } | null;
  flags: string[];
}

export interface InvoiceExtras {
  duplicates: DuplicateFile[];
  reconcile: Reconcile | null;
}

export function useInvoiceExtras(id: number, version: number | undefined): InvoiceExtras | null {
  const [extras, setExtras] = useState<InvoiceExtras | null>(null);
  const loaded = useRef<string>(""); // `${id}@${version}` last answered: its own arrival asks nothing again
  useEffect(() => {
    if (loaded.current === `${id}@${version}`) return;
    let live = true;
    api<{ invoice: Invoice } & InvoiceExtras>(`/api/invoices/${id}`)
      .then((r) => {
        loaded.current = `${id}@${r.invoice.version}`;
        receiveInvoices([r.invoice]);
        if (live) setExtras({ duplicates: r.duplicates ?? [], reconcile: r.reconcile ?? null });
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [id, version]);
  return extras;
}

export function isEvidence(d: Invoice["duplicate"]): d is DuplicateEvidence & Record<string, unknown> {
  return !!d && (d.basis === "same_key" || d.basis === "same_file");
}

export function isNear(d: Invoice["duplicate"]): d is NearNote & Record<string, unknown> {
  return !!d && d.basis === "near" && Array.isArray(d.near) && d.near.length > 0;
}
