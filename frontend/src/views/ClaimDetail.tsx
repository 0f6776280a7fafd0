// One claim (报销单): its invoices (seller, amount, date, status, and the warning kept for those the
// authority had not confirmed), and what may be done in its state: remove and submit a draft, approve or
// return a submitted one (`finance`), reopen a returned one; each only where the role allows (lib/perms.ts). The claim and its invoices come from the
// store, so pushes (claim.updated, invoice events) show at once; a newer claim version reloads the list.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError } from "../api/http";
import { StatusChip } from "../components/StatusChip";
import { t } from "../i18n";
import { claimActions, claimErrorText, warningText, type ClaimAction, type ClaimWarning } from "../lib/claims";
import { shortDateTime, yuan } from "../lib/format";
import { claimGrants } from "../lib/perms";
import { board, claimsById, receiveClaims, receiveInvoices, user } from "../state/store";
import type { Claim, Invoice } from "../state/types";

interface ClaimDetailBody {
  claim: Claim;
  invoices: (Invoice & { claim_warning: ClaimWarning | null })[];
}

interface Held {
  ids: number[];
  warnings: Record<number, ClaimWarning | null>;
}

function useClaim(id: number, version: number | undefined) {
  const [held, setHeld] = useState<Held | null>(null);
  const [missing, setMissing] = useState(false);
  const loaded = useRef("");
  function apply(body: ClaimDetailBody) {
    loaded.current = `${id}@${body.claim.version}`;
    receiveClaims([body.claim]);
    receiveInvoices(body.invoices);
    setHeld({
      ids: body.invoices.map((i) => i.id),
      warnings: Object.fromEntries(body.invoices.map((i) => [i.id, i.claim_warning])),
    });
  }
  useEffect(() => {
    if (loaded.current === `${id}@${version}`) return;
    api<ClaimDetailBody>(`/api/claims/${id}`)
      .then(apply)
      .catch((err) => err instanceof ApiError && err.status === 404 && setMissing(true));
  }, [id, version]);
  return { held, missing, apply };
}

export function ClaimDetail({ id }: { id: number }) {
  const claim = claimsById.value.get(id);
  const { held, missing, apply } = useClaim(id, claim?.version);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (missing) return <section class="card"><p class="error">{t("error.not_found")}</p><BackLink /></section>;
  if (!claim) return <section class="card"><p class="note">{t("finance.loading")}</p></section>;
  const actions = claimActions(claim, user.value?.id, claimGrants(user.value, claim.team_id));

  async function act(path: string, init: RequestInit & { json?: unknown } = { method: "POST" }) {
    setBusy(true);
    setError(null);
    try {
      apply(await api<ClaimDetailBody>(`/api/claims/${id}${path}`, init));
      return true;
    } catch (err) {
      setError(err instanceof ApiError ? claimErrorText(err.body) : String(err));
      return false;
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card claim" data-testid="claim-detail" data-claim-id={claim.id} data-state={claim.state}>
      <BackLink />
      <div class="row between wrap">
        <h2><span class="mono">{claim.number}</span> <span class={`badge claim-${claim.state}`} data-testid="claim-state">{t(`claim_state.${claim.state}`)}</span></h2>
        <span class="amount big" data-testid="claim-detail-total">{yuan(claim.total)}</span>
      </div>
      <ClaimFacts claim={claim} />
      {claim.state === "returned" && claim.note && (
        <p class="warn-box" data-testid="claim-note">{t("claims.returned_note", { note: claim.note })}</p>
      )}
      {error && <p class="error" role="alert" data-testid="claim-error">{error}</p>}
      <ClaimActions actions={actions} busy={busy} act={act} />
      <h3>{t("claims.invoices", { n: claim.count })}</h3>
      {held === null ? (
        <p class="note">{t("finance.loading")}</p>
      ) : held.ids.length === 0 ? (
        <p class="hint">{t("claims.no_invoices")}</p>
      ) : (
        <ul class="claim-invoices" data-testid="claim-invoices">
          {held.ids.map((invId) => {
            const inv = board.value.invoices.get(invId);
            return inv ? (
              <ClaimInvoice key={invId} inv={inv} warning={held.warnings[invId] ?? null} busy={busy}
                removable={actions.includes("remove")}
                onRemove={() => act(`/invoices/${invId}`, { method: "DELETE" })} />
            ) : null;
          })}
        </ul>
      )}
      {actions.includes("add") && (
        <p class="sub"><a href="#/?reimbursement=unclaimed" data-testid="claim-add-link">{t("claims.add_from_board")}</a></p>
      )}
    </section>
  );
}

function BackLink() {
  return <a href="#/claims" class="link back">← {t("claims.back")}</a>;
}

function ClaimFacts({ claim }: { claim: Claim }) {
  return (
    <dl class="facts">
      <dt>{t("claims.purpose")}</dt>
      <dd data-testid="claim-purpose-text">{claim.purpose}</dd>
      <dt>{t("claims.claimant")}</dt>
      <dd>{claim.claimant?.name ?? "—"}</dd>
      <dt>{t("claims.created")}</dt>
      <dd>{shortDateTime(claim.created_at)}</dd>
      {claim.submitted_at && (
        <>
          <dt>{t("claims.submitted")}</dt>
          <dd>{shortDateTime(claim.submitted_at)}</dd>
        </>
      )}
      {claim.decided_at && (
        <>
          <dt>{t(claim.state === "returned" ? "claims.returned_at" : "claims.decided")}</dt>
          <dd>{shortDateTime(claim.decided_at)}{claim.decided_by_name ? ` · ${claim.decided_by_name}` : ""}</dd>
        </>
      )}
    </dl>
  );
}

function ClaimActions({ actions, busy, act }: {
  actions: ClaimAction[]; busy: boolean; act: (path: string, init?: RequestInit & { json?: unknown }) => Promise<boolean>;
}) {
  const [returning, setReturning] = useState(false);
  const [note, setNote] = useState("");
  if (!actions.some((a) => a !== "add" && a !== "remove")) return null;
  if (returning) {
    return (
      <form class="inline-form" data-testid="return-form" noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          if (await act("/return", { method: "POST", json: { note: note.trim() } })) setReturning(false);
        }}>
        <label>
          {t("claims.return_note")}
          <textarea value={note} maxLength={500} rows={2} data-testid="return-note" onInput={(e) => setNote(e.currentTarget.value)} />
        </label>
        <div class="row wrap">
          <button type="submit" class="primary" disabled={busy} data-testid="return-send">{t("claims.return")}</button>
          <button type="button" disabled={busy} onClick={() => setReturning(false)}>{t("detail.cancel")}</button>
        </div>
      </form>
    );
  }
  return (
    <div class="row wrap actions" data-testid="claim-actions">
      {actions.includes("submit") && (
        <button type="button" class="primary" disabled={busy} data-testid="claim-submit" onClick={() => act("/submit")}>{t("claims.submit")}</button>
      )}
      {actions.includes("approve") && (
        <button type="button" class="primary" disabled={busy} data-testid="claim-approve" onClick={() => act("/approve")}>{t("claims.approve")}</button>
      )}
      {actions.includes("return") && (
        <button type="button" disabled={busy} data-testid="claim-return" onClick={() => setReturning(true)}>{t("claims.return")}</button>
      )}
      {actions.includes("reopen") && (
        <button type="button" disabled={busy} data-testid="claim-reopen" onClick={() => act("/reopen")}>{t("claims.reopen")}</button>
      )}
    </div>
  );
}

function ClaimInvoice({ inv, warning, removable, busy, onRemove }: {
  inv: Invoice; warning: ClaimWarning | null; removable: boolean; busy: boolean; onRemove: () => void;
}) {
  return (
    <li class="claim-invoice" data-testid="claim-invoice" data-invoice-id={inv.id}>
      <div class="row between">
        <a href={`#/invoice/${inv.id}`} class="seller">{inv.seller_name ?? inv.original_name}</a>
        <span class="amount">{yuan(inv.total_amount)}</span>
      </div>
      <div class="row between wrap">
        <span class="sub">{[inv.issue_date, inv.key].filter(Boolean).join(" · ")}</span>
        <span class="row">
          <StatusChip status={inv.status} stage={inv.stage} />
          <span class={`badge reimb-${inv.reimbursement}`}>{t(`reimbursement.${inv.reimbursement}`)}</span>
        </span>
      </div>
      {warning && <p class="warn-line" data-testid="claim-warning">⚠ {warningText(warning)}</p>}
      {removable && (
        <button type="button" class="link" disabled={busy} data-testid="claim-remove" onClick={onRemove}>{t("claims.remove")}</button>
      )}
    </li>
  );
}
