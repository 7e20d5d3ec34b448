/**
 * Proximal gradient (ISTA) and its accelerated form (FISTA, Beck & Teboulle 2009) for the
 * elastic net, in float64 on the host: the smooth part `(1/n)Σ½r² + λ(1 − α)/2·‖w‖²` takes a
 * gradient step and the L1 part its proximal map, the soft threshold (identity 15).
 */
import type { Dataset } from "../data.js";
import { Rng } from "../random.js";
import {
  type ElasticNetFit,
  type ElasticNetOptions,
  residualKernel,
} from "./coordinate-descent.js";
import {
  type CenteredDesign,
  centerDataset,
  checkDataset,
  checkMaxIter,
  checkPenalty,
  checkTol,
  columnCorrelations,
  interceptFor,
  optimality,
  shrink,
} from "./internal.js";

/** Options of {@link elasticNetProx}. */
export interface ProximalGradientOptions extends ElasticNetOptions {
  /**
   * Step size η; default `1/L` with L the Lipschitz constant of the smooth part's gradient.
   * Convergence needs η ≤ 1/L with acceleration and η < 2/L without.
   */
  readonly lr?: number;
  /** FISTA momentum with adaptive restart (default true); false gives plain ISTA. */
  readonly accelerated?: boolean;
}

/** The result of {@link elasticNetProx}. */
export interface ProximalGradientFit extends ElasticNetFit {
  /** `‖G‖₂ / g₀` at the last step (see {@link elasticNetProx}); `converged` is `≤ tol`. */
  readonly mappingNorm: number;
  /** The step size used (0 when w = 0 was optimal from the start and no step was taken). */
  readonly lr: number;
  /** The estimate of L used for the default step: `σ²_max(Xc)/n + λ(1 − α)`. */
  readonly lipschitz: number;
}

/** Default tolerance of {@link elasticNetProx}, relative to the gradient's size at w = 0. */
export const PROX_DEFAULT_TOL = 1e-7;
/** Default step budget of {@link elasticNetProx}. */
export const PROX_DEFAULT_MAX_ITER = 100_000;

/**
 * Fits the elastic net by proximal gradient on centered data, then sets `b = ȳ − x̄ᵀw`.
 *
 * Step: `w ← S_{ηλα}(u − η(∇L(u) + λ(1 − α)u))`, with `∇L(u) = Xcᵀ(Xc·u − yc)/n`, `u = w` for
 * ISTA and the momentum point for FISTA. The momentum restarts (O'Donoghue & Candès 2015,
 * gradient scheme) whenever the step and the momentum disagree, which keeps FISTA's linear rate
 * on strongly convex problems. The default `η = 1/L`, `L = σ²_max(Xc)/n + λ(1 − α)`, with
 * σ²_max from power iteration on `XcᵀXc/n`, inflated by 1% (the Rayleigh quotient approaches
 * σ²_max from below) and clamped to `[max_j v_j, Σ_j v_j]`, bounds that always hold.
 *
 * Convergence criterion: the prox-gradient mapping `G = (u − w⁺)/η` satisfies
 * `‖G‖₂ ≤ tol·g₀`, with `g₀ = ‖Xcᵀyc‖_∞/n` the size of the data gradient at w = 0 (λ_max·α,
 * identity 16), so `tol` is unit-free. What it certifies: for η ≤ 1/L,
 * `G + ∇f(w⁺) − ∇f(u) ∈ ∂J(w⁺)`, hence `dist(0, ∂J(w⁺)) ≤ (1 + ηL)‖G‖₂ ≤ 2·tol·g₀`; every
 * KKT residual measured by `lassoKKT` is at most that. The returned weights are the prox output
 * `w⁺`, so their zeros are exact (+0).
 *
 * `iterations` counts gradient steps. A constant y or an all-constant design gives w = 0.
 *
 * @param data the training set (float64, row-major n×d)
 * @param options λ, α, `tol` (default {@link PROX_DEFAULT_TOL}), `maxIter` (default
 *   {@link PROX_DEFAULT_MAX_ITER}), `lr`, `accelerated`
 * @throws RangeError on malformed data, non-finite entries or out-of-range options
 */
export function elasticNetProx(
  data: Dataset,
  options: ProximalGradientOptions,
): ProximalGradientFit {
  checkDataset(data);
  const {
    lambda,
    alpha,
    tol = PROX_DEFAULT_TOL,
    maxIter = PROX_DEFAULT_MAX_ITER,
    accelerated = true,
  } = options;
  checkPenalty(lambda, alpha);
  checkTol(tol);
  checkMaxIter(maxIter);
  if (options.lr !== undefined && !(Number.isFinite(options.lr) && options.lr > 0)) {
    throw new RangeError(`lr must be a finite number > 0, got ${options.lr}`);
  }
  const c = centerDataset(data);
  const { n, d, cols, yc } = c;
  const l1 = lambda * alpha;
  const l2 = lambda * (1 - alpha);
  const lipschitz = gramSpectralNorm(c) + l2;
  const w = new Float64Array(d);

  const g0 = infinityNorm(columnCorrelations(c, yc));
  // Xcᵀyc = 0: w = 0 zeroes the smooth gradient, so it is optimal for every λ (and the
  // minimum-norm optimum at λ = 0); this also covers constant y and all-constant columns.
  if (g0 === 0 || lipschitz === 0) {
    return {
      weights: w,
      bias: interceptFor(c, w),
      iterations: 0,
      converged: true,
      mappingNorm: 0,
      kkt: 0,
      dualityGap: 0,
      lr: options.lr ?? 0,
      lipschitz,
    };
  }
  const lr = options.lr ?? 1 / lipschitz;
  const threshold = tol * g0;

  const u = new Float64Array(d); // the point the gradient is taken at (momentum point)
  const wNext = new Float64Array(d);
  const residual = new Float64Array(n);
  const grad = new Float64Array(d);
  let t = 1;
  let iterations = 0;
  let mapping = Number.POSITIVE_INFINITY;
  let converged = false;

  while (iterations < maxIter) {
    // residual = Xc·u − yc, skipping zero coordinates (sparse iterates are the common case).
    for (let i = 0; i < n; i++) residual[i] = -(yc[i] as number);
    for (let j = 0; j < d; j++) {
      const uj = u[j] as number;
      if (uj === 0) continue;
      const off = j * n;
      for (let i = 0; i < n; i++)
        residual[i] = (residual[i] as number) + uj * (cols[off + i] as number);
    }
    columnCorrelations(c, residual, grad);
    let sq = 0;
    for (let j = 0; j < d; j++) {
      const uj = u[j] as number;
      const next = shrink(uj - lr * ((grad[j] as number) + l2 * uj), lr * l1);
      wNext[j] = next;
      sq += (uj - next) ** 2;
    }
    iterations++;
    mapping = Math.sqrt(sq) / lr;
    if (mapping <= threshold) {
      converged = true;
      w.set(wNext);
      break;
    }
    if (accelerated) {
      // Restart when the step (w⁺ − u) points against the progress (w⁺ − w): momentum is
      // overshooting, and dropping it restores monotone progress.
      let agreement = 0;
      for (let j = 0; j < d; j++) {
        agreement +=
          ((u[j] as number) - (wNext[j] as number)) * ((wNext[j] as number) - (w[j] as number));
      }
      const tNext = agreement > 0 ? 1 : (1 + Math.sqrt(1 + 4 * t * t)) / 2;
      const beta = agreement > 0 ? 0 : (t - 1) / tNext;
      for (let j = 0; j < d; j++) {
        const next = wNext[j] as number;
        u[j] = next + beta * (next - (w[j] as number));
      }
      t = tNext;
    } else {
      u.set(wNext);
    }
    w.set(wNext);
  }
  // The same measures as coordinate descent reports, from a fresh gradient at the returned w.
  const measured = optimality(residualKernel(c), w, grad, l1, l2);
  return {
    weights: w,
    bias: interceptFor(c, w),
    iterations,
    converged,
    mappingNorm: mapping / g0,
    kkt: measured.kkt / g0,
    dualityGap: c.yScale > 0 ? measured.gap / c.yScale : 0,
    lr,
    lipschitz,
  };
}

function infinityNorm(a: Float64Array): number {
  let m = 0;
  for (const v of a) if (Math.abs(v) > m) m = Math.abs(v);
  return m;
}

/**
 * An upper estimate of `σ²_max(Xc)/n`, the largest eigenvalue of `XcᵀXc/n`, by power iteration
 * from a fixed-seed start (deterministic results run to run). The Rayleigh quotient converges from
 * below, so the estimate is inflated by 1% and then clamped to the bounds
 * `max_j v_j ≤ σ²_max/n ≤ trace = Σ_j v_j`.
 */
function gramSpectralNorm(c: CenteredDesign): number {
  const { n, d, cols, colScale } = c;
  let trace = 0;
  let diagMax = 0;
  for (const v of colScale) {
    trace += v;
    if (v > diagMax) diagMax = v;
  }
  if (trace === 0) return 0;
  const v = new Rng(0x5eed).fillNormal(new Float64Array(d));
  const xv = new Float64Array(n);
  const next = new Float64Array(d);
  let estimate = 0;
  for (let k = 0; k < 1000; k++) {
    let norm = 0;
    for (const x of v) norm += x * x;
    norm = Math.sqrt(norm);
    if (norm === 0) break;
    for (let j = 0; j < d; j++) v[j] = (v[j] as number) / norm;
    xv.fill(0);
    for (let j = 0; j < d; j++) {
      const vj = v[j] as number;
      const off = j * n;
      for (let i = 0; i < n; i++) xv[i] = (xv[i] as number) + vj * (cols[off + i] as number);
    }
    columnCorrelations(c, xv, next);
    let rayleigh = 0;
    for (let j = 0; j < d; j++) rayleigh += (v[j] as number) * (next[j] as number);
    v.set(next);
    const settled = Math.abs(rayleigh - estimate) <= 1e-10 * rayleigh;
    estimate = rayleigh;
    if (settled) break;
  }
  return Math.min(trace, Math.max(diagMax, 1.01 * estimate));
}
