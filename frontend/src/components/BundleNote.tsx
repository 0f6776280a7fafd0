import { t } from "../i18n";
import { board } from "../state/store";
import type { Invoice } from "../state/types";

/** Under an upload's row: how many invoices its file held, once the worker has split it (a bundle of 29
 * invoices in one PDF is split on its first reading; the head invoice's update brings `parts`, live). */
export function BundleNote({ invoiceId }: { invoiceId: number }) {
  const parts = board.value.invoices.get(invoiceId)?.parts ?? 0;
  if (parts < 2) return null;
  return <p class="hint" data-testid="upload-parts">{t("upload.parts", { n: parts })}</p>;
}

/** Which part of its file an invoice is ("第 3 页", "第 3–4 页", "照片中的一张"); null for a file of its own. */
export function partLabel(inv: Invoice): string | null {
  if (!inv.parts && !inv.part_of) return null; // the whole file (its pages perhaps read in another order)
  const pages = [...(inv.pages ?? [])].sort((a, b) => a - b); // its invoice page first: a list before it comes after
  if (pages.length > 0) {
    const range = pages.length > 1 ? `${pages[0]}–${pages[pages.length - 1]}` : `${pages[0]}`;
    return t("part.pages", { pages: range });
  }
  return inv.crop ? t("part.crop") : null;
}
