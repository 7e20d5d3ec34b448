/**
 * Choosing λ for the linear classifiers by cross-validation, as cv.glmnet does: every fold's
 * training rows get fits at the full data's λ grid, every held-out row is scored by the measure,
 * fold means are weighted by fold size, and λ_min / λ₁ₛₑ follow glmnet's rules (for AUC, larger
 * is better). The binomial family's L1 / elastic-net path (warm starts) for the logistic model;
 * the multinomial family at α = 0 (weight decay) by Newton's method for softmax regression.
 */
import type { Dataset } from "./data.js";
import { selectRows } from "./io/split.js";
import {
  fitStandardizer,
  type Standardizer,
  standardize,
  toOriginalScale,
} from "./io/standardize.js";
import {
  binomialGrid,
  logisticPath,
  multinomialGrid,
  type SoftmaxFit,
  sigmoid,
  softmaxClasses,
  softmaxRegression,
} from "./logistic.js";
import { softmaxElasticNet } from "./multinomial.js";
import type { LinearModel } from "./ridge.js";
import {
  complement,
  foldRows,
  minimumLambda,
  oneStandardErrorRule,
  type SelectionMethod,
  type SelectionRule,
  type ValidationPoint,
  weightedMeanAndSe,
} from "./selection.js";

/**
 * How a held-out row is scored (cv.glmnet's `type.measure`): the binomial deviance
 * −2[y log p + (1 − y) log(1 − p)], the misclassification rate at p > 0.5, or the area under the
 * ROC curve of each fold (ties count a half).
 */
export type ClassificationMeasure = "deviance" | "class" | "auc";

/** Options of {@link selectLogisticLambda}. */
export interface SelectLogisticOptions {
  /** Mixing α ∈ [0, 1] of the penalty (1: the lasso). */
  readonly alpha: number;
  /** k folds or the caller's foldid (a hold-out split is accepted too). */
  readonly method: SelectionMethod;
  readonly seed: number;
  /** Candidate λ (default: glmnet's grid of `nLambda` values from the full data's λ_max). */
  readonly lambdas?: ArrayLike<number>;
  readonly nLambda?: number;
  readonly lambdaMinRatio?: number;
  /** Default "deviance", as cv.glmnet's. */
  readonly measure?: ClassificationMeasure;
  readonly rule?: SelectionRule;
  readonly tol?: number;
  readonly maxIter?: number;
  /**
   * Standardize each training part's features (divisor n) before fitting, as glmnet does inside
   * cv.glmnet with `standardize = TRUE`; models are returned on the input scale (default false).
   */
  readonly standardize?: boolean;
}

/** The result of {@link selectLogisticLambda}; `curve[].mean` is the measure (AUC as is). */
export interface LogisticSelection {
  readonly measure: ClassificationMeasure;
  /** The candidate λ, ascending. */
  readonly lambdas: number[];
  readonly curve: ValidationPoint[];
  readonly foldSizes: number[];
  readonly lambdaMin: number;
  readonly lambda1se: number;
  readonly chosen: number;
  /** Refit on all rows at `chosen`. */
  readonly model: LinearModel;
  readonly converged: boolean;
}

function probability(X: Float64Array, d: number, i: number, model: LinearModel): number {
  let z = model.bias;
  for (let j = 0; j < d; j++) z += (X[i * d + j] as number) * (model.weights[j] as number);
  return sigmoid(z);
}

/** The measure of `model` on the rows `val` of `data`. */
function score(data: Dataset, val: Int32Array, model: LinearModel, measure: ClassificationMeasure) {
  const { X, y, d } = data;
  const p = Array.from(val, (i) => probability(X, d, i, model));
  const labels = Array.from(val, (i) => y[i] as number);
  if (measure === "deviance") {
    let sum = 0;
    p.forEach((pi, k) => {
      // log of 0 only for a certain wrong answer: its deviance is infinite, as glmnet's is
      // capped (it clamps p to [1e-5, 1 − 1e-5]); the same clamp here.
      const q = Math.min(Math.max(pi, 1e-5), 1 - 1e-5);
      sum += -2 * (labels[k] === 1 ? Math.log(q) : Math.log(1 - q));
    });
    return sum / p.length;
  }
  if (measure === "class") {
    let wrong = 0;
    p.forEach((pi, k) => {
      if ((pi > 0.5 ? 1 : 0) !== labels[k]) wrong++;
    });
    return wrong / p.length;
  }
  // AUC: the share of (positive, negative) pairs ranked right, ties a half.
  const pos = p.filter((_, k) => labels[k] === 1);
  const neg = p.filter((_, k) => labels[k] === 0);
  if (pos.length === 0 || neg.length === 0) {
    throw new RangeError(
      "a fold holds one class only: its AUC is undefined (use more rows per fold)",
    );
  }
  let right = 0;
  for (const a of pos) for (const b of neg) right += a > b ? 1 : a === b ? 0.5 : 0;
  return right / (pos.length * neg.length);
}

/** The curve of fold scores over the λ grid and the λ that glmnet's rules pick from it. */
function curveAndRules(
  lambdas: readonly number[],
  foldSizes: readonly number[],
  foldScore: (fold: number, k: number) => number,
  measure: ClassificationMeasure,
  rule: SelectionRule,
): { curve: ValidationPoint[]; lambdaMin: number; lambda1se: number; chosen: number } {
  const curve: ValidationPoint[] = lambdas.map((lambda, k) => {
    const foldLosses = foldSizes.map((_, f) => foldScore(f, k));
    const { mean, se } =
      foldLosses.length > 1
        ? weightedMeanAndSe(foldLosses, [...foldSizes])
        : { mean: foldLosses[0] as number, se: 0 };
    return { lambda, mean, se, foldLosses };
  });
  // Larger AUC is better: the rules run on its negative, as glmnet's getOptcv does.
  const ruled = measure === "auc" ? curve.map((p) => ({ ...p, mean: -p.mean })) : curve;
  const lambdaMin = minimumLambda(ruled);
  const lambda1se = oneStandardErrorRule(ruled);
  return { curve, lambdaMin, lambda1se, chosen: rule === "1se" ? lambda1se : lambdaMin };
}

/** The candidate λ of a cross-validation: the given ones or the grid, ascending, checked. */
function candidateLambdas(grid: ArrayLike<number>): number[] {
  const lambdas = Array.from(new Set(Array.from(grid))).sort((a, b) => a - b);
  if (lambdas.length === 0) throw new RangeError("lambdas must contain at least one candidate λ");
  for (const l of lambdas) {
    if (!(Number.isFinite(l) && l >= 0)) throw new RangeError(`λ must be finite and ≥ 0, got ${l}`);
  }
  return lambdas;
}

/** The fold fits of a cross-validation, from which any measure's selection is read. */
export interface LogisticCrossValidation {
  /** The candidate λ, ascending. */
  readonly lambdas: number[];
  readonly foldSizes: number[];
  /** Whether every fold's path (and, once made, the refit path) converged. */
  readonly converged: boolean;
  /** The curve of `measure`, its λ_min and λ₁ₛₑ, and the refit at the one `rule` names. */
  select(measure?: ClassificationMeasure, rule?: SelectionRule): LogisticSelection;
}

/**
 * Fits the logistic elastic net's path on every fold's training rows, at the full data's λ grid
 * (cv.glmnet's first step); `select` then scores the held-out rows by any measure without
 * fitting again, and refits on all rows along the same path (once, shared by every measure).
 *
 * @throws RangeError as `selectLambda`, or for labels other than 0 and 1
 */
export function crossValidateLogistic(
  data: Dataset,
  options: Omit<SelectLogisticOptions, "measure" | "rule">,
): LogisticCrossValidation {
  const { alpha, method, seed, tol, maxIter } = options;
  const { n } = data;
  const valRows = foldRows(data, method, seed);
  const solver = {
    ...(tol === undefined ? {} : { tol }),
    ...(maxIter === undefined ? {} : { maxIter }),
  };
  // The grid comes from the full data, as cv.glmnet takes it from its first glmnet call.
  const grid =
    options.lambdas !== undefined
      ? Float64Array.from(options.lambdas)
      : binomialGrid(
          options.standardize
            ? standardize(data, fitStandardizer(data, { constant: "drop" }))
            : data,
          {
            alpha,
            ...(options.nLambda === undefined ? {} : { nLambda: options.nLambda }),
            ...(options.lambdaMinRatio === undefined
              ? {}
              : { lambdaMinRatio: options.lambdaMinRatio }),
          },
        ).lambdas;
  const lambdas = candidateLambdas(grid);
  let converged = true;
  const pathOn = (rows: Dataset): LinearModel[] => {
    const s = options.standardize ? fitStandardizer(rows, { constant: "drop" }) : undefined;
    const path = logisticPath(s ? standardize(rows, s) : rows, { alpha, lambdas, ...solver });
    if (!path.converged.every(Boolean)) converged = false;
    return lambdas.map((_, k) => {
      const model = { weights: path.weights[k] as Float64Array, bias: path.biases[k] as number };
      return s ? toOriginalScale(model, s) : model;
    });
  };
  const foldModels: LinearModel[][] = valRows.map((val) =>
    pathOn(selectRows(data, complement(val, n))),
  );
  const foldSizes = valRows.map((v) => v.length);
  let full: LinearModel[] | undefined;
  return {
    lambdas,
    foldSizes,
    get converged() {
      return converged;
    },
    select(measure = "deviance", rule = "min") {
      const { curve, lambdaMin, lambda1se, chosen } = curveAndRules(
        lambdas,
        foldSizes,
        (f, k) =>
          score(
            data,
            valRows[f] as Int32Array,
            (foldModels[f] as LinearModel[])[k] as LinearModel,
            measure,
          ),
        measure,
        rule,
      );
      // The refit path, largest λ first, warm-started down the grid: the fit at `chosen` is the
      // one a path over the λ ≥ chosen alone would reach.
      full ??= pathOn(data);
      return {
        measure,
        lambdas,
        curve,
        foldSizes,
        lambdaMin,
        lambda1se,
        chosen,
        model: full[lambdas.indexOf(chosen)] as LinearModel,
        converged,
      };
    },
  };
}

/**
 * Cross-validates the logistic elastic net over a λ grid and selects λ by one measure (see the
 * module's TSDoc and {@link crossValidateLogistic}). λ_min is the λ of least mean deviance or
 * misclassification (largest mean AUC), exact ties going to the larger λ; λ₁ₛₑ the largest λ
 * within one standard error of it (identity 18, as cv.glmnet's).
 *
 * @throws RangeError as `selectLambda`, for labels other than 0 and 1, or a fold with one class
 * under AUC
 */
export function selectLogisticLambda(
  data: Dataset,
  options: SelectLogisticOptions,
): LogisticSelection {
  return crossValidateLogistic(data, options).select(options.measure, options.rule);
}

/** Options of {@link crossValidateSoftmax}. */
export interface CrossValidateSoftmaxOptions {
  /**
   * Mixing α ∈ [0, 1] of λ[(1 − α)/2‖B‖² + α‖B‖₁] (default 0: weight decay, by Newton's
   * method; above 0 glmnet's multinomial elastic net, each fold's fits warm-started down the
   * grid).
   */
  readonly alpha?: number;
  /** k folds or the caller's foldid (a hold-out split is accepted too). */
  readonly method: SelectionMethod;
  readonly seed: number;
  /** Candidate λ (default: glmnet's multinomial grid at α = 0 of `nLambda` values). */
  readonly lambdas?: ArrayLike<number>;
  readonly nLambda?: number;
  readonly lambdaMinRatio?: number;
  /** Standardize each training part's features (divisor n), as cv.glmnet does by default. */
  readonly standardize?: boolean;
  readonly tol?: number;
  readonly maxIter?: number;
}

/** The selection of {@link SoftmaxCrossValidation.select}: the refit is a softmax model. */
export interface SoftmaxSelection extends Omit<LogisticSelection, "model"> {
  /** Refit on all rows at `chosen`, on the input scale. */
  readonly model: SoftmaxFit;
}

/** The fold fits of a softmax cross-validation (see {@link crossValidateSoftmax}). */
export interface SoftmaxCrossValidation {
  readonly lambdas: number[];
  readonly foldSizes: number[];
  readonly classes: number;
  readonly converged: boolean;
  /**
   * The curve of `measure` ("deviance": the multinomial −2 log p of the true class, p clamped
   * to [1e-5, 1 − 1e-5] as cv.glmnet clamps it; "class": the misclassification rate of the
   * most probable class, the first on ties), λ_min, λ₁ₛₑ and the refit at `rule`'s λ.
   *
   * @throws RangeError for "auc", which is defined for two classes only
   */
  select(measure?: ClassificationMeasure, rule?: SelectionRule): SoftmaxSelection;
}

/** A softmax fit's probabilities of row i (into `out`). */
function softmaxRow(fit: SoftmaxFit, X: Float64Array, d: number, i: number, out: Float64Array) {
  const K = fit.classes;
  let top = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < K; k++) {
    let s = fit.biases[k] as number;
    for (let j = 0; j < d; j++) s += (X[i * d + j] as number) * (fit.weights[k * d + j] as number);
    out[k] = s;
    top = Math.max(top, s);
  }
  let sum = 0;
  for (let k = 0; k < K; k++) {
    out[k] = Math.exp((out[k] as number) - top);
    sum += out[k] as number;
  }
  for (let k = 0; k < K; k++) out[k] = (out[k] as number) / sum;
}

function softmaxScore(
  data: Dataset,
  val: Int32Array,
  fit: SoftmaxFit,
  measure: "deviance" | "class",
): number {
  const p = new Float64Array(fit.classes);
  let total = 0;
  for (const i of val) {
    softmaxRow(fit, data.X, data.d, i, p);
    const label = data.y[i] as number;
    if (measure === "deviance") {
      total += -2 * Math.log(Math.min(Math.max(p[label] as number, 1e-5), 1 - 1e-5));
    } else {
      let best = 0;
      for (let k = 1; k < fit.classes; k++) if ((p[k] as number) > (p[best] as number)) best = k;
      if (best !== label) total += 1;
    }
  }
  return total / val.length;
}

/** A softmax fit on standardized features, mapped back to the input scale, class by class. */
function softmaxToOriginalScale(fit: SoftmaxFit, s: Standardizer): SoftmaxFit {
  const d = s.mean.length;
  const weights = new Float64Array(fit.classes * d);
  const biases = new Float64Array(fit.classes);
  const kept = s.kept.length;
  for (let k = 0; k < fit.classes; k++) {
    const row = toOriginalScale(
      { weights: fit.weights.subarray(k * kept, (k + 1) * kept), bias: fit.biases[k] as number },
      s,
    );
    weights.set(row.weights, k * d);
    biases[k] = row.bias;
  }
  return { ...fit, weights, biases };
}

/**
 * cv.glmnet's multinomial family: softmax regression with weight decay
 * ({@link softmaxRegression}, exact by Newton's method) or, for α > 0, the elastic net
 * ({@link softmaxElasticNet}), fitted at every λ of the grid on every fold's training rows, the
 * held-out rows scored by deviance or misclassification, fold means weighted by fold size.
 * glmnet's multinomial λ is the canonical λ (mean cross-entropy + λ[(1 − α)/2‖B‖² + α‖B‖₁]).
 *
 * @throws RangeError as `selectLambda`, for labels that are not class indices, or a model past
 * Newton's size limit
 */
export function crossValidateSoftmax(
  data: Dataset,
  options: CrossValidateSoftmaxOptions,
): SoftmaxCrossValidation {
  const { method, seed, tol, maxIter, alpha = 0 } = options;
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must lie in [0, 1], got ${alpha}`);
  const { n, y } = data;
  const classes = softmaxClasses(y);
  const valRows = foldRows(data, method, seed);
  const scaled = (rows: Dataset) =>
    options.standardize ? fitStandardizer(rows, { constant: "drop" }) : undefined;
  const grid =
    options.lambdas !== undefined
      ? Float64Array.from(options.lambdas)
      : multinomialGrid(
          options.standardize ? standardize(data, scaled(data) as Standardizer) : data,
          {
            alpha,
            classes,
            ...(options.nLambda === undefined ? {} : { nLambda: options.nLambda }),
            ...(options.lambdaMinRatio === undefined
              ? {}
              : { lambdaMinRatio: options.lambdaMinRatio }),
          },
        ).lambdas;
  const lambdas = candidateLambdas(grid);
  const solver = {
    classes,
    ...(tol === undefined ? {} : { tol }),
    ...(maxIter === undefined ? {} : { maxIter }),
  };
  let converged = true;
  const fitsOn = (rows: Dataset, at: readonly number[]): SoftmaxFit[] => {
    const s = scaled(rows);
    const input = s ? standardize(rows, s) : rows;
    const fits = new Map<number, SoftmaxFit>();
    // Largest λ first, each elastic-net fit warm-started from the one before (glmnet's path).
    let previous: SoftmaxFit | undefined;
    for (const lambda of [...at].sort((a, b) => b - a)) {
      const fit =
        alpha === 0
          ? softmaxRegression(input, { lambda, ...solver })
          : softmaxElasticNet(input, {
              lambda,
              alpha,
              // The selection reads deviances to far fewer digits than a KKT residual of
              // 1e-10·g₀; at the smallest λ of a nearly separable fold (the wine data's fold 2
              // at λ = 1.2e-4) block coordinate descent stalls near 1.4e-10·g₀.
              ...solver,
              tol: tol ?? 1e-8,
              ...(previous ? { warmStart: previous } : {}),
            });
      if (!fit.converged) converged = false;
      previous = fit;
      fits.set(lambda, s ? softmaxToOriginalScale(fit, s) : fit);
    }
    return at.map((lambda) => fits.get(lambda) as SoftmaxFit);
  };
  const foldFits = valRows.map((val) => fitsOn(selectRows(data, complement(val, n)), lambdas));
  const foldSizes = valRows.map((v) => v.length);
  // Refits on all rows, made for the λ a selection picks (each fit is exact on its own: no path).
  const refits = new Map<number, SoftmaxFit>();
  return {
    lambdas,
    foldSizes,
    classes,
    get converged() {
      return converged;
    },
    select(measure = "deviance", rule = "min") {
      if (measure === "auc") {
        throw new RangeError("the AUC is defined for two classes: use deviance or class");
      }
      const picked = curveAndRules(
        lambdas,
        foldSizes,
        (f, k) =>
          softmaxScore(
            data,
            valRows[f] as Int32Array,
            (foldFits[f] as SoftmaxFit[])[k] as SoftmaxFit,
            measure,
          ),
        measure,
        rule,
      );
      let model = refits.get(picked.chosen);
      if (!model) {
        model = fitsOn(data, [picked.chosen])[0] as SoftmaxFit;
        refits.set(picked.chosen, model);
      }
      return { measure, lambdas, foldSizes, ...picked, model, converged };
    },
  };
}
