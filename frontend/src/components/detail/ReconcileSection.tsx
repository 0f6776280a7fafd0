// Our reimbursement and booking against what the authority's ledger says of the same invoice (入账 status,
// state, 抵扣勾选), and each disagreement in words (reconcile.<flag> from the server's catalog).
import { t } from "../../i18n";
import { canIn } from "../../lib/perms";
import { user } from "../../state/store";
import type { Invoice } from "../../state/types";
import type { Reconcile } from "./data";

const yesNo = (v: boolean | null | undefined) => (v === null || v === undefined ? "—" : t(v ? "rec.yes" : "rec.no"));

function ledgerState(state: string | null): string {
  if (!state) return "—";
  if (state === "voided" || state === "red_flushed") return t(`status.${state}`);
  return t(`rec.state.${state}`);
}

export function ReconcileSection({ inv, rec }: { inv: Invoice; rec: Reconcile | null }) {
  const flags = rec?.flags ?? inv.flags ?? [];
  const auth = rec?.authority ?? null;
  return (
    <section class="section" data-testid="reconcile-section">
      <h3>{t("rec.title")}</h3>
      {flags.length > 0 ? (
        <ul class="flags" data-testid="reconcile-flags">
          {flags.map((f) => <li key={f} data-flag={f}>⚠ {t(`reconcile.${f}`)}</li>)}
        </ul>
      ) : (
        <p class="note" data-testid="reconcile-ok">{t(auth ? "rec.agree" : "rec.no_ledger")}</p>
      )}
      <div class="scroll-x">
        <table class="compare" data-testid="reconcile-table">
          <thead>
            <tr><th /><th>{t("rec.ours")}</th><th>{t("rec.authority")}</th></tr>
          </thead>
          <tbody>
            <tr>
              <th>{t("rec.entry")}</th>
              <td>{t(`booking.${rec?.booking ?? inv.booking?.state ?? "unbooked"}`)}</td>
              <td data-testid="rec-entry">
                {auth?.entry ? t(`entry.${auth.entry}`) : "—"}
                {auth?.entry_status ? <span class="sub"> ({auth.entry_status})</span> : null}
              </td>
            </tr>
            <tr>
              <th>{t("rec.reimbursement")}</th>
              <td>{t(`reimbursement.${rec?.reimbursement ?? inv.reimbursement}`)}</td>
              <td>—</td>
            </tr>
            <tr>
              <th>{t("rec.state")}</th>
              <td>{t(`status.${inv.status}`)}</td>
              <td data-testid="rec-state">{ledgerState(auth?.state ?? null)}</td>
            </tr>
            <tr>
              <th>{t("rec.selected")}</th>
              <td>—</td>
              <td data-testid="rec-selected">{yesNo(auth?.selected)}</td>
            </tr>
            {auth?.deductible_tax && (
              <tr><th>{t("rec.deductible_tax")}</th><td>—</td><td class="mono">{auth.deductible_tax}</td></tr>
            )}
            {(auth?.risk || auth?.risk_state) && (
              <tr><th>{t("rec.risk")}</th><td>—</td><td>{[auth.risk, auth.risk_state].filter(Boolean).join(" · ")}</td></tr>
            )}
            {auth?.red_lock && <tr><th>{t("rec.red_lock")}</th><td>—</td><td>{auth.red_lock}</td></tr>}
          </tbody>
        </table>
      </div>
      {!auth && canIn(user.value, inv.team_id, "finance") && <p class="sub"><a href="#/settings">{t("rec.import_ledger")}</a></p>}
    </section>
  );
}
