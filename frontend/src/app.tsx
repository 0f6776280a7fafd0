import { useEffect } from "preact/hooks";
import { api, ApiError, onAuthLost } from "./api/http";
import { connect, disconnect, loadFirstPage } from "./api/sync";
import { ConnectionIndicator } from "./components/ConnectionIndicator";
import { LanguageSwitch } from "./components/LanguageSwitch";
import { t } from "./i18n";
import { canAny, canSeeBackups, canSeePeople } from "./lib/perms";
import { remember, rememberedUser, sessionEnded, signedOut } from "./state/session";
import { resumeUploads } from "./state/uploads";
import { authChecked, user } from "./state/store";
import type { User } from "./state/types";
import { Board } from "./views/Board";
import { Login } from "./views/Login";
import { Upload } from "./views/Upload";
import { InvoiceDetail } from "./views/InvoiceDetail";
import { accountsPage, boardQuery, financePage, openInvoiceId, setPasswordToken, settingsOpen } from "./state/nav";
import { ClaimDetail } from "./views/ClaimDetail";
import { Claims } from "./views/Claims";
import { DashboardPage } from "./views/DashboardPage";
import { Settings } from "./views/Settings";
import { Account } from "./views/Account";
import { AuditLog } from "./views/AuditLog";
import { Backups } from "./views/Backups";
import { People } from "./views/People";
import { SetPassword } from "./views/SetPassword";

// A one-time link opens this page without signing in; the token stays in the hash (never sent to a server).
const linkToken = setPasswordToken(globalThis.location?.pathname ?? "", globalThis.location?.hash ?? "");

export function App() {
  useEffect(() => {
    if (linkToken !== null) return;
    onAuthLost(sessionEnded);
    api<{ user: User }>("/api/auth/me")
      .then((res) => {
        user.value = res.user;
        remember(res.user);
      })
      // No network (the app shell came from the service worker): the last person signed in here, offline.
      .catch((err) => (user.value = err instanceof ApiError && err.status === 0 ? rememberedUser() : null))
      .finally(() => (authChecked.value = true));
    return () => onAuthLost(null);
  }, []);

  const me = user.value;
  useEffect(() => {
    if (!me) return;
    void resumeUploads(me.id);
    loadFirstPage().catch(() => undefined).finally(connect);
    return () => disconnect();
  }, [me?.id]);

  if (linkToken !== null) return <SetPassword token={linkToken} />;
  if (!authChecked.value) return null;
  if (!me) return <Login />;

  async function logout() {
    disconnect(); // first: the server closing this socket must not read as "the session ended elsewhere"
    await api("/api/auth/logout", { method: "POST" }).catch(() => undefined);
    signedOut();
  }

  const single = openInvoiceId.value !== null || settingsOpen.value || financePage.value || accountsPage.value;
  // The board beside the upload card; alone (a role that uploads nothing) it takes the whole width.
  const layout = single ? "single" : canAny(me, "upload") ? undefined : "board-only";
  return (
    <div class="shell">
      <header class="top">
        <strong class="brand">{t("app.title")}</strong>
        <ConnectionIndicator />
        <span class="spacer" />
        <MainNav />
        <a href="#/account" class={`me${accountsPage.value === "account" ? " active" : ""}`} data-testid="nav-account"
          aria-current={accountsPage.value === "account" ? "page" : undefined} title={t("nav.account")}>
          <span class="sr-only">{t("nav.account")}: </span>{me.display_name || me.username}
        </a>
        <LanguageSwitch />
        <button type="button" class="link" data-testid="logout" onClick={logout}>{t("logout")}</button>
      </header>
      <main class={layout}>
        <Page />
      </main>
    </div>
  );
}

/** The page the hash names; one the role may not see falls back to the board (the API would refuse it anyway). */
function Page() {
  const me = user.value;
  const page = accountsPage.value;
  if (openInvoiceId.value !== null) return <InvoiceDetail key={openInvoiceId.value} id={openInvoiceId.value} />;
  if (page === "account") return <Account />;
  if (page === "people" && canSeePeople(me)) return <People />;
  if (page === "audit" && canAny(me, "audit")) return <AuditLog />;
  if (page === "backups" && canSeeBackups(me)) return <Backups />;
  if (settingsOpen.value && canSeeSettings(me)) return <Settings />;
  if (financePage.value?.name === "claims") {
    return financePage.value.id !== null ? <ClaimDetail key={financePage.value.id} id={financePage.value.id} /> : <Claims />;
  }
  if (financePage.value?.name === "dashboard") return <DashboardPage />;
  return (
    <>
      {canAny(me, "upload") && <Upload />}
      <Board />
    </>
  );
}

/** Team settings: buyer entities (manage) and the ledger import (finance); nothing there for the others. */
function canSeeSettings(me: User | null): boolean {
  return canAny(me, "manage") || canAny(me, "finance");
}

/** Board, claims, dashboard, and what the role may see of settings, people, the audit log and (a site admin)
 * the backups: one row of tabs
 * (a second header row on a phone, wrapping onto a third when it does not fit: never scrolling sideways). */
function MainNav() {
  const me = user.value;
  const page = financePage.value;
  const current = openInvoiceId.value !== null ? null : accountsPage.value ?? (settingsOpen.value ? "settings" : page?.name ?? "board");
  const links = [
    { key: "board", href: boardQuery.value ? `#/?${boardQuery.value}` : "#/", label: t("nav.board"), show: true },
    { key: "claims", href: "#/claims", label: t("nav.claims"), show: true },
    { key: "dashboard", href: "#/dashboard", label: t("nav.dashboard"), show: true },
    { key: "settings", href: "#/settings", label: t("nav.settings"), show: canSeeSettings(me) },
    { key: "people", href: "#/people", label: t("nav.people"), show: canSeePeople(me) },
    { key: "audit", href: "#/audit", label: t("nav.audit"), show: canAny(me, "audit") },
    { key: "backups", href: "#/backups", label: t("nav.backups"), show: canSeeBackups(me) },
  ].filter((l) => l.show);
  return (
    <nav class="mainnav" aria-label={t("nav.label")}>
      {links.map((l) => (
        <a key={l.key} href={l.href} data-testid={`nav-${l.key}`} aria-current={current === l.key ? "page" : undefined}
          class={current === l.key ? "active" : undefined}>{l.label}</a>
      ))}
    </nav>
  );
}
