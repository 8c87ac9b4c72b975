import { describe, expect, it } from "vitest";
import { checkTerms, compareDecimal, fractionToPercent, percentToFraction } from "./limits";
import type { ProductTerms } from "./limits";

const TAX_EASY: ProductTerms = {
  amountMin: "10000.00",
  amountMax: "500000.00",
  termMonthsMin: 3,
  termMonthsMax: 12,
  rateMin: "0.0450",
  rateMax: "0.1800",
  methods: ["EQUAL_INSTALMENT", "INTEREST_ONLY"],
};
const OK = { amount: "120000.00", termMonths: "12", ratePercent: "7.8", method: "EQUAL_INSTALMENT" };

describe("decimal strings", () => {
  it("compare exactly, whatever their lengths", () => {
    expect(compareDecimal("500000.00", "500000")).toBe(0);
    expect(compareDecimal("500000.01", "500000.00")).toBe(1);
    expect(compareDecimal("99999.99", "100000")).toBe(-1);
    expect(compareDecimal("0.045", "0.0450")).toBe(0);
    expect(compareDecimal("0.1", "0.09999999999999999999")).toBe(1);
  });

  it("move the point for percentages without floats", () => {
    expect(percentToFraction("7.8")).toBe("0.078");
    expect(percentToFraction("18")).toBe("0.18");
    expect(percentToFraction("0.5")).toBe("0.005");
    expect(percentToFraction("100")).toBe("1");
    expect(percentToFraction("4.35")).toBe("0.0435");
    expect(percentToFraction("abc")).toBeNull();
    expect(fractionToPercent("0.0450")).toBe("4.5");
    expect(fractionToPercent("0.18")).toBe("18");
  });
});

describe("checkTerms", () => {
  it("accepts terms inside the product, bounds included", () => {
    expect(checkTerms(TAX_EASY, OK)).toEqual([]);
    expect(checkTerms(TAX_EASY, { ...OK, amount: "500,000.00", termMonths: "3", ratePercent: "18" })).toEqual([]);
    expect(checkTerms(TAX_EASY, { ...OK, amount: "10000", ratePercent: "4.5" })).toEqual([]);
  });

  it("names each field outside the product with its bounds", () => {
    expect(checkTerms(TAX_EASY, { ...OK, amount: "500000.01" })).toEqual([
      { field: "amount", code: "aboveMax", min: "10000.00", max: "500000.00" },
    ]);
    expect(checkTerms(TAX_EASY, { ...OK, termMonths: "2" })).toEqual([
      { field: "termMonths", code: "belowMin", min: "3", max: "12" },
    ]);
    expect(checkTerms(TAX_EASY, { ...OK, ratePercent: "18.01" })).toEqual([
      { field: "annualRate", code: "aboveMax", min: "4.5", max: "18" },
    ]);
    expect(checkTerms(TAX_EASY, { ...OK, method: "EQUAL_PRINCIPAL" })).toEqual([
      { field: "repaymentMethod", code: "notOffered" },
    ]);
  });

  it("refuses what is missing or not a number", () => {
    const problems = checkTerms(TAX_EASY, { amount: "", termMonths: "1.5", ratePercent: "x", method: "" });
    expect(problems.map((p) => [p.field, p.code])).toEqual([
      ["amount", "required"],
      ["termMonths", "invalid"],
      ["annualRate", "invalid"],
      ["repaymentMethod", "required"],
    ]);
    expect(checkTerms(TAX_EASY, { ...OK, amount: "120000.123" })[0]?.code).toBe("invalid");
  });
});
