import { useState } from "preact/hooks";
import { loadMore, nextPageCursor } from "../api/sync";
import { t } from "../i18n";
import { countByStatus } from "../state/reduce";
import { invoiceList } from "../state/store";
import { INVOICE_STATUSES, type Invoice, type InvoiceStatus } from "../state/types";
import { StatusChip } from "../components/StatusChip";
import { openInvoice } from "../state/nav";
import { COLUMNS, groupByColumn } from "../state/columns";
import { SyncHealth } from "../components/SyncHealth";
import { causeText, when } from "../lib/causes";

export function Board() {
  const [filter, setFilter] = useState<InvoiceStatus | null>(null);
  const all = invoiceList.value;
  const counts = countByStatus(all);
  const shown = filter ? all.filter((i) => i.status === filter) : all;
  const columns = groupByColumn(shown);
  return (
    <section class="card board" aria-labelledby="board-title">
      <div class="row between wrap">
        <h2 id="board-title">{t("board.title")}</h2>
        <SyncHealth />
      </div>
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
        <div class="columns" data-testid="board">
          {COLUMNS.filter((c) => columns[c.key].length).map((c) => (
            <section class="column" key={c.key} data-testid={`column-${c.key}`} aria-label={t(`column.${c.key}`)}>
              <h3>{t(`column.${c.key}`)} <b data-testid={`column-count-${c.key}`}>{columns[c.key].length}</b></h3>
              <ul class="cards">
                {columns[c.key].map((inv) => <InvoiceCard key={inv.id} inv={inv} />)}
              </ul>
            </section>
          ))}
        </div>
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
        {inv.diagnosis?.length ? (
          <p class="note" data-testid="top-cause" data-cause={inv.diagnosis[0].key}>
            {causeText(inv.diagnosis[0])}
          </p>
        ) : inv.reason && inv.reason !== "sync.outcome" && (
          <p class={inv.status === "failed" ? "error" : "note"} data-testid="reason">{t(inv.reason, inv.reason_params)}</p>
        )}
        {inv.next_check_at && <p class="sub">{t("sync.next_check", { at: when(inv.next_check_at) })}</p>}
      </div>
    </li>
  );
}
