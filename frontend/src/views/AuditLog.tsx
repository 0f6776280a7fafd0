// The audit log (for the `audit` permission): who did what, when, from where, newest first; filtered by team,
// person, action and dates (GET /api/audit), older entries by the `before` cursor, and the same filter
// exported to Excel (GET /api/audit/export). A table on a desktop, one small card per entry on a phone.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError } from "../api/http";
import { errorText, t } from "../i18n";
import {
  actionText, appendEntries, AUDIT_ACTIONS, AUDIT_PAGE, auditExportUrl, auditQuery, dataText, nextCursor, noAuditFilter,
  targetText, teamText, type AuditFilter,
} from "../lib/audit";
import { shortDateTime } from "../lib/format";
import { teamsWith } from "../lib/perms";
import { user } from "../state/store";
import type { AuditEntry } from "../state/types";

interface AuditPage {
  entries: AuditEntry[];
  has_more?: boolean;
  next_before?: number | null; // the cursor of the next (older) page
}

export function AuditLog() {
  const me = user.value!;
  const teams = teamsWith(me, "audit");
  const names = new Map((me.teams ?? []).map((tm) => [tm.id, tm.name]));
  // No team chosen: every team I may audit, and for a site admin the site-wide entries (sign-ins, people, teams).
  const [filter, setFilter] = useState<AuditFilter>(noAuditFilter);
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [next, setNext] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const asked = useRef(0); // the newest request: an older answer arriving late is dropped

  async function load(before: number | null) {
    const ticket = ++asked.current;
    setBusy(true);
    setError(null);
    try {
      const page = await api<AuditPage>(`/api/audit?${auditQuery(filter, before)}&limit=${AUDIT_PAGE}`);
      if (ticket !== asked.current) return;
      setEntries((shown) => (before === null ? page.entries : appendEntries(shown ?? [], page.entries)));
      setNext(nextCursor(page));
    } catch (err) {
      if (ticket === asked.current) setError(err instanceof ApiError ? errorText(err.body) : String(err));
    } finally {
      if (ticket === asked.current) setBusy(false);
    }
  }
  // Typing a name waits a moment; choosing a team, an action or a date asks at once.
  useEffect(() => {
    const timer = setTimeout(() => load(null), 250);
    return () => clearTimeout(timer);
  }, [auditQuery(filter)]);

  const set = (patch: Partial<AuditFilter>) => setFilter((f) => ({ ...f, ...patch }));
  return (
    <section class="card audit" data-testid="audit" aria-labelledby="audit-title">
      <div class="row between wrap">
        <h2 id="audit-title">{t("audit.title")}</h2>
        <a class="button" href={auditExportUrl(filter)} download data-testid="audit-export">{t("audit.export_xlsx")}</a>
      </div>
      <form class="audit-filters" data-testid="audit-filters" onSubmit={(e) => e.preventDefault()}>
        {(teams.length > 1 || me.is_admin) && (
          <label>
            {t("people.team")}
            <select value={filter.team_id} data-testid="audit-team" onChange={(e) => set({ team_id: e.currentTarget.value })}>
              <option value="">{t(me.is_admin ? "audit.everything" : "audit.all_teams")}</option>
              {teams.map((tm) => <option key={tm.id} value={String(tm.id)}>{tm.name}</option>)}
            </select>
          </label>
        )}
        <label>
          {t("audit.actor")}
          <input value={filter.actor} placeholder={t("audit.actor_hint")} data-testid="audit-actor"
            onInput={(e) => set({ actor: e.currentTarget.value })} />
        </label>
        <label>
          {t("audit.action")}
          <select value={filter.action} data-testid="audit-action" onChange={(e) => set({ action: e.currentTarget.value })}>
            <option value="">{t("filter.any")}</option>
            {AUDIT_ACTIONS.map((a) => <option key={a} value={a}>{actionText(a)}</option>)}
          </select>
        </label>
        <label>
          {t("filter.from")}
          <input type="date" value={filter.date_from} data-testid="audit-from" onInput={(e) => set({ date_from: e.currentTarget.value })} />
        </label>
        <label>
          {t("filter.to")}
          <input type="date" value={filter.date_to} data-testid="audit-to" onInput={(e) => set({ date_to: e.currentTarget.value })} />
        </label>
        {auditQuery(filter) !== auditQuery({ ...noAuditFilter, team_id: filter.team_id }) && (
          <button type="button" class="link" data-testid="audit-clear"
            onClick={() => setFilter({ ...noAuditFilter, team_id: filter.team_id })}>{t("filter.clear")}</button>
        )}
      </form>
      {error && <p class="error" role="alert" data-testid="audit-error">{error}</p>}
      {entries === null ? (
        <p class="note">{t("finance.loading")}</p>
      ) : entries.length === 0 ? (
        <p class="hint" data-testid="audit-empty">{t("audit.empty")}</p>
      ) : (
        <table class="list-table audit-table" data-testid="audit-list">
          <thead>
            <tr>
              <th>{t("audit.at")}</th><th>{t("audit.actor")}</th><th>{t("audit.action")}</th><th>{t("audit.target")}</th>
              <th>{t("people.team")}</th><th>{t("audit.address")}</th><th>{t("audit.details")}</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id} data-testid="audit-entry" data-action={e.action} data-id={e.id}>
                <td class="a-at sub"><time dateTime={e.at}>{shortDateTime(e.at)}</time></td>
                <td class="a-actor">{e.actor_name ?? (e.actor === null ? t("activity.app") : `#${e.actor}`)}</td>
                <td class="a-action" data-testid="audit-action-text">{actionText(e.action)}</td>
                <td class="a-target">{targetText(e)}</td>
                <td class="a-team">{teamText(e.team, names)}</td>
                <td class="a-address mono sub">{e.address ?? ""}</td>
                <td class="a-data sub">{dataText(e.data)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {next !== null && (
        <button type="button" class="more" disabled={busy} data-testid="audit-more" onClick={() => load(next)}>
          {t("board.more")}
        </button>
      )}
    </section>
  );
}
