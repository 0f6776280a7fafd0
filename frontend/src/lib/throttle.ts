// Sign-in throttling as the login page shows it: a 429 `auth.throttled` says how long to wait
// (`params.wait_seconds`); the page counts down to that moment and keeps the button disabled until then.

/** When signing in may be tried again (ms since the epoch), or null when the error is not a throttle. */
export function throttledUntil(error: { key: string; params?: Record<string, unknown> }, now: number): number | null {
  if (error.key !== "auth.throttled") return null;
  const wait = Number(error.params?.wait_seconds);
  return Number.isFinite(wait) && wait > 0 ? now + Math.ceil(wait) * 1000 : null;
}

/** Whole seconds left until `until` (0 once it has passed). */
export function secondsLeft(until: number, now: number): number {
  return Math.max(0, Math.ceil((until - now) / 1000));
}
