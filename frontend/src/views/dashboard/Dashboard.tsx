// The dashboard (#/dashboard): how many invoices and how much 价税合计, by status, by month of issue and by
// seller, and how long the open ones have waited at the authority and for reimbursement, with the oldest of
// each. A second file of an invoice is never counted twice (the server leaves duplicates out). It follows
// the event stream: a change on the board refreshes it a moment later.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../../api/http";
import { TeamPick } from "../../components/TeamPick";
import { errorText, t } from "../../i18n";
import {
  agingSeries, bucketColours, monthSeries, sellerSeries, statusColour, statusSeries, waiting,
  type DashboardData, type Group, type OldInvoice, type Series,
} from "../../lib/dashboard";
import { shortDateTime, yuan } from "../../lib/format";
import { financeTeamId } from "../../state/finance";
import { board } from "../../state/store";
import { BarChart, type Metric } from "./BarChart";

const REFRESH_MS = 1500;
const AUTHORITY_QUERY = "status=pending_sync,not_found,sync_error&sort=created";
const UNPAID_QUERY = "reimbursement=unclaimed,claimed&sort=date";

function useDashboard(teamId: number | null) {
  const [data, setData] = useState<DashboardData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const cursor = board.value.cursor;
  useEffect(() => {
    if (teamId === null) return;
    const timer = setTimeout(() => {
      api<DashboardData>(`/api/dashboard?team_id=${teamId}`)
        .then((d) => {
          setData(d);
          setError(null);
        })
        .catch((err) => setError(err instanceof ApiError ? errorText(err.body) : String(err)));
    }, data ? REFRESH_MS : 0);
    return () => clearTimeout(timer);
  }, [teamId, cursor]);
  return { data: data && data.team_id === teamId ? data : null, error };
}

export function Dashboard() {
  const { data, error } = useDashboard(financeTeamId.value);
  const [metric, setMetric] = useState<Metric>("amount");
  return (
    <section class="card dashboard" aria-labelledby="dash-title" data-testid="dashboard">
      <div class="row between wrap">
        <h2 id="dash-title">{t("dash.title")}</h2>
        <div class="row wrap">
          <TeamPick />
          <div class="segmented" role="group" aria-label={t("dash.metric")}>
            {(["amount", "count"] as const).map((m) => (
              <button type="button" key={m} aria-pressed={metric === m} class={metric === m ? "tab active" : "tab"}
                data-testid={`metric-${m}`} onClick={() => setMetric(m)}>{t(`dash.by_${m}`)}</button>
            ))}
          </div>
        </div>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {!data ? <p class="note">{t("finance.loading")}</p> : <Body data={data} metric={metric} />}
    </section>
  );
}

function Body({ data, metric }: { data: DashboardData; metric: Metric }) {
  const status = statusSeries(data);
  const authority = agingSeries(data.aging.authority);
  const unpaid = agingSeries(data.aging.reimbursement);
  const sellers = sellerSeries(data);
  return (
    <>
      <div class="tiles" data-testid="dash-tiles">
        <Tile id="invoices" label={t("dash.tile.invoices")} group={data.totals} />
        <Tile id="authority" label={t("dash.tile.authority")} group={waiting(data.aging.authority)} href={`#/?${AUTHORITY_QUERY}`} />
        <Tile id="unpaid" label={t("dash.tile.unpaid")} group={waiting(data.aging.reimbursement)} href={`#/?${UNPAID_QUERY}`} />
        <Tile id="duplicates" label={t("dash.tile.duplicates")} group={data.duplicates} href="#/?duplicate=true" quiet />
      </div>
      {data.totals.count === 0 ? (
        <p class="hint" data-testid="dash-empty">{t("dash.empty")}</p>
      ) : (
        <div class="dash-grid">
          <Panel title={t("dash.by_status")} series={status} testId="chart-status">
            <BarChart series={status} metric={metric} horizontal colours={status.keys.map(statusColour)} testId="chart-status"
              label={t("dash.by_status")} onPick={(i) => (location.hash = `#/?status=${status.keys[i]}`)} />
          </Panel>
          <Panel title={t("dash.by_month")} series={monthSeries(data)} testId="chart-month">
            <BarChart series={monthSeries(data)} metric={metric} colours="#b91c1c" testId="chart-month" label={t("dash.by_month")} />
          </Panel>
          <Panel title={t("dash.by_seller")} series={sellers} testId="chart-seller" wide>
            <BarChart series={sellers} metric={metric} horizontal colours="#2563eb" testId="chart-seller" label={t("dash.by_seller")}
              onPick={(i) => (location.hash = `#/?q=${encodeURIComponent(sellers.keys[i])}`)} />
          </Panel>
          <Panel title={t("dash.aging_authority")} hint={t("dash.aging_authority_hint")} series={authority} testId="chart-aging-authority">
            <BarChart series={authority} metric={metric} colours={bucketColours(authority.keys)} testId="chart-aging-authority"
              label={t("dash.aging_authority")} />
            <Oldest items={data.oldest.authority} testId="oldest-authority" kind="authority" />
          </Panel>
          <Panel title={t("dash.aging_unpaid")} hint={t("dash.aging_unpaid_hint")} series={unpaid} testId="chart-aging-unpaid">
            <BarChart series={unpaid} metric={metric} colours={bucketColours(unpaid.keys)} testId="chart-aging-unpaid"
              label={t("dash.aging_unpaid")} />
            <Oldest items={data.oldest.reimbursement} testId="oldest-unpaid" kind="unpaid" />
          </Panel>
        </div>
      )}
      <p class="sub">{t("dash.note", { at: shortDateTime(data.at) })}</p>
    </>
  );
}

function Tile({ id, label, group, href, quiet }: { id: string; label: string; group: Group; href?: string; quiet?: boolean }) {
  const body = (
    <>
      <span class="tile-label">{label}</span>
      <span class="tile-count" data-testid={`tile-${id}-count`}>{t("dash.n", { n: group.count })}</span>
      <span class="tile-total" data-testid={`tile-${id}-total`}>{yuan(group.total)}</span>
    </>
  );
  return href && group.count > 0 ? (
    <a class={`tile${quiet ? " quiet" : ""}`} href={href} data-testid={`tile-${id}`}>{body}</a>
  ) : (
    <div class={`tile${quiet ? " quiet" : ""}`} data-testid={`tile-${id}`}>{body}</div>
  );
}

function Panel({ title, hint, series, testId, wide, children }: {
  title: string; hint?: string; series: Series; testId: string; wide?: boolean; children: ComponentChildren;
}) {
  return (
    <section class={`dash-panel${wide ? " wide" : ""}`} aria-label={title}>
      <h3>{title}</h3>
      {hint && <p class="sub">{hint}</p>}
      {series.labels.length === 0 ? <p class="note">{t("dash.nothing")}</p> : children}
      {series.labels.length > 0 && (
        <details class="data">
          <summary>{t("dash.data")}</summary>
          <table class="mini" data-testid={`${testId}-table`}>
            <tbody>
              {series.labels.map((label, i) => (
                <tr key={series.keys[i]}>
                  <th>{label}</th>
                  <td class="num">{t("dash.n", { n: series.counts[i] })}</td>
                  <td class="num">{yuan(String(series.amounts[i]))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </section>
  );
}

function Oldest({ items, testId, kind }: { items: OldInvoice[]; testId: string; kind: "authority" | "unpaid" }) {
  if (!items.length) return null;
  return (
    <div class="oldest">
      <h4>{t("dash.oldest")}</h4>
      <ol class="plain" data-testid={testId}>
        {items.map((o) => (
          <li key={o.id}>
            <a href={`#/invoice/${o.id}`} data-testid="oldest-link">{o.seller_name ?? o.key ?? `#${o.id}`}</a>
            <span class="amount">{yuan(o.total_amount)}</span>
            <span class="sub">
              {t("dash.age_days", { n: o.age_days })} · {kind === "authority" ? t(`status.${o.status}`) : t(`reimbursement.${o.reimbursement}`)}
            </span>
          </li>
        ))}
      </ol>
    </div>
  );
}
