// Keeps the board in step with the server. The socket is only a hint that something changed:
// on every (re)connect we ask the server for every event after our cursor, so nothing pushed
// while we were away is ever missed.
import { io, type Socket } from "socket.io-client";
import { refreshed, sessionEnded } from "../state/session";
import { board, connection, healthMayHaveGoneBack, receiveEvents, setCursorAtLeast } from "../state/store";
import type { ServerEvent, User } from "../state/types";
import { api, ApiError } from "./http";

interface EventsPage {
  events: ServerEvent[];
  cursor: number;
  has_more: boolean;
}
interface CountsPage {
  event_cursor: number;
}

let socket: Socket | null = null;

/** Where catching up starts: the event cursor as the board is first loaded (its results load themselves). */
export async function loadFirstPage(): Promise<void> {
  const page = await api<CountsPage>("/api/invoices?limit=0");
  setCursorAtLeast(page.event_cursor);
}

let catching: Promise<void> | null = null;

/** Catch up unless already catching up (a beacon arriving mid-way is answered by the loop in flight). */
function catchUpOnce(): Promise<void> {
  catching ??= catchUp().finally(() => {
    catching = null;
  });
  return catching;
}

export async function catchUp(): Promise<void> {
  for (;;) {
    const page = await api<EventsPage>(`/api/events?after=${board.value.cursor}`);
    receiveEvents(page.events);
    setCursorAtLeast(page.cursor);
    if (!page.has_more) return;
  }
}

export function connect(): void {
  if (socket) return;
  socket = io({
    transports: ["websocket", "polling"],
    withCredentials: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 10_000,
    randomizationFactor: 0.5, // jitter, so a server restart is not met by a thundering herd
  });
  connection.value = "reconnecting";
  let connects = 0;
  socket.on("connect", () => {
    connection.value = "online";
    catchUp().catch(onSyncError);
    // Back after a break: my roles may have changed meanwhile (the server drops my sockets when they do).
    if (connects++ > 0) api<{ user: User }>("/api/auth/me").then((r) => refreshed(r.user)).catch(onSyncError);
  });
  socket.on("event", (ev: ServerEvent) => receiveEvents([ev]));
  // The server's beacon (scaled mode): a team's newest cursor. Behind it, a push was lost (Redis restarted): ask.
  socket.on("cursor", (m: { cursor: number }) => {
    if (typeof m?.cursor === "number" && m.cursor > board.value.cursor) catchUpOnce().catch(onSyncError);
  });
  socket.on("disconnect", (reason: string) => {
    connection.value = navigator.onLine ? "reconnecting" : "offline";
    healthMayHaveGoneBack(); // the chip reads it again on the reconnect (its effect follows the connection)
    // The server closed it: a session ended (the reconnect is refused) or a role changed (it comes back into
    // the rooms I hold now). Socket.IO does not reconnect by itself after a server's disconnect.
    if (reason === "io server disconnect") socket?.connect();
  });
  socket.on("connect_error", (err: Error) => {
    if (err.message === "auth.required") {
      disconnect();
      sessionEnded();
      return;
    }
    connection.value = navigator.onLine ? "reconnecting" : "offline";
  });
  window.addEventListener("offline", onOffline);
  window.addEventListener("online", onOnline);
}

function onOffline(): void {
  connection.value = "offline";
}

function onOnline(): void {
  if (socket && !socket.connected) {
    connection.value = "reconnecting";
    socket.connect();
  }
}

function onSyncError(err: unknown): void {
  if (err instanceof ApiError && err.status === 401) {
    disconnect();
    sessionEnded();
  }
}

export function disconnect(): void {
  socket?.disconnect();
  socket = null;
  connection.value = "offline";
  window.removeEventListener("offline", onOffline);
  window.removeEventListener("online", onOnline);
}
