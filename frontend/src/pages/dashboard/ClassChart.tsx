import { BarChart } from "echarts/charts";
import { GridComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import ReactEChartsCore from "echarts-for-react/esm/core";
import type { Language } from "../../i18n";

echarts.use([BarChart, GridComponent, TooltipComponent, CanvasRenderer]);

const COLOURS = ["#52c41a", "#faad14", "#fa8c16", "#f5222d", "#820014"];

export default function ClassChart({
  labels,
  counts,
  language,
}: {
  labels: string[];
  counts: number[];
  language: Language;
}) {
  const option = {
    grid: { left: 40, right: 16, top: 16, bottom: 32 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: labels },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      {
        type: "bar",
        data: counts.map((value, i) => ({ value, itemStyle: { color: COLOURS[i] } })),
      },
    ],
  };
  return (
    <div data-testid="class-chart">
      <ReactEChartsCore
        echarts={echarts}
        option={option}
        className="dashboard-chart"
        opts={{ locale: language === "en" ? "EN" : "ZH", renderer: "canvas" }}
        notMerge
      />
    </div>
  );
}
