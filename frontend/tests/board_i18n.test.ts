import { describe, expect, it } from "vitest";
import { catalogs } from "../src/i18n";
import { FAMILIES, SORTS } from "../src/state/filter";
import { BOOKINGS, CLAIM_STATES, RECONCILE_FLAGS, REIMBURSEMENTS } from "../src/state/types";

// Keys the board builds from values (t(`sort.${s}`)): a value without its key would show the key itself.
const built = [
  ...SORTS.map((s) => `sort.${s}`), ...FAMILIES.map((f) => `family.${f}`),
  ...REIMBURSEMENTS.map((r) => `reimbursement.${r}`), ...BOOKINGS.map((b) => `booking.${b}`),
  ...RECONCILE_FLAGS.flatMap((f) => [`reconcile.${f}`, `flag.short.${f}`]), ...CLAIM_STATES.map((c) => `claim_state.${c}`),
  ...["add_to_claim", "reimburse", "book", "unbook", "check"].map((a) => `bulk.action.${a}`),
  "board.view_columns", "board.view_table",
];

describe("board strings", () => {
  it("has every key the board builds from a value, in Chinese and English", () => {
    for (const lang of ["zh", "en"] as const) {
      expect(built.filter((k) => !catalogs[lang][k]), lang).toEqual([]);
    }
  });
  it("translates the reasons a bulk action can give for refusing an invoice", () => {
    const keys = ["claim.voided", "claim.red_flushed", "claim.duplicate", "claim.unread", "claim.already_reimbursed",
      "claim.taken", "claim.key_taken", "booking.voided", "booking.red_flushed", "booking.duplicate", "booking.not_booked",
      "sync.quota", "sync.not_checkable"];
    for (const lang of ["zh", "en"] as const) expect(keys.filter((k) => !catalogs[lang][`error.${k}`]), lang).toEqual([]);
  });
});
