import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { EChartProps } from "./EChart";
import { LazyChart } from "./LazyChart";
import { overlays } from "./overlays";

// The real chunk draws on a canvas jsdom lacks: the stand-in shows what it was given.
vi.mock("./EChart", () => ({
  default: ({ testId, className, language }: EChartProps) => (
    <div data-testid={testId} className={className} data-language={language} />
  ),
}));

afterEach(cleanup);

describe("LazyChart", () => {
  it("loads the chart chunk and passes the option's box on", async () => {
    render(<LazyChart option={{ series: [] }} language="en" className="dashboard-chart" testId="class-chart" />);
    const chart = await screen.findByTestId("class-chart");
    expect(chart.className).toBe("dashboard-chart");
    expect(chart.dataset.language).toBe("en");
  });
});

describe("overlays", () => {
  it("is the shell's #overlays, or the body before the shell is there", () => {
    expect(overlays()).toBe(document.body);
    const box = document.createElement("div");
    box.id = "overlays";
    document.body.append(box);
    expect(overlays()).toBe(box);
    box.remove();
  });
});
