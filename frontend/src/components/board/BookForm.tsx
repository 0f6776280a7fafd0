// Booking the selection (已入账): the accounting period (YYYY-MM) and the voucher number (凭证号).
import { useState } from "preact/hooks";
import { ApiError } from "../../api/http";
import { errorText, t } from "../../i18n";
import type { Selection } from "../../state/selection";
import { runBulk, type Outcome } from "./bulk";

interface Props {
  sel: Selection;
  filterQuery: string;
  onDone: (outcome: Outcome) => void;
  onCancel: () => void;
}

function thisMonth(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`;
}

export function BookForm({ sel, filterQuery, onDone, onCancel }: Props) {
  const [period, setPeriod] = useState(thisMonth());
  const [voucher, setVoucher] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onDone(await runBulk("book", sel, filterQuery, { period, voucher: voucher.trim() }));
    } catch (err) {
      setError(err instanceof ApiError ? errorText(err.body) : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="bulk-form" data-testid="book-form" onSubmit={submit}>
      <b>{t("bulk.book_title")}</b>
      <div class="row wrap">
        <label>
          {t("bulk.period")}
          <input type="month" value={period} required pattern="\d{4}-\d{2}" placeholder="YYYY-MM" data-testid="book-period"
            onInput={(e) => setPeriod(e.currentTarget.value)} />
        </label>
        <label>
          {t("bulk.voucher")}
          <input value={voucher} required maxLength={64} data-testid="book-voucher" onInput={(e) => setVoucher(e.currentTarget.value)} />
        </label>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      <div class="row wrap">
        <button type="submit" class="primary" disabled={busy} data-testid="book-submit">{t("bulk.book")}</button>
        <button type="button" onClick={onCancel}>{t("detail.cancel")}</button>
      </div>
    </form>
  );
}
