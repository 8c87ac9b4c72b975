import { describe, expect, it } from "vitest";
import type { FieldAccessKind } from "../../api/permissions";
import { panelsFor, plotNumber, ratioPercent, showsBook } from "./panels";

function perms(mutations: string[], denied: string[] = [], loaded = true) {
  return {
    loaded,
    may: (m: string) => mutations.includes(m),
    access: (t: string, f: string): FieldAccessKind => (denied.includes(`${t}.${f}`) ? "DENIED" : "VISIBLE"),
  };
}

describe("panelsFor", () => {
  it("gives an officer its pipeline", () => {
    expect(panelsFor(perms(["createApplication", "submitApplication", "acknowledgeWarning"]))).toEqual(["pipeline"]);
  });
  it("gives an approver its queue", () => {
    expect(panelsFor(perms(["approveApplication", "rejectApplication"]))).toEqual(["approvals"]);
  });
  it("gives risk the open warnings", () => {
    expect(panelsFor(perms(["runWarningScan", "resolveWarning"]))).toEqual(["warnings"]);
  });
  it("gives someone who may do everything every panel, in order", () => {
    expect(panelsFor(perms(["runWarningScan", "approveApplication", "createApplication"]))).toEqual([
      "pipeline",
      "approvals",
      "warnings",
    ]);
  });
  it("needs the panel's type readable", () => {
    expect(panelsFor(perms(["createApplication", "runWarningScan"], ["Warning.id"]))).toEqual(["pipeline"]);
  });
  it("gives nothing before the permissions load, or to a reader", () => {
    expect(panelsFor(perms(["createApplication"], [], false))).toEqual([]);
    expect(panelsFor(perms([]))).toEqual([]);
  });
});

describe("showsBook", () => {
  it("follows the portfolio's field access", () => {
    expect(showsBook(perms([]))).toBe(true);
    expect(showsBook(perms([], ["Portfolio.balance"]))).toBe(false);
    expect(showsBook(perms([], [], false))).toBe(false);
  });
});

describe("chart numbers", () => {
  it("plots decimal strings and ratios", () => {
    expect(plotNumber("1234.50")).toBe(1234.5);
    expect(plotNumber("n/a")).toBe(0);
    expect(ratioPercent("0.123456")).toBe(12.35);
    expect(ratioPercent("0")).toBe(0);
  });
});
