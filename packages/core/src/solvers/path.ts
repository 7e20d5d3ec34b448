/**
 * Regularization paths: elastic-net fits over a decreasing grid of λ with warm starts, as
 * glmnet computes them. A path is what cross-validation and the 1-SE rule (identity 18) select
 * from, and how the chapter's "weight decay strength" is swept.
 */
import type { Dataset } from "../data.js";
import { ridgeClosedForm } from "../ridge.js";
import {
  CD_DEFAULT_MAX_ITER,
  CD_DEFAULT_TOL,
  type CdKernel,
  gramKernel,
  interceptOf,
  residualKernel,
  solveCD,
  usesCovarianceUpdates,
} from "./coordinate-descent.js";
import { centerDataset, checkDataset, checkMaxIter, checkPenalty, checkTol } from "./internal.js";
import { type Moments, momentsOf } from "./moments.js";
import { ridgePathDual, ridgePathFromMoments } from "./ridge-path.js";

/**
 * The smallest α used to size the grid (glmnet's convention): at α = 0 no finite λ gives
 * w = 0, so a ridge path starts at the λ_max of an elastic net with α = 0.001, i.e. 1000 times
 * the lasso's λ_max, where ridge has shrunk w to a small fraction of its least-squares size.
 */
export const PATH_MIN_ALPHA = 1e-3;

/** Options of {@link regularizationPath}. */
export interface PathOptions {
  /** Mixing α ∈ [0, 1] (default 1, the lasso). */
  readonly alpha?: number;
  /** Grid size (default 100). Ignored when `lambdas` is given. */
  readonly nLambda?: number;
  /**
   * `λ_min/λ_max` of the grid, in (0, 1]; default (glmnet's) 1e-4 when n > d, else 1e-2, since
   * with d ≥ n small λ interpolates the data and the fits stop changing meaningfully.
   */
  readonly lambdaMinRatio?: number;
  /** Explicit λ values ≥ 0, in any order; they replace the grid and are returned in this order. */
  readonly lambdas?: ArrayLike<number>;
  /** Coordinate-descent tolerance for each λ (see `elasticNetCD`). */
  readonly tol?: number;
  /** Coordinate-descent pass budget for each λ. */
  readonly maxIter?: number;
  /** Called after each λ is solved, with how many of the path's λ are done (for progress bars). */
  readonly onLambda?: (done: number, total: number) => void;
}

/** Fits along a path; entry k of every array belongs to `lambdas[k]`. */
export interface RegularizationPath {
  readonly alpha: number;
  /** λ_max of the data (see {@link lambdaMax}), the start of the default grid. */
  readonly lambdaMax: number;
  readonly lambdas: Float64Array;
  readonly weights: Float64Array[];
  readonly biases: Float64Array;
  /** Coordinate-descent passes per λ (0 for the closed-form ridge path). */
  readonly iterations: Int32Array;
  readonly converged: boolean[];
  /** Relative KKT residual per λ (`ElasticNetFit.kkt`; 0 for the exact ridge path). */
  readonly kkt: Float64Array;
  /** Relative duality gap per λ (`ElasticNetFit.dualityGap`; 0 for the exact ridge path). */
  readonly dualityGap: Float64Array;
}

/**
 * λ_max of the elastic net: `‖Xcᵀyc‖_∞/(n·α)`, the smallest λ at which w = 0 (identity 16 for
 * α = 1); for α below {@link PATH_MIN_ALPHA} (ridge included, where no finite λ zeroes w) it uses
 * that α instead, as glmnet does. For α ≥ PATH_MIN_ALPHA the value is rounded up, if needed, so
 * that `λ_max·α` is not below any correlation in floating point: `elasticNetCD` at λ_max then
 * returns exact zeros. It is 0 when Xcᵀyc = 0 (w = 0 is then optimal at every λ).
 *
 * @throws RangeError on malformed data or α outside [0, 1]
 */
export function lambdaMax(data: Dataset, alpha = 1): number {
  checkDataset(data);
  checkPenalty(0, alpha);
  return lambdaMaxOf(sourceOf(data).kernel, alpha);
}

function lambdaMaxOf(kernel: CdKernel, alpha: number): number {
  // g₀ = ‖Xcᵀyc‖_∞/n is exactly the gradient coordinate descent sees at w = 0.
  const top = kernel.g0;
  const a = Math.max(alpha, PATH_MIN_ALPHA);
  let lmax = top / a;
  // Division then multiplication can land one ulp low; coordinate descent compares
  // |correlation| with lambda·alpha, so step up until that product clears every correlation.
  while (lmax * a < top) lmax *= 1 + Number.EPSILON;
  return lmax;
}

/**
 * `count` values log-spaced from `top` down to `top·ratio`, largest first. k = 0 gives
 * exp(0) = 1 exactly, so the grid starts at `top` itself (exact zeros at λ_max).
 *
 * @internal
 */
export function logGrid(top: number, count: number, ratio: number): Float64Array {
  const logRatio = Math.log(ratio);
  const out = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    out[k] = top * (count === 1 ? 1 : Math.exp((k / (count - 1)) * logRatio));
  }
  return out;
}

/** {@link lambdaMax} of the rows the moments summarize. @internal */
export function lambdaMaxFromMoments(m: Moments, alpha: number): number {
  return lambdaMaxOf(momentsSource(m).kernel, alpha);
}

/** The kernel a path runs on, and how it solves ridge for all λ at once. */
interface PathSource {
  readonly kernel: CdKernel;
  readonly n: number;
  readonly d: number;
  ridge(lambdas: Float64Array): Float64Array[];
}

/** Jacobi on an m×m matrix costs ~10·m³; above this the per-λ closed form is cheaper. */
const EIGEN_MAX_SIZE = 500;

function sourceOf(data: Dataset): PathSource {
  const { n, d } = data;
  if (usesCovarianceUpdates(n, d)) return momentsSource(momentsOf(data));
  const c = centerDataset(data);
  return {
    kernel: residualKernel(c),
    n,
    d,
    ridge: (lambdas) =>
      n <= EIGEN_MAX_SIZE
        ? ridgePathDual(c, lambdas)
        : Array.from(lambdas, (l) => ridgeClosedForm(data, l).weights),
  };
}

function momentsSource(m: Moments): PathSource {
  return {
    kernel: gramKernel(m),
    n: m.n,
    d: m.d,
    ridge: (lambdas) => ridgePathFromMoments(m, lambdas),
  };
}

/**
 * The elastic net along a path of λ, largest first, each fit warm-started from the previous
 * one (the solutions move little between neighbouring λ, so each costs a few passes).
 *
 * The default grid is `nLambda` values log-spaced from {@link lambdaMax} down to
 * `lambdaMinRatio·λ_max`. When Xcᵀyc = 0 (e.g. constant y, or n = 1) λ_max is 0 and every fit
 * is w = 0, b = ȳ, whatever α; the grid is then anchored at λ = 1 instead so that it stays
 * positive.
 *
 * How: with d ≤ n the rows are read once into their centered moments and every λ costs O(d²)
 * per pass (covariance updates); otherwise the residual is kept. Each λ is screened by the
 * sequential strong rule (Tibshirani et al. 2012): coordinate j starts outside the working set
 * when `|c_j(λ_prev)| < α(2λ − λ_prev)`, c the data gradient at the previous solution; the
 * convergence test checks the KKT conditions of every coordinate, and a violator joins the set,
 * so screening never changes the answer. `tol` and `maxIter` are `elasticNetCD`'s, for each λ;
 * a λ that did not converge is reported in `converged` and the path goes on.
 *
 * α = 0 (pure ridge) is solved exactly at every λ from one eigendecomposition (of `XcᵀXc/n`, or
 * of `XcXcᵀ/n` when d > n); λ = 0 throws when that matrix is singular to working precision
 * (always so for d ≥ n, as centering leaves rank ≤ n − 1).
 *
 * @throws RangeError on malformed data or options
 */
export function regularizationPath(data: Dataset, options: PathOptions = {}): RegularizationPath {
  checkDataset(data);
  return pathOn(sourceOf(data), options);
}

/**
 * {@link regularizationPath} on data summarized by their moments (covariance updates; used by
 * cross-validation, which builds each training part's moments from its folds').
 *
 * @internal
 */
export function pathFromMoments(m: Moments, options: PathOptions = {}): RegularizationPath {
  return pathOn(momentsSource(m), options);
}

function pathOn(source: PathSource, options: PathOptions): RegularizationPath {
  const { kernel, n, d } = source;
  const {
    alpha = 1,
    nLambda = 100,
    lambdaMinRatio = n > d ? 1e-4 : 1e-2,
    tol = CD_DEFAULT_TOL,
    maxIter = CD_DEFAULT_MAX_ITER,
  } = options;
  checkPenalty(0, alpha);
  checkTol(tol);
  checkMaxIter(maxIter);
  const lmax = lambdaMaxOf(kernel, alpha);

  let lambdas: Float64Array;
  if (options.lambdas !== undefined) {
    lambdas = Float64Array.from(options.lambdas);
    if (lambdas.length === 0) throw new RangeError("lambdas must not be empty");
    for (const l of lambdas) checkPenalty(l, alpha);
  } else {
    if (!(Number.isSafeInteger(nLambda) && nLambda >= 1)) {
      throw new RangeError(`nLambda must be an integer ≥ 1, got ${nLambda}`);
    }
    if (!(lambdaMinRatio > 0 && lambdaMinRatio <= 1)) {
      throw new RangeError(`lambdaMinRatio must lie in (0, 1], got ${lambdaMinRatio}`);
    }
    lambdas = logGrid(lmax > 0 ? lmax : 1, nLambda, lambdaMinRatio);
  }

  const m = lambdas.length;
  const weights: Float64Array[] = new Array(m);
  const biases = new Float64Array(m);
  const iterations = new Int32Array(m);
  const converged: boolean[] = new Array(m).fill(true);
  const kkt = new Float64Array(m);
  const dualityGap = new Float64Array(m);
  let done = 0;
  const solved = () => options.onLambda?.(++done, m);

  const result = {
    alpha,
    lambdaMax: lmax,
    lambdas,
    weights,
    biases,
    iterations,
    converged,
    kkt,
    dualityGap,
  };
  if (lmax === 0 || alpha === 0) {
    // Xcᵀyc = 0 exactly: w = 0 zeroes the smooth gradient, so it is optimal for every λ and α
    // (the minimum-norm optimum at λ = 0). α = 0: ridge, exact at every λ.
    const ws = lmax === 0 ? Array.from(lambdas, () => new Float64Array(d)) : source.ridge(lambdas);
    for (let k = 0; k < m; k++) {
      const w = ws[k] as Float64Array;
      weights[k] = w;
      biases[k] = lmax === 0 ? kernel.yMean : interceptOf(kernel, w);
      solved();
    }
    return result;
  }

  // Solve from the largest λ down, whatever order the caller gave, so warm starts go the
  // way the solutions grow from w = 0.
  const order = Array.from(lambdas.keys()).sort(
    (p, q) => (lambdas[q] as number) - (lambdas[p] as number),
  );
  const w = new Float64Array(d);
  let gradient: Float64Array = new Float64Array(d);
  kernel.gradient(w, gradient);
  let previous = lmax;
  const eligible = new Uint8Array(d);
  for (const k of order) {
    const lambda = lambdas[k] as number;
    // The sequential strong rule; λ above λ_prev (only λ_max's own neighbourhood) keeps all.
    const cut = alpha * (2 * lambda - previous);
    for (let j = 0; j < d; j++) eligible[j] = Math.abs(gradient[j] as number) >= cut ? 1 : 0;
    const run = solveCD(kernel, lambda, alpha, tol, maxIter, w, eligible);
    gradient = run.gradient;
    previous = lambda;
    weights[k] = Float64Array.from(w);
    biases[k] = interceptOf(kernel, w);
    iterations[k] = run.iterations;
    converged[k] = run.converged;
    kkt[k] = run.kkt;
    dualityGap[k] = run.dualityGap;
    solved();
  }
  return result;
}
