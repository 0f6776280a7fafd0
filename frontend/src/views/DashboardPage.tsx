// The dashboard's entry point: its module (and Chart.js with it) is fetched only when someone opens the
// dashboard, so the board never pays for the charts.
import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { t } from "../i18n";

let loaded: ComponentType | null = null;

export function DashboardPage() {
  const [View, setView] = useState<ComponentType | null>(() => loaded);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (View) return;
    import("./dashboard/Dashboard")
      .then((m) => {
        loaded = m.Dashboard;
        setView(() => m.Dashboard);
      })
      .catch(() => setFailed(true));
  }, []);
  if (failed) return <section class="card"><p class="error">{t("error.network")}</p></section>;
  return View ? <View /> : <section class="card"><p class="note">{t("finance.loading")}</p></section>;
}
