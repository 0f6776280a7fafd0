// Signing out, here or by the server: whichever way a session ends, the board is let go and the sign-in page
// shows why (the session ended elsewhere, or I signed out everywhere). Pure state; no requests.
import { signal } from "@preact/signals";
import { resetBoard, user } from "./store";
import type { User } from "./types";

export type SignInNotice = "ended" | "everywhere" | "password_set";
export const signInNotice = signal<SignInNotice | null>(null);

/** Signed out: the sign-in page, with a notice when it was not my own "sign out". */
export function signedOut(notice: SignInNotice | null = null): void {
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
}

/** What GET /api/auth/me says now (after a reconnect: a role may have changed); another person never replaces me. */
export function refreshed(me: User): void {
  if (user.value?.id === me.id) user.value = me;
}
