import { describe, expect, it } from "vitest";
import { formatDate, formatRate, formatYuan, groupDigits } from "./format";

describe("money", () => {
  it("groups the server's digits without touching them", () => {
    expect(groupDigits("1234567.10")).toBe("1,234,567.10");
    expect(groupDigits("999")).toBe("999");
    expect(groupDigits("-1000")).toBe("-1,000");
    // More digits than a double holds: still exact.
    expect(groupDigits("12345678901234567890.123456789")).toBe("12,345,678,901,234,567,890.123456789");
  });

  it("shows yuan in each language", () => {
    expect(formatYuan("500000.00", "zh-CN")).toBe("500,000.00 元");
    expect(formatYuan("500000.00", "en")).toBe("¥500,000.00");
    expect(formatYuan("-12.5", "en")).toBe("-¥12.5");
    expect(formatYuan(null, "en")).toBe("—");
    expect(formatYuan("***", "zh-CN")).toBe("***");
  });

  it("moves a rate's decimal point, not through a float", () => {
    expect(formatRate("0.0435")).toBe("4.35%");
    expect(formatRate("0.1")).toBe("10%");
    expect(formatRate("0.07")).toBe("7%");
    expect(formatRate("1.5")).toBe("150%");
    expect(formatRate("0.123456789")).toBe("12.3456789%");
  });
});

describe("dates", () => {
  it("keeps the calendar day in every time zone", () => {
    expect(formatDate("2026-01-31", "zh-CN")).toBe("2026/01/31");
    expect(formatDate("2026-01-31", "en")).toBe("31/01/2026");
    expect(formatDate(null, "en")).toBe("—");
  });
});
