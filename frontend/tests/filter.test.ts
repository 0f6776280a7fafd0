import { describe, expect, it } from "vitest";
import {
  activeCount, apiQuery, emptyFilter, formatFilter, isNarrowed, nextSort, parseFilter, toggle, withinStatuses,
} from "../src/state/filter";

describe("the board filter in the URL", () => {
  it("reads every key the board knows", () => {
    const f = parseFilter("q=华为 上海&status=found,mismatch&reimbursement=claimed&booking=booked&family=vat_special"
      + "&flag=booked_then_voided&date_from=2026-01-01&date_to=2026-01-31&amount_min=100&amount_max=999.5"
      + "&uploaded_by=3&duplicate=false&claim=7&team_id=2&sort=-total&view=table");
    expect(f).toEqual({
      q: "华为 上海", status: ["found", "mismatch"], reimbursement: ["claimed"], booking: ["booked"], family: ["vat_special"],
      flag: ["booked_then_voided"], date_from: "2026-01-01", date_to: "2026-01-31", amount_min: "100", amount_max: "999.5",
      uploaded_by: "3", duplicate: "false", claim: "7", team_id: "2", sort: "-total", view: "table",
    });
  });

  it("writes one canonical string that reads back to the same filter", () => {
    const f = { ...emptyFilter, q: "华为", status: ["mismatch", "found"], sort: "date" as const };
    const text = formatFilter(f);
    expect(text).toBe("q=华为&status=mismatch,found&sort=date");
    expect(parseFilter(text)).toEqual({ ...f, status: ["found", "mismatch"] }); // read in the canonical order
    expect(formatFilter(parseFilter(text))).toBe("q=华为&status=found,mismatch&sort=date");
  });

  it("leaves defaults and empty values out", () => {
    expect(formatFilter(emptyFilter)).toBe("");
    expect(formatFilter({ ...emptyFilter, sort: "-created", view: "columns" })).toBe("");
    expect(formatFilter({ ...emptyFilter, view: "table" })).toBe("view=table");
  });

  it("escapes what would break the query and reads browser-encoded input", () => {
    const f = { ...emptyFilter, q: "A&B=50% #1+2" };
    const text = formatFilter(f);
    expect(text).toBe("q=A%26B%3D50%25%20%231%2B2");
    expect(parseFilter(text).q).toBe("A&B=50% #1+2");
    expect(parseFilter("q=%E5%8D%8E%E4%B8%BA").q).toBe("华为"); // location.hash percent-encodes
    expect(parseFilter("?q=x").q).toBe("x");
  });

  it("drops what it does not understand instead of sending it", () => {
    const f = parseFilter("status=found,bogus,found&sort=price&view=grid&date_from=2026-13&amount_min=1e9&uploaded_by=0&"
      + "duplicate=maybe&evil=1&reimbursement=REIMBURSED");
    expect(f).toEqual({ ...emptyFilter, status: ["found"] });
    expect(parseFilter("q=" + "长".repeat(10_000)).q.length).toBe(200);
    expect(parseFilter("q=%20%20a%20%20b%20").q).toBe("a b");
  });

  it("sends the server the filter without the UI's own keys", () => {
    expect(apiQuery({ ...emptyFilter, q: "华为", view: "table", sort: "total" })).toBe("q=华为&sort=total");
  });

  it("restricts a filter to a column's statuses", () => {
    const cols = ["pending_sync"];
    expect(withinStatuses(emptyFilter, cols)?.status).toEqual(["pending_sync"]);
    expect(withinStatuses({ ...emptyFilter, status: ["found"] }, cols)).toBeNull();
    expect(withinStatuses({ ...emptyFilter, status: ["found", "mismatch"] }, ["found", "voided"])?.status).toEqual(["found"]);
  });

  it("toggles chips, counts active filters and flips sorts", () => {
    const on = toggle(emptyFilter, "status", "found");
    expect(on.status).toEqual(["found"]);
    expect(toggle(on, "status", "found").status).toEqual([]);
    expect(activeCount({ ...on, q: "x", sort: "total", view: "table", amount_min: "5", date_to: "2026-01-31" })).toBe(2);
    expect(isNarrowed({ ...emptyFilter, q: "x", sort: "total", view: "table" })).toBe(false);
    expect(isNarrowed(on)).toBe(true);
    expect(nextSort("-created", "seller")).toBe("seller");
    expect(nextSort("seller", "seller")).toBe("-seller");
    expect(nextSort("-seller", "seller")).toBe("seller");
    expect(nextSort("seller", "total")).toBe("-total"); // amounts start largest first
    expect(nextSort("-total", "total")).toBe("total");
  });
});
