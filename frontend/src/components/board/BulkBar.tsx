// The bar that appears while invoices are selected: how many, "select all N matching", and the actions.
// Each action shows only where the role allows it in every team involved (lib/perms.ts): reimburse, book and
// unbook need `finance`, a claim `claim`, a check `upload`, the export `export`.
import { useState } from "preact/hooks";
import { ApiError } from "../../api/http";
import { errorText, t } from "../../i18n";
import { selection } from "../../state/board";
import type { Filter } from "../../state/filter";
import { noSelection, selectAllMatching, selectedCount, type Selection } from "../../state/selection";
import { canAll, teamsWith } from "../../lib/perms";
import { board, user } from "../../state/store";
import { BookForm } from "./BookForm";
import { exportUrl, runBulk, type Outcome } from "./bulk";
import { BulkOutcome } from "./BulkOutcome";
import { ClaimPicker } from "./ClaimPicker";

interface Props {
  filter: Filter;
  filterQuery: string;
  total: number | null;
}

/** The teams the selected invoices belong to (all of mine, or the filter's team, when all match). */
function teamsOf(sel: Selection, filter: Filter): number[] {
  if (sel.all) return filter.team_id ? [Number(filter.team_id)] : (user.value?.teams ?? []).map((tm) => tm.id);
  const invoices = board.value.invoices;
  return [...new Set([...sel.ids].map((id) => invoices.get(id)?.team_id).filter((x): x is number => x !== undefined))];
}

export function BulkBar({ filter, filterQuery, total }: Props) {
  const [form, setForm] = useState<"claim" | "book" | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const sel = selection.value;
  const n = selectedCount(sel, total);
  const teams = teamsOf(sel, filter);
  const may = (perm: Parameters<typeof canAll>[2]) => canAll(user.value, teams, perm);
  const finance = may("finance");

  function finish(result: Outcome) {
    setOutcome(result);
    setForm(null);
    if (result.done.length) selection.value = noSelection;
  }

  async function act(action: string) {
    setBusy(true);
    setError(null);
    try {
      finish(await runBulk(action, sel, filterQuery));
    } catch (err) {
      setError(err instanceof ApiError ? errorText(err.body) : String(err));
    } finally {
      setBusy(false);
    }
  }

  if (!n && !outcome) return null;
  return (
    <div class="bulkbar" data-testid="bulk-bar" role="region" aria-label={t("bulk.region")}>
      {outcome && <BulkOutcome outcome={outcome} onClose={() => setOutcome(null)} />}
      {n > 0 && (
        <>
          <div class="row wrap">
            <b data-testid="selected-count">{sel.all ? t("bulk.all_selected", { n }) : t("bulk.selected", { n })}</b>
            {!sel.all && total !== null && total > n && (
              <button type="button" class="link" data-testid="select-all" onClick={() => (selection.value = selectAllMatching())}>
                {t("bulk.select_all", { n: total })}
              </button>
            )}
            <button type="button" class="link" data-testid="select-none" onClick={() => (selection.value = noSelection)}>
              {t("bulk.clear")}
            </button>
          </div>
          <div class="row wrap actions">
            {may("claim") && <button type="button" data-testid="bulk-claim" disabled={busy} onClick={() => setForm("claim")}>{t("bulk.to_claim")}</button>}
            {finance && <button type="button" data-testid="bulk-reimburse" disabled={busy} onClick={() => act("reimburse")}>{t("bulk.reimburse")}</button>}
            {finance && <button type="button" data-testid="bulk-book" disabled={busy} onClick={() => setForm("book")}>{t("bulk.book")}</button>}
            {finance && <button type="button" data-testid="bulk-unbook" disabled={busy} onClick={() => act("unbook")}>{t("bulk.unbook")}</button>}
            {may("upload") && <button type="button" data-testid="bulk-check" disabled={busy} onClick={() => act("check")}>{t("bulk.check")}</button>}
            {may("export") && <a class="button" data-testid="bulk-export" href={exportUrl(sel, filterQuery)} download>{t("bulk.export")}</a>}
          </div>
          {error && <p class="error" role="alert">{error}</p>}
          {form === "claim" && (
            <ClaimPicker teamId={teams[0] ?? teamsWith(user.value, "claim")[0]?.id ?? 0} sel={sel} filterQuery={filterQuery}
              onDone={finish} onCancel={() => setForm(null)} />
          )}
          {form === "book" && <BookForm sel={sel} filterQuery={filterQuery} onDone={finish} onCancel={() => setForm(null)} />}
        </>
      )}
    </div>
  );
}
