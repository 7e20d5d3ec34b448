/**
 * Loss curves in the terminal, drawn by asciichart on a log scale like the chapter's figures:
 * the chart plots log10 of each loss and labels its rows with the losses themselves.
 *
 * asciichart draws every series with the same glyphs, and colour is lost in a pipe or a log, so
 * the two curves are drawn as two charts on the same grid and overlaid: test as a solid line,
 * train as dots. That keeps the output plain text, readable anywhere and the same every run.
 */
import type { HistoryPoint } from "@wdecay/core";
import { plot } from "asciichart";

/** The legend matching the glyphs below. */
export const LEGEND = "─── test   ··· train";

/**
 * asciichart's glyphs: two for the axis, two unused, six line pieces. The axis is plain "┤"
 * throughout: asciichart's "┼" marks a series' first value (hidden under the other series when
 * overlaid) and the row it takes for zero (misplaced on a grid that does not start at zero).
 * Train's line pieces are all dots.
 */
type Symbols = [string, string, string, string, string, string, string, string, string, string];
const TEST_SYMBOLS: Symbols = ["┤", "┤", "╶", "╴", "─", "╰", "╭", "╮", "╯", "│"];
const TRAIN_SYMBOLS: Symbols = ["┤", "┤", "╶", "╴", "·", "·", "·", "·", "·", "·"];

/** Width of a row label such as " 3.2e-4". */
const LABEL_WIDTH = 8;

/** A range of log10(loss). */
export interface LogRange {
  readonly min: number;
  readonly max: number;
}

export interface ChartOptions {
  /** Plot columns (the labels and axis add {@link LABEL_WIDTH} + 1). */
  readonly width: number;
  /** Rows, roughly: whole decades get a whole number of rows each. */
  readonly height: number;
  /** Shared y range, so several charts compare at a glance; by default the curve's own. */
  readonly range?: LogRange;
  /**
   * What the x values are (by default epochs): the axis name and how its two end labels are
   * written, e.g. log10 λ shown as λ.
   */
  readonly xAxis?: { readonly name: string; readonly format: (x: number) => string };
}

type Series = "trainLoss" | "testLoss";

/** Points of one series up to the first loss a log scale cannot show (divergence, or 0). */
function plottable(history: readonly HistoryPoint[], series: Series): [number, number][] {
  const points: [number, number][] = [];
  for (const point of history) {
    const loss = point[series];
    if (!(Number.isFinite(loss) && loss > 0)) break;
    points.push([point.epoch, Math.log10(loss)]);
  }
  return points;
}

/** The log10 range covering every plottable loss of the histories; undefined when none is. */
export function logRange(histories: readonly (readonly HistoryPoint[])[]): LogRange | undefined {
  // A loop, not Math.min(...values): a long run's history would overflow the argument list.
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const history of histories) {
    for (const [, v] of [...plottable(history, "trainLoss"), ...plottable(history, "testLoss")]) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  }
  return min <= max ? { min, max } : undefined;
}

/**
 * The series sampled at `columns` evenly spaced epochs from `first` to `last` by linear
 * interpolation in log space; it stops where the series does (a diverged run ends early).
 */
function resample(points: [number, number][], first: number, last: number, columns: number) {
  const out: number[] = [];
  let k = 0;
  for (let c = 0; c < columns; c++) {
    // The last column is exactly `last`: rounding must not push it past the final point.
    const epoch =
      c === 0 || last === first
        ? first
        : c === columns - 1
          ? last
          : first + (c * (last - first)) / (columns - 1);
    while (k + 1 < points.length && (points[k + 1] as [number, number])[0] < epoch) k++;
    const [e0, v0] = points[k] as [number, number];
    const next = points[k + 1];
    if (epoch <= e0 + 1e-9) {
      out.push(v0);
    } else if (next) {
      const [e1, v1] = next;
      out.push(v0 + ((v1 - v0) * (epoch - e0)) / (e1 - e0));
    } else {
      break;
    }
  }
  return out;
}

/** A row label: the loss at that height, in scientific notation. */
function label(logValue: number): string {
  return (10 ** logValue).toExponential(1).padStart(LABEL_WIDTH);
}

/** Whole decades around the range, with a whole number of rows per decade when they fit. */
function grid(range: LogRange, height: number): { min: number; max: number; height: number } {
  const min = Math.floor(range.min);
  const max = Math.max(Math.ceil(range.max), min + 1);
  const decades = max - min;
  if (decades <= height) return { min, max, height: decades * Math.floor(height / decades) };
  return { min, max, height };
}

/** Overlays two renderings of the same grid: `over` wins wherever it drew something. */
function overlay(under: string, over: string): string[] {
  const a = under.split("\n");
  const b = over.split("\n");
  const width = Math.max(...a.map((l) => l.length), ...b.map((l) => l.length));
  return a.map((line, i) => {
    const top = (b[i] ?? "").padEnd(width);
    const bottom = line.padEnd(width);
    let merged = "";
    for (let j = 0; j < width; j++) merged += top[j] === " " ? bottom[j] : top[j];
    return merged;
  });
}

/**
 * One chart of a run's train and test loss: a title line, the plot with its row labels, and an
 * epoch axis. Every line is {@link chartWidth} characters wide.
 */
export function lossChart(title: string, history: readonly HistoryPoint[], options: ChartOptions) {
  const total = chartWidth(options.width);
  const head = title.padEnd(total);
  const train = plottable(history, "trainLoss");
  const test = plottable(history, "testLoss");
  const own = logRange([history]);
  const range = options.range ?? own;
  const first = history[0]?.epoch;
  const last = history[history.length - 1]?.epoch;
  if (!range || own === undefined || first === undefined || last === undefined) {
    return [head, "(no finite losses to plot)".padEnd(total)];
  }
  const { min, max, height } = grid(range, options.height);
  const config = { min, max, height, offset: 2, format: label };
  const draw = (points: [number, number][], symbols: Symbols) =>
    points.length > 0
      ? // n points draw n − 1 columns (one per segment), so one more point fills the width.
        plot(resample(points, first, last, options.width + 1), { ...config, symbols })
      : undefined;
  const trainChart = draw(train, TRAIN_SYMBOLS);
  const testChart = draw(test, TEST_SYMBOLS);
  // At least one is drawn: the run has a plottable loss (own is defined).
  const plotted =
    trainChart && testChart
      ? overlay(trainChart, testChart)
      : ((trainChart ?? testChart) as string).split("\n");
  const rows = plotted.map((l) => l.padEnd(total).slice(0, total));
  return [head, ...rows, ...epochAxis(first, last, options.width, options.xAxis)];
}

/** Characters per line of a chart `width` plot columns wide. */
export function chartWidth(width: number): number {
  return LABEL_WIDTH + 1 + width;
}

/** The x axis: a rule, then the first epoch, "epoch" and the last epoch under the plot. */
function epochAxis(
  first: number,
  last: number,
  width: number,
  xAxis: ChartOptions["xAxis"],
): string[] {
  const indent = " ".repeat(LABEL_WIDTH);
  const left = xAxis ? xAxis.format(first) : String(first);
  const right = xAxis ? xAxis.format(last) : String(last);
  const name = xAxis ? xAxis.name : "epoch";
  const room = Math.max(width - left.length - right.length - name.length, 2);
  const before = Math.floor(room / 2);
  return [
    `${indent}└${"─".repeat(width)}`,
    `${indent} ${left}${" ".repeat(before)}${name}${" ".repeat(room - before)}${right}`,
  ];
}

/** Blocks of lines side by side, each padded to its widest line, `gap` spaces apart. */
export function sideBySide(blocks: readonly (readonly string[])[], gap = 4): string[] {
  const widths = blocks.map((b) => Math.max(0, ...b.map((l) => l.length)));
  const height = Math.max(0, ...blocks.map((b) => b.length));
  const lines: string[] = [];
  for (let i = 0; i < height; i++) {
    lines.push(
      blocks
        .map((b, j) => (b[i] ?? "").padEnd(widths[j] as number))
        .join(" ".repeat(gap))
        .trimEnd(),
    );
  }
  return lines;
}
