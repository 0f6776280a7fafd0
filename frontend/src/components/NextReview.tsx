// "Next needing review": straight to the next invoice that needs a person (the board's 待核对, in the board's
// order), from the board and from every invoice page (where the key "n" does the same).
import { useState } from "preact/hooks";
import { t } from "../i18n";
import { nextNeedingReview } from "../lib/review";
import { openInvoice } from "../state/nav";

export async function goToNextReview(current: number | null): Promise<boolean> {
  const next = await nextNeedingReview(current).catch(() => null);
  if (next !== null) openInvoice(next);
  return next !== null;
}

export function NextReview({ current }: { current: number | null }) {
  const [none, setNone] = useState(false);
  return (
    <span class="row">
      <button type="button" data-testid="next-review" title={current === null ? undefined : "n"}
        onClick={async () => setNone(!(await goToNextReview(current)))}>{t("review.next")} →</button>
      {none && <span class="note" role="status" data-testid="next-review-none">{t("review.none")}</span>}
    </span>
  );
}
