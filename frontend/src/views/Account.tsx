// My account, for everyone signed in: who I am and my role in each team, a new password (the current one
// first; my other sessions end), where I am signed in (address, browser, last seen, this device), and signing
// out everywhere at once.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api/http";
import { disconnect } from "../api/sync";
import { Confirm } from "../components/Confirm";
import { errorText, t } from "../i18n";
import { shortDateTime } from "../lib/format";
import { browserOf } from "../lib/people";
import { signedOut } from "../state/session";
import { user } from "../state/store";
import type { LoginSession } from "../state/types";

export function Account() {
  const me = user.value!;
  const [sessions, setSessions] = useState<LoginSession[] | null>(null);
  const loadSessions = () => {
    api<{ sessions: LoginSession[] }>("/api/auth/sessions").then((r) => setSessions(r.sessions)).catch(() => undefined);
  };
  useEffect(loadSessions, []);
  return (
    <section class="card account" data-testid="account" aria-labelledby="account-title">
      <h2 id="account-title">{t("account.title")}</h2>
      <dl class="facts">
        <dt>{t("login.username")}</dt>
        <dd class="mono" data-testid="account-username">{me.username}</dd>
        <dt>{t("people.display_name")}</dt>
        <dd>{me.display_name}</dd>
        <dt>{t("account.teams")}</dt>
        <dd>
          {me.teams.length === 0 ? "—" : (
            <ul class="plain compact" data-testid="account-teams">
              {me.teams.map((tm) => <li key={tm.id}>{tm.name} · {tm.role ? t(`role.${tm.role}`) : "—"}</li>)}
            </ul>
          )}
          {me.is_admin && <span class="badge site-admin">{t("people.site_admin")}</span>}
        </dd>
      </dl>
      <ChangePassword onChanged={loadSessions} />
      <Sessions sessions={sessions} />
    </section>
  );
}

function ChangePassword({ onChanged }: { onChanged: () => void }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    setDone(false);
    if (next !== again) {
      setError(t("setpw.mismatch"));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api("/api/auth/password", { method: "POST", json: { current, new: next } });
      setCurrent("");
      setNext("");
      setAgain("");
      setDone(true);
      onChanged();
    } catch (err) {
      // auth.invalid here means the current password was wrong (not a user name).
      setError(err instanceof ApiError ? (err.body.key === "auth.invalid" ? t("account.wrong_current") : errorText(err.body)) : String(err));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="section inline-form" data-testid="change-password" onSubmit={submit} noValidate>
      <h3>{t("account.password")}</h3>
      <input type="text" name="username" autocomplete="username" value={user.value?.username} readOnly hidden />
      <label>
        {t("account.current")}
        <input type="password" autocomplete="current-password" value={current} data-testid="password-current"
          onInput={(e) => setCurrent(e.currentTarget.value)} />
      </label>
      <div class="row wrap">
        <label>
          {t("setpw.new")}
          <input type="password" autocomplete="new-password" value={next} data-testid="password-new"
            onInput={(e) => setNext(e.currentTarget.value)} />
        </label>
        <label>
          {t("setpw.again")}
          <input type="password" autocomplete="new-password" value={again} data-testid="password-again"
            onInput={(e) => setAgain(e.currentTarget.value)} />
        </label>
      </div>
      {error && <p class="error" role="alert" data-testid="password-error">{error}</p>}
      {done && <p class="notice" role="status" data-testid="password-done">{t("account.password_done")}</p>}
      <div class="row wrap">
        <button type="submit" class="primary" disabled={busy || !current || !next || !again} data-testid="password-save">
          {t("account.password_save")}
        </button>
      </div>
    </form>
  );
}

function Sessions({ sessions }: { sessions: LoginSession[] | null }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  async function everywhere() {
    setBusy(true);
    disconnect(); // first: the server closing this socket must not read as "the session ended elsewhere"
    await api("/api/auth/logout-everywhere", { method: "POST" }).catch(() => undefined);
    signedOut("everywhere");
  }
  return (
    <div class="section" data-testid="sessions">
      <h3>{t("account.sessions")}</h3>
      {sessions === null ? (
        <p class="note">{t("finance.loading")}</p>
      ) : (
        <ul class="sessions" data-testid="session-list">
          {sessions.map((s) => (
            <li key={s.id} class="session" data-testid="session" data-current={String(s.current)}>
              <div class="row between wrap">
                <b>{browserOf(s.user_agent) || t("account.unknown_browser")}</b>
                {s.current && <span class="badge here" data-testid="session-current">{t("account.this_device")}</span>}
              </div>
              <span class="sub">
                {[s.address, t("account.last_seen", { at: shortDateTime(s.last_seen_at) }),
                  t("account.signed_in_at", { at: shortDateTime(s.created_at) })].filter(Boolean).join(" · ")}
              </span>
            </li>
          ))}
        </ul>
      )}
      {asking ? (
        <Confirm busy={busy} yes={t("account.everywhere")} onYes={everywhere} onNo={() => setAsking(false)} testid="confirm-everywhere">
          {t("account.everywhere_confirm", { n: sessions?.length ?? 1 })}
        </Confirm>
      ) : (
        <button type="button" data-testid="logout-everywhere" onClick={() => setAsking(true)}>{t("account.everywhere")}</button>
      )}
    </div>
  );
}
