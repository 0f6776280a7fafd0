// The authority side of one invoice: why it is not found (ranked, with actions), "check now" with the
// quota it spends, and the timeline of every check. Reloaded whenever the invoice's version changes.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api/http";
import { errorText, t } from "../i18n";
import { causeNext, causeText, markDiffs, when } from "../lib/causes";
import { canIn, canOnInvoice } from "../lib/perms";
import { receiveInvoices, user } from "../state/store";
import type { Cause, Invoice, NearMiss, SyncCheck } from "../state/types";

interface Checks {
  checks: SyncCheck[];
  next_check_at: string | null;
  quota: { used: number; limit: number };
}


export function SyncPanel({ inv, onEditField }: { inv: Invoice; onEditField: (name: string) => void }) {
  const [data, setData] = useState<Checks | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api<Checks>(`/api/invoices/${inv.id}/checks`).then(setData).catch(() => undefined);
  }, [inv.id, inv.version]);

  async function checkNow() {
    setBusy(true);
    setMessage(null);
    try {
      const r = await api<{ quota: { used: number; limit: number; spends: number } }>(`/api/invoices/${inv.id}/check`, { method: "POST" });
      setMessage(t("sync.check_queued", { used: r.quota.used + r.quota.spends, limit: r.quota.limit }));
    } catch (err) {
      if (err instanceof ApiError) {
        const params = { ...err.body.params };
        if (typeof params.next_allowed === "string") params.next_allowed = when(params.next_allowed);
        setMessage(errorText({ key: err.body.key, params }));
      } else setMessage(String(err));
    } finally {
      setBusy(false);
    }
  }

  async function accept(candidate: NearMiss) {
    setBusy(true);
    try {
      const r = await api<{ invoice: Invoice }>(`/api/invoices/${inv.id}/accept-candidate`, { method: "POST", json: { key: candidate.key } });
      receiveInvoices([r.invoice]);
      setMessage(t("sync.accepted", { key: candidate.key }));
    } catch (err) {
      setMessage(err instanceof ApiError ? errorText(err.body) : String(err));
    } finally {
      setBusy(false);
    }
  }

  const quota = data?.quota;
  const may = { check: canIn(user.value, inv.team_id, "upload"), correct: canOnInvoice(user.value, inv, "correct"),
    manage: canIn(user.value, inv.team_id, "manage") };
  return (
    <section class="sync" data-testid="sync-panel">
      <h3>{t("sync.title")}</h3>
      {inv.next_check_at && <p class="note" data-testid="next-check">{t("sync.next_check", { at: when(inv.next_check_at) })}</p>}
      {may.check && (
        <div class="row wrap">
          <button type="button" onClick={checkNow} disabled={busy} data-testid="check-now">
            {t("sync.check_now")}{quota ? ` (${t("sync.quota", { used: quota.used, limit: quota.limit })})` : ""}
          </button>
        </div>
      )}
      {message && <p class="note" data-testid="sync-message">{message}</p>}
      {inv.diagnosis.length > 0 && (
        <ol class="causes" data-testid="diagnosis">
          {inv.diagnosis.map((c) => <CauseItem key={c.key} cause={c} may={may} onAccept={accept} onEditField={onEditField} busy={busy} onCheck={checkNow} />)}
        </ol>
      )}
      <h4>{t("sync.timeline")}</h4>
      {data && data.checks.length === 0 ? (
        <p class="note">{t("sync.no_checks")}</p>
      ) : (
        <ul class="timeline" data-testid="timeline">
          {data?.checks.map((c) => (
            <li key={c.id} data-outcome={c.outcome}>
              <span class="when">{when(c.at)}</span>
              <span class={`outcome outcome-${c.outcome}`}>{t(`outcome.${c.outcome}`)}</span>
              <span class="sub">
                {t(`trigger.${c.trigger}`)}
                {c.spent_quota ? ` · ${t("sync.spent_quota")}` : ""}
                {c.error ? ` · ${t(`error.${c.error}`)}` : ""}
                {c.next_check_at ? ` · ${t("sync.next_check", { at: when(c.next_check_at) })}` : ""}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

interface May {
  check: boolean;
  correct: boolean;
  manage: boolean;
}

function CauseItem(props: { cause: Cause; may: May; busy: boolean; onAccept: (c: NearMiss) => void; onEditField: (n: string) => void; onCheck: () => void }) {
  const { cause, may } = props;
  const candidate = cause.key === "near_miss" ? (cause.params.candidate as NearMiss) : null;
  return (
    <li class="cause" data-testid={`cause-${cause.key}`} data-score={cause.score}>
      <p><strong>{causeText(cause)}</strong></p>
      {candidate && <NearMissEvidence candidate={candidate} />}
      <p class="note">{causeNext(cause)}</p>
      {cause.action === "accept_near_miss" && candidate && may.correct && (
        <button type="button" class="primary" disabled={props.busy} data-testid="accept-candidate" onClick={() => props.onAccept(candidate)}>
          {t("sync.accept", { key: candidate.key })}
        </button>
      )}
      {cause.action === "edit_fields" && may.correct && (
        <button type="button" onClick={() => props.onEditField(firstField(cause))}>{t("sync.edit_fields")}</button>
      )}
      {cause.action === "add_entity" && may.manage && <a href="#/settings">{t("sync.manage_entities")}</a>}
      {cause.action === "check_now" && may.check && <button type="button" disabled={props.busy} onClick={props.onCheck}>{t("sync.check_now")}</button>}
    </li>
  );
}

function firstField(cause: Cause): string {
  const diffs = cause.params.differences as { field: string }[] | undefined;
  if (diffs?.length) return diffs[0].field;
  if (typeof cause.params.fields === "string") return (cause.params.fields as string).split(", ")[0];
  return "invoice_number";
}

function NearMissEvidence({ candidate }: { candidate: NearMiss }) {
  const byField: Record<string, number[]> = {};
  for (const d of candidate.diffs) (byField[d.field] ??= []).push(d.position);
  return (
    <div class="evidence" data-testid="near-miss">
      {Object.entries(byField).map(([field, positions]) => {
        const ours = [...(candidate.fields[field] ?? "")];
        for (const d of candidate.diffs) if (d.field === field) ours[d.position] = d.ours;
        return (
          <div key={field}>
            <span class="label">{t(`field.${field}`)}</span>
            <div class="mono">
              {t("sync.ours")}: {markDiffs(ours.join(""), positions).map((c, i) => (c.diff ? <mark key={i}>{c.ch}</mark> : c.ch))}
            </div>
            <div class="mono">
              {t("sync.theirs")}: {markDiffs(candidate.fields[field] ?? "", positions).map((c, i) => (c.diff ? <mark key={i} class="theirs">{c.ch}</mark> : c.ch))}
            </div>
          </div>
        );
      })}
      <p class="sub">{t(`sync.kind.${candidate.kind}`)} · {Math.round(candidate.score * 100)}%</p>
    </div>
  );
}
