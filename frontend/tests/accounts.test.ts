import { afterEach, describe, expect, it, vi } from "vitest";
import { api, ApiError, onAuthLost } from "../src/api/http";
import { catalogs, errorText, setLang } from "../src/i18n";
import {
  actionText, appendEntries, AUDIT_ACTIONS, auditExportUrl, auditQuery, dataText, nextCursor, noAuditFilter, targetText, teamText,
} from "../src/lib/audit";
import { browserOf, teamsToAdd, withPerson } from "../src/lib/people";
import { secondsLeft, throttledUntil } from "../src/lib/throttle";
import { accountsPageOf, setPasswordToken } from "../src/state/nav";
import { applyInvoices } from "../src/state/reduce";
import { refreshed, sessionEnded, signedIn, signedOut, signInNotice } from "../src/state/session";
import { board, user } from "../src/state/store";
import type { AuditEntry, Person, User } from "../src/state/types";
import { inv } from "./fixtures";

const me: User = { id: 1, username: "alice", display_name: "Alice", is_admin: false,
  teams: [{ id: 1, name: "Team A", role: "accountant", can_manage: false, permissions: ["read", "finance"] }] };

afterEach(() => {
  user.value = null;
  signInNotice.value = null;
  setLang("zh");
  onAuthLost(null);
  vi.unstubAllGlobals();
});

describe("a session that ends", () => {
  it("goes to sign-in with 'your session has ended' and lets the board go", () => {
    signedIn(me);
    board.value = applyInvoices(board.value, [inv(1, 1)]);
    sessionEnded();
    expect(user.value).toBeNull();
    expect(signInNotice.value).toBe("ended");
    expect(board.value.invoices.size).toBe(0);
  });
  it("says nothing when nobody was signed in (a first visit's 401)", () => {
    sessionEnded();
    expect(signInNotice.value).toBeNull();
  });
  it("says nothing after my own sign-out, and why after signing out everywhere", () => {
    signedIn(me);
    signedOut();
    expect(signInNotice.value).toBeNull();
    signedIn(me);
    signedOut("everywhere");
    expect(signInNotice.value).toBe("everywhere");
    signedIn(me); // signing in again clears the notice
    expect(signInNotice.value).toBeNull();
  });
  it("takes a new /me (a role changed) for me, never for someone else", () => {
    signedIn(me);
    const promoted = { ...me, teams: [{ ...me.teams[0], role: "admin", permissions: ["read", "finance", "manage"] }] };
    refreshed(promoted);
    expect(user.value?.teams[0].role).toBe("admin");
    refreshed({ ...me, id: 2, username: "bob" });
    expect(user.value?.username).toBe("alice");
  });
});

describe("the API client on a 401", () => {
  const answer = (status: number, body: unknown) => vi.fn(async () => new Response(JSON.stringify(body), { status }));
  it("reports auth.required (the session ended) and only that", async () => {
    const lost = vi.fn();
    onAuthLost(lost);
    vi.stubGlobal("fetch", answer(401, { error: { key: "auth.required", message: "Please log in.", params: {} } }));
    await expect(api("/api/invoices")).rejects.toBeInstanceOf(ApiError);
    expect(lost).toHaveBeenCalledTimes(1);
    vi.stubGlobal("fetch", answer(401, { error: { key: "auth.invalid", message: "Wrong", params: {} } }));
    await expect(api("/api/auth/login", { method: "POST", json: {} })).rejects.toBeInstanceOf(ApiError);
    vi.stubGlobal("fetch", answer(403, { error: { key: "auth.forbidden", message: "No", params: {} } }));
    await expect(api("/api/people")).rejects.toBeInstanceOf(ApiError);
    expect(lost).toHaveBeenCalledTimes(1);
  });
});

describe("routes", () => {
  it("reads the accounts pages from the hash", () => {
    expect(accountsPageOf("#/people")).toBe("people");
    expect(accountsPageOf("#/audit")).toBe("audit");
    expect(accountsPageOf("#/account")).toBe("account");
    expect(accountsPageOf("#/people/3")).toBeNull();
    expect(accountsPageOf("#/?q=people")).toBeNull();
  });
  it("takes a one-time link's token from the hash of /set-password only", () => {
    expect(setPasswordToken("/set-password", "#abc-_1")).toBe("abc-_1");
    expect(setPasswordToken("/set-password/", "#abc")).toBe("abc");
    expect(setPasswordToken("/set-password", "")).toBe("");
    expect(setPasswordToken("/", "#abc")).toBeNull();
  });
});

describe("sign-in throttling", () => {
  it("counts down from the server's wait", () => {
    const until = throttledUntil({ key: "auth.throttled", params: { wait_seconds: 8 } }, 1_000)!;
    expect(until).toBe(9_000);
    expect(secondsLeft(until, 1_000)).toBe(8);
    expect(secondsLeft(until, 1_001)).toBe(8); // whole seconds, rounded up
    expect(secondsLeft(until, 8_500)).toBe(1);
    expect(secondsLeft(until, 9_000)).toBe(0);
    expect(secondsLeft(until, 20_000)).toBe(0);
  });
  it("is no throttle for other errors or a wait it cannot read", () => {
    expect(throttledUntil({ key: "auth.invalid", params: {} }, 0)).toBeNull();
    expect(throttledUntil({ key: "auth.throttled", params: {} }, 0)).toBeNull();
    expect(throttledUntil({ key: "auth.throttled", params: { wait_seconds: "x" } }, 0)).toBeNull();
  });
  it("shows the server's own words for an error key this build does not know", () => {
    expect(errorText({ key: "auth.some_new_rule", params: {}, message: "服务器的说明" })).toBe("服务器的说明");
    expect(errorText({ key: "auth.invalid", params: {}, message: "ignored" })).toBe(catalogs.zh["error.auth.invalid"]);
  });
});

const entry = (id: number, extra: Partial<AuditEntry> = {}): AuditEntry => ({
  id, at: "2026-01-03T06:00:00Z", actor: 1, actor_name: "admin", team: 1, action: "person.created", target: "user:5",
  address: "127.0.0.1", data: { username: "carol", role: "submitter" }, ...extra,
});

describe("the audit log", () => {
  it("asks with the filters it has, and the cursor for older entries", () => {
    expect(auditQuery(noAuditFilter)).toBe("");
    const f = { ...noAuditFilter, team_id: "2", actor: " admin ", action: "person.disabled", date_from: "2026-01-01" };
    expect(auditQuery(f)).toBe("team_id=2&actor=admin&action=person.disabled&date_from=2026-01-01");
    expect(auditQuery(f, 40)).toContain("&before=40");
    expect(auditExportUrl(noAuditFilter)).toBe("/api/audit/export?format=xlsx");
    expect(auditExportUrl({ ...noAuditFilter, team_id: "2" })).toBe("/api/audit/export?format=xlsx&team_id=2");
  });
  it("joins an older page below, newest first, each entry once", () => {
    const shown = [entry(9), entry(8)];
    expect(appendEntries(shown, [entry(8), entry(7), entry(6)]).map((e) => e.id)).toEqual([9, 8, 7, 6]);
    expect(nextCursor({ entries: [entry(9), entry(8)], next_before: 8, has_more: true })).toBe(8);
    expect(nextCursor({ entries: [entry(9)], next_before: null, has_more: false })).toBeNull();
    expect(nextCursor({ entries: [entry(1)] }, 50)).toBeNull(); // a short page is the last
    expect(nextCursor({ entries: Array.from({ length: 50 }, (_, i) => entry(100 - i)) }, 50)).toBe(51);
  });
  it("says each entry in words, and an action it has no words for as its key", () => {
    setLang("en");
    expect(actionText("person.disabled")).toBe("Person disabled");
    expect(actionText("brand.new_action")).toBe("brand.new_action");
    expect(teamText(1, new Map([[1, "Team A"]]))).toBe("Team A");
    expect(teamText(3, new Map())).toBe("#3");
    expect(teamText({ id: 2, name: "B" }, new Map())).toBe("B");
    expect(teamText(null, new Map())).toBe("");
    expect(targetText(entry(1))).toBe("carol");
    expect(targetText(entry(1, { data: null }))).toBe("user:5");
    expect(dataText({ before: "submitter", after: "admin" })).toBe("was: Submitter · now: Team admin");
    expect(dataText({ username: "carol", is_admin: false, odd: 3 })).toBe("site admin: no · odd: 3");
  });
  it("has words for every action it lists, in both languages", () => {
    for (const lang of ["zh", "en"] as const) {
      expect(AUDIT_ACTIONS.filter((a) => !catalogs[lang][`audit.${a}`]), lang).toEqual([]);
    }
  });
});

const person = (id: number, username: string, teams: Person["teams"] = []): Person =>
  ({ id, username, display_name: username, is_admin: false, disabled: false, created_at: "", password_set: true, teams });

describe("people", () => {
  it("replaces a changed person's row and keeps name order", () => {
    const list = [person(1, "admin"), person(3, "carol")];
    const next = withPerson(list, { ...person(3, "carol"), disabled: true });
    expect(next.map((p) => [p.username, p.disabled])).toEqual([["admin", false], ["carol", true]]);
    expect(withPerson(list, person(2, "bob")).map((p) => p.username)).toEqual(["admin", "bob", "carol"]);
  });
  it("offers only the managed teams a person is not in yet", () => {
    const managed = [1, 2, 3].map((id) => ({ id, name: `T${id}`, role: "admin", can_manage: true, permissions: ["manage"] }));
    const p = person(5, "dan", [{ id: 2, name: "T2", role: "submitter" }]);
    expect(teamsToAdd(p, managed).map((t) => t.id)).toEqual([1, 3]);
  });
  it("names a session's browser", () => {
    expect(browserOf("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"))
      .toBe("Chrome 120 · Linux");
    expect(browserOf("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"))
      .toBe("Safari 17 · iOS");
    expect(browserOf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0"))
      .toBe("Edge 120 · Windows");
    expect(browserOf("python-requests/2.31")).toBe("python-requests/2.31");
    expect(browserOf(null)).toBe("");
  });
});

// Every literal key the accounts pages pass to t(), read from their source.
const sources = import.meta.glob(
  ["../src/views/People.tsx", "../src/views/Account.tsx", "../src/views/AuditLog.tsx", "../src/views/SetPassword.tsx",
    "../src/views/Login.tsx", "../src/components/LinkBox.tsx", "../src/components/Confirm.tsx", "../src/app.tsx"],
  { query: "?raw", import: "default", eager: true },
) as Record<string, string>;
const literal = Object.values(sources).flatMap((src) => [...src.matchAll(/\bt\(\s*"([a-z_]+(?:\.[a-z_0-9]+)+)"/g)].map((m) => m[1]));
const ROLES = ["submitter", "accountant", "admin", "auditor"];
const built = [
  ...ROLES.flatMap((r) => [`role.${r}`, `role.hint.${r}`]),
  ...["ended", "everywhere", "password_set"].map((n) => `login.notice.${n}`),
  ...["setup", "reset"].flatMap((p) => [`link.title.${p}`, `setpw.title.${p}`, `setpw.who.${p}`]),
  ...["disable", "enable", "reset", "remove"].flatMap((k) => [`people.${k}_yes`, `people.${k}_confirm`]),
];

describe("accounts page strings", () => {
  it("finds the keys it checks", () => {
    expect(Object.keys(sources).length).toBe(8);
    expect(literal).toContain("people.new");
  });
  it("has every key in Chinese and English", () => {
    for (const lang of ["zh", "en"] as const) {
      expect([...literal, ...built].filter((k) => !catalogs[lang][k]), lang).toEqual([]);
    }
  });
});
