import { t } from "../i18n";
import { connection } from "../state/store";

export function ConnectionIndicator() {
  const state = connection.value;
  return (
    <span class={`conn conn-${state}`} data-testid="connection" data-state={state} role="status" aria-live="polite">
      <span class="dot" aria-hidden="true" />
      {t(`conn.${state}`)}
    </span>
  );
}
