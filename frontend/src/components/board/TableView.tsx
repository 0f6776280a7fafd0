// The desktop table: one row per invoice of the filter, sorted by the server (`sort=`), loaded by page as
// it scrolls. Click a header to sort by it (again to reverse); click a row to open the invoice.
import type { JSX } from "preact";
import { ensureRows } from "../../api/results";
import { t } from "../../i18n";
import { shortDateTime, yuan } from "../../lib/format";
import { selection, setFilter } from "../../state/board";
import { nextSort, type Filter } from "../../state/filter";
import { openInvoice } from "../../state/nav";
import { idAt, idsBetween, type ResultState } from "../../state/reduce";
import { isSelected, setMany } from "../../state/selection";
import { board } from "../../state/store";
import type { Invoice } from "../../state/types";
import { StatusChip } from "../StatusChip";
import { Badges } from "./Badges";
import { pick } from "./pick";
import { VirtualList } from "./VirtualList";

const ROW = 44;
// [label key, sort key or null]
const COLUMNS: [string, string | null][] = [
  ["table.seller", "seller"], ["table.date", "date"], ["table.total", "total"], ["table.status", "status"],
  ["table.reimbursement", null], ["table.booking", null], ["table.uploader", "uploader"],
  ["table.uploaded", "created"],
];

export function TableView({ filter, result }: { filter: Filter; result: ResultState }) {
  const total = result.total ?? 0;
  const invoices = board.value.invoices;
  const sel = selection.value;
  if (result.total === 0) return <p class="hint" data-testid="board-empty">{t("board.no_match")}</p>;
  return (
    <div class="table" role="table" data-testid="invoice-table" aria-rowcount={total + 1}>
      <Header filter={filter} result={result} />
      <VirtualList count={total} rowHeight={ROW} scroll="self" class="table-body" role="rowgroup"
        onRange={(from, to) => ensureRows(result.query, from, Math.max(to, 1))}
        row={(i, style) => {
          const id = idAt(result, i);
          const inv = id === undefined ? undefined : invoices.get(id);
          return <Row key={i} index={i} inv={inv} style={style} checked={inv !== undefined && isSelected(sel, inv.id)}
            onCheck={(shift) => inv && pick(result, i, inv.id, shift)} />;
        }} />
    </div>
  );
}

function Header({ filter, result }: { filter: Filter; result: ResultState }) {
  const loaded = idsBetween(result, 0, result.total ?? 0);
  const sel = selection.value;
  const all = sel.all || (loaded.length > 0 && loaded.every((id) => sel.ids.has(id)));
  return (
    <div class="tr th" role="row">
      <span role="columnheader" class="cell pick">
        <input type="checkbox" checked={all} data-testid="pick-loaded" aria-label={t("bulk.pick_loaded")}
          onClick={() => (selection.value = setMany(sel, loaded, !all))} />
      </span>
      {COLUMNS.map(([label, key]) => {
        const state = key && filter.sort === key ? "ascending" : key && filter.sort === `-${key}` ? "descending" : "none";
        return (
          <span role="columnheader" class="cell" key={label} aria-sort={state}>
            {key ? (
              <button type="button" class="sort" data-testid={`sort-${key}`} data-sort={state}
                onClick={() => setFilter({ ...filter, sort: nextSort(filter.sort, key) })}>
                {t(label)} <span aria-hidden="true">{state === "ascending" ? "▲" : state === "descending" ? "▼" : ""}</span>
              </button>
            ) : t(label)}
          </span>
        );
      })}
    </div>
  );
}

interface RowProps {
  index: number; // 0-based row of the result (the header is aria row 1)
  inv: Invoice | undefined;
  style: JSX.CSSProperties;
  checked: boolean;
  onCheck: (shift: boolean) => void;
}

function Row({ index, inv, style, checked, onCheck }: RowProps) {
  if (!inv) return <div class="tr placeholder" role="row" style={style} aria-rowindex={index + 2} aria-busy="true" />;
  return (
    <div class={`tr${checked ? " picked" : ""}`} role="row" style={style} aria-rowindex={index + 2} data-testid="invoice-row" data-invoice-id={inv.id}
      data-status={inv.status} onClick={(e) => !(e.target as HTMLElement).closest("input,label") && openInvoice(inv.id)}>
      <span role="cell" class="cell pick">
        <input type="checkbox" checked={checked} data-testid="pick" aria-label={t("bulk.pick", { name: inv.seller_name ?? inv.original_name })}
          onClick={(e) => onCheck((e as MouseEvent).shiftKey)} />
      </span>
      <span role="cell" class="cell seller-cell" title={inv.original_name}>
        <span class={inv.seller_name ? "seller" : "seller unread"} data-testid="seller">{inv.seller_name ?? inv.original_name}</span>
        <Badges inv={inv} risksOnly />
      </span>
      <span role="cell" class="cell">{inv.issue_date ?? ""}</span>
      <span role="cell" class="cell num" data-testid="amount">{yuan(inv.total_amount)}</span>
      <span role="cell" class="cell"><StatusChip status={inv.status} stage={inv.stage} /></span>
      <span role="cell" class="cell" data-testid="reimbursement" data-state={inv.reimbursement}>
        {t(`reimbursement.${inv.reimbursement}`)}{inv.claim ? <span class="sub" title={t("card.in_claim", { number: inv.claim.number })}> {inv.claim.number}</span> : null}
      </span>
      <span role="cell" class="cell" data-testid="booking" data-state={inv.booking?.state}
        title={inv.booking?.state === "booked" ? t("card.booked_as", { period: inv.booking.period, voucher: inv.booking.voucher }) : undefined}>
        {t(`booking.${inv.booking?.state ?? "unbooked"}`)}{inv.booking?.period ? <span class="sub"> {inv.booking.period}</span> : null}
      </span>
      <span role="cell" class="cell">{inv.uploaded_by_name ?? ""}</span>
      <span role="cell" class="cell sub" title={shortDateTime(inv.created_at)}>{shortDateTime(inv.created_at).slice(0, 10)}</span>
    </div>
  );
}
