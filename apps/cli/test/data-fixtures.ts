/** CSV files with a known linear model behind them, for the commands that read --data. */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Rng } from "@wdecay/core";

/** The model behind {@link linearCsv}: features on very different scales. */
export const TRUE_MODEL = { bias: 3, weights: { a: 2, b: -0.5, c: 0.01 } } as const;

/** A seeded uniform generator (mulberry32): the same file on every run. */
function uniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CsvRow {
  readonly id: string;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly y: number;
}

/**
 * Rows of `y = 3 + 2a − 0.5b + 0.01c (+ noise)` with a ∈ [0, 10), b ∈ [100, 1000),
 * c ∈ [−10⁴, 10⁴), and a text id column that is not a feature.
 */
export function linearRows(n: number, options: { seed?: number; noise?: number } = {}): CsvRow[] {
  const next = uniform(options.seed ?? 1);
  const noise = options.noise ?? 0;
  const { bias, weights } = TRUE_MODEL;
  return Array.from({ length: n }, (_, i) => {
    const a = 10 * next();
    const b = 100 + 900 * next();
    const c = -1e4 + 2e4 * next();
    const e = noise * (next() - 0.5);
    return {
      id: `r${i + 1}`,
      a,
      b,
      c,
      y: bias + weights.a * a + weights.b * b + weights.c * c + e,
    };
  });
}

/** The rows as CSV text: header `id,a,b,c,y` (or without y), numbers written exactly. */
export function csvText(rows: readonly CsvRow[], options: { target?: boolean } = {}): string {
  const withTarget = options.target ?? true;
  const header = withTarget ? "id,a,b,c,y" : "id,a,b,c";
  const body = rows.map((r) =>
    [r.id, r.a, r.b, r.c, ...(withTarget ? [r.y] : [])].map(String).join(","),
  );
  return `${[header, ...body].join("\n")}\n`;
}

/** Writes `text` to `name` in `dir` and returns the path. */
export async function writeText(dir: string, name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

/** max_j |a_j − b_j| / max_j |b_j|: how far apart two vectors are, relative to the second. */
export function maxRelDiff(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  const scale = Math.max(1e-300, ...b.map(Math.abs));
  return Math.max(0, ...a.map((x, j) => Math.abs(x - (b[j] as number)))) / scale;
}

/** A regression CSV: an id column (text), d features on different scales, y, and a fold id. */
export function regressionCsv(n: number, d: number, seed: number, folds = 5): string {
  const rng = new Rng(seed);
  const names = Array.from({ length: d }, (_, j) => `x${j + 1}`);
  const lines = [["id", ...names, "y", "fold"].join(",")];
  for (let i = 0; i < n; i++) {
    const x = names.map((_, j) => (j + 1) * rng.normal() + 10 * j);
    // Half of the weights are 0, so the lasso has something to select.
    const y = 3 + x.reduce((s, v, j) => s + (j % 2 === 0 ? 0.5 / (j + 1) : 0) * (v - 10 * j), 0);
    const cells = x.map((v) => v.toPrecision(9));
    lines.push([`r${i}`, ...cells, (y + rng.normal()).toPrecision(9), String(i % folds)].join(","));
  }
  return `${lines.join("\n")}\n`;
}
