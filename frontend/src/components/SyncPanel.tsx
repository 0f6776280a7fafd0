// The authority side of one invoice: why it is not found (ranked, with actions, our values against the
// authority's), "check now" with the quota it spends, and the timeline of every check. Reloaded whenever the
// invoice's version changes; what it holds is about one invoice (lib/held.ts), never the one shown before.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api/http";
import { errorText, t } from "../i18n";
import { causeNext, causeText, fieldDiffs, markDiffs, when } from "../lib/causes";
import { type Held, heldFor, hold } from "../lib/held";
import { canIn, canOnInvoice } from "../lib/perms";
import { receiveInvoices, user } from "../state/store";
import type { Cause, Invoice, NearMiss, SyncCheck } from "../state/types";

interface Checks {
  checks: SyncCheck[];
  next_check_at: string | null;
  quota: { used: number; limit: number };
}


export function SyncPanel({ inv, onEditField }: { inv: Invoice; onEditField: (name: string) => void }) {
  const [held, setHeld] = useState<Held<Checks> | null>(null);
  const [said, setSaid] = useState<Held<string> | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const about = { id: inv.id, version: inv.version };
    api<Checks>(`/api/invoices/${about.id}/checks`).then((r) => setHeld(hold(r, about))).catch(() => undefined);
  }, [inv.id, inv.version]);
  const data = heldFor(held, inv);
  const message = heldFor(said, inv);

  async function checkNow() {
    const about = { id: inv.id, version: inv.version };
    setBusy(true);
    setSaid(null);
    try {
      const r = await api<{ quota: { used: number; limit: number; spends: number } }>(`/api/invoices/${about.id}/check`, { method: "POST" });
      setSaid(hold(t("sync.check_queued", { used: r.quota.used + r.quota.spends, limit: r.quota.limit }), about));
    } catch (err) {
      // A refusal is about the invoice as it was: gone once it changes (a number typed in, a new day's quota).
      setSaid(hold(err instanceof ApiError ? errorText(err.body) : String(err), about, true));
    } finally {
      setBusy(false);
    }
  }

  async function accept(candidate: NearMiss) {
    const about = { id: inv.id, version: inv.version };
    setBusy(true);
    try {
      const r = await api<{ invoice: Invoice }>(`/api/invoices/${about.id}/accept-candidate`, { method: "POST", json: { key: candidate.key } });
      receiveInvoices([r.invoice]);
      setSaid(hold(t("sync.accepted", { key: candidate.key }), about));
    } catch (err) {
      setSaid(hold(err instanceof ApiError ? errorText(err.body) : String(err), about, true));
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
      {cause.key === "fields_differ" && <DiffEvidence cause={cause} />}
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

/** Per differing field: what we read against what the authority holds. */
function DiffEvidence({ cause }: { cause: Cause }) {
  const diffs = fieldDiffs(cause);
  if (!diffs.length) return null;
  return (
    <table class="evidence diffs" data-testid="field-diffs">
      <thead>
        <tr><th>{t("sync.field")}</th><th>{t("sync.ours")}</th><th>{t("sync.theirs")}</th></tr>
      </thead>
      <tbody>
        {diffs.map((d) => (
          <tr key={d.field} data-field={d.field}>
            <th scope="row">{t(`field.${d.field}`)}</th>
            <td class="mono" data-testid="ours">{d.ours}</td>
            <td class="mono" data-testid="theirs"><mark class="theirs">{d.theirs}</mark></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
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
