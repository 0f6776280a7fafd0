// What a bulk action did: how many were done, and each refusal's reason (translated from its error key),
// grouped so that 40 invoices refused for one reason read as one line.
import { errorText, t } from "../../i18n";
import { listOf } from "../../lib/causes";
import { board } from "../../state/store";
import type { Outcome, Refusal } from "./bulk";

const SHOWN = 8; // invoices named per reason; the rest are counted

function label(id: number): string {
  const inv = board.value.invoices.get(id);
  return inv?.seller_name ? `#${id} ${inv.seller_name}` : `#${id}`;
}

function grouped(refused: Refusal[]): [string, number[]][] {
  const groups = new Map<string, number[]>();
  for (const r of refused) {
    const text = errorText({ key: r.key, params: r.params });
    groups.set(text, [...(groups.get(text) ?? []), r.id]);
  }
  return [...groups];
}

export function BulkOutcome({ outcome, onClose }: { outcome: Outcome; onClose: () => void }) {
  return (
    <div class="outcome" role="status" data-testid="bulk-outcome" data-done={outcome.done.length}
      data-refused={outcome.refused.length}>
      <div class="row between">
        <b>{t("bulk.done", { n: outcome.done.length, action: t(`bulk.action.${outcome.action}`) })}</b>
        <button type="button" class="link" onClick={onClose} aria-label={t("bulk.dismiss")}>×</button>
      </div>
      {outcome.claim && (
        <a href={`#/claims/${outcome.claim.id}`} data-testid="outcome-claim">{t("bulk.open_claim", { number: outcome.claim.number })}</a>
      )}
      {outcome.refused.length > 0 && (
        <>
          <p class="note">{t("bulk.refused", { n: outcome.refused.length })}</p>
          <ul class="refusals">
            {grouped(outcome.refused).map(([text, ids]) => (
              <li key={text} data-testid="refusal">
                <span class="error">{text}</span>{" "}
                <span class="sub">
                  {listOf(ids.slice(0, SHOWN).map(label))}
                  {ids.length > SHOWN ? ` ${t("bulk.and_more", { n: ids.length - SHOWN })}` : ""}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
