// The page a one-time link opens (`/set-password#<token>`), without signing in: whose link it is and why (a
// first password or a reset), the new password twice, then on to sign in. The token comes from the hash, so it
// never reaches a server log or a Referer; it is sent only to GET and POST /api/auth/link.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api/http";
import { LanguageSwitch } from "../components/LanguageSwitch";
import { errorText, t } from "../i18n";
import { shortDateTime } from "../lib/format";

interface LinkInfo {
  username: string;
  purpose: "setup" | "reset";
  expires_at: string;
}

const message = (err: unknown) => (err instanceof ApiError ? errorText(err.body) : String(err));

export function SetPassword({ token }: { token: string }) {
  const [info, setInfo] = useState<LinkInfo | null>(null);
  const [invalid, setInvalid] = useState<string | null>(null);
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  useEffect(() => {
    if (!token) {
      setInvalid(errorText({ key: "link.invalid" }));
      return;
    }
    api<LinkInfo>(`/api/auth/link?token=${encodeURIComponent(token)}`).then(setInfo).catch((err) => setInvalid(message(err)));
  }, [token]);

  async function submit(e: Event) {
    e.preventDefault();
    if (password !== again) {
      setError(t("setpw.mismatch"));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const r = await api<{ ok: boolean; username: string }>("/api/auth/link", { method: "POST", json: { token, password } });
      setDone(r.username);
    } catch (err) {
      setError(message(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="login">
      <section class="card" data-testid="set-password">
        <div class="row between">
          <h1>{t("app.title")}</h1>
          <LanguageSwitch />
        </div>
        {done !== null ? (
          <div data-testid="set-password-done">
            <p class="notice" role="status">{t("setpw.done", { username: done })}</p>
            <a class="button primary" href="/" data-testid="to-sign-in">{t("setpw.sign_in")}</a>
          </div>
        ) : invalid ? (
          <div>
            <p class="error" role="alert" data-testid="set-password-invalid">{invalid}</p>
            <a class="button" href="/">{t("setpw.sign_in")}</a>
          </div>
        ) : !info ? (
          <p class="note">{t("finance.loading")}</p>
        ) : (
          <form onSubmit={submit} noValidate data-testid="set-password-form">
            <h2>{t(`setpw.title.${info.purpose}`)}</h2>
            <p data-testid="set-password-who">{t(`setpw.who.${info.purpose}`, { username: info.username })}</p>
            <p class="note">{t("setpw.once", { at: shortDateTime(info.expires_at) })}</p>
            {/* The user name rides along (hidden) so a password manager files the new password under it. */}
            <input type="text" name="username" autocomplete="username" value={info.username} readOnly hidden />
            <label>
              {t("setpw.new")}
              <input type="password" name="new-password" autocomplete="new-password" value={password} required
                data-testid="new-password" onInput={(e) => { setPassword(e.currentTarget.value); setError(null); }} />
            </label>
            <label>
              {t("setpw.again")}
              <input type="password" autocomplete="new-password" value={again} required data-testid="new-password-again"
                onInput={(e) => { setAgain(e.currentTarget.value); setError(null); }} />
            </label>
            {error && <p class="error" role="alert" data-testid="set-password-error">{error}</p>}
            <button type="submit" class="primary" disabled={busy || !password || !again} data-testid="set-password-submit">
              {t("setpw.submit")}
            </button>
          </form>
        )}
      </section>
    </main>
  );
}
