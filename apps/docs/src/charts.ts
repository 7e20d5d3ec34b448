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

/** Below this many decades a log axis gets evenly spaced ticks, every one labelled. */
const SHORT_LOG_AXIS = 1.5;

/**
 * The label of a log axis tick, or null for an unlabelled one. On a wide axis (`span` decades)
 * the powers of ten, and 2× and 5× them under three decades; on a short one (a curve that barely
 * moves, where Chart.js's ticks at 1…9 × 10^k may hold one value, and a single "0.01" was all the
 * selection curve showed), every tick of {@link shortLogTicks}, to three digits.
 */
export function logTick(value: number, span: number): string | null {
  if (span < SHORT_LOG_AXIS) return String(Number(value.toPrecision(3)));
  const e = Math.floor(Math.log10(value) + 1e-9);
  const mantissa = Math.round(value / 10 ** e);
  if (Math.abs(value / 10 ** e - mantissa) > 1e-6) return null;
  if (!(span > 3 ? [1] : [1, 2, 5]).includes(mantissa)) return null;
  return e >= -3 && e <= 4 ? String(Number(value.toPrecision(1))) : `${mantissa}e${e}`;
}

/** About five evenly spaced round values in [lo, hi] (steps of 1, 2 or 5 × 10^k), for short log axes. */
export function shortLogTicks(lo: number, hi: number): number[] {
  const raw = (hi - lo) / 5;
  let step = 10 ** Math.floor(Math.log10(raw));
  const ratio = raw / step;
  if (ratio >= 7.07) step *= 10;
  else if (ratio >= 3.16) step *= 5;
  else if (ratio >= 1.41) step *= 2;
  const out: number[] = [];
  for (let k = Math.ceil(lo / step); k * step <= hi * (1 + 1e-12); k++) {
    // k·step, rounded to the step's digits so that labels read 0.027, not 0.027000000000000003.
    out.push(Number((k * step).toPrecision(12)));
  }
  return out;
}

/** Decades between the first and last of an axis's ticks. */
function decades(ticks: readonly { value: number }[]): number {
  const values = ticks.map((t) => t.value).filter((v) => v > 0);
  if (values.length < 2) return 0;
  return Math.log10(Math.max(...values) / Math.min(...values));
}

/**
 * Writes each axis's labelled ticks onto the chart's figure (`data-x-ticks`, `data-y-ticks`,
 * labels joined by "|"), after every update: what a reader sees, and what the e2e tests check.
 */
const tickRecorder = {
  id: "wdecay-tick-recorder",
  afterUpdate(chart: {
    canvas: HTMLCanvasElement;
    scales: Record<string, { ticks: { label?: unknown }[] }>;
  }) {
    const figure = chart.canvas.closest("figure");
    if (!figure) return;
    for (const axis of ["x", "y"]) {
      const labels = (chart.scales[axis]?.ticks ?? [])
        .map((t) => (Array.isArray(t.label) ? t.label.join(" ") : t.label))
        .filter((l): l is string => typeof l === "string" && l !== "");
      figure.setAttribute(`data-${axis}-ticks`, labels.join("|"));
    }
  },
};

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
    ...(a.log
      ? {
          afterBuildTicks: (scale: { min: number; max: number; ticks: { value: number }[] }) => {
            if (scale.min > 0 && Math.log10(scale.max / scale.min) < SHORT_LOG_AXIS) {
              scale.ticks = shortLogTicks(scale.min, scale.max).map((value) => ({ value }));
            }
          },
        }
      : {}),
    ticks: {
      maxTicksLimit: 8,
      ...(a.log
        ? {
            callback: (value: number | string, _index: number, ticks: { value: number }[]) =>
              logTick(Number(value), decades(ticks)),
          }
        : {}),
    },
  });
  const config: ChartConfiguration<"line", { x: number; y: number }[]> = {
    type: "line",
    plugins: [tickRecorder as never],
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
