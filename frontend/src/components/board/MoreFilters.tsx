// The rest of the filter, folded away on a phone: issue-date range, 价税合计 range, invoice type, only mine,
// duplicates in or out, and clearing everything.
import { useState } from "preact/hooks";
import { t } from "../../i18n";
import { setFilter } from "../../state/board";
import { activeCount, emptyFilter, FAMILIES, formatFilter, isNarrowed, parseFilter, type Filter } from "../../state/filter";
import { user } from "../../state/store";

export function MoreFilters({ filter }: { filter: Filter }) {
  const [open, setOpen] = useState(false);
  const n = activeCount(filter);
  return (
    <div class="more-filters">
      <div class="row wrap">
        <button type="button" class={n ? "tab active" : "tab"} aria-expanded={open} data-testid="more-filters"
          onClick={() => setOpen(!open)}>
          {t("filter.more")}{n ? ` (${n})` : ""}
        </button>
        {isNarrowed(filter) && (
          <button type="button" class="link" data-testid="clear-filters"
            onClick={() => setFilter({ ...emptyFilter, q: filter.q, sort: filter.sort, view: filter.view })}>
            {t("filter.clear")}
          </button>
        )}
      </div>
      {open && <Panel filter={filter} />}
    </div>
  );
}

// Values typed by hand go through the same cleaning as the URL, so a half-typed amount is not sent.
function set(filter: Filter, patch: Partial<Filter>): void {
  setFilter(parseFilter(formatFilter({ ...filter, ...patch })));
}

function Panel({ filter }: { filter: Filter }) {
  const me = user.value;
  const mine = me !== null && filter.uploaded_by === String(me.id);
  return (
    <div class="panel" data-testid="filter-panel">
      <fieldset>
        <legend>{t("filter.issue_date")}</legend>
        <div class="row">
          <input type="date" value={filter.date_from} aria-label={t("filter.from")} data-testid="date-from"
            onChange={(e) => set(filter, { date_from: e.currentTarget.value })} />
          <span>–</span>
          <input type="date" value={filter.date_to} aria-label={t("filter.to")} data-testid="date-to"
            onChange={(e) => set(filter, { date_to: e.currentTarget.value })} />
        </div>
      </fieldset>
      <fieldset>
        <legend>{t("filter.amount")}</legend>
        <div class="row">
          <input inputMode="decimal" value={filter.amount_min} placeholder="0.00" aria-label={t("filter.min")}
            data-testid="amount-min" onChange={(e) => set(filter, { amount_min: e.currentTarget.value })} />
          <span>–</span>
          <input inputMode="decimal" value={filter.amount_max} placeholder="∞" aria-label={t("filter.max")}
            data-testid="amount-max" onChange={(e) => set(filter, { amount_max: e.currentTarget.value })} />
        </div>
      </fieldset>
      <label>
        {t("filter.family")}
        <select value={filter.family[0] ?? ""} data-testid="family"
          onChange={(e) => set(filter, { family: e.currentTarget.value ? [e.currentTarget.value] : [] })}>
          <option value="">{t("filter.any")}</option>
          {FAMILIES.map((f) => <option key={f} value={f}>{t(`family.${f}`)}</option>)}
        </select>
      </label>
      <label>
        {t("filter.duplicates")}
        <select value={filter.duplicate} data-testid="duplicate"
          onChange={(e) => set(filter, { duplicate: e.currentTarget.value as Filter["duplicate"] })}>
          <option value="">{t("filter.any")}</option>
          <option value="true">{t("filter.only_duplicates")}</option>
          <option value="false">{t("filter.no_duplicates")}</option>
        </select>
      </label>
      {me && (
        <label class="check">
          <input type="checkbox" checked={mine} data-testid="mine"
            onChange={() => set(filter, { uploaded_by: mine ? "" : String(me.id) })} />
          {t("filter.mine")}
        </label>
      )}
    </div>
  );
}
