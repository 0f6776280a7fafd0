// Saved views (per user): the board's URL query under a name. Pick one to show it; save the current filter
// under a name; delete the one shown.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../../api/http";
import { errorText, t } from "../../i18n";
import { boardFilter } from "../../state/board";
import { formatFilter, parseFilter } from "../../state/filter";
import { navigateBoard } from "../../state/nav";
import { user } from "../../state/store";

interface SavedView {
  id: number;
  name: string;
  query: string;
}

const canonical = (query: string) => formatFilter(parseFilter(query));

export function SavedViews() {
  const [views, setViews] = useState<SavedView[]>([]);
  const [naming, setNaming] = useState(false);
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const current = formatFilter(boardFilter.value);
  const shown = views.find((v) => canonical(v.query) === current);

  const load = () => api<{ views: SavedView[] }>("/api/views").then((r) => setViews(r.views)).catch(() => undefined);
  useEffect(() => void load(), []);

  async function call(run: () => Promise<unknown>) {
    setError(null);
    try {
      await run();
      await load();
      return true;
    } catch (err) {
      setError(err instanceof ApiError ? errorText(err.body) : String(err));
      return false;
    }
  }

  async function save(e: Event) {
    e.preventDefault();
    const team_id = user.value?.teams[0]?.id;
    if (await call(() => api("/api/views", { method: "POST", json: { name: name.trim(), query: current, team_id } }))) {
      setNaming(false);
      setName("");
    }
  }

  return (
    <div class="views row wrap" data-testid="saved-views">
      {views.length > 0 && (
        <select value={shown ? String(shown.id) : ""} aria-label={t("views.pick")} data-testid="view-pick"
          onChange={(e) => {
            const v = views.find((x) => String(x.id) === e.currentTarget.value);
            if (v) navigateBoard(canonical(v.query));
          }}>
          <option value="">{t("views.pick")}</option>
          {views.map((v) => <option key={v.id} value={String(v.id)}>{v.name}</option>)}
        </select>
      )}
      {shown ? (
        <button type="button" class="link" data-testid="view-delete"
          onClick={() => call(() => api(`/api/views/${shown.id}`, { method: "DELETE" }))}>
          {t("views.delete", { name: shown.name })}
        </button>
      ) : naming ? (
        <form class="row" onSubmit={save}>
          <input value={name} maxLength={64} required placeholder={t("views.name")} aria-label={t("views.name")}
            data-testid="view-name" onInput={(e) => setName(e.currentTarget.value)} />
          <button type="submit" data-testid="view-save">{t("views.save")}</button>
          <button type="button" class="link" onClick={() => setNaming(false)}>{t("detail.cancel")}</button>
        </form>
      ) : (
        current && <button type="button" class="link" data-testid="view-new" onClick={() => setNaming(true)}>{t("views.save_as")}</button>
      )}
      {error && <p class="error" role="alert">{error}</p>}
    </div>
  );
}
