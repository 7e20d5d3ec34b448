/**
 * Shared pieces of the model properties: uploading a problem, float64 host truths for the
 * linear model, running SGD programs, and the scale bounds their tolerances are derived from.
 */
import {
  type Backend,
  composeLinearSgd,
  type LinearSgdSpec,
  linearSgd,
  type Tensor,
} from "@wdecay/core";
import type { LinearProblem } from "../arbitraries.js";
import type { Keep } from "../scope.js";
import { type Meter, trajectoryTolerance } from "../tolerance.js";

/** A problem's tensors on a backend. */
export interface DeviceProblem {
  readonly X: Tensor;
  readonly y: Tensor;
  readonly w: Tensor;
  readonly b: Tensor;
}

export function uploadProblem(backend: Backend, p: LinearProblem, keep: Keep): DeviceProblem {
  return {
    X: keep(backend.upload(p.X, [p.n, p.d])),
    y: keep(backend.upload(p.y, [p.n, p.yCols ?? 1])),
    w: keep(backend.upload(p.w, [p.d, p.L])),
    b: keep(backend.upload(p.b, [1, p.L])),
  };
}

export function maxAbs(xs: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m = Math.max(m, Math.abs(xs[i] as number));
  return m;
}

/**
 * The single-output problem weight column l trains on: its own target column of a multi-output
 * problem (or the shared one), with the given weights and biases (L of them).
 */
export function columnProblem(
  p: LinearProblem,
  l: number,
  params: { w: number[]; b: number[]; L: number } = { w: p.w, b: p.b, L: p.L },
): LinearProblem {
  const k = p.yCols ?? 1;
  const y = k === 1 ? p.y : Array.from({ length: p.n }, (_, i) => p.y[i * k + l] as number);
  return { n: p.n, d: p.d, X: p.X, y, yCols: 1, ...params };
}

/** Column l of a d×L row-major matrix. */
export function column(w: ArrayLike<number>, d: number, L: number, l: number): number[] {
  return Array.from({ length: d }, (_, j) => w[j * L + l] as number);
}

/** Residuals r = Xw + b − y of column l, and the magnitude sums that bound their rounding. */
export function residuals(p: LinearProblem, w: readonly number[], b: number) {
  const r: number[] = [];
  const abs: number[] = [];
  for (let i = 0; i < p.n; i++) {
    let v = b - (p.y[i] as number);
    let a = Math.abs(b) + Math.abs(p.y[i] as number);
    for (let j = 0; j < p.d; j++) {
      const t = (p.X[i * p.d + j] as number) * (w[j] as number);
      v += t;
      a += Math.abs(t);
    }
    r.push(v);
    abs.push(a);
  }
  return { r, abs };
}

/**
 * ∇J for J = mean ½(Xw + b − y)² + (λ/2)‖w‖² in float64, for one column, with for each entry a
 * bound on the magnitudes of everything summed into it (residuals included).
 */
export function hostGradient(p: LinearProblem, w: readonly number[], b: number, lambda: number) {
  const { r, abs } = residuals(p, w, b);
  const g = w.map((v) => lambda * v);
  const scale = w.map((v) => Math.abs(lambda * v));
  let gb = 0;
  let sb = 0;
  for (let i = 0; i < p.n; i++) {
    gb += (r[i] as number) / p.n;
    sb += (abs[i] as number) / p.n;
    for (let j = 0; j < p.d; j++) {
      const x = p.X[i * p.d + j] as number;
      g[j] = (g[j] as number) + (x * (r[i] as number)) / p.n;
      scale[j] = (scale[j] as number) + (Math.abs(x) * (abs[i] as number)) / p.n;
    }
  }
  return { g: [...g, gb], scale: [...scale, sb], terms: p.n + p.d + 3 };
}

/** J for one column in float64, and the magnitude of its terms. */
export function hostObjective(p: LinearProblem, w: readonly number[], b: number, lambda: number) {
  const { r, abs } = residuals(p, w, b);
  let J = 0;
  let scale = 0;
  for (let i = 0; i < p.n; i++) {
    J += (0.5 * (r[i] as number) ** 2) / p.n;
    scale += (0.5 * (abs[i] as number) ** 2) / p.n;
  }
  const wsq = w.reduce((s, v) => s + v * v, 0);
  return { J: J + (lambda / 2) * wsq, scale: scale + (lambda / 2) * wsq };
}

/** Regularization of an SGD program, one entry per column. */
export interface Regularization {
  readonly weightPenalty: readonly number[];
  readonly weightDecay: readonly number[];
  readonly biasDecay: readonly number[];
  /** L1 weight λ₁ per column (proximal step S_{lr·λ₁} after the smooth update); 0 if omitted. */
  readonly weightL1?: readonly number[];
}

/**
 * Runs `epochs` epochs of minibatch SGD (batches of `batch` rows in `orderValues` order) on fresh
 * copies of the problem's parameters, through the backend's fused program or the composition
 * from primitives, and reads the final w (d×L) and b (1×L).
 */
export async function runSgd(
  backend: Backend,
  p: LinearProblem,
  reg: Regularization,
  options: {
    lr: number;
    epochs: number;
    batch: number;
    order: readonly number[];
    composed?: boolean;
  },
  keep: Keep,
): Promise<{ w: Float64Array; b: Float64Array }> {
  const { X, y, w, b } = uploadProblem(backend, p, keep);
  const order = keep(backend.upload(options.order, [p.n, 1], "int32"));
  const spec: LinearSgdSpec = { X, y, order, w, b, ...reg };
  const program = options.composed ? composeLinearSgd(backend, spec) : linearSgd(backend, spec);
  try {
    for (let e = 0; e < options.epochs; e++) {
      for (let offset = 0; offset < p.n; offset += options.batch) {
        program.step(offset, Math.min(options.batch, p.n - offset), options.lr);
      }
    }
  } finally {
    program.dispose();
  }
  return { w: await backend.read(w), b: await backend.read(b) };
}

/**
 * A learning rate at which SGD on the problem is stable: below 1/(smoothness) for every
 * minibatch, whose smoothness is at most max‖xᵢ‖² + 1 (the bias) + λ.
 */
export function stableLr(p: LinearProblem, lambda: number): number {
  let rowMax = 0;
  for (let i = 0; i < p.n; i++) {
    let s = 0;
    for (let j = 0; j < p.d; j++) s += (p.X[i * p.d + j] as number) ** 2;
    rowMax = Math.max(rowMax, s);
  }
  return 0.5 / (rowMax + 1 + lambda);
}

/**
 * The magnitude bound of one SGD step's sums: forward terms |xᵢⱼwⱼ|, |b|, |y| (≤ A), gradient
 * terms |xᵢⱼ|·A, and the update's |w|. Used with {@link trajectoryTolerance}.
 */
export function stepScale(
  p: LinearProblem,
  wMax: number,
  bMax: number,
  lr: number,
  lambda: number,
): number {
  const xMax = maxAbs(p.X);
  const A = p.d * xMax * wMax + bMax + maxAbs(p.y);
  return wMax + bMax + lr * ((xMax + 1) * A + lambda * wMax);
}

/**
 * Compares two SGD runs from the same start, both made on the backend under test: each may be off
 * the exact trajectory by the policy's bound for `steps` steps, so they may differ by twice it.
 */
export function compareTrajectories(
  meter: Meter,
  precision: "float32" | "float64",
  p: LinearProblem,
  run: { steps: number; lr: number; lambdaMax: number },
  got: { w: Float64Array; b: Float64Array },
  expected: { w: Float64Array; b: Float64Array },
  /** The column of a larger W that column l of these runs is (its own index by default). */
  columnOf: (l: number) => number = (l) => l,
  /** Names the run in a failure (a batch size, say), where one property makes several. */
  where?: string,
): void {
  const wMax = Math.max(maxAbs(p.w), maxAbs(expected.w));
  const bMax = Math.max(maxAbs(p.b), maxAbs(expected.b));
  const scale = stepScale(p, wMax, bMax, run.lr, run.lambdaMax);
  const tol = 2 * trajectoryTolerance(precision, run.steps, p.n + p.d + 4, scale);
  const L = p.L;
  const of = where === undefined ? "" : `, ${where}`;
  expected.w.forEach((v, i) =>
    meter.value(
      got.w[i] as number,
      v,
      tol,
      `w[${Math.floor(i / L)}, column ${columnOf(i % L)}]${of}`,
    ),
  );
  expected.b.forEach((v, l) =>
    meter.value(got.b[l] as number, v, tol, `b[column ${columnOf(l)}]${of}`),
  );
}
