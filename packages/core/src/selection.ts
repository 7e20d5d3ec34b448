/**
 * Choosing the penalty strength λ on held-out data (D2L §4.5, exercise 2), in float64 on the
 * host: a validation curve over a grid of canonical λ from a hold-out split or k-fold
 * cross-validation, its minimizer, the one-standard-error rule (identity 18), and a refit on
 * all the data at the chosen λ.
 */
import {
  type ConventionId,
  LAMBDA_CONVENTIONS,
  type LambdaConvention,
  type PenaltyKind,
  parseConvention,
} from "./conventions.js";
import type { Dataset } from "./data.js";
import { kFolds, selectRows, trainTestSplit } from "./io/split.js";
import { fitStandardizer, standardize, toOriginalScale } from "./io/standardize.js";
import type { LinearModel } from "./ridge.js";
import {
  CD_DEFAULT_MAX_ITER,
  CD_DEFAULT_TOL,
  usesCovarianceUpdates,
} from "./solvers/coordinate-descent.js";
import { checkMaxIter, checkTol } from "./solvers/internal.js";
import {
  type Moments,
  meanSquaredErrorOf,
  mergeMoments,
  momentsOf,
  standardizedMoments,
} from "./solvers/moments.js";
import {
  lambdaMax,
  lambdaMaxFromMoments,
  logGrid,
  pathFromMoments,
  regularizationPath,
} from "./solvers/path.js";

/**
 * How validation data are held out: one seeded hold-out split (`valFraction` of the rows, rounded
 * as {@link trainTestSplit} rounds), or `folds`-fold cross-validation over {@link kFolds}.
 */
export type SelectionMethod =
  | { readonly kind: "holdout"; readonly valFraction: number }
  | { readonly kind: "kfold"; readonly folds: number }
  /** The fold of each row given by the caller (glmnet's `foldid`): any integers, one per row. */
  | { readonly kind: "foldid"; readonly foldid: ArrayLike<number> };

/** `"min"` picks the λ of least validation loss; `"1se"` the one-standard-error λ (identity 18). */
export type SelectionRule = "min" | "1se";

/** Options of {@link selectLambda}. */
export interface SelectLambdaOptions {
  /**
   * Candidate λ in the canonical convention, in any order (duplicates are merged): finite, > 0
   * for `"l1"` (λ = 0 is unpenalized least squares, not a lasso) and ≥ 0 otherwise. Default:
   * glmnet's grid from λ_max (see {@link selectLambda}).
   */
  readonly lambdas?: ArrayLike<number>;
  /**
   * The convention `lambdas` (and the result's λ) are written in, with `alpha` as that
   * library's mixing; each training part converts them with its own n and sd(y), as the library
   * would when called on that part (default canonical).
   */
  readonly convention?: ConventionId | LambdaConvention;
  /**
   * Standardize each training part's features (divisor n) before fitting, as glmnet does inside
   * cv.glmnet; weights are returned on the input scale (default false).
   */
  readonly standardize?: boolean;
  /** Size of the default grid (100, as glmnet's `nlambda`); ignored with `lambdas`. */
  readonly nLambda?: number;
  /** `λ_min/λ_max` of the default grid (glmnet's: 1e-4 when n > d, else 1e-2). */
  readonly lambdaMinRatio?: number;
  /** L2 `(λ/2)‖w‖²`, L1 `λ‖w‖₁`, or the elastic net `λ[(1 − α)/2‖w‖² + α‖w‖₁]`. */
  readonly penalty: PenaltyKind;
  /**
   * Elastic-net mixing α ∈ [0, 1]; required for `"elastic"`. For `"l1"` and `"l2"` it may be
   * omitted, and if given must be 1 or 0 respectively.
   */
  readonly alpha?: number;
  readonly method: SelectionMethod;
  /** Seed of the split or folds (a non-negative safe integer; `Stream.split` of it is used). */
  readonly seed: number;
  /** Default `"min"`. */
  readonly rule?: SelectionRule;
  /** Coordinate-descent tolerance per fit (see `elasticNetCD`); unused by L2's closed form. */
  readonly tol?: number;
  /** Coordinate-descent pass budget per fit; unused by L2's closed form. */
  readonly maxIter?: number;
  /**
   * Called after each fit with how many of the `total` fits are done: one per λ and fold, then
   * the refit on all the data along the path of the candidates ≥ λ_min. Synchronous, so a progress bar that redraws on update moves.
   */
  readonly onProgress?: (done: number, total: number) => void;
}

/** One point of a validation curve. */
export interface ValidationPoint {
  /** λ, in the selection's convention (canonical by default). */
  readonly lambda: number;
  /**
   * Estimated validation mean squared error `mean (ŷ − y)²` (twice the canonical data term; no
   * penalty): the fold-size-weighted mean of `foldLosses` (see {@link selectLambda}).
   */
  readonly mean: number;
  /** Standard error of `mean` (see {@link selectLambda} for how each method estimates it). */
  readonly se: number;
  /** The mean squared error on each validation fold (one entry for a hold-out split). */
  readonly foldLosses: number[];
}

/** The result of {@link selectLambda}. */
export interface LambdaSelection {
  readonly method: SelectionMethod;
  readonly rule: SelectionRule;
  /** The distinct candidate λ, ascending. */
  readonly lambdas: number[];
  /** One point per entry of `lambdas`, in the same (ascending) order. */
  readonly curve: ValidationPoint[];
  /** The number of validation rows of each fold, in fold order (the weights of `mean`). */
  readonly foldSizes: number[];
  /** The λ of least mean validation loss; exact ties go to the larger λ. */
  readonly lambdaMin: number;
  /** The one-standard-error λ (see {@link oneStandardErrorRule}); always ≥ `lambdaMin`. */
  readonly lambda1se: number;
  /** `lambdaMin` or `lambda1se`, per `rule`. */
  readonly chosen: number;
  /** Refit on all of the data at `chosen`. */
  readonly model: LinearModel;
  /** Refit on all of the data at `lambdaMin` and at `lambda1se` (one of them is `model`). */
  readonly modelAtMin: LinearModel;
  readonly modelAt1se: LinearModel;
  /**
   * Whether every coordinate-descent fit (each fold's path and the refit) met its tolerance
   * within `maxIter`; always true for α = 0, which is solved exactly.
   */
  readonly converged: boolean;
  /** The convention every λ above is written in (`options.convention`, canonical by default). */
  readonly lambdaConvention: ConventionId;
}

/** A curve point as {@link oneStandardErrorRule} needs it. */
export interface CurvePoint {
  readonly lambda: number;
  readonly mean: number;
  readonly se: number;
}

function checkCurve(curve: readonly CurvePoint[]): void {
  if (curve.length === 0) throw new RangeError("the validation curve must not be empty");
  for (const [k, p] of curve.entries()) {
    if (!(Number.isFinite(p.lambda) && Number.isFinite(p.mean))) {
      throw new RangeError(`curve point ${k} has a non-finite λ or mean (${p.lambda}, ${p.mean})`);
    }
    if (!(Number.isFinite(p.se) && p.se >= 0)) {
      throw new RangeError(
        `curve point ${k} has a standard error that is not finite ≥ 0 (${p.se})`,
      );
    }
  }
}

/**
 * The point of least mean, exact ties resolved toward the larger λ: among models that validate
 * equally well the more strongly penalized one is the simpler, and nothing in the data argues
 * for the extra freedom.
 */
function minimizer(curve: readonly CurvePoint[]): CurvePoint {
  let best = curve[0] as CurvePoint;
  for (const p of curve) {
    if (p.mean < best.mean || (p.mean === best.mean && p.lambda > best.lambda)) best = p;
  }
  return best;
}

/**
 * The λ of least mean on a validation curve, exact ties resolved toward the larger λ (the
 * simpler model). The curve may be in any order.
 *
 * @throws RangeError on an empty curve, a non-finite λ or mean, or a standard error not finite ≥ 0
 */
export function minimumLambda(curve: readonly CurvePoint[]): number {
  checkCurve(curve);
  return minimizer(curve).lambda;
}

/**
 * The one-standard-error rule (identity 18):
 * `λ₁ₛₑ = max{λ : mean(λ) ≤ mean(λ_min) + se(λ_min)}`, the most penalized model whose validation
 * loss is within one standard error of the best; λ_min is {@link minimumLambda}'s (ties to the
 * larger λ). λ_min itself satisfies the condition, so `λ₁ₛₑ ≥ λ_min` always. As in glmnet's
 * `lambda.1se`, the qualifying λ need not be contiguous with λ_min. The curve may be in any order.
 *
 * @throws RangeError on an empty curve, a non-finite λ or mean, or a standard error not finite ≥ 0
 */
export function oneStandardErrorRule(curve: readonly CurvePoint[]): number {
  checkCurve(curve);
  const best = minimizer(curve);
  const threshold = best.mean + best.se;
  let chosen = best.lambda;
  for (const p of curve) if (p.mean <= threshold && p.lambda > chosen) chosen = p.lambda;
  return chosen;
}

/** Mean and sample standard error (n − 1 denominator) of `values`, which has ≥ 2 entries. */
function meanAndSe(values: ArrayLike<number>): { mean: number; se: number } {
  const m = values.length;
  let sum = 0;
  for (let i = 0; i < m; i++) sum += values[i] as number;
  const mean = sum / m;
  let ss = 0;
  for (let i = 0; i < m; i++) ss += ((values[i] as number) - mean) ** 2;
  return { mean, se: Math.sqrt(ss / (m - 1)) / Math.sqrt(m) };
}

/** `(ŷᵢ − yᵢ)²` for every row of `data` under the model `(w, b)`. */
function squaredErrors(data: Dataset, w: Float64Array, b: number): Float64Array {
  const { X, y, n, d } = data;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let r = b - (y[i] as number);
    for (let j = 0; j < d; j++) r += (X[i * d + j] as number) * (w[j] as number);
    out[i] = r * r;
  }
  return out;
}

/**
 * cv.glmnet's summary of K fold errors with fold sizes `sizes`: the weighted mean and
 * `√(weighted mean of (L_f − mean)² / (K − 1))`.
 */
/** @internal (shared with the classifiers' selection) */
export function weightedMeanAndSe(
  losses: readonly number[],
  sizes: readonly number[],
): { mean: number; se: number } {
  let total = 0;
  let sum = 0;
  for (let f = 0; f < losses.length; f++) {
    total += sizes[f] as number;
    sum += (sizes[f] as number) * (losses[f] as number);
  }
  const mean = sum / total;
  let ss = 0;
  for (let f = 0; f < losses.length; f++) {
    ss += (sizes[f] as number) * ((losses[f] as number) - mean) ** 2;
  }
  return { mean, se: Math.sqrt(ss / total / (losses.length - 1)) };
}

function average(values: Float64Array): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

function checkData(data: Dataset): void {
  const { X, y, n, d } = data;
  if (!Number.isInteger(n) || n < 2) {
    throw new RangeError(
      `selecting λ needs at least 2 rows (one to fit, one to validate), got ${n}`,
    );
  }
  if (!Number.isInteger(d) || d < 1) throw new RangeError(`d must be an integer ≥ 1, got ${d}`);
  if (X.length !== n * d)
    throw new RangeError(`X has ${X.length} entries, expected n·d = ${n * d}`);
  if (y.length !== n) throw new RangeError(`y has ${y.length} entries, expected n = ${n}`);
  // The closed-form ridge does not check its inputs; a NaN would otherwise surface as a NaN
  // curve and an arbitrary λ.
  for (let k = 0; k < X.length; k++) {
    if (!Number.isFinite(X[k] as number)) {
      throw new RangeError(`X[${Math.floor(k / d)}, ${k % d}] is not finite (${X[k]})`);
    }
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(y[i] as number)) throw new RangeError(`y[${i}] is not finite (${y[i]})`);
  }
}

/** The mixing α the penalty means, checking that a given `alpha` agrees with it. */
function mixingFor(penalty: PenaltyKind, alpha: number | undefined): number {
  if (penalty === "elastic") {
    if (alpha === undefined) {
      throw new RangeError('penalty "elastic" needs alpha, the L1 share in [0, 1]');
    }
    if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must lie in [0, 1], got ${alpha}`);
    return alpha;
  }
  const implied = penalty === "l1" ? 1 : penalty === "l2" ? 0 : Number.NaN;
  if (Number.isNaN(implied)) {
    throw new RangeError(`penalty must be "l2", "l1" or "elastic", got ${JSON.stringify(penalty)}`);
  }
  if (alpha !== undefined && alpha !== implied) {
    throw new RangeError(
      `alpha = ${alpha} contradicts penalty "${penalty}" (which is α = ${implied}); use "elastic"`,
    );
  }
  return implied;
}

/** The distinct candidate λ, ascending, after checking them against the penalty. */
function candidateLambdas(lambdas: ArrayLike<number>, penalty: PenaltyKind): number[] {
  if (lambdas === undefined || lambdas.length === 0) {
    throw new RangeError("lambdas must contain at least one candidate λ");
  }
  const out: number[] = [];
  for (let k = 0; k < lambdas.length; k++) {
    const l = lambdas[k] as number;
    if (typeof l !== "number" || !Number.isFinite(l)) {
      throw new RangeError(`lambdas[${k}] is not a finite number (${l})`);
    }
    if (penalty === "l1" ? !(l > 0) : !(l >= 0)) {
      throw new RangeError(
        penalty === "l1"
          ? `lambdas[${k}] = ${l}: the lasso needs λ > 0 (λ = 0 is unpenalized least squares)`
          : `lambdas[${k}] = ${l}: λ must be ≥ 0`,
      );
    }
    // + 0 turns −0 into +0, so that it merges with 0 below.
    out.push(l + 0);
  }
  out.sort((a, b) => a - b);
  return out.filter((l, k) => k === 0 || l !== out[k - 1]);
}

/** The validation rows of each fold (ascending), and the fold count's source. */
/** @internal (shared with the classifiers' selection) */
export function foldRows(data: Dataset, method: SelectionMethod, seed: number): Int32Array[] {
  const { n } = data;
  if (method?.kind === "holdout") {
    const f = method.valFraction;
    if (!(Number.isFinite(f) && f > 0 && f < 1)) {
      throw new RangeError(`valFraction must be a number in (0, 1), got ${f}`);
    }
    // The same rounding as trainTestSplit, checked here to name valFraction in the message.
    const nVal = Math.round(n * f);
    if (nVal < 2) {
      throw new RangeError(
        `valFraction ${f} of ${n} rows gives ${nVal} validation row(s); at least 2 are needed ` +
          "(a standard error needs two losses)",
      );
    }
    if (nVal === n) {
      throw new RangeError(`valFraction ${f} of ${n} rows leaves the training set empty`);
    }
    return [trainTestSplit(data, { testFraction: f, seed }).testIndices];
  }
  if (method?.kind === "kfold") {
    const k = method.folds;
    if (!(Number.isInteger(k) && k >= 2 && k <= n)) {
      throw new RangeError(`folds must be an integer in [2, n = ${n}], got ${k}`);
    }
    return kFolds(n, k, seed).map((part) => Int32Array.from(part).sort());
  }
  if (method?.kind === "foldid") {
    return foldsFromIds(method.foldid, n);
  }
  throw new RangeError(
    `method must be { kind: "holdout", valFraction }, { kind: "kfold", folds } or { kind: "foldid", foldid }, got ${JSON.stringify(method)}`,
  );
}

/**
 * The folds a `foldid` vector names (glmnet's `foldid`): row i belongs to fold `foldid[i]`, any
 * integer; folds are ordered by their id. Every fold must leave rows to train on, and there
 * must be at least two.
 */
function foldsFromIds(foldid: ArrayLike<number>, n: number): Int32Array[] {
  if (foldid === undefined || foldid.length !== n) {
    throw new RangeError(`foldid must have one entry per row (${n}), got ${foldid?.length}`);
  }
  const byId = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const id = foldid[i] as number;
    if (!Number.isSafeInteger(id)) {
      throw new RangeError(`foldid[${i}] = ${id} is not an integer fold id`);
    }
    let rows = byId.get(id);
    if (rows === undefined) {
      rows = [];
      byId.set(id, rows);
    }
    rows.push(i);
  }
  if (byId.size < 2) {
    throw new RangeError(`foldid names ${byId.size} fold; cross-validation needs at least 2`);
  }
  return [...byId.keys()].sort((a, b) => a - b).map((id) => Int32Array.from(byId.get(id) ?? []));
}

/** The rows of 0…n−1 not in `val` (ascending `val`), ascending. */
/** @internal (shared with the classifiers' selection) */
export function complement(val: Int32Array, n: number): Int32Array {
  const out = new Int32Array(n - val.length);
  let m = 0;
  let v = 0;
  for (let i = 0; i < n; i++) {
    if (v < val.length && val[v] === i) v++;
    else out[m++] = i;
  }
  return out;
}

/**
 * Chooses λ on validation data (D2L §4.5, exercise 2). For every candidate λ it fits on each
 * training part and records the validation **mean squared error** `mean (ŷ − y)²`, the loss
 * scikit-learn and glmnet report (twice the canonical data term `mean ½(ŷ − y)²`, which the
 * objective keeps); the penalty is left out, as it is a device for fitting, not a measure of
 * prediction error.
 *
 * - Fits: every λ of the grid on each training part by {@link regularizationPath}'s algorithms
 *   (ridge from one eigendecomposition; the lasso and elastic net by coordinate descent down the
 *   grid, warm-started, screened by the strong rule). When the training parts have at least as
 *   many rows as features, the rows are read once into each fold's centered moments; a training
 *   part's moments are the merge of the other folds' and a fold's validation error is computed
 *   from its own, so a λ costs O(d²) per fold whatever n is.
 * - `"kfold"` (seeded folds) and `"foldid"` (the caller's fold of each row, glmnet's `foldid`):
 *   as cv.glmnet does, `mean` is the fold-size-weighted mean of the fold errors,
 *   `Σ n_f·L_f / Σ n_f`, and `se = √(Σ n_f (L_f − mean)² / Σ n_f / (K − 1))`.
 * - `"holdout"`: one validation set; `mean` is its error and `se` the sample standard deviation
 *   of its per-example squared errors divided by √n_val. This treats the examples as
 *   independent given the one fitted model: it measures the noise of the validation estimate,
 *   not the variability of the fit across training sets.
 * - The default grid (no `lambdas`) is glmnet's: `nLambda` values log-spaced from λ_max of all
 *   the rows (`lambdaMax`, with α floored at `PATH_MIN_ALPHA` for ridge) down to
 *   `lambdaMinRatio·λ_max`.
 * - λ_min is the λ of least `mean`, exact ties going to the larger λ (the simpler model);
 *   λ₁ₛₑ follows identity 18 ({@link oneStandardErrorRule}); `chosen` is the one `rule` names.
 * - `model` is refit on **all** rows at `chosen`, and so are `modelAtMin` and `modelAt1se` (one
 *   path over the candidates ≥ λ_min).
 *
 * The result's λ are canonical (`lambdaConvention`); convert others with `convertLambda`. A
 * selected λ is the best of this grid on these folds, a random quantity: the validation curve
 * is an estimate and the gap between neighbouring λ is often well inside its standard error,
 * which is what the 1-SE rule makes use of.
 *
 * @throws RangeError for fewer than 2 rows, non-finite data, empty or non-finite `lambdas` (or
 * λ ≤ 0 with L1, λ < 0 otherwise), `folds` not an integer in [2, n], a `foldid` of the wrong
 * length, with a non-integer, or naming fewer than 2 folds, `valFraction` outside (0, 1) or
 * leaving fewer than 2 validation rows or no training row, `alpha` missing for the elastic
 * net, a bad `tol` or `maxIter`, and for α = 0 with λ = 0 when some training part has m ≤ d
 * rows: centered data of m rows have rank ≤ m − 1 < d, so least squares then has no unique
 * solution.
 */
export function selectLambda(data: Dataset, options: SelectLambdaOptions): LambdaSelection {
  const { method, seed } = options;
  checkData(data);
  checkOptions(options);
  const valRows = foldRows(data, method, seed);
  const { n, d } = data;
  let smallest = n;
  for (const v of valRows) {
    if (v.length === n) {
      throw new RangeError("a fold holds every row, leaving nothing to train on");
    }
    smallest = Math.min(smallest, n - v.length);
  }
  // Moments (covariance updates) when every training part has at least d rows.
  const byMoments = method.kind !== "holdout" && usesCovarianceUpdates(smallest, d);
  if (byMoments) {
    const foldMoments = valRows.map((rows) => momentsOf(data, rows));
    return { ...selectOnMoments(foldMoments, options), method: { ...method } };
  }
  const setup: SelectionSetup = {
    n,
    d,
    smallest,
    foldSizes: valRows.map((v) => v.length),
    everything: { rows: data },
    trainPart: (f) => ({ rows: selectRows(data, complement(valRows[f] as Int32Array, n)) }),
    validation: (f) => selectRows(data, valRows[f] as Int32Array),
    holdout: method.kind === "holdout",
  };
  return { ...selectOn(setup, options), method: { ...method } };
}

/**
 * {@link selectLambda} from each fold's moments alone (a stats file's), with fold f as the
 * validation rows of split f: every training part is the merge of the other folds' moments and
 * a validation error is computed from the fold's own, so the rows are never read again. The
 * same answer as `selectLambda` with a `foldid` naming the same folds, up to rounding.
 *
 * @throws RangeError for fewer than 2 folds, and as {@link selectLambda} for its options.
 */
export function selectLambdaFromMoments(
  folds: readonly Moments[],
  options: Omit<SelectLambdaOptions, "method" | "seed">,
): Omit<LambdaSelection, "method"> {
  if (folds.length < 2) {
    throw new RangeError(`cross-validation needs at least 2 folds, got ${folds.length}`);
  }
  checkOptions(options);
  return selectOnMoments(folds, options);
}

function selectOnMoments(
  folds: readonly Moments[],
  options: Omit<SelectLambdaOptions, "method" | "seed">,
): Omit<LambdaSelection, "method"> {
  const all = mergeMoments(folds);
  const { n, d } = all;
  const smallest = Math.min(...folds.map((m) => n - m.n));
  const setup: SelectionSetup = {
    n,
    d,
    smallest,
    foldSizes: folds.map((m) => m.n),
    everything: { moments: all },
    trainPart: (f) => ({ moments: mergeMoments(folds.filter((_, g) => g !== f)) }),
    validation: (f) => folds[f] as Moments,
    holdout: false,
  };
  return selectOn(setup, options);
}

/** A convention given by id or in full (canonical when absent). */
function conventionOf(c: ConventionId | LambdaConvention | undefined): LambdaConvention {
  if (c === undefined) return LAMBDA_CONVENTIONS.canonical;
  return typeof c === "string" ? parseConvention(c) : c;
}

/** The options every selection checks before fitting anything. */
function checkOptions(options: Omit<SelectLambdaOptions, "method" | "seed">): void {
  const { rule = "min", tol, maxIter } = options;
  mixingFor(options.penalty, options.alpha);
  if (rule !== "min" && rule !== "1se") {
    throw new RangeError(`rule must be "min" or "1se", got ${JSON.stringify(rule)}`);
  }
  checkTol(tol ?? CD_DEFAULT_TOL);
  checkMaxIter(maxIter ?? CD_DEFAULT_MAX_ITER);
}

/** The data of a selection: its folds' training parts and validation sets, however held. */
interface SelectionSetup {
  readonly n: number;
  readonly d: number;
  /** The fewest rows of any training part. */
  readonly smallest: number;
  readonly foldSizes: number[];
  readonly everything: Part;
  trainPart(f: number): Part;
  /** Fold f's validation rows, or their moments. */
  validation(f: number): Dataset | Moments;
  /** One hold-out split: the standard error comes from its per-example errors. */
  readonly holdout: boolean;
}

function isMoments(v: Dataset | Moments): v is Moments {
  return "sxx" in v;
}

function selectOn(
  setup: SelectionSetup,
  options: Omit<SelectLambdaOptions, "method" | "seed">,
): Omit<LambdaSelection, "method"> {
  const { penalty, rule = "min", tol, maxIter } = options;
  const alpha = mixingFor(penalty, options.alpha);
  const { n, d, smallest, everything, foldSizes } = setup;
  const convention = conventionOf(options.convention);
  const fitter: PartFitter = {
    convention,
    alpha,
    standardize: options.standardize ?? false,
    tol,
    maxIter,
  };
  const lambdas =
    options.lambdas === undefined
      ? defaultGrid(partLambdaMax(everything, fitter), {
          n,
          d,
          nLambda: options.nLambda,
          lambdaMinRatio: options.lambdaMinRatio,
        }).filter((l) => penalty !== "l1" || l > 0)
      : candidateLambdas(options.lambdas, penalty);
  if (lambdas.length === 0) throw new RangeError("lambdas must contain at least one candidate λ");
  // α = 0 solves ridge exactly, which has no unique solution at λ = 0 on a rank-deficient
  // training part; say why up front instead of deep inside one fold.
  if (alpha === 0 && lambdas[0] === 0 && d >= smallest) {
    throw new RangeError(
      `λ = 0 (unpenalized least squares) has no unique solution here: d = ${d} features ` +
        `but a training set of only ${smallest} rows (centering leaves rank ≤ ${smallest - 1}); ` +
        "use λ > 0",
    );
  }

  let converged = true;
  const L = lambdas.length;
  const K = foldSizes.length;
  const refitCount = (lowest: number) => lambdas.filter((l) => l >= lowest).length;
  // The refit's size is known only once λ_min is known: count the largest it can be until then.
  let total = K * L + refitCount(lambdas[0] as number);
  let done = 0;
  const fitted = () => options.onProgress?.(++done, total);
  // losses[k][f]: validation MSE at lambdas[k] on fold f.
  const losses: number[][] = lambdas.map(() => []);
  // For a hold-out split, the per-example errors give the standard error.
  const holdoutExamples: Float64Array[] = [];
  for (let f = 0; f < K; f++) {
    const fits = fitPart(setup.trainPart(f), lambdas, fitter, fitted);
    if (!fits.converged) converged = false;
    const valSet = setup.validation(f);
    for (let k = 0; k < L; k++) {
      const { weights: w, bias: b } = fits.models[k] as LinearModel;
      if (isMoments(valSet)) {
        (losses[k] as number[]).push(meanSquaredErrorOf(valSet, w, b));
      } else {
        const ex = squaredErrors(valSet, w, b);
        (losses[k] as number[]).push(average(ex));
        if (setup.holdout) holdoutExamples[k] = ex;
      }
    }
  }

  const curve: ValidationPoint[] = lambdas.map((lambda, k) => {
    const foldLosses = losses[k] as number[];
    if (setup.holdout) {
      const { se } = meanAndSe(holdoutExamples[k] as Float64Array);
      return { lambda, mean: foldLosses[0] as number, se, foldLosses };
    }
    const { mean, se } = weightedMeanAndSe(foldLosses, foldSizes);
    return { lambda, mean, se, foldLosses };
  });

  const lambdaMin = minimumLambda(curve);
  const lambda1se = oneStandardErrorRule(curve);
  const chosen = rule === "1se" ? lambda1se : lambdaMin;
  total = K * L + refitCount(lambdaMin);

  // One path down to λ_min gives both refits (λ₁ₛₑ ≥ λ_min).
  const above = lambdas.filter((l) => l >= lambdaMin);
  const refit = fitPart(everything, above, fitter, fitted);
  if (!refit.converged) converged = false;
  // `above` is ascending and starts at λ_min.
  const modelAtMin = refit.models[0] as LinearModel;
  const modelAt1se = refit.models[above.indexOf(lambda1se)] as LinearModel;
  const model = rule === "1se" ? modelAt1se : modelAtMin;

  return {
    rule,
    lambdas,
    curve,
    foldSizes,
    lambdaMin,
    lambda1se,
    chosen,
    model,
    modelAtMin,
    modelAt1se,
    converged,
    lambdaConvention: convention.id,
  };
}

/** Options of {@link fitFromMoments}. */
export interface MomentsFitOptions {
  readonly penalty: PenaltyKind;
  /** Elastic-net mixing, as {@link SelectLambdaOptions.alpha}. */
  readonly alpha?: number;
  /** The λ to fit, in `convention` (any order; the path runs down them). */
  readonly lambdas: ArrayLike<number>;
  readonly convention?: ConventionId | LambdaConvention;
  /** Standardize the features (divisor n) before fitting; weights come back on the input scale. */
  readonly standardize?: boolean;
  readonly tol?: number;
  readonly maxIter?: number;
  /** Called after each λ is fitted. */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Fits at every λ of `options.lambdas` from the moments of the rows alone (a stats file's):
 * ridge from one eigendecomposition, the lasso and elastic net by covariance-update coordinate
 * descent down the grid, as {@link selectLambda}'s refit does. Models are on the input scale,
 * in the order of `lambdas`.
 */
export function fitFromMoments(
  m: Moments,
  options: MomentsFitOptions,
): { models: LinearModel[]; converged: boolean } {
  checkOptions(options);
  const alpha = mixingFor(options.penalty, options.alpha);
  const lambdas = Array.from(options.lambdas);
  candidateLambdas(lambdas, options.penalty);
  const convention = conventionOf(options.convention);
  if (alpha === 0 && lambdas.includes(0) && m.d >= m.n) {
    throw new RangeError(
      `λ = 0 (unpenalized least squares) has no unique solution: d = ${m.d} features but ${m.n} rows; use λ > 0`,
    );
  }
  let done = 0;
  return fitPart(
    { moments: m },
    lambdas,
    {
      convention,
      alpha,
      standardize: options.standardize ?? false,
      tol: options.tol,
      maxIter: options.maxIter,
    },
    () => options.onProgress?.(++done, lambdas.length),
  );
}

/** The rows a fit sees: as moments (covariance updates) or as rows. */
type Part =
  | { readonly moments: Moments; readonly rows?: undefined }
  | { readonly rows: Dataset; readonly moments?: undefined };

/** How every part is fitted: the convention, the library's mixing, scaling, solver settings. */
interface PartFitter {
  readonly convention: LambdaConvention;
  readonly alpha: number;
  readonly standardize: boolean;
  readonly tol: number | undefined;
  readonly maxIter: number | undefined;
}

/**
 * The canonical penalty a library's setting stands for on this part: λ_c = factor·λ for every
 * λ of the grid (the conversions are linear in λ), and the canonical mixing.
 */
function partPenalty(part: Part, f: PartFitter): { factor: number; alpha: number } {
  const n = part.moments ? part.moments.n : part.rows.n;
  let ySd: number;
  if (part.moments) {
    ySd = Math.sqrt(part.moments.syy / n);
  } else {
    const { y } = part.rows;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += (y[i] as number) / n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += ((y[i] as number) - mean) ** 2;
    ySd = Math.sqrt(ss / n);
  }
  // A constant y is fitted by the intercept alone at every λ; any scale converts it.
  const o = { n, alpha: f.alpha, ySd: ySd > 0 ? ySd : 1 };
  return { factor: f.convention.toCanonical(1, o), alpha: f.convention.canonicalAlpha(f.alpha, o) };
}

/** λ_max of a part in the fitter's convention. */
function partLambdaMax(part: Part, f: PartFitter): number {
  const { factor, alpha } = partPenalty(part, f);
  if (part.moments) {
    const m = f.standardize ? standardizedMoments(part.moments).moments : part.moments;
    return lambdaMaxFromMoments(m, alpha) / factor;
  }
  const rows = f.standardize
    ? standardize(part.rows, fitStandardizer(part.rows, { constant: "drop" }))
    : part.rows;
  return lambdaMax(rows, alpha) / factor;
}

/** Fits at every λ of `lambdas` (the fitter's convention) on a part; entry k for `lambdas[k]`. */
function fitPart(
  part: Part,
  lambdas: readonly number[],
  f: PartFitter,
  fitted: () => void,
): { models: LinearModel[]; converged: boolean } {
  const { factor, alpha } = partPenalty(part, f);
  const options = {
    alpha,
    lambdas: lambdas.map((l) => l * factor),
    onLambda: fitted,
    ...(f.tol === undefined ? {} : { tol: f.tol }),
    ...(f.maxIter === undefined ? {} : { maxIter: f.maxIter }),
  };
  let models: LinearModel[];
  let converged: boolean[];
  if (part.moments) {
    const scaled = f.standardize ? standardizedMoments(part.moments) : undefined;
    const path = pathFromMoments(scaled ? scaled.moments : part.moments, options);
    converged = path.converged;
    models = path.weights.map((w, k) => ({
      weights: scaled ? w.map((v, j) => v / (scaled.scale[j] as number)) : w,
      bias: path.biases[k] as number,
    }));
  } else {
    const s = f.standardize ? fitStandardizer(part.rows, { constant: "drop" }) : undefined;
    const path = regularizationPath(s ? standardize(part.rows, s) : part.rows, options);
    converged = path.converged;
    models = path.weights.map((w, k) => {
      const model = { weights: w, bias: path.biases[k] as number };
      return s ? toOriginalScale(model, s) : model;
    });
  }
  return { models, converged: converged.every(Boolean) };
}

/** glmnet's λ grid below `top`, ascending (see {@link selectLambda}). */
function defaultGrid(
  top: number,
  o: { n: number; d: number; nLambda: number | undefined; lambdaMinRatio: number | undefined },
): number[] {
  const m = o.nLambda ?? 100;
  const ratio = o.lambdaMinRatio ?? (o.n > o.d ? 1e-4 : 1e-2);
  if (!(Number.isSafeInteger(m) && m >= 1)) {
    throw new RangeError(`nLambda must be an integer ≥ 1, got ${m}`);
  }
  if (!(ratio > 0 && ratio <= 1)) {
    throw new RangeError(`lambdaMinRatio must lie in (0, 1], got ${ratio}`);
  }
  // λ_max = 0 (Xcᵀyc = 0): every fit is w = 0; anchor the grid at 1 as the path does.
  return Array.from(logGrid(top > 0 ? top : 1, m, ratio)).reverse();
}
