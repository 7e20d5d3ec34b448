/**
 * Binary logistic regression with weight decay, solved exactly (to rounding) on the host by
 * Newton's method: the chapter's penalty on the first classifier a network generalizes, and the
 * reference scikit-learn and glmnet users check a classifier against (issue 14, item 5).
 *
 * Objective (canonical, like the linear models' `J` with the log-loss as the data term), labels
 * y ∈ {0, 1}, z = Xw + b, bias not penalized:
 *
 *   `J(w, b) = (1/n) Σ [log(1 + e^{zᵢ}) − yᵢzᵢ] + (λ/2)‖w‖²`.
 *
 * scikit-learn's `LogisticRegression(C)` minimizes `C·Σ log-loss + ½‖w‖²` (its lbfgs and
 * newton-cg solvers leave the intercept unpenalized): dividing by C·n gives J with
 * `λ = 1/(C·n)` ({@link lambdaFromLogisticC}).
 */
import { type Dataset, requireSingleOutput } from "./data.js";
import type { LinearModel } from "./ridge.js";
import { choleskySolve } from "./ridge.js";

/** Options of {@link logisticRegression}. */
export interface LogisticOptions {
  /** λ ≥ 0 of (λ/2)‖w‖². λ = 0 has no minimizer when the classes are separable. */
  readonly lambda: number;
  /**
   * Stop when ‖∇J‖_∞ ≤ tol·‖∇J(0, b₀)‖_∞, the gradient at w = 0 with the best constant bias
   * (default 1e-12; Newton's quadratic convergence reaches it in a step or two more than 1e-6).
   */
  readonly tol?: number;
  /** Most Newton steps (default 100). */
  readonly maxIter?: number;
}

/** A fitted logistic regression and how Newton's method got there. */
export interface LogisticFit extends LinearModel {
  readonly iterations: number;
  /** Whether the gradient test held within `maxIter`; if false the weights are the last iterate. */
  readonly converged: boolean;
  /** ‖∇J‖_∞ at the returned weights, relative to the gradient at w = 0 (see `tol`). */
  readonly gradientNorm: number;
}

/** scikit-learn's `LogisticRegression(C)` as the canonical λ on n rows: λ = 1/(C·n). */
export function lambdaFromLogisticC(C: number, n: number): number {
  if (!(Number.isFinite(C) && C > 0))
    throw new RangeError(`C must be a finite number > 0, got ${C}`);
  if (!(Number.isSafeInteger(n) && n >= 1))
    throw new RangeError(`n must be an integer ≥ 1, got ${n}`);
  return 1 / (C * n);
}

/** log(1 + e^z) without overflow or loss of precision for large |z|. */
function softplus(z: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

/** 1/(1 + e^{−z}) without overflow. */
function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

function checkLabels(y: Float64Array): void {
  for (let i = 0; i < y.length; i++) {
    const v = y[i] as number;
    if (v !== 0 && v !== 1) throw new RangeError(`y[${i}] = ${v}: labels must be 0 or 1`);
  }
}

/** Whether (w, b) = theta puts every row strictly on its own class's side of the boundary. */
function separates(X: Float64Array, y: Float64Array, theta: Float64Array, n: number, d: number) {
  for (let i = 0; i < n; i++) {
    let z = theta[d] as number;
    for (let j = 0; j < d; j++) z += (X[i * d + j] as number) * (theta[j] as number);
    if ((y[i] === 1 ? z : -z) <= 0) return false;
  }
  return true;
}

/** J(w, b) of the module's TSDoc, in float64. */
export function logisticObjective(data: Dataset, model: LinearModel, lambda: number): number {
  const { X, y, n, d } = data;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let z = model.bias;
    for (let j = 0; j < d; j++) z += (X[i * d + j] as number) * (model.weights[j] as number);
    loss += softplus(z) - (y[i] as number) * z;
  }
  let sq = 0;
  for (const w of model.weights) sq += w * w;
  return loss / n + (lambda / 2) * sq;
}

/**
 * Fits binary logistic regression by Newton's method on (w, b) jointly, with a backtracking
 * (Armijo) line search so that J decreases at every step. The Hessian
 * `[XᵀSX/n + λI, XᵀS1/n; 1ᵀSX/n, 1ᵀS1/n]`, S = diag(pᵢ(1 − pᵢ)), is positive definite for
 * λ > 0 and solved by Cholesky; each step costs O(nd²). Starts at w = 0 with the bias that fits
 * the class balance.
 *
 * @throws RangeError on malformed data, labels other than 0 and 1, λ < 0 or bad options, and
 * for λ = 0 when the result separates the classes (no minimizer exists; w would only grow)
 */
export function logisticRegression(data: Dataset, options: LogisticOptions): LogisticFit {
  requireSingleOutput(data, "logisticRegression");
  const { X, y, n, d } = data;
  const { lambda, tol = 1e-12, maxIter = 100 } = options;
  if (!(Number.isInteger(n) && n >= 1 && X.length === n * d && y.length === n)) {
    throw new RangeError(
      `malformed data: n = ${n}, d = ${d}, |X| = ${X.length}, |y| = ${y.length}`,
    );
  }
  if (!(Number.isFinite(lambda) && lambda >= 0)) {
    throw new RangeError(`lambda must be a finite number ≥ 0, got ${lambda}`);
  }
  if (!(Number.isFinite(tol) && tol > 0))
    throw new RangeError(`tol must be a finite number > 0, got ${tol}`);
  if (!(Number.isSafeInteger(maxIter) && maxIter >= 1)) {
    throw new RangeError(`maxIter must be an integer ≥ 1, got ${maxIter}`);
  }
  for (const x of X) if (!Number.isFinite(x)) throw new RangeError("X has a non-finite entry");
  checkLabels(y);

  const m = d + 1;
  const theta = new Float64Array(m);
  let positives = 0;
  for (const v of y) positives += v;
  // The best constant model: logit of the class balance (0 or n positives: no finite bias).
  if (positives > 0 && positives < n) theta[d] = Math.log(positives / (n - positives));

  const gradient = new Float64Array(m);
  const hessian = new Float64Array(m * m);
  const objective = (t: Float64Array): number => {
    let loss = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      let zi = t[d] as number;
      for (let j = 0; j < d; j++) zi += (X[i * d + j] as number) * (t[j] as number);
      loss += softplus(zi) - (y[i] as number) * zi;
    }
    for (let j = 0; j < d; j++) sq += (t[j] as number) ** 2;
    return loss / n + (lambda / 2) * sq;
  };
  /** Fills gradient (and the Hessian when asked) at theta; returns ‖∇J‖_∞. */
  const derivatives = (withHessian: boolean): number => {
    gradient.fill(0);
    if (withHessian) hessian.fill(0);
    for (let i = 0; i < n; i++) {
      let zi = theta[d] as number;
      const row = i * d;
      for (let j = 0; j < d; j++) zi += (X[row + j] as number) * (theta[j] as number);
      const p = sigmoid(zi);
      const r = p - (y[i] as number);
      for (let j = 0; j < d; j++)
        gradient[j] = (gradient[j] as number) + r * (X[row + j] as number);
      gradient[d] = (gradient[d] as number) + r;
      if (!withHessian) continue;
      const s = p * (1 - p);
      if (s === 0) continue;
      // Upper triangle of [x; 1][x; 1]ᵀ·s.
      for (let j = 0; j < d; j++) {
        const sx = s * (X[row + j] as number);
        const base = j * m;
        for (let k = j; k < d; k++)
          hessian[base + k] = (hessian[base + k] as number) + sx * (X[row + k] as number);
        hessian[base + d] = (hessian[base + d] as number) + sx;
      }
      hessian[d * m + d] = (hessian[d * m + d] as number) + s;
    }
    let top = 0;
    for (let j = 0; j < m; j++) {
      const g = (gradient[j] as number) / n + (j < d ? lambda * (theta[j] as number) : 0);
      gradient[j] = g;
      top = Math.max(top, Math.abs(g));
    }
    if (withHessian) {
      for (let j = 0; j < m; j++) {
        for (let k = j; k < m; k++) {
          const v = (hessian[j * m + k] as number) / n + (j === k && j < d ? lambda : 0);
          hessian[j * m + k] = v;
          hessian[k * m + j] = v;
        }
      }
    }
    return top;
  };

  const g0 = derivatives(false);
  const scale = g0 > 0 ? g0 : 1;
  let gradientNorm = g0;
  let iterations = 0;
  let converged = gradientNorm <= tol * scale;
  let current = objective(theta);
  while (!converged && iterations < maxIter) {
    derivatives(true);
    let step: Float64Array;
    try {
      step = choleskySolve(
        hessian,
        gradient.map((g) => -g),
        m,
      );
    } catch {
      break; // singular Hessian (λ = 0 on degenerate data): stop with the last iterate
    }
    let slope = 0;
    for (let j = 0; j < m; j++) slope += (gradient[j] as number) * (step[j] as number);
    const trial = new Float64Array(m);
    // Near the minimizer the predicted decrease −slope/2 is below the rounding of J itself, so
    // J cannot tell a good step from a bad one: take Newton's full step there (it converges
    // quadratically), and search only while the decrease is measurable.
    const measurable = -slope > 64 * Number.EPSILON * Math.max(1, Math.abs(current));
    let t = 1;
    let next = Number.POSITIVE_INFINITY;
    for (let k = 0; k < 60; k++) {
      for (let j = 0; j < m; j++) trial[j] = (theta[j] as number) + t * (step[j] as number);
      next = objective(trial);
      if (!measurable || next <= current + 1e-4 * t * slope) break;
      t /= 2;
    }
    iterations++;
    theta.set(trial);
    current = next;
    gradientNorm = derivatives(false);
    converged = gradientNorm <= tol * scale;
  }
  if (lambda === 0 && separates(X, y, theta, n, d)) {
    throw new RangeError(
      "λ = 0 and the classes are separable: the log-loss has no minimizer (w grows without " +
        "bound); use λ > 0",
    );
  }
  return {
    weights: theta.slice(0, d),
    bias: theta[d] as number,
    iterations,
    converged,
    gradientNorm: gradientNorm / scale,
  };
}
