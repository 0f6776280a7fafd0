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
import { boardQuery, financePage, openInvoiceId, settingsOpen } from "./state/nav";
import { ClaimDetail } from "./views/ClaimDetail";
import { Claims } from "./views/Claims";
import { DashboardPage } from "./views/DashboardPage";
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
        <MainNav />
        <LanguageSwitch />
        <button type="button" class="link" onClick={logout}>{t("logout")}</button>
      </header>
      <main class={openInvoiceId.value !== null || settingsOpen.value || financePage.value ? "single" : undefined}>
        {openInvoiceId.value !== null ? (
          <InvoiceDetail key={openInvoiceId.value} id={openInvoiceId.value} />
        ) : settingsOpen.value ? (
          <Settings />
        ) : financePage.value?.name === "claims" ? (
          financePage.value.id !== null ? <ClaimDetail key={financePage.value.id} id={financePage.value.id} /> : <Claims />
        ) : financePage.value?.name === "dashboard" ? (
          <DashboardPage />
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

/** Board, claims, dashboard, settings: one row of tabs (a second header row on a phone). */
function MainNav() {
  const page = financePage.value;
  const current = openInvoiceId.value !== null ? null : settingsOpen.value ? "settings" : page?.name ?? "board";
  const links = [
    { key: "board", href: boardQuery.value ? `#/?${boardQuery.value}` : "#/", label: t("nav.board") },
    { key: "claims", href: "#/claims", label: t("nav.claims") },
    { key: "dashboard", href: "#/dashboard", label: t("nav.dashboard") },
    { key: "settings", href: "#/settings", label: t("nav.settings") },
  ];
  return (
    <nav class="mainnav" aria-label={t("nav.label")}>
      {links.map((l) => (
        <a key={l.key} href={l.href} data-testid={`nav-${l.key}`} aria-current={current === l.key ? "page" : undefined}
          class={current === l.key ? "active" : undefined}>{l.label}</a>
      ))}
    </nav>
  );
}
