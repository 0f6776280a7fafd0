import type { ApiErrorBody } from "../state/types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
  ) {
    super(body.key);
  }
}

// Every state-changing call carries this header; the server refuses those without it (CSRF).
export const CSRF_HEADERS = { "X-Requested-With": "fapiao" };

// Called when a request answers 401 `auth.required`: the session ended (elsewhere, by an admin, or timed out).
let authLost: (() => void) | null = null;

export function onAuthLost(handler: (() => void) | null): void {
  authLost = handler;
}

export async function api<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { ...CSRF_HEADERS, Accept: "application/json" };
  let body = init.body;
  if (init.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(init.json);
  }
  let response: Response;
  try {
    response = await fetch(path, { ...init, body, headers, credentials: "same-origin" });
  } catch {
    throw new ApiError(0, { key: "network", message: "network error", params: {} });
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const err = (data && data.error) || { key: "server", message: response.statusText, params: {} };
    if (response.status === 401 && err.key === "auth.required") authLost?.();
    throw new ApiError(response.status, err);
  }
  return data as T;
}
