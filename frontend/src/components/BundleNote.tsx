import { t } from "../i18n";
import { board } from "../state/store";

/** Under an upload's row: how many invoices its file held, once the worker has split it (a bundle of 29
 * invoices in one PDF is split on its first reading; the head invoice's update brings `parts`, live). */
export function BundleNote({ invoiceId }: { invoiceId: number }) {
  const parts = board.value.invoices.get(invoiceId)?.parts ?? 0;
  if (parts < 2) return null;
  return <p class="hint" data-testid="upload-parts">{t("upload.parts", { n: parts })}</p>;
}
