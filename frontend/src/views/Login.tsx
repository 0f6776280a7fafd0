// Sign in. Says why when the session ended elsewhere (an admin disabled or reset the person, they signed out
// everywhere, a timeout); after too many wrong passwords the server answers 429 `auth.throttled` and the page
// counts down its wait with the button disabled.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api/http";
import { errorText, t } from "../i18n";
import { secondsLeft, throttledUntil } from "../lib/throttle";
import { signedIn, signInNotice } from "../state/session";
import type { ApiErrorBody, User } from "../state/types";
import { LanguageSwitch } from "../components/LanguageSwitch";

/** Re-renders every second until `until`, and says how many seconds are left (0: none or passed). */
function useCountdown(until: number | null): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (until === null) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [until]);
  return until === null ? 0 : secondsLeft(until, now);
}

export function Login() {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<ApiErrorBody | string | null>(null);
  const [until, setUntil] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const wait = useCountdown(until);
  const throttled = until !== null && wait > 0;
  useEffect(() => {
    if (until !== null && wait === 0) { // the wait is over: the message goes with it
      setUntil(null);
      setError(null);
    }
  }, [until, wait]);

  async function submit(e: Event) {
    e.preventDefault();
    if (throttled) return;
    setBusy(true);
    setError(null);
    try {
      const res = await api<{ user: User }>("/api/auth/login", { method: "POST", json: { username, password } });
      signedIn(res.user);
    } catch (err) {
      if (err instanceof ApiError) {
        setError(err.body);
        setUntil(throttledUntil(err.body, Date.now()));
      } else setError(String(err));
    } finally {
      setBusy(false);
    }
  }

  const notice = signInNotice.value;
  const message = typeof error === "string" ? error
    : error && (throttled ? errorText({ ...error, params: { ...error.params, wait_seconds: wait } }) : errorText(error));
  return (
    <main class="login">
      <form onSubmit={submit} class="card" data-testid="login-form">
        <div class="row between">
          <h1>{t("app.title")}</h1>
          <LanguageSwitch />
        </div>
        {notice && <p class={notice === "ended" ? "notice warn" : "notice"} role="status" data-testid="login-notice" data-notice={notice}>{t(`login.notice.${notice}`)}</p>}
        <label>
          {t("login.username")}
          <input name="username" autocomplete="username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} required />
        </label>
        <label>
          {t("login.password")}
          <input name="password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required />
        </label>
        {message && (
          <p class="error" role="alert" data-testid="login-error" data-key={typeof error === "string" ? "" : error?.key}>{message}</p>
        )}
        <button type="submit" class="primary" disabled={busy || throttled} data-testid="login-submit"
          data-wait={throttled ? wait : undefined}>
          {throttled ? t("login.wait", { n: wait }) : t("login.submit")}
        </button>
      </form>
    </main>
  );
}
