// The finance team's board: search and filters (in the URL), the server's total and counts, the columns
// or (on a desktop) the table, and bulk work on a selection. Everything shown comes from server results
// (state/reduce.ts); pushes update cards in place and make the results ask again.
import { useEffect, useLayoutEffect } from "preact/hooks";
import { ensureCounts } from "../api/results";
import { t } from "../i18n";
import { SyncHealth } from "../components/SyncHealth";
import { BulkBar } from "../components/board/BulkBar";
import { exportUrl } from "../components/board/bulk";
import { columnQueries, ColumnsView } from "../components/board/ColumnsView";
import { FacetChips, StatusChips } from "../components/board/FilterChips";
import { MoreFilters } from "../components/board/MoreFilters";
import { SavedViews } from "../components/board/SavedViews";
import { NextReview } from "../components/NextReview";
import { SearchBox } from "../components/board/SearchBox";
import { TableView } from "../components/board/TableView";
import { boardFilter, filterQuery, isDesktop, setFilter } from "../state/board";
import { SORTS, type Filter, type Sort } from "../state/filter";
import { canAny, canIn } from "../lib/perms";
import { board, showResults, user } from "../state/store";

export function Board() {
  const filter = boardFilter.value;
  const query = filterQuery.value;
  const table = isDesktop.value && filter.view === "table";
  const queries = [query, ...(table ? [] : columnQueries(filter).map((c) => c.query))];
  useLayoutEffect(() => showResults(queries), [queries.join("\n")]);
  useEffect(() => {
    if (!table) ensureCounts(query); // the table's pages bring the counts with them
  });
  const main = board.value.results.get(query);
  const mayExport = filter.team_id ? canIn(user.value, Number(filter.team_id), "export") : canAny(user.value, "export");
  return (
    <section class="card board" aria-labelledby="board-title">
      <div class="row between wrap">
        <h2 id="board-title">
          {t("board.title")} {main?.total != null && <span class="total" data-testid="total">{t("board.total", { n: main.total })}</span>}
        </h2>
        <SyncHealth />
      </div>
      <div class="toolbar">
        <SearchBox filter={filter} />
        <div class="row wrap">
          <SortPick filter={filter} />
          {isDesktop.value && <ViewSwitch filter={filter} />}
          {mayExport && <a class="button" href={exportUrl(null, query)} download data-testid="export">{t("board.export")}</a>}
          <SavedViews />
          <NextReview current={null} />
        </div>
      </div>
      <StatusChips filter={filter} result={main} />
      <FacetChips filter={filter} result={main} />
      <MoreFilters filter={filter} />
      <BulkBar filter={filter} filterQuery={query} total={main?.total ?? null} />
      {table ? (
        main ? <TableView filter={filter} result={main} /> : null
      ) : (
        <ColumnsView filter={filter} />
      )}
    </section>
  );
}

function SortPick({ filter }: { filter: Filter }) {
  return (
    <label class="inline">
      <span class="sr-only">{t("board.sort")}</span>
      <select value={filter.sort} data-testid="sort" aria-label={t("board.sort")}
        onChange={(e) => setFilter({ ...filter, sort: e.currentTarget.value as Sort })}>
        {SORTS.map((s) => <option key={s} value={s}>{t(`sort.${s}`)}</option>)}
      </select>
    </label>
  );
}

function ViewSwitch({ filter }: { filter: Filter }) {
  return (
    <div class="switch" role="group" aria-label={t("board.view")}>
      {(["columns", "table"] as const).map((v) => (
        <button type="button" key={v} class={filter.view === v ? "tab active" : "tab"} aria-pressed={filter.view === v}
          data-testid={`view-${v}`} onClick={() => setFilter({ ...filter, view: v })}>
          {t(`board.view_${v}`)}
        </button>
      ))}
    </div>
  );
}
