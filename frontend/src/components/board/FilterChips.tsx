// Chips that narrow the board with one tap, each with the server's count for the filter: statuses (the
// counts leave the status filter out, so each chip says what it would give), then reimbursement, booking,
// duplicates and reconcile flags (facets of the filter).
import { t } from "../../i18n";
import { setFilter } from "../../state/board";
import { toggle, type Filter, type ListKey } from "../../state/filter";
import type { ResultState } from "../../state/reduce";
import { BOOKINGS, INVOICE_STATUSES, RECONCILE_FLAGS, REIMBURSEMENTS } from "../../state/types";

interface Props {
  filter: Filter;
  result: ResultState | undefined;
}

export function StatusChips({ filter, result }: Props) {
  const counts = result?.counts ?? {};
  const all = Object.values(counts).reduce((a, b) => a + b, 0);
  const shown = INVOICE_STATUSES.filter((s) => counts[s] || filter.status.includes(s));
  return (
    <div class="filters" role="group" aria-label={t("filter.status")} data-testid="status-chips">
      <button type="button" class={filter.status.length ? "tab" : "tab active"} aria-pressed={!filter.status.length}
        data-testid="count-all" onClick={() => setFilter({ ...filter, status: [] })}>
        {t("board.all")} <b>{all}</b>
      </button>
      {shown.map((s) => (
        <Chip key={s} filter={filter} list="status" value={s} label={t(`status.${s}`)} n={counts[s] ?? 0} testid={`count-${s}`} />
      ))}
    </div>
  );
}

export function FacetChips({ filter, result }: Props) {
  const facets = result?.facets;
  const chips: [ListKey, string, string, number | undefined][] = [
    ...REIMBURSEMENTS.map((v): [ListKey, string, string, number | undefined] =>
      ["reimbursement", v, t(`reimbursement.${v}`), facets?.reimbursement[v]]),
    ...BOOKINGS.map((v): [ListKey, string, string, number | undefined] => ["booking", v, t(`booking.${v}`), facets?.booking[v]]),
    ...RECONCILE_FLAGS.filter((f) => facets?.flags[f] || filter.flag.includes(f))
      .map((v): [ListKey, string, string, number | undefined] => ["flag", v, t(`flag.short.${v}`), facets?.flags[v]]),
  ];
  const dup = filter.duplicate === "true";
  return (
    <div class="filters" role="group" aria-label={t("filter.finance")} data-testid="facet-chips">
      {chips.map(([list, value, label, n]) => (
        <Chip key={`${list}-${value}`} filter={filter} list={list} value={value} label={label} n={n} testid={`chip-${list}-${value}`} />
      ))}
      <button type="button" class={dup ? "tab active" : "tab"} aria-pressed={dup} data-testid="chip-duplicate"
        onClick={() => setFilter({ ...filter, duplicate: dup ? "" : "true" })}>
        {t("card.duplicate")}
      </button>
    </div>
  );
}

interface ChipProps {
  filter: Filter;
  list: ListKey;
  value: string;
  label: string;
  n: number | undefined;
  testid: string;
}

function Chip({ filter, list, value, label, n, testid }: ChipProps) {
  const on = filter[list].includes(value);
  return (
    <button type="button" class={on ? "tab active" : "tab"} aria-pressed={on} data-testid={testid}
      onClick={() => setFilter(toggle(filter, list, value))}>
      {label} {n !== undefined && <b>{n}</b>}
    </button>
  );
}
