import { Skeleton } from "antd";
import { Suspense, lazy } from "react";
import type { EChartProps } from "./EChart";

// ECharts is large: its chunk loads only when a chart is first shown.
const EChart = lazy(() => import("./EChart"));

/** An ECharts chart loaded lazily, a skeleton until it is there. Give `option` (bars and
 * lines on a grid), a `className` that sizes it, and a `testId` for its box (its canvas is
 * `[data-testid=<testId>] canvas`). */
export function LazyChart(props: EChartProps) {
  return (
    <Suspense fallback={<Skeleton active />}>
      <EChart {...props} />
    </Suspense>
  );
}
