// What finance needs to see at a glance beside the authority status: reimbursement and booking state, a
// duplicate link and each reconcile disagreement (full sentence in the tooltip).
import { t } from "../../i18n";
import type { Invoice } from "../../state/types";

/** `risksOnly`: the duplicate and reconcile badges (the table has columns for the states). */
export function Badges({ inv, risksOnly = false }: { inv: Invoice; risksOnly?: boolean }) {
  return (
    <span class="badges" data-testid="badges">
      {!risksOnly && inv.reimbursement !== "unclaimed" && (
        <span class={`badge reimb-${inv.reimbursement}`} data-testid="reimbursement" data-state={inv.reimbursement}
          title={inv.claim ? t("card.in_claim", { number: inv.claim.number }) : undefined}>
          {t(`reimbursement.${inv.reimbursement}`)}
        </span>
      )}
      {!risksOnly && inv.booking?.state === "booked" && (
        <span class="badge booked" data-testid="booking" data-state="booked"
          title={t("card.booked_as", { period: inv.booking.period, voucher: inv.booking.voucher })}>
          {t("booking.booked")}
        </span>
      )}
      {inv.duplicate_of !== null && (
        <span class="badge dup" data-testid="duplicate-badge" title={t("card.duplicate_of", { id: inv.duplicate_of })}>
          {t("card.duplicate")}
        </span>
      )}
      {(inv.flags ?? []).map((f) => (
        <span key={f} class="badge flag" data-testid="flag-badge" data-flag={f} title={t(`reconcile.${f}`)}>
          {t(`flag.short.${f}`)}
        </span>
      ))}
    </span>
  );
}
