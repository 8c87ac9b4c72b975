import { describe, expect, it } from "vitest";
import {
  apiFilter,
  badgeReducer,
  emptyBadge,
  filtersFromParams,
  matchesFilters,
  mergeChange,
  paramsWithFilters,
  withLive,
} from "./live";
import type { ListFilters, WarningRow } from "./live";

const NONE: ListFilters = { severity: null, status: null, ruleCode: null, branchCode: null };

function row(id: string, over: Partial<WarningRow> = {}): WarningRow {
  return {
    id,
    ruleCode: "LOAN_DPD",
    ruleName: "贷款逾期",
    severity: "ORANGE",
    severityLabel: "橙色",
    status: "OPEN",
    statusLabel: "待处理",
    message: "逾期 45 天",
    assignee: null,
    openedAt: "2026-12-01T08:00:00Z",
    updatedAt: "2026-12-01T08:00:00Z",
    version: 1,
    firm: { id: `F${id}`, name: `Firm ${id}`, branchCode: "HZ01" },
    ...over,
  };
}

describe("filters in the URL", () => {
  it("reads known values and ignores unknown ones", () => {
    const f = filtersFromParams(new URLSearchParams("severity=RED&status=NOPE&rule=LOAN_DPD&branch=%20HZ01%20"));
    expect(f).toEqual({ severity: "RED", status: null, ruleCode: "LOAN_DPD", branchCode: "HZ01" });
  });

  it("writes set filters, drops cleared ones and keeps other parameters", () => {
    const base = new URLSearchParams("status=OPEN&tab=x");
    const next = paramsWithFilters(base, { ...NONE, severity: "BLUE" });
    expect(next.get("severity")).toBe("BLUE");
    expect(next.has("status")).toBe(false);
    expect(next.get("tab")).toBe("x");
  });

  it("makes the API filter only of what is set", () => {
    expect(apiFilter(NONE)).toBeNull();
    expect(apiFilter({ ...NONE, status: "OPEN", branchCode: "HZ01" })).toEqual({ status: "OPEN", branchCode: "HZ01" });
  });
});

describe("matchesFilters", () => {
  it("holds every condition set", () => {
    const w = row("1", { severity: "RED", status: "ACKNOWLEDGED" });
    expect(matchesFilters(w, NONE)).toBe(true);
    expect(matchesFilters(w, { ...NONE, severity: "RED", status: "ACKNOWLEDGED", ruleCode: "LOAN_DPD", branchCode: "HZ01" })).toBe(true);
    expect(matchesFilters(w, { ...NONE, severity: "BLUE" })).toBe(false);
    expect(matchesFilters(w, { ...NONE, status: "OPEN" })).toBe(false);
    expect(matchesFilters(w, { ...NONE, ruleCode: "TAX_SALES_DROP" })).toBe(false);
    expect(matchesFilters(w, { ...NONE, branchCode: "SH01" })).toBe(false);
  });
});

describe("mergeChange", () => {
  const rows = [row("2"), row("1")];

  it("puts a new matching warning on top", () => {
    const merged = mergeChange(rows, { kind: "OPENED", warning: row("3") }, NONE);
    expect(merged.map((r) => r.id)).toEqual(["3", "2", "1"]);
  });

  it("leaves out a new warning the filters do not show", () => {
    const merged = mergeChange(rows, { kind: "OPENED", warning: row("3", { severity: "BLUE" }) }, { ...NONE, severity: "ORANGE" });
    expect(merged.map((r) => r.id)).toEqual(["2", "1"]);
  });

  it("replaces a listed warning where it stands", () => {
    const changed = row("1", { status: "ACKNOWLEDGED", version: 2 });
    const merged = mergeChange(rows, { kind: "ACKNOWLEDGED", warning: changed }, NONE);
    expect(merged.map((r) => [r.id, r.status])).toEqual([
      ["2", "OPEN"],
      ["1", "ACKNOWLEDGED"],
    ]);
  });

  it("drops a listed warning that no longer matches", () => {
    const merged = mergeChange(rows, { kind: "RESOLVED", warning: row("2", { status: "RESOLVED", version: 3 }) }, { ...NONE, status: "OPEN" });
    expect(merged.map((r) => r.id)).toEqual(["1"]);
  });

  it("ignores a change older than the row shown", () => {
    const shown = [row("1", { version: 4, status: "RESOLVED" })];
    const merged = mergeChange(shown, { kind: "ACKNOWLEDGED", warning: row("1", { version: 2, status: "ACKNOWLEDGED" }) }, NONE);
    expect(merged[0]?.status).toBe("RESOLVED");
  });

  it("does not change the list it is given", () => {
    const before = rows.map((r) => r.id);
    mergeChange(rows, { kind: "OPENED", warning: row("9") }, NONE);
    expect(rows.map((r) => r.id)).toEqual(before);
  });

  it("applies every live change in order over the fetched rows", () => {
    const merged = withLive(rows, [
      { kind: "OPENED", warning: row("3") },
      { kind: "OPENED", warning: row("4") },
      { kind: "ACKNOWLEDGED", warning: row("3", { version: 2, status: "ACKNOWLEDGED" }) },
    ], NONE);
    expect(merged.map((r) => [r.id, r.status])).toEqual([
      ["4", "OPEN"],
      ["3", "ACKNOWLEDGED"],
      ["2", "OPEN"],
      ["1", "OPEN"],
    ]);
  });
});

describe("badgeReducer", () => {
  it("counts new warnings, not changes of others", () => {
    let s = badgeReducer(emptyBadge, { type: "change", change: { kind: "OPENED", warning: row("1") } });
    s = badgeReducer(s, { type: "change", change: { kind: "ACKNOWLEDGED", warning: row("7") } });
    s = badgeReducer(s, { type: "change", change: { kind: "OPENED", warning: row("2") } });
    expect(s.unseen).toBe(2);
    expect(s.items.map((w) => w.id)).toEqual(["2", "1"]);
  });

  it("counts a warning once and shows it as it is now", () => {
    let s = badgeReducer(emptyBadge, { type: "change", change: { kind: "OPENED", warning: row("1") } });
    s = badgeReducer(s, { type: "change", change: { kind: "OPENED", warning: row("1", { version: 2 }) } });
    s = badgeReducer(s, { type: "change", change: { kind: "ACKNOWLEDGED", warning: row("1", { status: "ACKNOWLEDGED", version: 3 }) } });
    expect(s.unseen).toBe(1);
    expect(s.items).toHaveLength(1);
    expect(s.items[0]?.status).toBe("ACKNOWLEDGED");
  });

  it("clears the count when seen, keeping the list", () => {
    let s = badgeReducer(emptyBadge, { type: "change", change: { kind: "OPENED", warning: row("1") } });
    s = badgeReducer(s, { type: "seen" });
    expect(s.unseen).toBe(0);
    expect(s.items).toHaveLength(1);
    expect(badgeReducer(s, { type: "seen" })).toBe(s);
  });

  it("keeps only the newest", () => {
    let s = emptyBadge;
    for (let i = 0; i < 25; i++) s = badgeReducer(s, { type: "change", change: { kind: "OPENED", warning: row(String(i)) } });
    expect(s.unseen).toBe(25);
    expect(s.items).toHaveLength(20);
    expect(s.items[0]?.id).toBe("24");
  });
});
