/**
 * Loss curves as an SVG file, like the chapter's figures: x = epoch, y = loss on a log scale,
 * one line each for train and test. The chart is a Vega-Lite spec, compiled to Vega and rendered
 * headless by Vega's own SVG renderer: no DOM, no browser, and no SVG written by hand.
 */
import type { HistoryPoint } from "@wdecay/core";
import type { TopLevelSpec } from "vega-lite";

/** One row of the chart's data: the loss of one set at one epoch. */
interface Row {
  readonly epoch: number;
  readonly loss: number;
  readonly set: "train" | "test";
}

/** Whether a log axis can show x. */
function loggable(x: number): boolean {
  return Number.isFinite(x) && x > 0;
}

/** The schema every chart here is written against. */
const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** A quantitative axis on a log scale with 1e-3-style ticks: losses, norms and λ all span decades. */
function logAxis<F extends string, T extends string>(field: F, title: T) {
  return {
    field,
    type: "quantitative",
    title,
    scale: { type: "log" },
    axis: { format: ".0e" },
  } as const;
}

/** The colour of the train and test lines, the same in every chart that draws both. */
const SET_COLOR = {
  field: "set",
  type: "nominal",
  title: null,
  scale: { domain: ["train", "test"] },
  legend: { orient: "top-right" },
} as const;

/** The train and test loss of one point that a log scale can show, as chart rows. */
function loggableLosses(p: {
  readonly trainLoss: number;
  readonly testLoss: number;
}): { loss: number; set: "train" | "test" }[] {
  return (
    [
      ["train", p.trainLoss],
      ["test", p.testLoss],
    ] as const
  )
    .filter(([, loss]) => loggable(loss))
    .map(([set, loss]) => ({ loss, set }));
}

/** The rows a log scale can show: a diverged run's NaN, Infinity (or a loss of 0) are left out. */
function rows(history: readonly HistoryPoint[]): Row[] {
  return history.flatMap((p) => loggableLosses(p).map((l) => ({ epoch: p.epoch, ...l })));
}

/** The Vega-Lite spec of a loss chart (exported so its shape can be checked without rendering). */
export function lossChartSpec(title: string, history: readonly HistoryPoint[]): TopLevelSpec {
  const values = rows(history);
  const last = history[history.length - 1]?.epoch ?? 1;
  return {
    $schema: SCHEMA,
    title: values.length > 0 ? title : `${title} (diverged: no finite losses)`,
    width: 480,
    height: 300,
    background: "white",
    data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: {
        field: "epoch",
        type: "quantitative",
        title: "epoch",
        // Like the chapter's figures (xlim=[5, num_epochs]), the axis spans the evaluations.
        scale: { domain: [history[0]?.epoch ?? 0, last], nice: false },
      },
      y: logAxis("loss", "loss (log scale)"),
      color: SET_COLOR,
    },
  };
}

/** Renders a Vega-Lite spec to an SVG document, headless. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // Loaded on first use: together they take a noticeable time to import, which commands that
  // draw nothing (`backends`, a usage error) should not pay.
  const [{ compile }, { parse, View }] = await Promise.all([import("vega-lite"), import("vega")]);
  const view = new View(parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders the loss chart to an SVG document. */
export async function lossChartSvg(
  title: string,
  history: readonly HistoryPoint[],
): Promise<string> {
  return renderSvg(lossChartSpec(title, history));
}

/** One λ of a sweep, as the sweep chart needs it. */
export interface SweepPoint {
  readonly lambda: number;
  readonly trainLoss: number;
  readonly testLoss: number;
  readonly l2Norm: number;
}

/**
 * The Vega-Lite spec of a λ sweep: train and test loss against λ on top, ‖w‖ against λ below,
 * every axis on a log scale. λ = 0 has no place on a log axis: its values are drawn as dashed
 * horizontal lines across the panel instead, and the subtitle says so.
 */
export function sweepChartSpec(title: string, points: readonly SweepPoint[]): TopLevelSpec {
  const positive = points.filter((p) => loggable(p.lambda));
  const zero = points.find((p) => p.lambda === 0);
  const losses = positive.flatMap((p) =>
    loggableLosses(p).map((l) => ({ lambda: p.lambda, ...l })),
  );
  const norms = positive
    .filter((p) => loggable(p.l2Norm))
    .map((p) => ({ lambda: p.lambda, norm: p.l2Norm }));
  const zeroLosses = zero ? loggableLosses(zero) : [];
  const zeroNorms = zero && loggable(zero.l2Norm) ? [{ norm: zero.l2Norm }] : [];
  const x = logAxis("lambda", "λ (canonical, log scale)");
  const color = SET_COLOR;
  const dashed = { type: "rule" as const, strokeDash: [6, 4] };
  const subtitle: string[] = [];
  if (zero) subtitle.push("dashed lines: λ = 0, which a log axis cannot show");
  if (positive.length === 0) subtitle.push("no λ > 0 to draw against a log axis");
  return {
    $schema: SCHEMA,
    title: subtitle.length > 0 ? { text: title, subtitle } : title,
    background: "white",
    vconcat: [
      {
        width: 480,
        height: 260,
        layer: [
          {
            data: { values: losses },
            mark: { type: "line", point: true },
            encoding: {
              x,
              y: logAxis("loss", "loss (log scale)"),
              color,
            },
          },
          ...(zeroLosses.length > 0
            ? [
                {
                  data: { values: zeroLosses },
                  mark: dashed,
                  encoding: { y: { field: "loss", type: "quantitative" as const }, color },
                },
              ]
            : []),
        ],
      },
      {
        width: 480,
        height: 160,
        layer: [
          {
            data: { values: norms },
            mark: { type: "line", point: true, color: "#555" },
            encoding: {
              x,
              y: logAxis("norm", "‖w‖ (log scale)"),
            },
          },
          ...(zeroNorms.length > 0
            ? [
                {
                  data: { values: zeroNorms },
                  mark: { ...dashed, color: "#555" },
                  encoding: { y: { field: "norm", type: "quantitative" as const } },
                },
              ]
            : []),
        ],
      },
    ],
  };
}

/** Renders a λ sweep to an SVG document. */
export function sweepChartSvg(title: string, points: readonly SweepPoint[]): Promise<string> {
  return renderSvg(sweepChartSpec(title, points));
}

/** A regularization path for its chart: `weights[k][j]` is feature j's weight at `lambdas[k]`. */
export interface PathChartData {
  readonly lambdas: ArrayLike<number>;
  readonly weights: readonly ArrayLike<number>[];
  readonly featureNames: readonly string[];
}

/** The most coefficients a path chart draws: more lines than colours tell nothing apart. */
export const PATH_CHART_MAX_LINES = 20;

/** Indices of the features to draw: all, or the largest by max |w| along the path. */
export function pathChartFeatures(data: PathChartData, limit = PATH_CHART_MAX_LINES): number[] {
  const d = data.featureNames.length;
  const peak = new Float64Array(d);
  for (const w of data.weights) {
    for (let j = 0; j < d; j++) {
      const a = Math.abs(w[j] as number);
      if (a > (peak[j] as number)) peak[j] = a;
    }
  }
  const all = Array.from({ length: d }, (_, j) => j);
  if (d <= limit) return all;
  // Ties keep feature order, so the choice is the same every run.
  return all
    .sort((p, q) => (peak[q] as number) - (peak[p] as number) || p - q)
    .slice(0, limit)
    .sort((p, q) => p - q);
}

/**
 * The Vega-Lite spec of a coefficient path: one line per coefficient against λ on a log scale.
 * With more than {@link PATH_CHART_MAX_LINES} features only the largest (by max |w| along the
 * path) are drawn, and the subtitle says so.
 */
export function pathChartSpec(title: string, data: PathChartData, subtitle?: string): TopLevelSpec {
  const shown = pathChartFeatures(data);
  const d = data.featureNames.length;
  const values: { lambda: number; weight: number; feature: string }[] = [];
  for (let k = 0; k < data.lambdas.length; k++) {
    const lambda = data.lambdas[k] as number;
    const w = data.weights[k];
    if (!loggable(lambda) || w === undefined) continue;
    for (const j of shown) {
      const weight = w[j] as number;
      if (Number.isFinite(weight)) {
        values.push({ lambda, weight, feature: data.featureNames[j] as string });
      }
    }
  }
  const lines = [
    ...(subtitle === undefined ? [] : [subtitle]),
    shown.length < d
      ? `the ${shown.length} of ${d} coefficients largest by max |w| along the path`
      : `all ${d} coefficients`,
  ];
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle: lines },
    width: 520,
    height: 320,
    background: "white",
    data: { values },
    mark: { type: "line", strokeWidth: 1.5 },
    encoding: {
      x: {
        field: "lambda",
        type: "quantitative",
        title: "λ (canonical, log scale)",
        scale: { type: "log", nice: false },
        axis: { format: ".0e" },
      },
      y: { field: "weight", type: "quantitative", title: "coefficient (original feature scale)" },
      color: {
        field: "feature",
        type: "nominal",
        title: "feature",
        sort: shown.map((j) => data.featureNames[j] as string),
        scale: { scheme: "category20" },
      },
    },
  };
}

/** Renders a coefficient path to an SVG document. */
export function pathChartSvg(
  title: string,
  data: PathChartData,
  subtitle?: string,
): Promise<string> {
  return renderSvg(pathChartSpec(title, data, subtitle));
}

/** One point of a validation curve, as the selection chart needs it. */
export interface ValidationChartPoint {
  readonly lambda: number;
  readonly mean: number;
  readonly se: number;
}

/**
 * The Vega-Lite spec of a validation curve (`wdecay select`): the validation MSE against λ
 * on a log scale, ±1 standard error as error bars, and vertical rules at λ_min and λ₁ₛₑ. λ = 0
 * has no place on a log axis; it is left out and the subtitle says so.
 */
export function selectChartSpec(
  title: string,
  curve: readonly ValidationChartPoint[],
  marks: {
    readonly lambdaMin: number;
    readonly lambda1se: number;
    /** The convention λ is written in (canonical when absent). */
    readonly lambdaConvention?: string;
  },
): TopLevelSpec {
  const shown = curve.filter((p) => loggable(p.lambda) && Number.isFinite(p.mean));
  const values = shown.map((p) => ({
    lambda: p.lambda,
    mean: p.mean,
    lo: p.mean - p.se,
    hi: p.mean + p.se,
  }));
  const rules = [
    { lambda: marks.lambdaMin, which: "λ_min (least validation MSE)" },
    { lambda: marks.lambda1se, which: "λ₁ₛₑ (one-standard-error rule)" },
  ].filter((r) => loggable(r.lambda));
  const subtitle = ["error bars: ±1 standard error"];
  if (shown.length < curve.length) subtitle.push("λ = 0 is left out: a log axis cannot show it");
  if (marks.lambdaMin === marks.lambda1se) subtitle.push("λ_min and λ₁ₛₑ coincide");
  const x = logAxis("lambda", `λ (${marks.lambdaConvention ?? "canonical"}, log scale)`);
  const y = {
    field: "mean",
    type: "quantitative",
    title: "validation MSE, mean (ŷ − y)²",
    scale: { zero: false },
  } as const;
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle },
    width: 480,
    height: 300,
    background: "white",
    layer: [
      {
        data: { values },
        mark: { type: "rule", color: "#999" },
        encoding: { x, y: { ...y, field: "lo" }, y2: { field: "hi" } },
      },
      {
        data: { values },
        mark: { type: "line", point: true, color: "#1f77b4" },
        encoding: { x, y },
      },
      {
        data: { values: rules },
        mark: { type: "rule", strokeDash: [6, 4], strokeWidth: 1.5 },
        encoding: {
          x: { field: "lambda", type: "quantitative" },
          color: {
            field: "which",
            type: "nominal",
            title: null,
            scale: { range: ["#d62728", "#2ca02c"] },
            legend: { orient: "top-right" },
          },
        },
      },
    ],
  };
}

/** Renders a validation curve to an SVG document. */
export function selectChartSvg(
  title: string,
  curve: readonly ValidationChartPoint[],
  marks: Parameters<typeof selectChartSpec>[2],
): Promise<string> {
  return renderSvg(selectChartSpec(title, curve, marks));
}

/** The most coefficients a posterior chart draws: beyond that the intervals blur together. */
export const POSTERIOR_CHART_MAX = 40;

/**
 * The Vega-Lite spec of a posterior (`wdecay posterior`): each coefficient's posterior mean with
 * its 95% credible interval, and a dashed rule at the true weight when it is known (synthetic
 * data). Only the first {@link POSTERIOR_CHART_MAX} coefficients are drawn; the subtitle says so.
 */
export function posteriorChartSpec(
  title: string,
  posterior: {
    readonly featureNames: readonly string[];
    readonly mean: ArrayLike<number>;
    readonly sd: ArrayLike<number>;
  },
  options: { readonly z: number; readonly truth?: number },
): TopLevelSpec {
  const d = posterior.featureNames.length;
  const count = Math.min(d, POSTERIOR_CHART_MAX);
  const values = Array.from({ length: count }, (_, j) => {
    const m = posterior.mean[j] as number;
    const s = posterior.sd[j] as number;
    return {
      feature: posterior.featureNames[j] as string,
      mean: m,
      lo: m - options.z * s,
      hi: m + options.z * s,
    };
  });
  const subtitle = [
    "posterior mean and 95% credible interval of each weight",
    ...(count < d ? [`the first ${count} of ${d} coefficients`] : []),
    ...(options.truth !== undefined ? [`dashed: the true weight ${options.truth}`] : []),
  ];
  const x = {
    field: "feature",
    type: "nominal",
    title: null,
    sort: null,
    axis: { labelAngle: -60 },
  } as const;
  const y = { field: "mean", type: "quantitative", title: "weight" } as const;
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle },
    width: Math.max(240, 14 * count),
    height: 280,
    background: "white",
    layer: [
      {
        data: { values },
        mark: { type: "rule", color: "#999" },
        encoding: { x, y: { ...y, field: "lo" }, y2: { field: "hi" } },
      },
      {
        data: { values },
        mark: { type: "point", filled: true, color: "#1f77b4" },
        encoding: { x, y },
      },
      ...(options.truth !== undefined
        ? [
            {
              data: { values: [{ truth: options.truth }] },
              mark: { type: "rule" as const, strokeDash: [6, 4], color: "#d62728" },
              encoding: { y: { field: "truth", type: "quantitative" as const } },
            },
          ]
        : []),
    ],
  };
}
