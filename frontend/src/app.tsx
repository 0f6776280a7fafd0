import { useEffect } from "preact/hooks";
import { api } from "./api/http";
import { connect, disconnect, loadFirstPage } from "./api/sync";
import { ConnectionIndicator } from "./components/ConnectionIndicator";
import { LanguageSwitch } from "./components/LanguageSwitch";
import { t } from "./i18n";
import { authChecked, resetBoard, user } from "./state/store";
import type { User } from "./state/types";
import { Board } from "./views/Board";
import { Login } from "./views/Login";
import { Upload } from "./views/Upload";
import { InvoiceDetail } from "./views/InvoiceDetail";
import { openInvoiceId, settingsOpen } from "./state/nav";
import { Settings } from "./views/Settings";

export function App() {
  useEffect(() => {
    api<{ user: User }>("/api/auth/me")
      .then((res) => (user.value = res.user))
      .catch(() => (user.value = null))
      .finally(() => (authChecked.value = true));
  }, []);

  const me = user.value;
  useEffect(() => {
    if (!me) return;
    loadFirstPage().catch(() => undefined).finally(connect);
    return () => disconnect();
  }, [me?.id]);

  if (!authChecked.value) return null;
  if (!me) return <Login />;

  async function logout() {
    await api("/api/auth/logout", { method: "POST" }).catch(() => undefined);
    disconnect();
    resetBoard();
    user.value = null;
  }

  return (
    <div class="shell">
      <header class="top">
        <strong class="brand">{t("app.title")}</strong>
        <ConnectionIndicator />
        <span class="spacer" />
        <a href={settingsOpen.value ? "#" : "#/settings"} class="link" data-testid="nav-settings">
          {settingsOpen.value ? t("nav.board") : t("nav.settings")}
        </a>
        <LanguageSwitch />
        <button type="button" class="link" onClick={logout}>{t("logout")}</button>
      </header>
      <main>
        {openInvoiceId.value !== null ? (
          <InvoiceDetail id={openInvoiceId.value} />
        ) : settingsOpen.value ? (
          <Settings />
        ) : (
          <>
            <Upload />
            <Board />
          </>
        )}
      </main>
    </div>
  );
}
