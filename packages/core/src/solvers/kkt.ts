/**
 * Optimality certificates for the elastic net (identity 16, generalized by identity 17): the
 * KKT (stationarity) residuals and the objective itself, computed on the raw, uncentered data
 * with the model's own bias so that they check a fitted model end to end.
 */
import type { Dataset } from "../data.js";
import type { LinearModel } from "../ridge.js";
import { checkDataset, checkPenalty } from "./internal.js";

/** The KKT residuals of a model; every entry is 0 at an exact elastic-net solution. */
export interface KKTReport {
  /** The worst residual over the weights and the bias. */
  readonly maxViolation: number;
  /** Where it occurs: a weight index, or −1 for the bias. */
  readonly worst: number;
  /** `|mean(y − Xw − b)|`, stationarity in the unpenalized bias. */
  readonly biasViolation: number;
  /** `c_j = x_jᵀ(y − Xw − b)/n`, the negative data gradient of each weight. */
  readonly correlations: Float64Array;
  /** The residual of each weight (see {@link lassoKKT}). */
  readonly violations: Float64Array;
}

/**
 * KKT residuals of `model` for the elastic net
 * `J = (1/n)Σ½(wᵀxᵢ + b − yᵢ)² + λ[(1 − α)/2‖w‖² + α‖w‖₁]`. Stationarity
 * `0 ∈ ∂J` reads, with `c_j = x_jᵀ(y − Xw − b)/n`:
 * - `c_j − λ(1 − α)w_j = λα·sign(w_j)` where `w_j ≠ 0`: residual `|c_j − λ(1 − α)w_j − λα·sign(w_j)|`;
 * - `|c_j| ≤ λα` where `w_j = 0`: residual `max(0, |c_j| − λα)`;
 * - `mean(y − Xw − b) = 0` for the bias.
 *
 * With α = 1 this is identity 16 (`|x_jᵀr|/n ≤ λ` at zeros, `= λ·sign(w_j)` elsewhere). The
 * residuals are in the units of the gradient. When the bias is the optimal one for w
 * (`b = ȳ − x̄ᵀw`, as every solver here returns), they are the entries of a subgradient of the
 * centered problem in w alone, so with `μ = λ_min(XcᵀXc/n) + λ(1 − α)` > 0 its distance to the
 * solution is at most `√d·maxViolation/μ`.
 *
 * @throws RangeError on malformed data or penalty, or a model of the wrong length
 */
export function lassoKKT(
  data: Dataset,
  model: LinearModel,
  lambda: number,
  alpha: number,
): KKTReport {
  checkDataset(data);
  checkPenalty(lambda, alpha);
  const { n, d, X } = data;
  const w = model.weights;
  if (w.length !== d) throw new RangeError(`the model has ${w.length} weights, expected d = ${d}`);
  const r = residuals(data, model);
  const correlations = new Float64Array(d);
  let meanR = 0;
  for (let i = 0; i < n; i++) {
    const ri = r[i] as number;
    meanR += ri;
    for (let j = 0; j < d; j++) {
      correlations[j] = (correlations[j] as number) + (X[i * d + j] as number) * ri;
    }
  }
  const biasViolation = Math.abs(meanR / n);
  const l1 = lambda * alpha;
  const l2 = lambda * (1 - alpha);
  const violations = new Float64Array(d);
  let maxViolation = biasViolation;
  let worst = -1;
  for (let j = 0; j < d; j++) {
    const cj = (correlations[j] as number) / n;
    correlations[j] = cj;
    const wj = w[j] as number;
    const v =
      wj === 0 ? Math.max(0, Math.abs(cj) - l1) : Math.abs(cj - l2 * wj - l1 * Math.sign(wj));
    violations[j] = v;
    // `!(v <= max)` also reports a NaN residual as the worst one.
    if (!(v <= maxViolation)) {
      maxViolation = v;
      worst = j;
    }
  }
  return { maxViolation, worst, biasViolation, correlations, violations };
}

/**
 * The elastic-net objective `J(w, b) = (1/n)Σ½(wᵀxᵢ + b − yᵢ)² + λ[(1 − α)/2‖w‖² + α‖w‖₁]`
 * (identity 17), in float64.
 */
export function elasticNetObjective(
  data: Dataset,
  model: LinearModel,
  lambda: number,
  alpha: number,
): number {
  checkDataset(data);
  checkPenalty(lambda, alpha);
  if (model.weights.length !== data.d) {
    throw new RangeError(`the model has ${model.weights.length} weights, expected d = ${data.d}`);
  }
  const r = residuals(data, model);
  let loss = 0;
  for (const ri of r) loss += ri * ri;
  let sq = 0;
  let abs = 0;
  for (const wj of model.weights) {
    sq += wj * wj;
    abs += Math.abs(wj);
  }
  return loss / (2 * data.n) + lambda * (((1 - alpha) / 2) * sq + alpha * abs);
}

/** `y − Xw − b`. */
function residuals(data: Dataset, model: LinearModel): Float64Array {
  const { X, y, n, d } = data;
  const w = model.weights;
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = (y[i] as number) - model.bias;
    for (let j = 0; j < d; j++) s -= (X[i * d + j] as number) * (w[j] as number);
    r[i] = s;
  }
  return r;
}
