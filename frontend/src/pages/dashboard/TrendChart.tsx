import type { Language } from "../../i18n";
import { LazyChart } from "../../ui/LazyChart";

/** Month-end balance (bars, left axis, 元) and NPL ratio (line, right axis, %). */
export default function TrendChart({
  months,
  balances,
  ratios,
  balanceName,
  ratioName,
  language,
}: {
  months: string[];
  balances: number[];
  ratios: number[];
  balanceName: string;
  ratioName: string;
  language: Language;
}) {
  const option = {
    grid: { left: 64, right: 48, top: 40, bottom: 32 },
    tooltip: { trigger: "axis" },
    legend: { top: 0, data: [balanceName, ratioName] },
    xAxis: { type: "category", data: months },
    yAxis: [
      { type: "value", name: "", axisLabel: { formatter: (v: number) => (v >= 1e4 ? `${Math.round(v / 1e4)}万` : `${v}`) } },
      { type: "value", name: "", min: 0, axisLabel: { formatter: "{value}%" } },
    ],
    series: [
      { name: balanceName, type: "bar", data: balances, itemStyle: { color: "#1f5fa8" } },
      { name: ratioName, type: "line", yAxisIndex: 1, data: ratios, itemStyle: { color: "#a8071a" } },
    ],
  };
  return <LazyChart option={option} language={language} className="dashboard-chart" testId="trend-chart" />;
}
