// The invoice's whole story, newest first: upload, reading, corrections, checks, duplicate links, claim
// and booking steps, exports (GET /api/invoices/<id>/history), each in words and in local time.
import { useEffect, useState } from "preact/hooks";
import { api } from "../../api/http";
import { t } from "../../i18n";
import { activityDetail, activityText, activityWhen, type HistoryItem } from "../../lib/activity";

export function HistorySection({ id, version }: { id: number; version: number }) {
  const [items, setItems] = useState<HistoryItem[] | null>(null);
  useEffect(() => {
    let live = true;
    api<{ items: HistoryItem[] }>(`/api/invoices/${id}/history`)
      .then((r) => live && setItems(r.items))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [id, version]);
  return (
    <section class="section" data-testid="history-section">
      <h3>{t("hist.title")}</h3>
      {items === null ? (
        <p class="note">{t("finance.loading")}</p>
      ) : (
        <ol class="history" data-testid="history">
          {items.map((item, i) => {
            const detail = activityDetail(item);
            return (
              <li key={`${item.at}-${item.kind}-${i}`} data-kind={item.kind}>
                <time dateTime={item.at} class="when">{activityWhen(item)}</time>
                <span class="what">{activityText(item)}</span>
                {detail && <span class="sub">{detail}</span>}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
