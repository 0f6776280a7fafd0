// Team settings for the authority side: the buyer entities (抬头 + 税号) invoices should be made out to
// (added and removed with `manage`), and importing the platform's 全量发票查询 export (xlsx or csv; `finance`).
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, CSRF_HEADERS } from "../api/http";
import { errorText, t } from "../i18n";
import { can, canIn } from "../lib/perms";
import { type ImportProblem, problemText } from "../lib/ledger";
import { user } from "../state/store";

interface Entity {
  id: number;
  name: string;
  tax_id: string;
}

interface Summary {
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  settled: number;
  problem_count: number;
  problems?: ImportProblem[]; // the first 100
  stopped: { key: string; params: Record<string, unknown> } | null;
}

interface ImportRecord {
  id: number;
  state: "queued" | "running" | "done" | "failed";
  summary: Summary | null;
  error: { key: string; params: Record<string, unknown> } | null;
}

const POLL_MS = 1000;

export function Settings() {
  const teams = (user.value?.teams ?? []).filter((tm) => can(tm, "manage") || can(tm, "finance"));
  const [chosen, setTeamId] = useState<number | null>(teams[0]?.id ?? null);
  const teamId = teams.find((tm) => tm.id === chosen)?.id ?? teams[0]?.id ?? null;
  if (teamId === null) return null;
  return (
    <section class="card settings" data-testid="settings">
      <h2>{t("settings.title")}</h2>
      {teams.length > 1 && (
        <select value={teamId} onChange={(e) => setTeamId(Number(e.currentTarget.value))}>
          {teams.map((tm) => <option key={tm.id} value={tm.id}>{tm.name}</option>)}
        </select>
      )}
      <Entities teamId={teamId} manage={canIn(user.value, teamId, "manage")} />
      {canIn(user.value, teamId, "finance") && <LedgerImport teamId={teamId} />}
    </section>
  );
}

function Entities({ teamId, manage }: { teamId: number; manage: boolean }) {
  const [list, setList] = useState<Entity[]>([]);
  const [name, setName] = useState("");
  const [taxId, setTaxId] = useState("");
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<{ entities: Entity[] }>(`/api/teams/${teamId}/entities`).then((r) => setList(r.entities)).catch(() => undefined);
  }, [teamId]);
  async function call(path: string, init: RequestInit & { json?: unknown }) {
    setError(null);
    try {
      const r = await api<{ entities: Entity[] }>(path, init);
      setList(r.entities);
      return true;
    } catch (err) {
      setError(err instanceof ApiError ? errorText(err.body) : String(err));
      return false;
    }
  }
  async function add(e: Event) {
    e.preventDefault();
    if (await call(`/api/teams/${teamId}/entities`, { method: "POST", json: { name, tax_id: taxId } })) {
      setName("");
      setTaxId("");
    }
  }
  return (
    <div class="block" data-testid="entities">
      <h3>{t("settings.entities")}</h3>
      <p class="note">{t("settings.entities_hint")}</p>
      <ul class="plain">
        {list.map((e) => (
          <li key={e.id} class="row between">
            <span>{e.name} · <span class="mono">{e.tax_id}</span></span>
            {manage && (
              <button type="button" class="link" data-testid="entity-remove"
                onClick={() => call(`/api/teams/${teamId}/entities/${e.id}`, { method: "DELETE" })}>
                {t("settings.remove")}
              </button>
            )}
          </li>
        ))}
      </ul>
      {manage && (
        <form class="row wrap" onSubmit={add}>
          <input placeholder={t("settings.entity_name")} value={name} onInput={(e) => setName(e.currentTarget.value)} data-testid="entity-name" />
          <input placeholder={t("settings.entity_tax_id")} value={taxId} onInput={(e) => setTaxId(e.currentTarget.value)} data-testid="entity-tax-id" />
          <button type="submit" class="primary">{t("settings.add")}</button>
        </form>
      )}
      {error && <p class="error">{error}</p>}
    </div>
  );
}

function LedgerImport({ teamId }: { teamId: number }) {
  const [summary, setSummary] = useState<Summary | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function upload(file: File) {
    setBusy(true);
    setError(null);
    setSummary(null);
    const form = new FormData();
    form.append("team_id", String(teamId));
    form.append("file", file);
    try {
      const res = await fetch("/api/ledger/import", { method: "POST", body: form, headers: CSRF_HEADERS, credentials: "same-origin" });
      const data = await res.json().catch(() => null);
      if (!res.ok) {
        setError(data?.error ? errorText(data.error) : res.statusText);
        return;
      }
      // A worker imports it; the job's record is the truth, so ask it until it is finished.
      let record: ImportRecord = data.import;
      while (record.state === "queued" || record.state === "running") {
        await new Promise((r) => setTimeout(r, POLL_MS));
        record = (await api<{ import: ImportRecord }>(`/api/ledger/imports/${record.id}`)).import;
      }
      if (record.state === "done" && record.summary) setSummary(record.summary);
      else if (record.error) setError(errorText({ key: record.error.key, params: record.error.params }));
    } catch (err) {
      setError(err instanceof ApiError ? errorText(err.body) : t("error.network"));
    } finally {
      setBusy(false);
    }
  }
  return (
    <div class="block" data-testid="ledger-import">
      <h3>{t("settings.ledger")}</h3>
      <p class="note">{t("settings.ledger_hint")}</p>
      <input type="file" accept=".xlsx,.csv" disabled={busy} data-testid="ledger-file" aria-label={t("settings.ledger")}
        onChange={(e) => {
          const file = e.currentTarget.files?.[0];
          e.currentTarget.value = ""; // choosing the same file again must import it again
          if (file) upload(file);
        }} />
      {busy && <p class="note">{t("settings.importing")}</p>}
      {summary && <p class="note" data-testid="ledger-summary">{t("settings.imported", { ...summary })}</p>}
      {summary?.problems?.length ? (
        <ul class="note import-problems" data-testid="ledger-problems">
          {summary.problems.map((p) => <li key={`${p.line}-${p.column}`}>{problemText(p)}</li>)}
        </ul>
      ) : null}
      {summary?.stopped && <p class="error">{t("settings.stopped", { reason: errorText(summary.stopped) })}</p>}
      {error && <p class="error" data-testid="ledger-error">{error}</p>}
    </div>
  );
}
