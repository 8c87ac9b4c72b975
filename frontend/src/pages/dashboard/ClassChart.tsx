import type { Language } from "../../i18n";
import { LazyChart } from "../../ui/LazyChart";

const COLOURS = ["#52c41a", "#faad14", "#fa8c16", "#f5222d", "#820014"];

/** The loans per class (bars in the classes' colours; ECharts, loaded lazily). */
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
  return <LazyChart option={option} language={language} className="dashboard-chart" testId="class-chart" />;
}
