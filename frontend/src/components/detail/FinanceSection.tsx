// Reimbursement (报销) and booking (入账) of one invoice: where it stands, the claim that holds it, and for
// someone with `finance` in its team (an accountant or admin) the book / change / unbook form (errors in the
// server's words).
import { useState } from "preact/hooks";
import { api, ApiError } from "../../api/http";
import { errorText, t } from "../../i18n";
import { shortDateTime } from "../../lib/format";
import { canIn } from "../../lib/perms";
import { receiveInvoices, user } from "../../state/store";
import type { Invoice } from "../../state/types";

export function FinanceSection({ inv }: { inv: Invoice }) {
  const finance = canIn(user.value, inv.team_id, "finance");
  const booked = inv.booking?.state === "booked";
  return (
    <section class="section" data-testid="finance-section">
      <h3>{t("fin.title")}</h3>
      <dl class="facts">
        <dt>{t("fin.reimbursement")}</dt>
        <dd>
          <span class={`badge reimb-${inv.reimbursement}`} data-testid="fin-reimbursement" data-state={inv.reimbursement}>
            {t(`reimbursement.${inv.reimbursement}`)}
          </span>
        </dd>
        {inv.claim && (
          <>
            <dt>{t("fin.claim")}</dt>
            <dd>
              <a href={`#/claims/${inv.claim.id}`} data-testid="fin-claim">{inv.claim.number}</a>
              <span class="sub"> · {t(`claim_state.${inv.claim.state}`)}</span>
            </dd>
          </>
        )}
        {inv.reimbursed_at && (
          <>
            <dt>{t("fin.reimbursed_at")}</dt>
            <dd>{shortDateTime(inv.reimbursed_at)}</dd>
          </>
        )}
        <dt>{t("fin.booking")}</dt>
        <dd>
          <span class={`badge ${booked ? "booked" : ""}`} data-testid="fin-booking" data-state={inv.booking?.state}>
            {t(`booking.${inv.booking?.state ?? "unbooked"}`)}
          </span>
        </dd>
        {booked && (
          <>
            <dt>{t("fin.period")}</dt>
            <dd data-testid="fin-period">{inv.booking.period}</dd>
            <dt>{t("fin.voucher")}</dt>
            <dd data-testid="fin-voucher" class="mono">{inv.booking.voucher}</dd>
            <dt>{t("fin.booked_at")}</dt>
            <dd>{shortDateTime(inv.booking.at)}{inv.booking.by_name ? ` · ${inv.booking.by_name}` : ""}</dd>
          </>
        )}
      </dl>
      {inv.duplicate_of !== null && (
        <p class="note" data-testid="fin-duplicate">{t("fin.duplicate", { id: inv.duplicate_of })}</p>
      )}
      {finance && (booked || bookable(inv)) && <BookingForm inv={inv} />}
    </section>
  );
}

// What the server books at all (services/booking.py refuses the rest): no point offering the form for them.
const NOT_BOOKABLE = new Set(["voided", "red_flushed", "duplicate"]);
const bookable = (inv: Invoice) => inv.duplicate_of === null && !NOT_BOOKABLE.has(inv.status);

function thisMonth(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`;
}

function BookingForm({ inv }: { inv: Invoice }) {
  const booked = inv.booking?.state === "booked";
  const [open, setOpen] = useState(false);
  const [period, setPeriod] = useState(inv.booking?.period ?? thisMonth());
  const [voucher, setVoucher] = useState(inv.booking?.voucher ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function send(body: { booked: boolean; period?: string; voucher?: string }) {
    setBusy(true);
    setError(null);
    try {
      const r = await api<{ invoice: Invoice }>(`/api/invoices/${inv.id}/booking`, { method: "POST", json: body });
      receiveInvoices([r.invoice]);
      setOpen(false);
    } catch (err) {
      setError(err instanceof ApiError ? errorText(err.body) : String(err));
    } finally {
      setBusy(false);
    }
  }

  if (!open) {
    return (
      <div class="row wrap">
        <button type="button" data-testid="booking-open" onClick={() => setOpen(true)}>
          {t(booked ? "fin.change" : "fin.book")}
        </button>
        {booked && (
          <button type="button" data-testid="unbook" disabled={busy} onClick={() => send({ booked: false })}>
            {t("fin.unbook")}
          </button>
        )}
        {error && <p class="error" role="alert" data-testid="booking-error">{error}</p>}
      </div>
    );
  }
  return (
    <form class="inline-form" data-testid="booking-form" noValidate
      onSubmit={(e) => { e.preventDefault(); send({ booked: true, period: period.trim(), voucher: voucher.trim() }); }}>
      <div class="row wrap">
        <label>
          {t("fin.period")}
          <input type="month" value={period} placeholder="YYYY-MM" data-testid="booking-period"
            onInput={(e) => setPeriod(e.currentTarget.value)} />
        </label>
        <label>
          {t("fin.voucher")}
          <input value={voucher} maxLength={64} data-testid="booking-voucher" placeholder={t("fin.voucher_hint")}
            onInput={(e) => setVoucher(e.currentTarget.value)} />
        </label>
      </div>
      {error && <p class="error" role="alert" data-testid="booking-error">{error}</p>}
      <div class="row wrap">
        <button type="submit" class="primary" disabled={busy} data-testid="booking-save">{t(booked ? "fin.save" : "fin.book")}</button>
        <button type="button" disabled={busy} onClick={() => { setOpen(false); setError(null); }}>{t("detail.cancel")}</button>
      </div>
    </form>
  );
}
