import { describe, expect, it } from "vitest";
import { filtersFromParams, filtersToParams, toFirmFilter } from "./firmFilters";

describe("firm list filters in the address", () => {
  it("reads every filter from the parameters", () => {
    const f = filtersFromParams(
      new URLSearchParams("q=杭州&grade=b&industry=C13&region=330100&branch=HZ01&warning=red"),
    );
    expect(f).toEqual({ search: "杭州", grade: "B", industry: "C13", region: "330100", branch: "HZ01", warning: "RED" });
  });

  it("drops values that cannot be right", () => {
    const f = filtersFromParams(new URLSearchParams("grade=Z&warning=purple&region=abc&branch=a%20b&q=%20%20"));
    expect(f).toEqual({});
  });

  it("cuts a search to what the API takes", () => {
    const f = filtersFromParams(new URLSearchParams(`q=${"x".repeat(80)}`));
    expect(f.search).toHaveLength(60);
  });

  it("round-trips and keeps other parameters", () => {
    const base = new URLSearchParams("tab=loans&grade=A");
    const params = filtersToParams({ warning: "ORANGE", branch: "SH01" }, base);
    expect(params.get("tab")).toBe("loans");
    expect(params.get("grade")).toBeNull();
    expect(filtersFromParams(params)).toEqual({ warning: "ORANGE", branch: "SH01" });
  });

  it("maps to the API filter, null when nothing is set", () => {
    expect(toFirmFilter({})).toBeNull();
    expect(toFirmFilter({ grade: "C", warning: "RED", industry: "C13", region: "3301", branch: "B1", search: "91" })).toEqual({
      grade: "C",
      warningLevel: "RED",
      industryCode: "C13",
      regionCode: "3301",
      branchCode: "B1",
      search: "91",
    });
  });
});
