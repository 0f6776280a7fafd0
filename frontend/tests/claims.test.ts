import { afterEach, describe, expect, it } from "vitest";
import { setLang } from "../src/i18n";
import { claimActions, claimErrorText, countByState, teamClaims, warningText } from "../src/lib/claims";
import { financePageOf } from "../src/state/nav";
import { applyClaims, applyEvents, emptyBoard } from "../src/state/reduce";
import { claim, claimEv } from "./fixtures";

const withCount = (c: ReturnType<typeof claim>, count: number) => ({ ...c, count });
const SUBMITTER = { claim: true, finance: false, ownOnly: true };
const ACCOUNTANT = { claim: true, finance: true, ownOnly: false };
const AUDITOR = { claim: false, finance: false, ownOnly: false };

describe("what a person may do with a claim", () => {
  it("lets the claimant add, remove and submit a draft (submit once it holds an invoice)", () => {
    expect(claimActions(claim(1, 1), 1, SUBMITTER)).toEqual(["add", "remove"]);
    expect(claimActions(withCount(claim(1, 1), 2), 1, SUBMITTER)).toEqual(["add", "remove", "submit"]);
  });
  it("gives someone else's draft to nobody but a role that claims for anyone", () => {
    expect(claimActions(withCount(claim(1, 1), 2), 7, SUBMITTER)).toEqual([]);
    expect(claimActions(withCount(claim(1, 1), 2), 7, ACCOUNTANT)).toEqual(["add", "remove", "submit"]);
  });
  it("lets only finance approve or return a submitted claim", () => {
    expect(claimActions(claim(1, 1, "submitted"), 1, SUBMITTER)).toEqual([]);
    expect(claimActions(claim(1, 1, "submitted"), 7, ACCOUNTANT)).toEqual(["approve", "return"]);
  });
  it("reopens a returned claim for its claimant; an approved one is done", () => {
    expect(claimActions(claim(1, 1, "returned"), 1, SUBMITTER)).toEqual(["reopen"]);
    expect(claimActions(claim(1, 1, "approved"), 1, ACCOUNTANT)).toEqual([]);
  });
  it("gives an auditor nothing to do, even on a claim of their own", () => {
    for (const state of ["draft", "submitted", "returned"] as const) {
      expect(claimActions(withCount(claim(1, 1, state), 2), 1, AUDITOR)).toEqual([]);
    }
  });
});

describe("claims in the store", () => {
  it("keeps the newest version whether a claim came by REST or by a push, in any order", () => {
    let s = applyClaims(emptyBoard, [claim(1, 2, "submitted"), claim(2, 1)]);
    s = applyEvents(s, [claimEv(9, claim(1, 1, "draft")), claimEv(10, { ...claim(2, 2, "draft"), team_id: 2 })]);
    expect(s.claims.get(1)?.state).toBe("submitted");
    expect(s.claims.get(2)?.version).toBe(2);
    expect(s.cursor).toBe(10);
    s = applyClaims(s, [claim(1, 3, "approved")]);
    expect(teamClaims(s.claims, 1).map((c) => [c.id, c.state])).toEqual([[1, "approved"]]);
    expect(teamClaims(s.claims, null).map((c) => c.id)).toEqual([2, 1]);
    expect(teamClaims(s.claims, null, "draft").map((c) => c.id)).toEqual([2]);
    expect(countByState([...s.claims.values()])).toEqual({ approved: 1, draft: 1 });
  });
  it("returns the same state when nothing is newer (no re-render)", () => {
    const s = applyClaims(emptyBoard, [claim(1, 2)]);
    expect(applyClaims(s, [claim(1, 2), claim(1, 1)])).toBe(s);
  });
});

describe("claim words", () => {
  afterEach(() => setLang("zh"));
  it("translates the state and lists invoice ids in errors", () => {
    setLang("en");
    expect(claimErrorText({ key: "claim.wrong_state", params: { state: "approved" } })).toBe("The claim's state (Approved) does not allow this.");
    expect(claimErrorText({ key: "claim.has_blocked", params: { invoices: [3, 9] } })).toContain("#3, #9");
  });
  it("says why an invoice not confirmed by the authority carries a warning", () => {
    setLang("zh");
    expect(warningText({ status: "not_found", cause: null, params: {} })).toBe("加入时税局尚未确认（查无此票）。");
  });
});

describe("finance routes", () => {
  it("reads the claims list, one claim and the dashboard from the hash", () => {
    expect(financePageOf("#/claims")).toEqual({ name: "claims", id: null });
    expect(financePageOf("#/claims/12")).toEqual({ name: "claims", id: 12 });
    expect(financePageOf("#/dashboard")).toEqual({ name: "dashboard" });
    expect(financePageOf("#/claims/x")).toBeNull();
    expect(financePageOf("#/?q=claims")).toBeNull();
  });
});
