// The board's columns (reading → pending → found → needs attention), each its own server result: the
// column's count is the server's total for the filter within the column's statuses, and its cards load by
// page as they scroll into view. On a phone the columns stack, each showing its newest few.
import { useEffect } from "preact/hooks";
import { ensureRows } from "../../api/results";
import { t } from "../../i18n";
import { isDesktop, selection, setFilter } from "../../state/board";
import { COLUMNS } from "../../state/columns";
import { apiQuery, withinStatuses, type Filter } from "../../state/filter";
import { idAt, type ResultState } from "../../state/reduce";
import { isSelected } from "../../state/selection";
import { board } from "../../state/store";
import { CARD_HEIGHT, InvoiceCard } from "./InvoiceCard";
import { pick } from "./pick";
import { VirtualList } from "./VirtualList";

const PREVIEW = 3; // cards per column on a phone while several columns show

export function columnQueries(filter: Filter): { key: string; statuses: readonly string[]; query: string }[] {
  const out = [];
  for (const col of COLUMNS) {
    const within = withinStatuses(filter, col.statuses);
    if (within) out.push({ key: col.key, statuses: col.statuses, query: apiQuery(within) });
  }
  return out;
}

export function ColumnsView({ filter }: { filter: Filter }) {
  const columns = columnQueries(filter);
  const results = board.value.results;
  // Load every column's first page (and again when pushes make it stale), shown or not: a column
  // appears when its first invoice does.
  useEffect(() => {
    for (const c of columns) ensureRows(c.query, 0, 1);
  });
  const shown = columns.filter((c) => (results.get(c.query)?.total ?? 0) > 0);
  const loading = columns.some((c) => results.get(c.query)?.total === null);
  if (!shown.length) return loading ? <p class="hint">{t("board.loading")}</p> : <Empty filter={filter} />;
  const preview = !isDesktop.value && shown.length > 1;
  return (
    <div class="columns" data-testid="board">
      {shown.map((c) => (
        <Column key={c.key} name={c.key} result={results.get(c.query)!} preview={preview}
          onAll={() => setFilter({ ...filter, status: [...c.statuses] })} />
      ))}
    </div>
  );
}

function Empty({ filter }: { filter: Filter }) {
  const filtered = Boolean(apiQuery({ ...filter, sort: "-created" }));
  return <p class="hint" data-testid="board-empty">{t(filtered ? "board.no_match" : "board.empty")}</p>;
}

interface ColumnProps {
  name: string;
  result: ResultState;
  preview: boolean;
  onAll: () => void;
}

function Column({ name, result, preview, onAll }: ColumnProps) {
  const total = result.total ?? 0;
  const count = preview ? Math.min(total, PREVIEW) : total;
  const sel = selection.value;
  const invoices = board.value.invoices;
  return (
    <section class="column" data-testid={`column-${name}`} aria-label={t(`column.${name}`)}>
      <h3>{t(`column.${name}`)} <b data-testid={`column-count-${name}`}>{total}</b></h3>
      <VirtualList count={count} rowHeight={CARD_HEIGHT} scroll={isDesktop.value ? "self" : "window"} class="col-list" list
        label={t(`column.${name}`)} onRange={(from, to) => ensureRows(result.query, from, Math.max(to, 1))}
        row={(i, style) => {
          const id = idAt(result, i);
          return (
            <InvoiceCard key={i} inv={id === undefined ? undefined : invoices.get(id)} style={style}
              checked={id !== undefined && isSelected(sel, id)} onCheck={(shift) => id !== undefined && pick(result, i, id, shift)} />
          );
        }} />
      {preview && total > count && (
        <button type="button" class="link more" data-testid={`column-all-${name}`} onClick={onAll}>
          {t("board.show_all", { n: total })}
        </button>
      )}
    </section>
  );
}
