// Adding the selection to a claim (报销单): one of the team's drafts, or a new one with a purpose.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../../api/http";
import { errorText, t } from "../../i18n";
import { yuan } from "../../lib/format";
import type { Selection } from "../../state/selection";
import { teamsWith } from "../../lib/perms";
import { receiveClaims, user } from "../../state/store";
import type { Claim } from "../../state/types";
import { runBulk, type Outcome, type Refusal } from "./bulk";

interface Props {
  teamId: number;
  sel: Selection;
  filterQuery: string;
  onDone: (outcome: Outcome) => void;
  onCancel: () => void;
}

interface Created {
  claim: Claim;
  added?: { done: number[]; refused: Refusal[] };
}

export function ClaimPicker({ teamId: initialTeam, sel, filterQuery, onDone, onCancel }: Props) {
  const teams = teamsWith(user.value, "claim");
  const [teamId, setTeamId] = useState(initialTeam);
  const [drafts, setDrafts] = useState<Claim[] | null>(null);
  const [choice, setChoice] = useState<string>("new");
  const [purpose, setPurpose] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setDrafts(null);
    api<{ claims: Claim[] }>(`/api/claims?team_id=${teamId}&state=draft`)
      .then((r) => {
        receiveClaims(r.claims);
        setDrafts(r.claims);
        setChoice(r.claims.length ? String(r.claims[0].id) : "new");
      })
      .catch(() => setDrafts([]));
  }, [teamId]);

  async function add(): Promise<Outcome> {
    const draft = drafts?.find((c) => String(c.id) === choice);
    if (draft) {
      const out = await runBulk("add_to_claim", sel, filterQuery, { claim_id: draft.id });
      return { ...out, claim: draft };
    }
    const ids = sel.all ? undefined : [...sel.ids];
    const created = await api<Created>("/api/claims", { method: "POST", json: { team_id: teamId, purpose: purpose.trim(), invoice_ids: ids } });
    receiveClaims([created.claim]);
    if (sel.all) return { ...(await runBulk("add_to_claim", sel, filterQuery, { claim_id: created.claim.id })), claim: created.claim };
    return { action: "add_to_claim", done: created.added?.done ?? [], refused: created.added?.refused ?? [], claim: created.claim };
  }

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onDone(await add());
    } catch (err) {
      setError(err instanceof ApiError ? errorText(err.body) : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="bulk-form" data-testid="claim-picker" onSubmit={submit}>
      <b>{t("bulk.to_claim")}</b>
      {teams.length > 1 && (
        <label>
          {t("bulk.team")}
          <select value={String(teamId)} onChange={(e) => setTeamId(Number(e.currentTarget.value))}>
            {teams.map((tm) => <option key={tm.id} value={String(tm.id)}>{tm.name}</option>)}
          </select>
        </label>
      )}
      {drafts === null ? <p class="hint">{t("board.loading")}</p> : (
        <fieldset class="choices">
          {drafts.map((c) => (
            <label key={c.id} class="check">
              <input type="radio" name="claim" value={String(c.id)} checked={choice === String(c.id)}
                onChange={() => setChoice(String(c.id))} />
              {c.number} · {c.purpose} <span class="sub">({t("bulk.claim_holds", { n: c.count, total: yuan(c.total) })})</span>
            </label>
          ))}
          <label class="check">
            <input type="radio" name="claim" value="new" checked={choice === "new"} data-testid="claim-new"
              onChange={() => setChoice("new")} />
            {t("bulk.new_claim")}
          </label>
          {choice === "new" && (
            <input value={purpose} required maxLength={200} placeholder={t("bulk.purpose")} aria-label={t("bulk.purpose")}
              data-testid="claim-purpose" onInput={(e) => setPurpose(e.currentTarget.value)} />
          )}
        </fieldset>
      )}
      {error && <p class="error" role="alert">{error}</p>}
      <div class="row wrap">
        <button type="submit" class="primary" disabled={busy || drafts === null} data-testid="claim-add">{t("bulk.add")}</button>
        <button type="button" onClick={onCancel}>{t("detail.cancel")}</button>
      </div>
    </form>
  );
}
