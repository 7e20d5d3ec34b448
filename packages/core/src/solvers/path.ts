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
  coordinateDescentCentered,
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
} from "./internal.js";

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
  return lambdaMaxCentered(centerDataset(data), alpha);
}

function lambdaMaxCentered(c: CenteredDesign, alpha: number): number {
  let top = 0;
  for (const v of columnCorrelations(c, c.yc)) if (Math.abs(v) > top) top = Math.abs(v);
  const a = Math.max(alpha, PATH_MIN_ALPHA);
  let lmax = top / a;
  // Division then multiplication can land one ulp low; coordinate descent compares
  // |correlation| with lambda·alpha, so step up until that product clears every correlation.
  while (lmax * a < top) lmax *= 1 + Number.EPSILON;
  return lmax;
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
 * α = 0 (pure ridge) uses the closed form {@link ridgeClosedForm} at each λ (exact, no
 * iterations; λ = 0 with d > n throws, as there). Otherwise each λ is solved by coordinate
 * descent (`elasticNetCD`'s algorithm and convergence criterion, with `tol` and `maxIter`
 * applying to each λ); a λ that did not converge is reported in `converged` and the path goes on.
 *
 * @throws RangeError on malformed data or options
 */
export function regularizationPath(data: Dataset, options: PathOptions = {}): RegularizationPath {
  checkDataset(data);
  const {
    alpha = 1,
    nLambda = 100,
    lambdaMinRatio = data.n > data.d ? 1e-4 : 1e-2,
    tol = CD_DEFAULT_TOL,
    maxIter = CD_DEFAULT_MAX_ITER,
  } = options;
  checkPenalty(0, alpha);
  checkTol(tol);
  checkMaxIter(maxIter);
  const c = centerDataset(data);
  const lmax = lambdaMaxCentered(c, alpha);

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
    const top = lmax > 0 ? lmax : 1;
    const logRatio = Math.log(lambdaMinRatio);
    lambdas = new Float64Array(nLambda);
    // k = 0 gives exp(0) = 1 exactly, so the grid starts at λ_max itself (exact zeros there).
    for (let k = 0; k < nLambda; k++) {
      lambdas[k] = top * (nLambda === 1 ? 1 : Math.exp((k / (nLambda - 1)) * logRatio));
    }
  }

  const m = lambdas.length;
  const weights: Float64Array[] = new Array(m);
  const biases = new Float64Array(m);
  const iterations = new Int32Array(m);
  const converged: boolean[] = new Array(m).fill(true);
  // Solve from the largest λ down, whatever order the caller gave, so warm starts go the
  // way the solutions grow from w = 0.
  const order = Array.from(lambdas.keys()).sort(
    (p, q) => (lambdas[q] as number) - (lambdas[p] as number),
  );
  const w = new Float64Array(c.d);
  let done = 0;
  const solved = () => options.onLambda?.(++done, m);
  for (const k of order) {
    const lambda = lambdas[k] as number;
    if (lmax === 0) {
      // Xcᵀyc = 0 exactly: w = 0 zeroes the smooth gradient, so it is optimal for every λ and
      // α (the minimum-norm optimum at λ = 0). Answered directly because the closed form would
      // re-center y itself, turning a constant y's rounding into ~1e-32 weights, and would
      // throw at λ = 0 with d > n.
      weights[k] = new Float64Array(c.d);
      biases[k] = c.yMean;
      solved();
      continue;
    }
    if (alpha === 0) {
      const fit = ridgeClosedForm(data, lambda);
      weights[k] = fit.weights;
      biases[k] = fit.bias;
      solved();
      continue;
    }
    const run = coordinateDescentCentered(c, lambda, alpha, tol, maxIter, w);
    weights[k] = Float64Array.from(w);
    biases[k] = interceptFor(c, w);
    iterations[k] = run.iterations;
    converged[k] = run.converged;
    solved();
  }
  return { alpha, lambdaMax: lmax, lambdas, weights, biases, iterations, converged };
}
