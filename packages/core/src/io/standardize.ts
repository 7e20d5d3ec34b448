/**
 * Feature standardization, z = (x − μ)/σ with the mean and population standard deviation of
 * the training rows, and the maps of a linear model's coefficients between the two scales.
 *
 * Why it matters for weight decay: the penalty (λ/2)‖w‖² treats every weight alike, so on raw
 * features it shrinks a feature measured in millimetres far less than the same feature in
 * metres. Training on standardized features makes λ mean the same for every column; the model
 * is then mapped back so that it predicts from raw features.
 *
 * On the original scale, for kept columns j: `w_j = w̃_j / σ_j` and
 * `b = b̃ − Σ_j w̃_j μ_j / σ_j`; so `b + Σ w_j x_j = b̃ + Σ w̃_j z_j` for every row.
 */
import type { Dataset } from "../data.js";
import type { LinearModel } from "../ridge.js";

/** A constant feature cannot be standardized (σ = 0); names it when the caller gave names. */
export class StandardizeError extends Error {
  /** 0-based index of the feature, or undefined when the error is about every feature. */
  readonly featureIndex: number | undefined;
  /** Its name, when the caller passed `featureNames`. */
  readonly featureName: string | undefined;

  constructor(message: string, featureIndex?: number, featureName?: string) {
    super(message);
    this.name = "StandardizeError";
    this.featureIndex = featureIndex;
    this.featureName = featureName;
  }
}

/** What {@link standardize} applies: per-feature mean and standard deviation. */
export interface Standardizer {
  /** Mean of each original feature (length d). */
  readonly mean: Float64Array;
  /**
   * Population standard deviation of each original feature (length d); 0 marks a constant
   * column that was dropped, whose weight on the original scale is 0.
   */
  readonly std: Float64Array;
  /** Original indices of the columns {@link standardize} keeps, ascending. */
  readonly kept: Int32Array;
}

/** Options of {@link fitStandardizer}. */
export interface StandardizeOptions {
  /**
   * What to do with a constant feature: `"error"` (default) throws {@link StandardizeError};
   * `"drop"` leaves it out of the standardized data (it carries no information about y in
   * these rows, and its constant value is absorbed by the bias).
   */
  readonly constant?: "error" | "drop";
  /** Feature names, for error messages. */
  readonly featureNames?: readonly string[];
}

function featureLabel(j: number, names: readonly string[] | undefined): string {
  const name = names?.[j];
  return name === undefined ? `feature ${j + 1}` : `feature ${JSON.stringify(name)}`;
}

/**
 * Fits the mean and population standard deviation (divisor n) of every feature. A column is
 * constant when all its values are equal, tested exactly: a computed σ of a constant column
 * can be a rounding error away from 0 rather than 0.
 */
export function fitStandardizer(dataset: Dataset, options: StandardizeOptions = {}): Standardizer {
  const { X, n, d } = dataset;
  const { constant = "error", featureNames } = options;
  if (n < 1) throw new RangeError("cannot fit a standardizer to a data set without rows");
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  const kept: number[] = [];
  for (let j = 0; j < d; j++) {
    const first = X[j] as number;
    let sum = 0;
    let isConstant = true;
    for (let i = 0; i < n; i++) {
      const x = X[i * d + j] as number;
      sum += x;
      if (x !== first) isConstant = false;
    }
    if (isConstant) {
      if (constant === "error") {
        throw new StandardizeError(
          `${featureLabel(j, featureNames)} is constant (every value is ${first}), so it cannot be standardized; remove the column or drop constant columns`,
          j,
          featureNames?.[j],
        );
      }
      mean[j] = first;
      continue;
    }
    const mu = sum / n;
    // Two passes: Σ(x − μ)² does not cancel catastrophically as Σx² − nμ² can.
    let squares = 0;
    for (let i = 0; i < n; i++) squares += ((X[i * d + j] as number) - mu) ** 2;
    mean[j] = mu;
    std[j] = Math.sqrt(squares / n);
    kept.push(j);
  }
  if (kept.length === 0 && d > 0) {
    throw new StandardizeError("every feature is constant; no feature is left to train on");
  }
  return { mean, std, kept: Int32Array.from(kept) };
}

function checkWidth(what: string, got: number, expected: number): void {
  if (got !== expected) {
    throw new RangeError(`${what} has ${got} features but the standardizer expects ${expected}`);
  }
}

/** The data set with each kept feature standardized (`y` unchanged; the bias absorbs its mean). */
export function standardize(dataset: Dataset, s: Standardizer): Dataset {
  const { X, y, n, d } = dataset;
  checkWidth("the data set", d, s.mean.length);
  const k = s.kept.length;
  const Z = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const j = s.kept[c] as number;
      Z[i * k + c] = ((X[i * d + j] as number) - (s.mean[j] as number)) / (s.std[j] as number);
    }
  }
  return dataset.outputs === undefined
    ? { X: Z, y, n, d: k }
    : { X: Z, y, n, d: k, outputs: dataset.outputs };
}

/**
 * Maps a model trained on standardized features (one weight per kept column) to the original
 * features (one weight per original column, 0 for dropped ones).
 */
export function toOriginalScale(model: LinearModel, s: Standardizer): LinearModel {
  checkWidth("the standardized model", model.weights.length, s.kept.length);
  const weights = new Float64Array(s.mean.length);
  let bias = model.bias;
  for (let c = 0; c < s.kept.length; c++) {
    const j = s.kept[c] as number;
    const w = (model.weights[c] as number) / (s.std[j] as number);
    weights[j] = w;
    bias -= w * (s.mean[j] as number);
  }
  return { weights, bias };
}

/**
 * Maps a model on the original features to the standardized ones: `w̃_j = w_j σ_j`,
 * `b̃ = b + Σ_j w_j μ_j`. A dropped constant column's term `w_j μ_j` is folded into the bias,
 * so predictions agree on rows where that column has its constant value.
 */
export function toStandardScale(model: LinearModel, s: Standardizer): LinearModel {
  checkWidth("the model", model.weights.length, s.mean.length);
  const weights = new Float64Array(s.kept.length);
  let bias = model.bias;
  for (let j = 0; j < s.mean.length; j++) {
    bias += (model.weights[j] as number) * (s.mean[j] as number);
  }
  for (let c = 0; c < s.kept.length; c++) {
    const j = s.kept[c] as number;
    weights[c] = (model.weights[j] as number) * (s.std[j] as number);
  }
  return { weights, bias };
}
