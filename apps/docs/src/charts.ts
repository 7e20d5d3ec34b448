/** Chart.js with only the pieces the site uses, and the site's chart defaults. */
import {
  type ChartConfiguration,
  type ChartDataset,
  Chart as ChartJs,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Title,
  Tooltip,
} from "chart.js";
import { h } from "./ui.js";

ChartJs.register(
  LineController,
  ScatterController,
  LineElement,
  PointElement,
  LinearScale,
  LogarithmicScale,
  Filler,
  Legend,
  Title,
  Tooltip,
);
ChartJs.defaults.font.family =
  'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
ChartJs.defaults.color = "#333";

export type Chart = ChartJs<"line" | "scatter", { x: number; y: number }[]>;
export type Series = ChartDataset<"line", { x: number; y: number }[]>;

/** Colours that stay apart for colour-blind readers (Okabe–Ito). */
export const COLORS = {
  train: "#0072B2",
  test: "#D55E00",
  norm: "#009E73",
  extra: "#CC79A7",
  grey: "#999999",
  yellow: "#E69F00",
  sky: "#56B4E9",
} as const;

/** A line series with the site's style. */
export function series(
  label: string,
  color: string,
  data: { x: number; y: number }[] = [],
  extra: Partial<Series> = {},
): Series {
  return {
    label,
    data,
    borderColor: color,
    backgroundColor: color,
    borderWidth: 2,
    pointRadius: 0,
    pointHitRadius: 6,
    tension: 0,
    ...extra,
  };
}

export interface AxisOptions {
  readonly title: string;
  readonly log?: boolean;
  readonly min?: number;
  readonly max?: number;
}

/** Labels only the powers of ten (and 2×, 5× when few) of a log axis. */
function logTick(value: number): string | null {
  const exponent = Math.log10(value);
  if (Math.abs(exponent - Math.round(exponent)) > 1e-9) return null;
  const e = Math.round(exponent);
  return e >= -3 && e <= 4 ? String(Number(value.toPrecision(1))) : `1e${e}`;
}

/**
 * A responsive line chart in a figure with a caption; the canvas has an accessible label. The
 * container sets the height, so the chart fits a phone's width.
 */
export function lineChart(options: {
  readonly label: string;
  readonly x: AxisOptions;
  readonly y: AxisOptions;
  readonly datasets: Series[];
  readonly caption?: string;
  readonly testid?: string;
  readonly legend?: boolean;
}): { figure: HTMLElement; chart: Chart } {
  const canvas = h("canvas", { role: "img", "aria-label": options.label });
  const figure = h(
    "figure",
    { class: "chart", "data-testid": options.testid },
    h("div", { class: "chart-box" }, canvas),
    options.caption ? h("figcaption", {}, options.caption) : null,
  );
  const axis = (a: AxisOptions) => ({
    type: a.log ? ("logarithmic" as const) : ("linear" as const),
    title: { display: true, text: a.title },
    ...(a.min !== undefined ? { min: a.min } : {}),
    ...(a.max !== undefined ? { max: a.max } : {}),
    ticks: {
      maxTicksLimit: 8,
      ...(a.log ? { callback: (value: number | string) => logTick(Number(value)) } : {}),
    },
  });
  const config: ChartConfiguration<"line", { x: number; y: number }[]> = {
    type: "line",
    data: { datasets: options.datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      interaction: { mode: "nearest", intersect: false },
      scales: { x: axis(options.x), y: axis(options.y) },
      plugins: {
        legend: {
          display: options.legend ?? true,
          position: "bottom",
          labels: {
            boxWidth: 14,
            boxHeight: 2,
            // Series without points (a previous run before there is one) stay out of the legend.
            // and so do unlabeled ones (the lower edge of a band).
            filter: (item, data) =>
              item.text !== "" && (data.datasets[item.datasetIndex ?? 0]?.data.length ?? 0) > 0,
          },
        },
        tooltip: { enabled: true },
      },
    },
  };
  const chart = new ChartJs(canvas, config) as unknown as Chart;
  return { figure, chart };
}

/**
 * Sets a log axis to the powers of ten around every visible point, so that no curve runs along
 * the chart's edge; call before `chart.update()`.
 */
export function fitLogAxis(chart: Chart, axis: "x" | "y" = "y"): void {
  let lo = Number.POSITIVE_INFINITY;
  let hi = 0;
  for (const dataset of chart.data.datasets) {
    if (dataset.hidden) continue;
    for (const point of dataset.data) {
      const v = point[axis];
      if (v > 0 && Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  const scale = chart.options.scales?.[axis];
  if (!scale || !(hi > 0)) return;
  // A little headroom: a curve within 0.15 decades of a power of ten gets the next one.
  scale.min = 10 ** Math.floor(Math.log10(lo) - 0.15);
  scale.max = 10 ** Math.ceil(Math.log10(hi) + 0.15);
}
