import { t } from "../i18n";
import { connection } from "../state/store";

export function ConnectionIndicator() {
  const state = connection.value;
  return (
    <span class={`conn conn-${state}`} data-testid="connection" data-state={state} role="status" aria-live="polite" title={t(`conn.${state}`)}>
      <span class="dot" aria-hidden="true" />
      <span class="label">{t(`conn.${state}`)}</span>
    </span>
  );
}
