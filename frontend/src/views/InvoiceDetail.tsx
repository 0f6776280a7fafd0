// One invoice: what was read (on its picture), the finance side (duplicate evidence, reimbursement and
// booking, reconciliation with the authority), the authority checks, and the whole timeline.
import { useEffect, useRef, useState } from "preact/hooks";
import { partLabel } from "../components/BundleNote";
import { FileName } from "../components/FileName";
import { StatusChip } from "../components/StatusChip";
import { t } from "../i18n";
import { qrAgreement } from "../lib/qr";
import { currentNote, hasFields, isNotInvoice } from "../lib/note";
import { keyAction } from "../lib/review";
import { goToNextReview, NextReview } from "../components/NextReview";
import { PageViewer, stepZoom, type ViewerState } from "../components/detail/PageViewer";
import { openInvoice } from "../state/nav";
import { board } from "../state/store";
import type { Invoice } from "../state/types";
import { SyncPanel } from "../components/SyncPanel";
import { useInvoiceExtras } from "../components/detail/data";
import { FieldRow, Findings } from "../components/detail/Fields";
import { DuplicateSection } from "../components/detail/DuplicateSection";
import { FinanceSection } from "../components/detail/FinanceSection";
import { HistorySection } from "../components/detail/HistorySection";
import { ReconcileSection } from "../components/detail/ReconcileSection";
import { shortDateTime, yuan } from "../lib/format";

const FIELDS = ["invoice_code", "invoice_number", "issue_date", "check_code", "buyer_name", "buyer_tax_id",
  "seller_name", "seller_tax_id", "amount", "tax", "total", "total_in_words"] as const;

export function InvoiceDetail({ id }: { id: number }) {
  const inv = board.value.invoices.get(id);
  const [selected, setSelected] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [view, setView] = useState<ViewerState>({ zoom: 1, rotation: 0 });
  const extras = useInvoiceExtras(id, inv?.version);
  const state = useRef({ selected, view });
  state.current = { selected, view };
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      const action = keyAction(e);
      if (!action) return;
      const { selected: sel, view: v } = state.current;
      const at = sel === null ? -1 : FIELDS.indexOf(sel as (typeof FIELDS)[number]);
      if (action === "next_field") setSelected(FIELDS[Math.min(FIELDS.length - 1, at + 1)]);
      else if (action === "prev_field") setSelected(FIELDS[Math.max(0, at < 0 ? 0 : at - 1)]);
      else if (action === "next_review") void goToNextReview(id);
      else if (action === "zoom_in") setView({ ...v, zoom: stepZoom(v.zoom, 1) });
      else if (action === "zoom_out") setView({ ...v, zoom: stepZoom(v.zoom, -1) });
      else if (action === "fit") setView({ ...v, zoom: 1 });
      else if (action === "rotate") setView({ ...v, rotation: (v.rotation + 90) % 360 });
      else setSelected(null);
      e.preventDefault();
    }
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [id]);
  if (!inv) return null;
  const page = inv.reading?.page_size ?? null;
  const qr = qrAgreement(inv);
  const note = currentNote(inv);
  const read = hasFields(inv);
  return (
    <section class={`card detail workbench${selected ? " pinned" : ""}`} data-testid="invoice-detail" data-invoice-id={inv.id}>
      <div class="row between wrap">
        <button type="button" class="link" onClick={() => openInvoice(null)}>← {t("detail.back")}</button>
        <span class="row wrap">
          <NextReview current={inv.id} />
          <StatusChip status={inv.status} stage={inv.stage} />
        </span>
      </div>
      <DetailHeading inv={inv} />
      <div class="row wrap">
        <span class={`badge qr-${qr}`} data-testid="qr-badge" data-qr={qr}>{t(qr === "none" ? "detail.no_qr" : `detail.qr_${qr}`)}</span>
        {isNotInvoice(inv) && <span class="badge not-invoice" data-testid="not-invoice">{t("detail.not_invoice")}</span>}
      </div>
      {note && (
        <p class={`status-note ${note.tone}`} data-testid="status-note" data-kind={note.kind} data-key={note.key}>{note.text}</p>
      )}
      <p class="hint keys-hint" data-testid="keys-hint">{t("keys.hint")}</p>
      <div class="detail-grid">
        <div class="detail-view">
          {inv.has_thumbnail && page ? (
            <PageViewer inv={inv} page={page} fields={FIELDS} selected={selected} onSelect={setSelected} view={view} onView={setView} />
          ) : (
            inv.status !== "processing" && inv.status !== "received" && <p class="note" data-testid="no-page">{t("viewer.no_page")}</p>
          )}
        </div>
        <div class="detail-main">
          <h3>{t("detail.fields")}</h3>
          <ul class="fields">
            {FIELDS.map((name) => (
              <FieldRow key={name} inv={inv} name={name} f={inv.fields?.[name]} selected={selected === name}
                onSelect={() => setSelected(name)} editing={editing === name}
                onEdit={(on) => setEditing(on ? name : null)} />
            ))}
          </ul>
          <h3>{t("detail.checks")}</h3>
          {read ? <Findings findings={inv.validation ?? []} /> : <p class="note" data-testid="no-fields">{t("detail.no_fields")}</p>}
        </div>
        <div class="detail-side">
          <DuplicateSection inv={inv} duplicates={extras?.duplicates ?? []} />
          <FinanceSection inv={inv} />
          <ReconcileSection inv={inv} rec={extras?.reconcile ?? null} />
          {inv.duplicate_of === null && (  // a second file is never checked at the authority
            <SyncPanel inv={inv} onEditField={(name) => { setSelected(name); setEditing(name); }} />
          )}
        </div>
      </div>
      <HistorySection id={inv.id} version={inv.version} />
    </section>
  );
}

/** "File NAME, uploaded by … at …" with a long name cut to one line (FileName). */
function FileLine({ inv }: { inv: Invoice }) {
  const marker = "\u0000";
  const [before, after] = t("detail.file", { name: marker, by: inv.uploaded_by_name ?? "—", at: shortDateTime(inv.created_at) }).split(marker);
  return (
    <>
      {before}
      <FileName name={inv.original_name} />
      {partLabel(inv) && <span class="part-of-file" data-testid="part-of-file"> · {partLabel(inv)}</span>}
      {after}
    </>
  );
}

/** Seller and amount first (what people look for), then date, key and the file it came from. */
function DetailHeading({ inv }: { inv: Invoice }) {
  const title = inv.seller_name ?? (isNotInvoice(inv) ? t("detail.not_invoice")
    : inv.family && inv.family !== "unknown" ? t(`family.${inv.family}`) : inv.original_name);
  const facts = [inv.issue_date, inv.key, inv.seller_name && inv.family ? t(`family.${inv.family}`) : null].filter(Boolean);
  return (
    <div class="heading" data-testid="detail-heading">
      <h2>
        <span class="title">{title}</span>
        {inv.total_amount && <span class="amount" data-testid="detail-total">{yuan(inv.total_amount)}</span>}
      </h2>
      {facts.length > 0 && <p class="sub">{facts.join(" · ")}</p>}
      <p class="sub">
        <FileLine inv={inv} />
        {" · "}
        <a href={`/api/invoices/${inv.id}/file`}>{t("board.download")}</a>
      </p>
    </div>
  );
}
