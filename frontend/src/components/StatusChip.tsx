import { t } from "../i18n";
import type { InvoiceStatus } from "../state/types";

export function StatusChip({ status, stage }: { status: InvoiceStatus; stage?: string | null }) {
  return (
    <span class={`chip chip-${status}`} data-testid="status" data-status={status}>
      {status === "processing" && stage ? t(`stage.${stage}`) : t(`status.${status}`)}
    </span>
  );
}
