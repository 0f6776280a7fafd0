import { t } from "../i18n";
import type { InvoiceStatus } from "../state/types";

export function StatusChip({ status }: { status: InvoiceStatus }) {
  return (
    <span class={`chip chip-${status}`} data-testid="status" data-status={status}>
      {t(`status.${status}`)}
    </span>
  );
}
