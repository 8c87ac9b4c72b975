import type { Language } from "../../i18n";
import { LazyChart } from "../../ui/LazyChart";

export interface ChartSeries {
  name: string;
  kind: "bar" | "line";
  /** Values as numbers for drawing only (the tables beside show the exact amounts). */
  values: (number | null)[];
}

const COLOURS = ["#1d39c4", "#d4380d", "#389e0d", "#7c3aed"];

/** A small bar/line chart of a firm's evidence over time (ECharts, loaded lazily). */
export default function FirmChart({
  categories,
  series,
  language,
  testId,
}: {
  categories: string[];
  series: ChartSeries[];
  language: Language;
  testId: string;
}) {
  const option = {
    color: COLOURS,
    grid: { left: 64, right: 16, top: 36, bottom: 32 },
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    xAxis: { type: "category", data: categories },
    yAxis: { type: "value" },
    series: series.map((s) => ({ name: s.name, type: s.kind, data: s.values, connectNulls: true })),
  };
  return <LazyChart option={option} language={language} className="firm-chart" testId={testId} />;
}
