// The sync-health widget: is the authority connector up, when did it last answer, how many failures.
// The database is the truth: it is read on a timer and whenever the socket (re)connects, and a change of what it
// shows is pushed (connector.updated); both go through the board's reducer, which keeps the higher version.
import { useEffect } from "preact/hooks";
import { api } from "../api/http";
import { lang, t } from "../i18n";
import { localTime } from "../lib/format";
import { connection, receiveHealth, syncHealth } from "../state/store";
import type { SyncHealth as Health } from "../state/types";

const REFRESH_MS = 15_000;

export function SyncHealth() {
  const health = syncHealth.value;
  const conn = connection.value;
  useEffect(() => {
    let live = true;
    const load = () => api<{ health: Health }>("/api/sync/health").then((r) => live && receiveHealth(r.health)).catch(() => undefined);
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [conn]);
  if (!health) return null;
  if (health.connector === "off") return <p class="health off" data-testid="sync-health">{t("health.off")}</p>;
  const when = (iso: string | null) => (iso ? localTime(iso, lang.value) : t("health.never"));
  return (
    <div class={`health ${health.ok ? "ok" : "down"}`} data-testid="sync-health" data-ok={String(health.ok)}>
      <strong>{t(`health.connector.${health.connector}`)}</strong>
      <span>{health.ok ? t("health.ok") : t("health.down", { since: when(health.down_since) })}</span>
      <span>{t("health.last_ok", { at: when(health.last_ok_at) })}</span>
      {health.failures > 0 && <span>{t("health.failures", { n: health.failures, error: t(`error.${health.last_error}`) })}</span>}
    </div>
  );
}
