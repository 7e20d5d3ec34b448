/**
 * Cyclic coordinate descent for the elastic net (Friedman, Hastie & Tibshirani 2010, "glmnet"),
 * in float64 on the host. Objective (the project's convention, identity 17):
 * `J(w, b) = (1/n) Σ ½(wᵀxᵢ + b − yᵢ)² + λ·[(1 − α)/2·‖w‖² + α‖w‖₁]`, bias not penalized.
 *
 * Two ways to keep the gradient, as glmnet has ("naive" and "covariance" updates), behind one
 * driver: with d ≤ n the rows are read once into their centered moments and every coordinate
 * step costs O(d) (`gramKernel`); with d > n the residual is kept and a step costs O(n)
 * (`residualKernel`). Both minimize the same J exactly in each coordinate.
 */
import type { Dataset } from "../data.js";
import type { LinearModel } from "../ridge.js";
import {
  type CenteredDesign,
  centerDataset,
  checkDataset,
  checkMaxIter,
  checkPenalty,
  checkTol,
  initialWeights,
  optimality,
  shrink,
} from "./internal.js";
import { type Moments, momentsOf } from "./moments.js";

/** The penalty and stopping rule shared by the elastic-net solvers. */
export interface ElasticNetOptions {
  /** Penalty strength λ ≥ 0. */
  readonly lambda: number;
  /** Mixing α ∈ [0, 1]: 0 is ridge, 1 is lasso. */
  readonly alpha: number;
  /** Convergence tolerance; each solver states what it measures. */
  readonly tol?: number;
  /** Most iterations (passes for coordinate descent, steps for proximal gradient). */
  readonly maxIter?: number;
}

/** Options of {@link elasticNetCD}. */
export interface CoordinateDescentOptions extends ElasticNetOptions {
  /** Initial weights (length d), e.g. the solution at a nearby λ; zeros by default. */
  readonly warmStart?: ArrayLike<number>;
}

/** A fitted elastic net, how the solver got there, and how close to optimal it is. */
export interface ElasticNetFit extends LinearModel {
  /** Iterations used (see each solver for its unit). */
  readonly iterations: number;
  /** Whether the stopping rule was met within `maxIter`; if false the weights are the last iterate. */
  readonly converged: boolean;
  /**
   * The largest KKT residual of the returned weights (as `lassoKKT` defines it, evaluated on
   * the solver's centered data) divided by `g₀ = ‖Xcᵀyc‖_∞/n`, the data gradient at w = 0: 0 at
   * the exact solution, unit-free.
   */
  readonly kkt: number;
  /**
   * The duality gap of the returned weights divided by `var(y) = ‖yc‖²/n`: `J(w) − D(θ) ≥ J(w) − J*`
   * for the dual point θ built from the residual (see `optimality`). scikit-learn's
   * ElasticNet/Lasso stop when this is below their `tol`.
   */
  readonly dualityGap: number;
}

/** The result of {@link elasticNetCD}. */
export interface CoordinateDescentFit extends ElasticNetFit {
  /** Which gradient bookkeeping ran: moments (d ≤ n, d ≤ {@link GRAM_MAX_FEATURES}) or residual. */
  readonly updates: "covariance" | "naive";
}

/** Default tolerance of {@link elasticNetCD}: the relative KKT residual {@link ElasticNetFit.kkt}. */
export const CD_DEFAULT_TOL = 1e-7;
/** Default pass budget of {@link elasticNetCD} (glmnet's `maxit`). */
export const CD_DEFAULT_MAX_ITER = 100_000;
/**
 * Above this many features the d×d moments cost more memory than they save (glmnet's own
 * switch from covariance to naive updates is at 500 variables).
 */
export const GRAM_MAX_FEATURES = 500;

/**
 * What the driver needs from a way of keeping the gradient. `pass` is the hot loop; the driver
 * calls it once per pass, so the two implementations cost no dispatch in the inner loops.
 *
 * @internal
 */
export interface CdKernel {
  readonly d: number;
  /** `v_j = ‖xc_j‖²/n`; exactly 0 for a constant column. */
  readonly colScale: Float64Array;
  /** `g₀ = ‖Xcᵀyc‖_∞/n`. */
  readonly g0: number;
  /** `‖yc‖²/n`. */
  readonly yy: number;
  readonly xMean: Float64Array;
  readonly yMean: number;
  /** Brings the kept gradient or residual in line with `w` (after a warm start, or to drop drift). */
  load(w: Float64Array): void;
  /**
   * One cyclic pass over `coords[0, count)`, updating `w` and the kept state; returns the
   * largest `√v_j·|Δw_j|`, the RMS change of the fit caused by one step.
   */
  pass(coords: Int32Array, count: number, w: Float64Array, l1: number, l2: number): number;
  /**
   * The exact data gradient `c = Xcᵀ(yc − Xc·w)/n` into `out`, recomputed from scratch (so no
   * drift of the kept state reaches the convergence test), with `rr = ‖r‖²/n` and `ry = rᵀyc/n`.
   */
  gradient(w: Float64Array, out: Float64Array): { rr: number; ry: number };
}

/** The column-at-a-time kernel: keeps the residual `r = yc − Xc·w` (glmnet's naive updates). */
export function residualKernel(c: CenteredDesign): CdKernel {
  const { n, d, cols, yc, colScale } = c;
  const colSd = colScale.map(Math.sqrt);
  const r = new Float64Array(n);
  let g0 = 0;
  for (let j = 0; j < d; j++) {
    const off = j * n;
    let dot = 0;
    for (let i = 0; i < n; i++) dot += (cols[off + i] as number) * (yc[i] as number);
    g0 = Math.max(g0, Math.abs(dot / n));
  }
  const load = (w: Float64Array) => {
    r.set(yc);
    for (let j = 0; j < d; j++) {
      const wj = w[j] as number;
      if (wj === 0) continue;
      const off = j * n;
      for (let i = 0; i < n; i++) r[i] = (r[i] as number) - wj * (cols[off + i] as number);
    }
  };
  return {
    d,
    colScale,
    g0,
    yy: c.yScale,
    xMean: c.xMean,
    yMean: c.yMean,
    load,
    pass(coords, count, w, l1, l2) {
      let maxChange = 0;
      for (let k = 0; k < count; k++) {
        const j = coords[k] as number;
        const v = colScale[j] as number;
        if (v === 0) continue;
        const off = j * n;
        let dot = 0;
        for (let i = 0; i < n; i++) dot += (cols[off + i] as number) * (r[i] as number);
        const wOld = w[j] as number;
        const delta = shrink(dot / n + v * wOld, l1) / (v + l2) - wOld;
        if (delta === 0) continue;
        w[j] = wOld + delta;
        for (let i = 0; i < n; i++) r[i] = (r[i] as number) - delta * (cols[off + i] as number);
        const change = (colSd[j] as number) * Math.abs(delta);
        if (change > maxChange) maxChange = change;
      }
      return maxChange;
    },
    gradient(w, out) {
      load(w);
      let rr = 0;
      let ry = 0;
      for (let i = 0; i < n; i++) {
        rr += (r[i] as number) * (r[i] as number);
        ry += (r[i] as number) * (yc[i] as number);
      }
      for (let j = 0; j < d; j++) {
        const off = j * n;
        let dot = 0;
        for (let i = 0; i < n; i++) dot += (cols[off + i] as number) * (r[i] as number);
        out[j] = dot / n;
      }
      return { rr: rr / n, ry: ry / n };
    },
  };
}

/**
 * The covariance kernel: keeps the gradient `c = q − Gw` with `G = Sxx/n`, `q = Sxy/n` (glmnet's
 * covariance updates); a step on w_j changes c by `−G[:, j]·Δw_j`, O(d) whatever n is.
 */
export function gramKernel(m: Moments): CdKernel {
  const { n, d } = m;
  const G = m.sxx.map((s) => s / n);
  const q = m.sxy.map((s) => s / n);
  const colScale = new Float64Array(d);
  for (let j = 0; j < d; j++) colScale[j] = G[j * d + j] as number;
  const colSd = colScale.map(Math.sqrt);
  let g0 = 0;
  for (const v of q) g0 = Math.max(g0, Math.abs(v));
  const yy = m.syy / n;
  const grad = new Float64Array(d);
  const load = (w: Float64Array) => {
    grad.set(q);
    for (let l = 0; l < d; l++) {
      const wl = w[l] as number;
      if (wl === 0) continue;
      const base = l * d;
      for (let j = 0; j < d; j++) grad[j] = (grad[j] as number) - (G[base + j] as number) * wl;
    }
  };
  return {
    d,
    colScale,
    g0,
    yy,
    xMean: m.xMean,
    yMean: m.yMean,
    load,
    pass(coords, count, w, l1, l2) {
      let maxChange = 0;
      for (let k = 0; k < count; k++) {
        const j = coords[k] as number;
        const v = colScale[j] as number;
        if (v === 0) continue;
        const wOld = w[j] as number;
        const delta = shrink((grad[j] as number) + v * wOld, l1) / (v + l2) - wOld;
        if (delta === 0) continue;
        w[j] = wOld + delta;
        const base = j * d;
        for (let l = 0; l < d; l++) grad[l] = (grad[l] as number) - (G[base + l] as number) * delta;
        const change = (colSd[j] as number) * Math.abs(delta);
        if (change > maxChange) maxChange = change;
      }
      return maxChange;
    },
    gradient(w, out) {
      load(w);
      out.set(grad);
      // ‖r‖²/n = yy − 2qᵀw + wᵀGw and wᵀGw = qᵀw − wᵀc, so ‖r‖²/n = yy − qᵀw − wᵀc.
      let qw = 0;
      let wc = 0;
      for (let j = 0; j < d; j++) {
        qw += (q[j] as number) * (w[j] as number);
        wc += (w[j] as number) * (grad[j] as number);
      }
      return { rr: Math.max(0, yy - qw - wc), ry: yy - qw };
    },
  };
}

/** The most active-set passes between two convergence tests (see {@link solveCD}). */
const ACTIVE_ROUND = 32;

/** Whether {@link elasticNetCD} and the path read `data` into moments (covariance updates). */
export function usesCovarianceUpdates(n: number, d: number): boolean {
  return d <= n && d <= GRAM_MAX_FEATURES;
}

/** The kernel {@link elasticNetCD} uses for `data` (already checked). @internal */
export function kernelFor(data: Dataset): CdKernel {
  return usesCovarianceUpdates(data.n, data.d)
    ? gramKernel(momentsOf(data))
    : residualKernel(centerDataset(data));
}

/** What {@link solveCD} returns besides the weights it updates in place. @internal */
export interface CdRun {
  readonly iterations: number;
  readonly converged: boolean;
  readonly kkt: number;
  readonly dualityGap: number;
  /** The data gradient at the returned weights (for the next λ's screening). */
  readonly gradient: Float64Array;
}

/**
 * The driver: cycles over the eligible coordinates until the KKT residual of **every**
 * coordinate, computed from a fresh gradient, is at most `tol·g₀`.
 *
 * Passes: a pass over the eligible set, then the convergence test (a fresh gradient), then
 * passes over the nonzero ("active") coordinates until they settle, and again (glmnet's
 * active-set strategy: the zero set rarely changes once found, and active passes are cheaper).
 * `eligible` (strong-rule screening, see the path) restricts the first kind of pass; an
 * ineligible coordinate that violates its KKT condition joins the set, so screening can cost
 * passes but never correctness. `iterations` counts passes of either kind.
 *
 * Special cases: a constant column (`v_j = 0`) cannot change the loss, so its weight is exactly
 * 0 (the minimum-norm choice even at λ = 0); when `g₀ = 0` (Xcᵀyc = 0, e.g. a constant y) w = 0
 * is optimal for every λ and is returned at once.
 *
 * @internal
 */
export function solveCD(
  kernel: CdKernel,
  lambda: number,
  alpha: number,
  tol: number,
  maxIter: number,
  w: Float64Array,
  eligible?: Uint8Array,
): CdRun {
  const { d, colScale, g0 } = kernel;
  const gradient = new Float64Array(d);
  if (g0 === 0) {
    w.fill(0);
    return { iterations: 0, converged: true, kkt: 0, dualityGap: 0, gradient };
  }
  const l1 = lambda * alpha;
  const l2 = lambda * (1 - alpha);
  const tolAbs = tol * g0;
  let maxSd = 0;
  for (let j = 0; j < d; j++) {
    if ((colScale[j] as number) === 0) w[j] = 0;
    maxSd = Math.max(maxSd, Math.sqrt(colScale[j] as number));
  }
  kernel.load(w);
  const inSet = new Uint8Array(d);
  const set = new Int32Array(d);
  let setCount = 0;
  for (let j = 0; j < d; j++) {
    if ((colScale[j] as number) > 0 && (eligible === undefined || eligible[j] || w[j] !== 0)) {
      inSet[j] = 1;
      set[setCount++] = j;
    }
  }
  const active = new Int32Array(d);
  let iterations = 0;
  let report = optimality(kernel, w, gradient, l1, l2);
  // A warm start (or w = 0 at λ ≥ λ_max) may already meet the criterion.
  if (report.kkt <= tolAbs)
    return { iterations, converged: true, ...scaled(report, kernel), gradient };
  while (iterations < maxIter) {
    kernel.pass(set, setCount, w, l1, l2);
    iterations++;
    report = optimality(kernel, w, gradient, l1, l2);
    if (report.kkt <= tolAbs)
      return { iterations, converged: true, ...scaled(report, kernel), gradient };
    // Screening misses: a coordinate left out whose KKT condition fails joins the set.
    for (let j = 0; j < d; j++) {
      if (!inSet[j] && (colScale[j] as number) > 0 && (report.violations[j] as number) > tolAbs) {
        inSet[j] = 1;
        set[setCount++] = j;
      }
    }
    let count = 0;
    for (let k = 0; k < setCount; k++)
      if (w[set[k] as number] !== 0) active[count++] = set[k] as number;
    if (count === 0) continue;
    // A pass whose steps all moved the fit by less than this leaves every KKT residual within
    // about tolAbs (|G_jk·Δw_k| ≤ √v_j·√v_k|Δw_k|, summed over the active set).
    const settle = tolAbs / (maxSd * count);
    // At most ACTIVE_ROUND passes before the next full pass and test: on an ill-conditioned
    // problem the settle threshold can take far longer to reach than the KKT test.
    for (let round = 0; round < ACTIVE_ROUND && iterations < maxIter; round++) {
      const change = kernel.pass(active, count, w, l1, l2);
      iterations++;
      if (change <= settle) break;
    }
  }
  report = optimality(kernel, w, gradient, l1, l2);
  return { iterations, converged: report.kkt <= tolAbs, ...scaled(report, kernel), gradient };
}

function scaled(
  report: { kkt: number; gap: number },
  kernel: CdKernel,
): { kkt: number; dualityGap: number } {
  return { kkt: report.kkt / kernel.g0, dualityGap: report.gap / kernel.yy };
}

/**
 * Fits the elastic net by cyclic coordinate descent on centered data, then sets
 * `b = ȳ − x̄ᵀw`.
 *
 * Update (glmnet's, with `v_j = ‖xc_j‖²/n` and `c_j` the data gradient `(1/n)·xc_jᵀ(yc − Xc·w)`):
 * `w_j ← S_{λα}(c_j + v_j·w_j) / (v_j + λ(1 − α))`. Each update minimizes J exactly in w_j, so
 * J never increases, and the soft threshold gives exact zeros (+0). With d ≤ n (and d ≤
 * {@link GRAM_MAX_FEATURES}) the rows are read once into centered moments and c is kept from
 * them (covariance updates); otherwise the residual is kept.
 *
 * Convergence criterion, checked on a gradient recomputed from scratch after every pass over the
 * eligible coordinates: the largest KKT residual (`lassoKKT`'s, on the centered data) is at most
 * `tol·g₀`, `g₀ = ‖Xcᵀyc‖_∞/n`. It is reported as `kkt` (relative to g₀) with the relative
 * duality gap. What it certifies: with `μ` the smallest eigenvalue of `XcᵀXc/n` plus λ(1 − α),
 * `‖w − w*‖ ≤ √d·tol·g₀/μ` (strong convexity), and `J(w) − J* ≤ dualityGap·var(y)`.
 *
 * λ = 0 is allowed: it is least squares, whose solution is not unique when d > n or columns are
 * collinear; the solver then reports `converged: false` if it has not met the criterion within
 * `maxIter`.
 *
 * @param data the training set (float64, row-major n×d)
 * @param options λ, α, `tol` (default {@link CD_DEFAULT_TOL}), `maxIter` in passes (default
 *   {@link CD_DEFAULT_MAX_ITER}), `warmStart`
 * @throws RangeError on malformed data, non-finite entries or out-of-range options
 */
export function elasticNetCD(
  data: Dataset,
  options: CoordinateDescentOptions,
): CoordinateDescentFit {
  checkDataset(data);
  const { lambda, alpha, tol = CD_DEFAULT_TOL, maxIter = CD_DEFAULT_MAX_ITER } = options;
  checkPenalty(lambda, alpha);
  checkTol(tol);
  checkMaxIter(maxIter);
  const w = initialWeights(data.d, options.warmStart);
  const kernel = kernelFor(data);
  const { gradient: _, ...run } = solveCD(kernel, lambda, alpha, tol, maxIter, w);
  return {
    weights: w,
    bias: interceptOf(kernel, w),
    ...run,
    updates: usesCovarianceUpdates(data.n, data.d) ? "covariance" : "naive",
  };
}

/** `b = ȳ − x̄ᵀw`, the intercept that goes with weights fitted on centered data. @internal */
export function interceptOf(k: Pick<CdKernel, "xMean" | "yMean">, w: ArrayLike<number>): number {
  let b = k.yMean;
  for (let j = 0; j < w.length; j++) b -= (k.xMean[j] as number) * (w[j] as number);
  return b;
}
