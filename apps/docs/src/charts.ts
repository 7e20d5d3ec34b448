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
  type Scale,
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
/** A line series; `inLegend: false` keeps a labelled series (for its tooltip) out of the legend. */
export type Series = ChartDataset<"line", { x: number; y: number }[]> & { inLegend?: boolean };

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
 * selection curve showed), every tick of {@link shortLogTicks}, to three digits. `room` is how
 * many labels side by side a decade of the axis has room for: 2× and 5× need about 3.4 (they
 * sit 0.3 decade from their neighbours), and below 1 only every second (third…) power of ten is
 * labelled, so that labels never run into each other ("0.0010.002" on a phone).
 */
export function logTick(
  value: number,
  span: number,
  room = Number.POSITIVE_INFINITY,
): string | null {
  if (span < SHORT_LOG_AXIS) return String(Number(value.toPrecision(3)));
  const e = Math.floor(Math.log10(value) + 1e-9);
  const mantissa = Math.round(value / 10 ** e);
  if (Math.abs(value / 10 ** e - mantissa) > 1e-6) return null;
  if (!(span > 3 || room < 3.4 ? [1] : [1, 2, 5]).includes(mantissa)) return null;
  if (mantissa === 1 && room < 1 && e % Math.ceil(1 / room) !== 0) return null;
  return e >= -3 && e <= 4 ? String(Number(value.toPrecision(1))) : `${mantissa}e${e}`;
}

/** Pixels a tick label needs along an axis: a short number's width, or a line's height. */
const LABEL_GAP = { horizontal: 48, vertical: 18 } as const;

/**
 * The tick callback of a log axis: {@link logTick} with the room the axis has, and on a short
 * axis, whose evenly spaced ticks crowd toward its top, every tick at least a label's gap from
 * the last one labelled. Chart.js calls it with the scale as `this`, before the final layout,
 * so the length is estimated from the space the scale is given.
 */
function logTickCallback(
  this: Scale,
  value: number | string,
  index: number,
  ticks: { value: number }[],
): string | null {
  const horizontal = this.isHorizontal();
  const length = 0.8 * (horizontal ? this.width : this.height);
  const gap = horizontal ? LABEL_GAP.horizontal : LABEL_GAP.vertical;
  const perDecade = length / Math.max(Math.log10(this.max / this.min), 1e-9);
  const span = decades(ticks);
  if (span >= SHORT_LOG_AXIS) return logTick(Number(value), span, perDecade / gap);
  let last = Number.NEGATIVE_INFINITY;
  for (let i = 0; i <= index; i++) {
    const at = Math.log10((ticks[i] as { value: number }).value) * perDecade;
    if (at - last < gap) continue;
    last = at;
    if (i === index) return logTick(Number(value), span);
  }
  return null;
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
 * The domain [min, max] widened, where needed, so that [lo, hi] (what must be seen) lies at
 * least `fraction` of the final span inside it, on a log10 scale for a log axis. A domain that
 * already leaves that margin is returned as it is, so that round tick bounds stay round.
 */
export function padDomain(
  domain: { min: number; max: number },
  content: { lo: number; hi: number },
  fraction: number,
  log = false,
): { min: number; max: number } {
  const to = (v: number) => (log ? Math.log10(v) : v);
  const from = (v: number) => (log ? 10 ** v : v);
  let a = to(domain.min);
  let b = to(domain.max);
  const lo = to(content.lo);
  const hi = to(content.hi);
  if (!Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(lo) || !Number.isFinite(hi)) {
    return domain;
  }
  const span = Math.max(b, hi) - Math.min(a, lo) || Math.abs(lo) || 1;
  // Margins of the widened span (span + 2m), not of the old one: m = f·(span + 2m).
  const margin = (fraction * span) / (1 - 2 * fraction);
  if (lo - margin < a) a = lo - margin;
  if (hi + margin > b) b = hi + margin;
  return { min: from(a), max: from(b) };
}

/** What a chart plots on one axis: its visible points, and where they are drawn thickest. */
interface AxisContent {
  lo: number;
  hi: number;
  /** Pixels a point may reach beyond its centre (marker radius and border, or half a line). */
  reach: number;
}

/** The part of Chart.js a scale hook sees. */
interface ScaleLike {
  axis: string;
  type: string;
  min: number;
  max: number;
  start: number;
  end: number;
  width: number;
  height: number;
  ticks: { value: number }[];
  options: { suggestedMin?: unknown; suggestedMax?: unknown };
  isHorizontal(): boolean;
  chart: {
    data: { datasets: Series[] };
    isDatasetVisible(index: number): boolean;
  };
  /** The data limits Chart.js computed, before the padding (see {@link lineChart}). */
  $wdecayLimits?: { min: number; max: number };
}

function contentOf(scale: ScaleLike): AxisContent | null {
  const key = scale.axis === "x" ? "x" : "y";
  const log = scale.type === "logarithmic";
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let reach = 0;
  const include = (v: unknown) => {
    if (typeof v !== "number" || !Number.isFinite(v) || (log && v <= 0)) return;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  };
  scale.chart.data.datasets.forEach((dataset, i) => {
    if (!scale.chart.isDatasetVisible(i) || dataset.data.length === 0) return;
    for (const point of dataset.data) include(point[key]);
    const radius = typeof dataset.pointRadius === "number" ? dataset.pointRadius : 3;
    const border = typeof dataset.pointBorderWidth === "number" ? dataset.pointBorderWidth : 1;
    const line = typeof dataset.borderWidth === "number" ? dataset.borderWidth : 3;
    reach = Math.max(reach, radius > 0 ? radius + border / 2 : 0, line / 2);
  });
  // Bounds a page asks to see (shareAxis) count as content: every chart sharing them pads alike.
  include(scale.options.suggestedMin);
  include(scale.options.suggestedMax);
  return lo <= hi ? { lo, hi, reach } : null;
}

/**
 * Chart.js fits an axis to the data, so the first and last points sit on the plot's edge and
 * half of each marker is cut off (the sweep's end points, the Bayes chart's 40th weight, the
 * zero counts at 0 and 200). Every axis of {@link lineChart} is widened here by the pixels its
 * largest marker needs, after Chart.js has chosen its ticks, so the ticks keep their round
 * values and the widening is only what the markers need.
 */
function padScale(scale: ScaleLike): void {
  const content = contentOf(scale);
  if (!content) return;
  // The scale's length before the other axis takes its share; the plot gets ~3/4 of it.
  const length = 0.75 * (scale.isHorizontal() ? scale.width : scale.height);
  const fraction = Math.min(0.2, Math.max(0.02, (content.reach + 2) / Math.max(length, 50)));
  const padded = padDomain(scale, content, fraction, scale.type === "logarithmic");
  scale.min = padded.min;
  scale.max = padded.max;
  scale.start = padded.min;
  scale.end = padded.max;
}

/** A chart's figure, where the recorder writes what the chart shows. */
interface RecordedChart {
  canvas: HTMLCanvasElement;
  ctx: CanvasRenderingContext2D;
  chartArea: { left: number; right: number; top: number; bottom: number };
  scales: Record<
    string,
    {
      min: number;
      max: number;
      ticks: { label?: unknown }[];
      isHorizontal(): boolean;
      getLabelItems(): LabelItem[];
    }
  >;
  data: { datasets: Series[] };
  options: { plugins?: { legend?: { display?: boolean } } };
  legend?: { legendItems?: { text: string; strokeStyle?: unknown }[] };
  isDatasetVisible(index: number): boolean;
  getDatasetMeta(index: number): {
    data: {
      x: number;
      y: number;
      skip?: boolean;
      options?: { radius?: number; borderWidth?: number };
    }[];
  };
}

/** A tick label as Chart.js lays it out (Scale.getLabelItems). */
interface LabelItem {
  label: unknown;
  font: { string: string; lineHeight: number };
  options: { rotation: number; translation: [number, number] };
}

/**
 * Pairs of neighbouring tick labels of an axis that touch or overlap (within 2 px), from where
 * Chart.js puts them and how wide the canvas measures them. Rotated labels are Chart.js's own
 * way out of crowding and are not counted.
 */
function overlappingLabels(
  ctx: CanvasRenderingContext2D,
  scale: { isHorizontal(): boolean; getLabelItems(): LabelItem[] },
): number {
  const horizontal = scale.isHorizontal();
  const boxes = scale
    .getLabelItems()
    .filter((item) => typeof item.label === "string" && item.label !== "" && !item.options.rotation)
    .map((item) => {
      const [x, y] = item.options.translation;
      if (!horizontal)
        return { lo: y - item.font.lineHeight / 2, hi: y + item.font.lineHeight / 2 };
      ctx.save();
      ctx.font = item.font.string;
      const width = ctx.measureText(item.label as string).width;
      ctx.restore();
      return { lo: x - width / 2, hi: x + width / 2 };
    })
    .sort((p, q) => p.lo - q.lo);
  let overlaps = 0;
  for (let i = 1; i < boxes.length; i++) {
    if ((boxes[i] as { lo: number }).lo < (boxes[i - 1] as { hi: number }).hi + 2) overlaps++;
  }
  return overlaps;
}

/** Points of visible datasets drawn (marker or line end) beyond the chart area, by half a pixel. */
function clippedPoints(chart: RecordedChart): number {
  const area = chart.chartArea;
  let clipped = 0;
  chart.data.datasets.forEach((dataset, i) => {
    if (!chart.isDatasetVisible(i)) return;
    const line = typeof dataset.borderWidth === "number" ? dataset.borderWidth : 3;
    for (const el of chart.getDatasetMeta(i).data) {
      if (el.skip || !Number.isFinite(el.x) || !Number.isFinite(el.y)) continue;
      const radius = el.options?.radius ?? 0;
      const r = radius > 0 ? radius + (el.options?.borderWidth ?? 0) / 2 : line / 2;
      if (
        el.x - r < area.left - 0.5 ||
        el.x + r > area.right + 0.5 ||
        el.y - r < area.top - 0.5 ||
        el.y + r > area.bottom + 0.5
      ) {
        clipped++;
      }
    }
  });
  return clipped;
}

/**
 * Writes what a reader sees onto the chart's figure after every update, for the e2e tests:
 * each axis's labelled ticks (`data-x-ticks`, `data-y-ticks`, labels joined by "|") and its
 * bounds (`data-x-min` … `data-y-max`), how many of its labels run into their neighbour
 * (`data-x-overlaps`, `data-y-overlaps`), the legend's entries and colours (`data-legend`,
 * `data-legend-colors`, absent when the legend is hidden) and the number of points drawn
 * outside the plot area (`data-clipped`).
 */
const figureRecorder = {
  id: "wdecay-figure-recorder",
  afterUpdate(chart: RecordedChart) {
    const figure = chart.canvas.closest("figure");
    if (!figure) return;
    for (const axis of ["x", "y"]) {
      const scale = chart.scales[axis];
      const labels = (scale?.ticks ?? [])
        .map((t) => (Array.isArray(t.label) ? t.label.join(" ") : t.label))
        .filter((l): l is string => typeof l === "string" && l !== "");
      figure.setAttribute(`data-${axis}-ticks`, labels.join("|"));
      if (scale) {
        figure.setAttribute(`data-${axis}-min`, String(scale.min));
        figure.setAttribute(`data-${axis}-max`, String(scale.max));
        figure.setAttribute(`data-${axis}-overlaps`, String(overlappingLabels(chart.ctx, scale)));
      }
    }
    const items =
      chart.options.plugins?.legend?.display === false ? [] : (chart.legend?.legendItems ?? []);
    if (items.length > 0) {
      figure.setAttribute("data-legend", items.map((item) => item.text).join("|"));
      figure.setAttribute(
        "data-legend-colors",
        items.map((item) => String(item.strokeStyle)).join("|"),
      );
    } else {
      figure.removeAttribute("data-legend");
      figure.removeAttribute("data-legend-colors");
    }
    figure.setAttribute("data-clipped", String(clippedPoints(chart)));
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
    afterDataLimits: (chartScale: Scale) => {
      const scale = chartScale as unknown as ScaleLike;
      scale.$wdecayLimits = { min: scale.min, max: scale.max };
    },
    beforeBuildTicks: (chartScale: Scale) => {
      const scale = chartScale as unknown as ScaleLike;
      // A log scale builds its ticks from min and max, which padScale has widened in an earlier
      // pass of the same layout: start again from the data's limits, so passes do not compound.
      if (scale.$wdecayLimits) {
        scale.min = scale.$wdecayLimits.min;
        scale.max = scale.$wdecayLimits.max;
      }
    },
    afterBuildTicks: (chartScale: Scale) => {
      const scale = chartScale as unknown as ScaleLike;
      if (a.log && scale.min > 0 && Math.log10(scale.max / scale.min) < SHORT_LOG_AXIS) {
        scale.ticks = shortLogTicks(scale.min, scale.max).map((value) => ({ value }));
      }
      padScale(scale);
    },
    ticks: {
      maxTicksLimit: 8,
      ...(a.log
        ? {
            callback: logTickCallback,
          }
        : {}),
    },
  });
  const config: ChartConfiguration<"line", { x: number; y: number }[]> = {
    type: "line",
    plugins: [figureRecorder as never],
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
            // Series without points (a previous run before there is one) stay out of the legend,
            // and so do unlabeled ones (the lower edge of a band) and muted ones (inLegend).
            filter: (item, data) => {
              const dataset = data.datasets[item.datasetIndex ?? 0] as Series | undefined;
              return (
                item.text !== "" && (dataset?.data.length ?? 0) > 0 && dataset?.inLegend !== false
              );
            },
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

/**
 * Gives charts one scale on an axis: each is asked to show the union of everything the charts
 * plot there (Chart.js's suggestedMin/Max), so charts of one size get the same ticks and the
 * same padding, and two panels side by side compare at a glance. Call after the datasets are
 * set, before `chart.update()`.
 */
export function shareAxis(charts: readonly Chart[], axis: "x" | "y" = "y"): void {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const chart of charts) {
    chart.data.datasets.forEach((dataset, i) => {
      if (!chart.isDatasetVisible(i)) return;
      for (const point of dataset.data) {
        const v = point[axis];
        if (Number.isFinite(v)) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    });
  }
  if (!(lo <= hi)) return;
  for (const chart of charts) {
    const scale = chart.options.scales?.[axis];
    if (!scale) continue;
    Object.assign(scale, { suggestedMin: lo, suggestedMax: hi });
  }
}
