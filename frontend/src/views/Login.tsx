import { useState } from "preact/hooks";
import { api, ApiError } from "../api/http";
import { errorText, t } from "../i18n";
import { user } from "../state/store";
import type { User } from "../state/types";
import { LanguageSwitch } from "../components/LanguageSwitch";

export function Login() {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await api<{ user: User }>("/api/auth/login", { method: "POST", json: { username, password } });
      user.value = res.user;
    } catch (err) {
      setError(err instanceof ApiError ? errorText(err.body) : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="login">
      <form onSubmit={submit} class="card" data-testid="login-form">
        <div class="row between">
          <h1>{t("app.title")}</h1>
          <LanguageSwitch />
        </div>
        <label>
          {t("login.username")}
          <input name="username" autocomplete="username" value={username} onInput={(e) => setUsername(e.currentTarget.value)} required />
        </label>
        <label>
          {t("login.password")}
          <input name="password" type="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required />
        </label>
        {error && <p class="error" role="alert" data-testid="login-error">{error}</p>}
        <button type="submit" class="primary" disabled={busy}>{t("login.submit")}</button>
      </form>
    </main>
  );
}
