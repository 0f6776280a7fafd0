// One invoice on the board, at a fixed height (the lists are virtual): seller and 价税合计 first, then the
// issue date and number, the statuses, and the one thing to do about it. The file name is only a tooltip,
// or the title while nothing is read yet.
import type { JSX } from "preact";
import { t } from "../../i18n";
import { yuan } from "../../lib/format";
import { currentNote, isNotInvoice } from "../../lib/note";
import { openInvoice } from "../../state/nav";
import type { Invoice } from "../../state/types";
import { StatusChip } from "../StatusChip";
import { Badges } from "./Badges";

export const CARD_HEIGHT = 108; // px per row: the card and the gap below it (styles.css .slot)

interface Props {
  inv: Invoice | undefined;
  style: JSX.CSSProperties;
  checked: boolean;
  onCheck: (shift: boolean) => void;
}

export function InvoiceCard({ inv, style, checked, onCheck }: Props) {
  if (!inv) return <li class="slot" style={style} aria-busy="true"><div class="invoice placeholder" /></li>;
  const seller = inv.seller_name;
  return (
    <li class="slot" style={style}>
      <div class={`invoice${checked ? " picked" : ""}`} data-testid="invoice-card" data-invoice-id={inv.id}
        data-status={inv.status} title={inv.original_name}
        onClick={(e) => !(e.target as HTMLElement).closest("a,label,input") && openInvoice(inv.id)}>
        <label class="pick" onClick={(e) => e.stopPropagation()}>
          <input type="checkbox" checked={checked} data-testid="pick" aria-label={t("bulk.pick", { name: seller ?? inv.original_name })}
            onClick={(e) => onCheck((e as MouseEvent).shiftKey)} />
        </label>
        <div class="thumb">
          {inv.has_thumbnail ? (
            <img src={`/api/invoices/${inv.id}/thumbnail?v=${inv.version}`} alt="" loading="lazy" />
          ) : (
            <span class="kind">{inv.file.kind.toUpperCase()}</span>
          )}
        </div>
        <div class="meta">
          <div class={seller ? "seller line" : "seller unread line"} data-testid="seller">{seller ?? inv.original_name}</div>
          <div class="row between line">
            <b class="amount" data-testid="amount">{yuan(inv.total_amount)}</b>
            <StatusChip status={inv.status} stage={inv.stage} />
          </div>
          <div class="line"><Badges inv={inv} /><span class="sub" data-testid="summary">{summary(inv)}</span></div>
          <Note inv={inv} />
        </div>
      </div>
    </li>
  );
}

/** The issue date, number (代码-号码) and type, or the invoice's id while nothing is read. */
function summary(inv: Invoice): string {
  if (isNotInvoice(inv)) return t("detail.not_invoice");  // not "unknown type": it is no invoice at all
  const known = [inv.issue_date, inv.key, inv.family ? t(`family.${inv.family}`) : null].filter(Boolean);
  return known.length ? known.join(" · ") : `#${inv.id}`;
}

function Note({ inv }: { inv: Invoice }) {
  const note = currentNote(inv);  // the same words the invoice page shows (lib/note.ts)
  if (!note) return null;
  if (note.kind === "cause") return <p class="note line" data-testid="top-cause" data-cause={note.key}>{note.text}</p>;
  return <p class={`line ${note.tone === "error" ? "error" : "note"}`} data-testid="reason" data-key={note.key}>{note.text}</p>;
}
