// Signing out, here or by the server: whichever way a session ends, the board is let go and the sign-in page
// shows why (the session ended elsewhere, or I signed out everywhere). Pure state; no requests.
import { signal } from "@preact/signals";
import { resetBoard, user } from "./store";
import type { User } from "./types";

export type SignInNotice = "ended" | "everywhere" | "password_set";
export const signInNotice = signal<SignInNotice | null>(null);

/** Signed out: the sign-in page, with a notice when it was not my own "sign out". */
export function signedOut(notice: SignInNotice | null = null): void {
  remember(null);
  resetBoard();
  user.value = null;
  signInNotice.value = notice;
}

/** The server says the session is gone (a 401, a refused socket): only a signed-in page has anything to end. */
export function sessionEnded(): void {
  if (user.value !== null) signedOut("ended");
}

export function signedIn(me: User): void {
  signInNotice.value = null;
  user.value = me;
  remember(me);
}

/** What GET /api/auth/me says now (after a reconnect: a role may have changed); another person never replaces me. */
export function refreshed(me: User): void {
  if (user.value?.id === me.id) {
    user.value = me;
    remember(me);
  }
}

// Who was signed in on this browser, kept so that the app opened offline (from the service worker) still shows
// my upload screen and my waiting files; only for display: the server still decides on every request, and a
// request answered 401 ends it. Gone at sign-out.
const ME_KEY = "fapiao.me";

export function remember(me: User | null): void {
  try {
    if (me) globalThis.localStorage?.setItem(ME_KEY, JSON.stringify(me));
    else globalThis.localStorage?.removeItem(ME_KEY);
  } catch {
    /* storage blocked: offline start shows the sign-in page */
  }
}

/** The person last signed in here, for a start without network (GET /api/auth/me could not be asked). */
export function rememberedUser(): User | null {
  try {
    const saved = globalThis.localStorage?.getItem(ME_KEY);
    return saved ? (JSON.parse(saved) as User) : null;
  } catch {
    return null;
  }
}
