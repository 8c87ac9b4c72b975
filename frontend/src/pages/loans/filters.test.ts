import { describe, expect, it } from "vitest";
import { filterFromParams, paramsFromValues, valuesFromParams } from "./filters";

describe("loan list filters in the URL", () => {
  it("turns the URL into the API filter", () => {
    const params = new URLSearchParams("status=OVERDUE&classification=SUBSTANDARD&minDpd=30&maxDpd=90&branch=HZ01&product=小微经营贷");
    expect(filterFromParams(params)).toEqual({
      status: "OVERDUE",
      classification: "SUBSTANDARD",
      minDaysPastDue: 30,
      maxDaysPastDue: 90,
      branchCode: "HZ01",
      product: "小微经营贷",
    });
  });

  it("drops what the API would refuse", () => {
    const params = new URLSearchParams("status=LATE&classification=x&minDpd=-1&maxDpd=abc&branch=%0A");
    expect(filterFromParams(params)).toBeNull();
    expect(filterFromParams(new URLSearchParams("minDpd=90&maxDpd=30"))).toEqual({ minDaysPastDue: 90 });
  });

  it("round-trips the form's values", () => {
    const params = paramsFromValues({ status: "ACTIVE", minDpd: " 5 ", product: "" });
    expect(params.toString()).toBe("status=ACTIVE&minDpd=5");
    expect(valuesFromParams(params)).toEqual({ status: "ACTIVE", minDpd: "5" });
  });
});
