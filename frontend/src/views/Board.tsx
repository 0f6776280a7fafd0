import { useState } from "preact/hooks";
import { loadMore, nextPageCursor } from "../api/sync";
import { t } from "../i18n";
import { countByStatus } from "../state/reduce";
import { invoiceList } from "../state/store";
import { INVOICE_STATUSES, type Invoice, type InvoiceStatus } from "../state/types";
import { StatusChip } from "../components/StatusChip";
import { openInvoice } from "../state/nav";

export function Board() {
  const [filter, setFilter] = useState<InvoiceStatus | null>(null);
  const all = invoiceList.value;
  const counts = countByStatus(all);
  const shown = filter ? all.filter((i) => i.status === filter) : all;
  return (
    <section class="card board" aria-labelledby="board-title">
      <h2 id="board-title">{t("board.title")}</h2>
      <div class="filters" role="tablist">
        <button type="button" class={filter === null ? "tab active" : "tab"} onClick={() => setFilter(null)}>
          {t("board.all")} <b>{all.length}</b>
        </button>
        {INVOICE_STATUSES.filter((s) => counts[s]).map((s) => (
          <button type="button" key={s} data-testid={`count-${s}`} class={filter === s ? "tab active" : "tab"} onClick={() => setFilter(s)}>
            {t(`status.${s}`)} <b>{counts[s]}</b>
          </button>
        ))}
      </div>
      {shown.length === 0 ? (
        <p class="hint">{t("board.empty")}</p>
      ) : (
        <ul class="cards" data-testid="board">
          {shown.map((inv) => <InvoiceCard key={inv.id} inv={inv} />)}
        </ul>
      )}
      {nextPageCursor !== null && (
        <button type="button" onClick={() => loadMore()}>{t("board.more")}</button>
      )}
    </section>
  );
}

function Summary({ inv }: { inv: Invoice }) {
  const f = inv.fields!;
  const key = f.invoice_number?.value ? `${f.invoice_code?.value ? f.invoice_code.value + "-" : ""}${f.invoice_number.value}` : null;
  return (
    <div class="summary" data-testid="summary">
      {inv.family && <span>{t(`family.${inv.family}`)}</span>}
      {key && <span> · {key}</span>}
      {f.total?.value && <span> · ¥{f.total.value}</span>}
      {f.issue_date?.value && <span> · {f.issue_date.value}</span>}
    </div>
  );
}

function InvoiceCard({ inv }: { inv: Invoice }) {
  return (
    <li class="invoice" data-testid="invoice-card" data-invoice-id={inv.id} data-status={inv.status}
      onClick={(e) => (e.target as HTMLElement).tagName !== "A" && openInvoice(inv.id)}>
      <div class="thumb">
        {inv.has_thumbnail ? (
          <img src={`/api/invoices/${inv.id}/thumbnail?v=${inv.version}`} alt="" loading="lazy" />
        ) : (
          <span class="kind">{inv.file.kind.toUpperCase()}</span>
        )}
      </div>
      <div class="meta">
        <div class="row between">
          <span class="name" title={inv.original_name}>{inv.original_name}</span>
          <StatusChip status={inv.status} stage={inv.stage} />
        </div>
        <div class="sub">
          #{inv.id} · {new Date(inv.created_at).toLocaleString()}
          {inv.page_count && inv.page_count > 1 ? ` · ${t("board.pages", { n: inv.page_count })}` : ""}
          {" · "}
          <a href={`/api/invoices/${inv.id}/file`}>{t("board.download")}</a>
        </div>
        {inv.fields && <Summary inv={inv} />}
        {inv.reason && <p class={inv.status === "failed" ? "error" : "note"} data-testid="reason">{t(inv.reason, inv.reason_params)}</p>}
      </div>
    </li>
  );
}
