// Which invoice is open: kept in the URL hash (#/invoice/12) so back/forward and reload work.
import { signal } from "@preact/signals";

function fromHash(): number | null {
  const m = /^#\/invoice\/(\d+)$/.exec(globalThis.location?.hash ?? "");
  return m ? Number(m[1]) : null;
}

export const openInvoiceId = signal<number | null>(fromHash());
export const settingsOpen = signal<boolean>(globalThis.location?.hash === "#/settings");

export function openInvoice(id: number | null): void {
  location.hash = id === null ? "" : `#/invoice/${id}`;
}

globalThis.addEventListener?.("hashchange", () => {
  openInvoiceId.value = fromHash();
  settingsOpen.value = globalThis.location?.hash === "#/settings";
});
