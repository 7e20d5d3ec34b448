/**
 * Cyclic coordinate descent for the elastic net (Friedman, Hastie & Tibshirani 2010, "glmnet"),
 * in float64 on the host. Objective (the project's convention, identity 17):
 * `J(w, b) = (1/n) Σ ½(wᵀxᵢ + b − yᵢ)² + λ·[(1 − α)/2·‖w‖² + α‖w‖₁]`, bias not penalized.
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
  interceptFor,
  shrink,
} from "./internal.js";

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

/** A fitted elastic net and how the solver got there. */
export interface ElasticNetFit extends LinearModel {
  /** Iterations used (see each solver for its unit). */
  readonly iterations: number;
  /** Whether the stopping rule was met within `maxIter`; if false the weights are the last iterate. */
  readonly converged: boolean;
}

/** The result of {@link elasticNetCD}. */
export interface CoordinateDescentFit extends ElasticNetFit {
  /**
   * The convergence measure of the last full pass, `max_j √v_j·|Δw_j| / sd(y)` (see
   * {@link elasticNetCD}); `converged` is `maxChange ≤ tol`.
   */
  readonly maxChange: number;
}

/** Default tolerance of {@link elasticNetCD}: relative RMS change of the fit per coordinate step. */
export const CD_DEFAULT_TOL = 1e-7;
/** Default pass budget of {@link elasticNetCD} (glmnet's `maxit`). */
export const CD_DEFAULT_MAX_ITER = 100_000;

/**
 * Fits the elastic net by cyclic coordinate descent on centered data, then sets
 * `b = ȳ − x̄ᵀw`.
 *
 * Update (glmnet's, with `v_j = ‖xc_j‖²/n` and `r` the current residual `yc − Xc·w`):
 * `w_j ← S_{λα}((1/n)·xc_jᵀr + v_j·w_j) / (v_j + λ(1 − α))`; the argument of S is
 * `(1/n)·xc_jᵀr_j` for the partial residual `r_j = r + xc_j·w_j`. Each update minimizes J
 * exactly in w_j, so J never increases, and the soft threshold gives exact zeros (+0).
 *
 * Passes: a full cycle over all d coordinates, then cycles over the nonzero ("active")
 * coordinates until they settle, then another full cycle, and so on (glmnet's active-set
 * strategy: the zero set rarely changes once found, and active cycles are cheaper).
 * `iterations` counts passes of either kind.
 *
 * Convergence criterion: a **full** pass in which every coordinate moved by
 * `√v_j·|Δw_j| ≤ tol·sd(y)`, where `sd(y) = ‖yc‖/√n`. `√v_j·|Δw_j|` is the RMS change of the
 * fitted values caused by that coordinate's update (glmnet's criterion `max v_j·Δw_j² < thresh`
 * on standardized y is the square of this; `tol = 1e-7` here corresponds to glmnet's `1e-14`).
 * What it certifies: coordinate j was exactly optimal when it was updated and only the later
 * updates of that pass disturb it, so (Cauchy–Schwarz) every KKT residual of the elastic net
 * (as measured by `lassoKKT`) is at most `√v_j·(d − 1)·tol·sd(y)`, up to rounding.
 *
 * Special cases: a constant column (`v_j = 0`) has no effect on the loss, so its weight stays
 * exactly 0 (the minimum-norm choice even at λ = 0); a constant y gives w = 0. λ = 0 is allowed:
 * it is least squares, whose solution is not unique when d > n or columns are collinear; the
 * solver then reports `converged: false` if it has not met the criterion within `maxIter`.
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
  const c = centerDataset(data);
  const run = coordinateDescentCentered(c, lambda, alpha, tol, maxIter, w);
  return { weights: w, bias: interceptFor(c, w), ...run };
}

/**
 * The solver proper on an already centered design, updating `w` in place (used by the path so
 * that centering happens once). Arguments must already be checked.
 *
 * @internal
 */
export function coordinateDescentCentered(
  c: CenteredDesign,
  lambda: number,
  alpha: number,
  tol: number,
  maxIter: number,
  w: Float64Array,
): { iterations: number; converged: boolean; maxChange: number } {
  const { n, d, cols, yc, colScale } = c;
  // A constant y is fitted exactly by the intercept; w = 0 is then optimal for every λ ≥ 0
  // (and the minimum-norm optimum at λ = 0), and the relative criterion below would divide by 0.
  if (c.yScale === 0) {
    w.fill(0);
    return { iterations: 0, converged: true, maxChange: 0 };
  }
  const l1 = lambda * alpha;
  const l2 = lambda * (1 - alpha);
  const sdY = Math.sqrt(c.yScale);
  const threshold = tol * sdY;
  const colSd = colScale.map(Math.sqrt);

  const r = Float64Array.from(yc);
  for (let j = 0; j < d; j++) {
    const v = colScale[j] as number;
    // A constant column cannot change the loss; pin its weight to 0 rather than keep a warm
    // start's arbitrary value (the penalty alone would send it to 0 anyway when λ > 0).
    if (v === 0) w[j] = 0;
    const wj = w[j] as number;
    if (wj === 0) continue;
    const off = j * n;
    for (let i = 0; i < n; i++) r[i] = (r[i] as number) - wj * (cols[off + i] as number);
  }

  const all = new Int32Array(d);
  for (let j = 0; j < d; j++) all[j] = j;
  const active = new Int32Array(d);

  /** One cyclic pass over `coords[0, count)`; returns the largest √v_j·|Δw_j|. */
  const pass = (coords: Int32Array, count: number): number => {
    let maxChange = 0;
    for (let k = 0; k < count; k++) {
      const j = coords[k] as number;
      const v = colScale[j] as number;
      if (v === 0) continue;
      const off = j * n;
      // Same expression, same order as columnCorrelations, so λ_max gives exact zeros.
      let dot = 0;
      for (let i = 0; i < n; i++) dot += (cols[off + i] as number) * (r[i] as number);
      const wOld = w[j] as number;
      const wNew = shrink(dot / n + v * wOld, l1) / (v + l2);
      const delta = wNew - wOld;
      if (delta === 0) continue;
      w[j] = wNew;
      for (let i = 0; i < n; i++) r[i] = (r[i] as number) - delta * (cols[off + i] as number);
      const change = (colSd[j] as number) * Math.abs(delta);
      if (change > maxChange) maxChange = change;
    }
    return maxChange;
  };

  let iterations = 0;
  let lastFull = Number.POSITIVE_INFINITY;
  while (iterations < maxIter) {
    lastFull = pass(all, d);
    iterations++;
    if (lastFull <= threshold) return { iterations, converged: true, maxChange: lastFull / sdY };
    let count = 0;
    for (let j = 0; j < d; j++) if ((w[j] as number) !== 0) active[count++] = j;
    while (iterations < maxIter) {
      const change = pass(active, count);
      iterations++;
      if (change <= threshold) break;
    }
  }
  return { iterations, converged: false, maxChange: lastFull / sdY };
}
