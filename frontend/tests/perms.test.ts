import { describe, expect, it } from "vitest";
import {
  can, canAll, canAny, canIn, canOnInvoice, canSeePeople, claimGrants, ownOnly, teamsWith, type TeamGrant,
} from "../src/lib/perms";
import type { User } from "../src/state/types";

// The permissions backend/roles.py grants each role (GET /api/auth/me lists them per team).
const SUBMITTER = ["claim", "correct", "read", "upload"];
const ACCOUNTANT = [...SUBMITTER, "export", "finance"];
const ADMIN = [...ACCOUNTANT, "audit", "manage"];
const AUDITOR = ["audit", "export", "read"];

// As /me sends them: a submitter's correct and claim are limited to their own invoices (roles.OWN_ONLY).
const OWN = ["claim", "correct"];
const team = (id: number, role: string, permissions: string[],
  own_only: string[] = role === "submitter" ? OWN : []): TeamGrant & User["teams"][number] =>
  ({ id, name: `Team ${id}`, role, can_manage: permissions.includes("manage"), permissions, own_only });

const person = (teams: User["teams"], is_admin = false): User => ({ id: 7, username: "u", display_name: "U", is_admin, teams });

describe("can()", () => {
  it("reads the team's permissions and nothing else (no role names)", () => {
    expect(can(team(1, "accountant", ACCOUNTANT), "finance")).toBe(true);
    expect(can(team(1, "submitter", SUBMITTER), "finance")).toBe(false);
    expect(can(team(1, "auditor", AUDITOR), "upload")).toBe(false);
    expect(can(team(1, "auditor", AUDITOR), "audit")).toBe(true);
    expect(can(team(1, "whatever", ["manage"]), "manage")).toBe(true);
  });
  it("says no for no team", () => {
    expect(can(undefined, "read")).toBe(false);
    expect(can(null, "read")).toBe(false);
  });
});

describe("permissions across my teams", () => {
  const me = person([team(1, "submitter", SUBMITTER), team(2, "admin", ADMIN)]);
  it("answers per team, in any team, and in every team of a selection", () => {
    expect(canIn(me, 1, "finance")).toBe(false);
    expect(canIn(me, 2, "finance")).toBe(true);
    expect(canIn(me, 3, "read")).toBe(false); // not a team of mine
    expect(canIn(me, null, "read")).toBe(false);
    expect(canAny(me, "manage")).toBe(true);
    expect(canAny(me, "nonsense" as never)).toBe(false);
    expect(canAll(me, [1, 2], "upload")).toBe(true);
    expect(canAll(me, [1, 2], "finance")).toBe(false);
    expect(canAll(me, [], "read")).toBe(false); // nothing selected: nothing to do
    expect(teamsWith(me, "manage").map((t) => t.id)).toEqual([2]);
  });
  it("knows nothing for nobody", () => {
    expect(canAny(null, "read")).toBe(false);
    expect(canIn(undefined, 1, "read")).toBe(false);
    expect(teamsWith(null, "read")).toEqual([]);
    expect(canSeePeople(null)).toBe(false);
  });
});

describe("own invoices only (roles.OWN_ONLY)", () => {
  const sub = person([team(1, "submitter", SUBMITTER), team(2, "accountant", ACCOUNTANT)]);
  const mine = { team_id: 1, uploaded_by: 7 };
  const theirs = { team_id: 1, uploaded_by: 8 };
  it("lets a submitter correct and claim only what they uploaded", () => {
    expect(ownOnly(sub, 1, "correct")).toBe(true);
    expect(canOnInvoice(sub, mine, "correct")).toBe(true);
    expect(canOnInvoice(sub, theirs, "correct")).toBe(false);
    expect(canOnInvoice(sub, { team_id: 1, uploaded_by: null }, "claim")).toBe(false);
  });
  it("lets an accountant (and a site admin) work on anyone's invoice", () => {
    expect(canOnInvoice(sub, { team_id: 2, uploaded_by: 8 }, "correct")).toBe(true);
    const admin = person([team(1, "submitter", ADMIN, [])], true);  // a site admin is never limited
    expect(ownOnly(admin, 1, "correct")).toBe(false);
  });
  it("never lets an auditor correct, own invoice or not", () => {
    const aud = person([team(1, "auditor", AUDITOR)]);
    expect(canOnInvoice(aud, mine, "correct")).toBe(false);
  });
  it("gives the claim rules per team", () => {
    expect(claimGrants(sub, 1)).toEqual({ claim: true, finance: false, ownOnly: true });
    expect(claimGrants(sub, 2)).toEqual({ claim: true, finance: true, ownOnly: false });
    expect(claimGrants(sub, 9)).toEqual({ claim: false, finance: false, ownOnly: false });
  });
});

describe("the people page", () => {
  it("shows to a team admin and a site admin only", () => {
    expect(canSeePeople(person([team(1, "admin", ADMIN)]))).toBe(true);
    expect(canSeePeople(person([], true))).toBe(true);
    expect(canSeePeople(person([team(1, "accountant", ACCOUNTANT), team(2, "auditor", AUDITOR)]))).toBe(false);
  });
});
