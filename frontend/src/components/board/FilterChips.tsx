// Chips that narrow the board with one tap, each with the server's count for the filter: statuses (the
// counts leave the status filter out, so each chip says what it would give), then reimbursement, booking
// and reconcile flags (facets of the filter). Chips that would give nothing are left out unless chosen.
import { t } from "../../i18n";
import { setFilter } from "../../state/board";
import { toggle, type Filter, type ListKey } from "../../state/filter";
import type { Facets, ResultState } from "../../state/reduce";
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

// Which facet of the answer counts each chip list, and the key its label comes from.
const FACETS: [ListKey, keyof Facets, readonly string[], string][] = [
  ["reimbursement", "reimbursement", REIMBURSEMENTS, "reimbursement"],
  ["booking", "booking", BOOKINGS, "booking"],
  ["flag", "flags", RECONCILE_FLAGS, "flag.short"],
];

export function FacetChips({ filter, result }: Props) {
  const facets = result && result.countsGen >= 0 ? result.facets : null; // once loaded, a missing key is 0
  if (!facets) return null;
  const chips = FACETS.flatMap(([list, facet, values, prefix]) => values.map((value) =>
    ({ list, value, label: t(`${prefix}.${value}`), n: facets[facet][value] ?? 0 })));
  return (
    <div class="filters" role="group" aria-label={t("filter.finance")} data-testid="facet-chips">
      {chips.filter((c) => c.n || filter[c.list].includes(c.value)).map((c) => (
        <Chip key={`${c.list}-${c.value}`} filter={filter} list={c.list} value={c.value} label={c.label} n={c.n}
          testid={`chip-${c.list}-${c.value}`} />
      ))}
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
