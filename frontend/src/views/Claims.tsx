// The team's claims (报销单): number, purpose, claimant, state, how many invoices and their total; tabs by
// state; a new claim from a purpose. Rows come from the store, so claim.updated pushes show at once.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api/http";
import { TeamPick } from "../components/TeamPick";
import { t } from "../i18n";
import { claimErrorText, countByState, teamClaims } from "../lib/claims";
import { shortDateTime, yuan } from "../lib/format";
import { canIn } from "../lib/perms";
import { financeTeamId } from "../state/finance";
import { claimsById, receiveClaims, user } from "../state/store";
import { CLAIM_STATES, type Claim, type ClaimState } from "../state/types";

export function Claims() {
  const teamId = financeTeamId.value;
  const [state, setState] = useState<ClaimState | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (teamId === null) return;
    setLoaded(false);
    api<{ claims: Claim[] }>(`/api/claims?team_id=${teamId}`)
      .then((r) => receiveClaims(r.claims))
      .catch((err) => setError(err instanceof ApiError ? claimErrorText(err.body) : String(err)))
      .finally(() => setLoaded(true));
  }, [teamId]);
  const all = teamClaims(claimsById.value, teamId);
  const counts = countByState(all);
  const shown = state ? all.filter((c) => c.state === state) : all;
  return (
    <section class="card claims" aria-labelledby="claims-title" data-testid="claims-view">
      <div class="row between wrap">
        <h2 id="claims-title">{t("claims.title")}</h2>
        <TeamPick />
      </div>
      {teamId !== null && canIn(user.value, teamId, "claim") && <NewClaim teamId={teamId} />}
      <div class="filters" role="tablist">
        <button type="button" role="tab" aria-selected={state === null} class={state === null ? "tab active" : "tab"}
          onClick={() => setState(null)}>
          {t("board.all")} <b>{all.length}</b>
        </button>
        {CLAIM_STATES.filter((s) => counts[s]).map((s) => (
          <button type="button" role="tab" key={s} aria-selected={state === s} class={state === s ? "tab active" : "tab"}
            data-testid={`claims-tab-${s}`} onClick={() => setState(s)}>
            {t(`claim_state.${s}`)} <b>{counts[s]}</b>
          </button>
        ))}
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {!loaded && !all.length ? (
        <p class="note">{t("finance.loading")}</p>
      ) : shown.length === 0 ? (
        <p class="hint">{t("claims.empty")}</p>
      ) : (
        <table class="list-table claims-table" data-testid="claims-list">
          <thead>
            <tr>
              <th>{t("claims.number")}</th><th>{t("claims.purpose")}</th><th>{t("claims.claimant")}</th>
              <th>{t("claims.state")}</th><th class="num">{t("claims.count")}</th><th class="num">{t("claims.total")}</th>
              <th>{t("claims.created")}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((c) => <ClaimRow key={c.id} claim={c} />)}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ClaimRow({ claim }: { claim: Claim }) {
  const open = () => (location.hash = `#/claims/${claim.id}`);
  return (
    <tr data-testid="claim-row" data-claim-id={claim.id} data-state={claim.state} onClick={open}>
      <td class="c-number mono"><a href={`#/claims/${claim.id}`}>{claim.number}</a></td>
      <td class="c-purpose">{claim.purpose}</td>
      <td class="c-claimant">{claim.claimant?.name ?? "—"}</td>
      <td class="c-state"><span class={`badge claim-${claim.state}`}>{t(`claim_state.${claim.state}`)}</span></td>
      <td class="c-count num"><span class="wide-only">{claim.count}</span><span class="phone-only">{t("claims.n_invoices", { n: claim.count })}</span></td>
      <td class="c-total num amount" data-testid="claim-total">{yuan(claim.total)}</td>
      <td class="c-created sub">{shortDateTime(claim.created_at)}</td>
    </tr>
  );
}

function NewClaim({ teamId }: { teamId: number }) {
  const [purpose, setPurpose] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function create(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api<{ claim: Claim }>("/api/claims", { method: "POST", json: { team_id: teamId, purpose: purpose.trim() } });
      receiveClaims([r.claim]);
      setPurpose("");
      location.hash = `#/claims/${r.claim.id}`;
    } catch (err) {
      setError(err instanceof ApiError ? claimErrorText(err.body) : String(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="new-claim" onSubmit={create} data-testid="new-claim" noValidate>
      <label class="grow">
        <span class="sr-only">{t("claims.purpose")}</span>
        <input value={purpose} maxLength={200} placeholder={t("claims.purpose_hint")} data-testid="claim-purpose"
          onInput={(e) => setPurpose(e.currentTarget.value)} />
      </label>
      <button type="submit" class="primary" disabled={busy} data-testid="claim-create">{t("claims.create")}</button>
      {error && <p class="error" role="alert" data-testid="claim-create-error">{error}</p>}
    </form>
  );
}
