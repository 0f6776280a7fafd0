// One invoice: what was read (on its picture), the finance side (duplicate evidence, reimbursement and
// booking, reconciliation with the authority), the authority checks, and the whole timeline.
import { useState } from "preact/hooks";
import { StatusChip } from "../components/StatusChip";
import { t } from "../i18n";
import { boxStyle, qrAgreement } from "../lib/qr";
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
  const extras = useInvoiceExtras(id, inv?.version);
  if (!inv) return null;
  const page = inv.reading?.page_size ?? null;
  const qr = qrAgreement(inv);
  return (
    <section class="card detail" data-testid="invoice-detail" data-invoice-id={inv.id}>
      <div class="row between">
        <button type="button" class="link" onClick={() => openInvoice(null)}>← {t("detail.back")}</button>
        <StatusChip status={inv.status} stage={inv.stage} />
      </div>
      <DetailHeading inv={inv} />
      <span class={`badge qr-${qr}`} data-testid="qr-badge" data-qr={qr}>{t(qr === "none" ? "detail.no_qr" : `detail.qr_${qr}`)}</span>
      <div class="detail-grid">
        <div class="detail-side">
          <DuplicateSection inv={inv} duplicates={extras?.duplicates ?? []} />
          <FinanceSection inv={inv} />
          <ReconcileSection inv={inv} rec={extras?.reconcile ?? null} />
          {inv.duplicate_of === null && (  // a second file is never checked at the authority
            <SyncPanel inv={inv} onEditField={(name) => { setSelected(name); setEditing(name); }} />
          )}
        </div>
        <div class="detail-main">
          {inv.has_thumbnail && page && (
            <div class="page" data-testid="page">
              <img src={`/api/invoices/${inv.id}/preview?v=${inv.version}`} alt={inv.original_name} />
              {FIELDS.map((name) => {
                const f = inv.fields?.[name];
                return f?.box ? (
                  <button type="button" key={name} data-testid={`box-${name}`} aria-label={t(`field.${name}`)}
                    class={`box${selected === name ? " selected" : ""}${f.review ? " doubt" : ""}`}
                    style={boxStyle(f.box, page)} onClick={() => setSelected(name)} />
                ) : null;
              })}
            </div>
          )}
          <h3>{t("detail.fields")}</h3>
          <ul class="fields">
            {FIELDS.map((name) => (
              <FieldRow key={name} inv={inv} name={name} f={inv.fields?.[name]} selected={selected === name}
                onSelect={() => setSelected(name)} editing={editing === name}
                onEdit={(on) => setEditing(on ? name : null)} />
            ))}
          </ul>
          <h3>{t("detail.checks")}</h3>
          <Findings findings={inv.validation ?? []} />
        </div>
      </div>
      <HistorySection id={inv.id} version={inv.version} />
    </section>
  );
}

/** Seller and amount first (what people look for), then date, key and the file it came from. */
function DetailHeading({ inv }: { inv: Invoice }) {
  const title = inv.seller_name ?? (inv.family ? t(`family.${inv.family}`) : inv.original_name);
  const facts = [inv.issue_date, inv.key, inv.seller_name && inv.family ? t(`family.${inv.family}`) : null].filter(Boolean);
  return (
    <div class="heading" data-testid="detail-heading">
      <h2>
        <span class="title">{title}</span>
        {inv.total_amount && <span class="amount" data-testid="detail-total">{yuan(inv.total_amount)}</span>}
      </h2>
      {facts.length > 0 && <p class="sub">{facts.join(" · ")}</p>}
      <p class="sub">
        {t("detail.file", { name: inv.original_name, by: inv.uploaded_by_name ?? "—", at: shortDateTime(inv.created_at) })}
        {" · "}
        <a href={`/api/invoices/${inv.id}/file`}>{t("board.download")}</a>
      </p>
    </div>
  );
}
