import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import type { EChartsCoreOption } from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import ReactEChartsCore from "echarts-for-react/esm/core";
import type { Language } from "../i18n";

// Only what the client's charts draw (bars and lines on a grid), on canvas.
echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export interface EChartProps {
  option: EChartsCoreOption;
  language: Language;
  /** Sizes the chart (a CSS class with a width and height). */
  className: string;
  testId: string;
}

/** An ECharts chart (the large part of the client: load it through {@link LazyChart}). */
export default function EChart({ option, language, className, testId }: EChartProps) {
  return (
    <div data-testid={testId}>
      <ReactEChartsCore
        // Re-created on a language switch: the ECharts locale is fixed at creation.
        key={language}
        echarts={echarts}
        option={option}
        className={className}
        opts={{ locale: language === "en" ? "EN" : "ZH", renderer: "canvas" }}
        notMerge
      />
    </div>
  );
}
