/** Exponential back-off with full jitter: attempt 1 waits up to `base`, doubling to `cap`. */
export function backoffMs(attempt: number, base = 1000, cap = 30_000, random: () => number = Math.random): number {
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Which failed uploads are worth retrying: the network dropped, or the server had a fault. */
export function isRetryable(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || status >= 500;
}
