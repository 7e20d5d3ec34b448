/**
 * Choosing the penalty strength λ on held-out data (D2L §4.5, exercise 2), in float64 on the
 * host: a validation curve over a grid of canonical λ from a hold-out split or k-fold
 * cross-validation, its minimizer, the one-standard-error rule (identity 18), and a refit on
 * all the data at the chosen λ.
 */
import type { PenaltyKind } from "./conventions.js";
import type { Dataset } from "./data.js";
import { kFolds, selectRows, trainTestSplit } from "./io/split.js";
import { type LinearModel, ridgeClosedForm } from "./ridge.js";
import { regularizationPath } from "./solvers/path.js";

/**
 * How validation data are held out: one seeded hold-out split (`valFraction` of the rows, rounded
 * as {@link trainTestSplit} rounds), or `folds`-fold cross-validation over {@link kFolds}.
 */
export type SelectionMethod =
  | { readonly kind: "holdout"; readonly valFraction: number }
  | { readonly kind: "kfold"; readonly folds: number };

/** `"min"` picks the λ of least validation loss; `"1se"` the one-standard-error λ (identity 18). */
export type SelectionRule = "min" | "1se";

/** Options of {@link selectLambda}. */
export interface SelectLambdaOptions {
  /**
   * Candidate λ in the canonical convention, in any order (duplicates are merged): finite, > 0
   * for `"l1"` (λ = 0 is unpenalized least squares, not a lasso) and ≥ 0 otherwise.
   */
  readonly lambdas: ArrayLike<number>;
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
   * the refit on all the data at the chosen λ (1 for L2; the λ ≥ the chosen one along the path
   * for L1 and elastic net). Synchronous, so a progress bar that redraws on update moves.
   */
  readonly onProgress?: (done: number, total: number) => void;
}

/** One point of a validation curve. */
export interface ValidationPoint {
  /** Canonical λ. */
  readonly lambda: number;
  /**
   * Estimated validation loss `mean ½(ŷ − y)²` (the canonical data term, without the penalty):
   * the unweighted mean of `foldLosses`.
   */
  readonly mean: number;
  /** Standard error of `mean` (see {@link selectLambda} for how each method estimates it). */
  readonly se: number;
  /** The mean loss on each validation fold (one entry for a hold-out split). */
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
  /** The λ of least mean validation loss; exact ties go to the larger λ. */
  readonly lambdaMin: number;
  /** The one-standard-error λ (see {@link oneStandardErrorRule}); always ≥ `lambdaMin`. */
  readonly lambda1se: number;
  /** `lambdaMin` or `lambda1se`, per `rule`. */
  readonly chosen: number;
  /** Refit on all of the data at `chosen`. */
  readonly model: LinearModel;
  /**
   * Whether every coordinate-descent fit (each fold's path and the refit) met its tolerance
   * within `maxIter`; always true for L2, which is solved in closed form.
   */
  readonly converged: boolean;
  /** Every λ above is the canonical one (see `describeLambda`). */
  readonly lambdaConvention: "canonical";
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

/** `½(ŷᵢ − yᵢ)²` for every row of `data` under the model `(w, b)`. */
function exampleLosses(data: Dataset, w: Float64Array, b: number): Float64Array {
  const { X, y, n, d } = data;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let r = b - (y[i] as number);
    for (let j = 0; j < d; j++) r += (X[i * d + j] as number) * (w[j] as number);
    out[i] = 0.5 * r * r;
  }
  return out;
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

/** The training and validation rows of each fold. */
interface Fold {
  readonly train: Dataset;
  readonly val: Dataset;
}

function makeFolds(data: Dataset, method: SelectionMethod, seed: number): Fold[] {
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
    const split = trainTestSplit(data, { testFraction: f, seed });
    return [{ train: split.train, val: split.test }];
  }
  if (method?.kind === "kfold") {
    const k = method.folds;
    if (!(Number.isInteger(k) && k >= 2 && k <= n)) {
      throw new RangeError(`folds must be an integer in [2, n = ${n}], got ${k}`);
    }
    const parts = kFolds(n, k, seed);
    return parts.map((val, f) => {
      const train = new Int32Array(n - val.length);
      let m = 0;
      for (const [g, part] of parts.entries()) {
        if (g !== f) {
          train.set(part, m);
          m += part.length;
        }
      }
      // Ascending rows, as trainTestSplit returns them, so a fold's fit does not depend on the
      // order in which the other folds were concatenated (CD's sums run in row order).
      train.sort();
      return { train: selectRows(data, train), val: selectRows(data, val) };
    });
  }
  throw new RangeError(
    `method must be { kind: "holdout", valFraction } or { kind: "kfold", folds }, got ${JSON.stringify(method)}`,
  );
}

/**
 * Chooses λ on validation data (D2L §4.5, exercise 2). For every candidate λ it fits on each
 * training part and records the validation loss `mean ½(ŷ − y)²`, the canonical data term; the
 * penalty is left out, as it is a device for fitting, not a measure of prediction error.
 *
 * - Fits: L2 by {@link ridgeClosedForm} at each λ; L1 and the elastic net by
 *   {@link regularizationPath} on each training part with the explicit λ grid (solved from the
 *   largest λ down, each warm-started from the last).
 * - `"kfold"`: `mean` is the unweighted mean of the k fold losses and `se` the sample standard
 *   deviation of those k fold means divided by √k (fold sizes differ by at most one row).
 * - `"holdout"`: one validation set; `mean` is its loss and `se` the sample standard deviation of
 *   its per-example losses `½(ŷᵢ − yᵢ)²` divided by √n_val. This treats the examples as
 *   independent given the one fitted model: it measures the noise of the validation estimate,
 *   not the variability of the fit across training sets.
 * - λ_min is the λ of least `mean`, exact ties going to the larger λ (the simpler model);
 *   λ₁ₛₑ follows identity 18 ({@link oneStandardErrorRule}); `chosen` is the one `rule` names.
 * - `model` is refit on **all** rows at `chosen` (L2: the closed form; otherwise the path over
 *   the candidates ≥ `chosen`, warm-started the same way).
 *
 * The result's λ are canonical (`lambdaConvention`); convert others with `convertLambda`. A
 * selected λ is the best of this grid on this split, a random quantity: the validation curve
 * is an estimate and the gap between neighbouring λ is often well inside its standard error,
 * which is what the 1-SE rule makes use of.
 *
 * @throws RangeError for fewer than 2 rows, non-finite data, empty or non-finite `lambdas` (or
 * λ ≤ 0 with L1, λ < 0 otherwise), `folds` not an integer in [2, n], `valFraction` outside
 * (0, 1) or leaving fewer than 2 validation rows or no training row, `alpha` missing for the
 * elastic net, a bad `tol` or `maxIter`, and for L2 (or α = 0) with λ = 0 when some training
 * set has m ≤ d rows: centered data of m rows have rank ≤ m − 1 < d, so least squares then has
 * no unique solution.
 */
export function selectLambda(data: Dataset, options: SelectLambdaOptions): LambdaSelection {
  const { penalty, method, seed, rule = "min", tol, maxIter } = options;
  checkData(data);
  const alpha = mixingFor(penalty, options.alpha);
  const lambdas = candidateLambdas(options.lambdas, penalty);
  if (rule !== "min" && rule !== "1se") {
    throw new RangeError(`rule must be "min" or "1se", got ${JSON.stringify(rule)}`);
  }
  // Checked even for L2, which does not use them, so a bad value never passes unnoticed.
  if (tol !== undefined && !(Number.isFinite(tol) && tol > 0)) {
    throw new RangeError(`tol must be a finite number > 0, got ${tol}`);
  }
  if (maxIter !== undefined && !(Number.isSafeInteger(maxIter) && maxIter >= 1)) {
    throw new RangeError(`maxIter must be an integer ≥ 1, got ${maxIter}`);
  }
  const folds = makeFolds(data, method, seed);

  // α = 0 (L2, or an elastic net with no L1 share) goes through the closed form, which would
  // throw deep inside one fold; say why up front instead.
  if (alpha === 0 && lambdas[0] === 0) {
    let smallest = data.n;
    for (const f of folds) smallest = Math.min(smallest, f.train.n);
    if (data.d >= smallest) {
      throw new RangeError(
        `λ = 0 (unpenalized least squares) has no unique solution here: d = ${data.d} features ` +
          `but a training set of only ${smallest} rows (centering leaves rank ≤ ${smallest - 1}); ` +
          "use λ > 0",
      );
    }
  }

  let converged = true;
  const L = lambdas.length;
  const chosenCount = (chosen: number) =>
    penalty === "l2" ? 1 : lambdas.filter((l) => l >= chosen).length;
  // The refit's size is known only once λ is chosen: count the largest it can be until then.
  let total = folds.length * L + chosenCount(lambdas[0] as number);
  let done = 0;
  const fitted = () => options.onProgress?.(++done, total);
  // losses[k][f]: mean validation loss at lambdas[k] on fold f.
  const losses: number[][] = lambdas.map(() => []);
  // For a hold-out split, the per-example losses give the standard error.
  const holdoutExamples: Float64Array[] = [];
  for (const fold of folds) {
    const fits = fitAll(fold.train, lambdas, penalty, alpha, tol, maxIter, fitted);
    if (!fits.converged) converged = false;
    for (let k = 0; k < L; k++) {
      const fit = fits.models[k] as LinearModel;
      const ex = exampleLosses(fold.val, fit.weights, fit.bias);
      (losses[k] as number[]).push(average(ex));
      if (method.kind === "holdout") holdoutExamples[k] = ex;
    }
  }

  const curve: ValidationPoint[] = lambdas.map((lambda, k) => {
    const foldLosses = losses[k] as number[];
    if (method.kind === "holdout") {
      const { se } = meanAndSe(holdoutExamples[k] as Float64Array);
      return { lambda, mean: foldLosses[0] as number, se, foldLosses };
    }
    const { mean, se } = meanAndSe(foldLosses);
    return { lambda, mean, se, foldLosses };
  });

  const lambdaMin = minimumLambda(curve);
  const lambda1se = oneStandardErrorRule(curve);
  const chosen = rule === "1se" ? lambda1se : lambdaMin;
  total = folds.length * L + chosenCount(chosen);

  let model: LinearModel;
  if (penalty === "l2") {
    model = ridgeClosedForm(data, chosen);
    fitted();
  } else {
    const above = lambdas.filter((l) => l >= chosen);
    const refit = fitAll(data, above, penalty, alpha, tol, maxIter, fitted);
    if (!refit.converged) converged = false;
    // `above` is ascending and starts at `chosen`.
    model = refit.models[0] as LinearModel;
  }

  return {
    method: { ...method },
    rule,
    lambdas,
    curve,
    lambdaMin,
    lambda1se,
    chosen,
    model,
    converged,
    lambdaConvention: "canonical",
  };
}

/** Fits at every λ of `lambdas` (ascending) on `train`; entry k belongs to `lambdas[k]`. */
function fitAll(
  train: Dataset,
  lambdas: readonly number[],
  penalty: PenaltyKind,
  alpha: number,
  tol: number | undefined,
  maxIter: number | undefined,
  fitted: () => void,
): { models: LinearModel[]; converged: boolean } {
  if (penalty === "l2") {
    const models = lambdas.map((l) => {
      const model = ridgeClosedForm(train, l);
      fitted();
      return model;
    });
    return { models, converged: true };
  }
  const path = regularizationPath(train, {
    alpha,
    lambdas,
    onLambda: fitted,
    ...(tol === undefined ? {} : { tol }),
    ...(maxIter === undefined ? {} : { maxIter }),
  });
  const models = path.weights.map((weights, k) => ({ weights, bias: path.biases[k] as number }));
  return { models, converged: path.converged.every(Boolean) };
}
