/**
 * Logistic regression with weight decay, binary and softmax (multinomial), solved exactly (to
 * rounding) on the host by Newton's method: the chapter's penalty on the first classifier a network generalizes, and the
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
import { LAMBDA_CONVENTIONS } from "./conventions.js";
import { type Dataset, requireSingleOutput } from "./data.js";
import type { LinearModel } from "./ridge.js";
import { choleskySolve } from "./ridge.js";
import {
  GRAM_MAX_FEATURES,
  gramKernel,
  interceptOf,
  residualKernel,
  solveCD,
} from "./solvers/coordinate-descent.js";
import type { CenteredDesign } from "./solvers/internal.js";
import { weightedMeans, weightedMomentsOf } from "./solvers/moments.js";
import { logGrid } from "./solvers/path.js";

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
  return LAMBDA_CONVENTIONS["sklearn-logistic"].toCanonical(C, { n });
}

/** log(1 + e^z) without overflow or loss of precision for large |z|. */
function softplus(z: number): number {
  return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
}

/** The logistic function 1/(1 + e^{−z}), without overflow for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** The checks every model here makes of its data and λ (requireSingleOutput's too). */
/** @internal */
export function checkInputs(data: Dataset, lambda: number): void {
  const { X, y, n, d } = data;
  if (!(Number.isInteger(n) && n >= 1 && X.length === n * d && y.length === n)) {
    throw new RangeError(
      `malformed data: n = ${n}, d = ${d}, |X| = ${X.length}, |y| = ${y.length}`,
    );
  }
  if (!(Number.isFinite(lambda) && lambda >= 0)) {
    throw new RangeError(`lambda must be a finite number ≥ 0, got ${lambda}`);
  }
  for (const x of X) if (!Number.isFinite(x)) throw new RangeError("X has a non-finite entry");
}

/** The checks of an iterative solver's tolerance and budget. @internal */
export function checkSolverOptions(tol: number, maxIter: number): void {
  if (!(Number.isFinite(tol) && tol > 0))
    throw new RangeError(`tol must be a finite number > 0, got ${tol}`);
  if (!(Number.isSafeInteger(maxIter) && maxIter >= 1)) {
    throw new RangeError(`maxIter must be an integer ≥ 1, got ${maxIter}`);
  }
}

/**
 * The number of classes of labels that must be class indices 0, 1, …: `classes` when given,
 * else the largest label + 1. @internal
 *
 * @throws RangeError for a label that is not a class index, fewer than two classes or a label
 * outside them
 */
export function softmaxClasses(y: ArrayLike<number>, classes?: number): number {
  let top = -1;
  for (let i = 0; i < y.length; i++) {
    const v = y[i] as number;
    if (!(Number.isInteger(v) && v >= 0)) {
      throw new RangeError(`y[${i}] = ${v}: labels must be class indices 0, 1, …`);
    }
    top = Math.max(top, v);
  }
  const K = classes ?? top + 1;
  if (!(Number.isSafeInteger(K) && K >= 2)) {
    throw new RangeError(`softmax needs at least 2 classes, got ${K}`);
  }
  if (top >= K) throw new RangeError(`a label is ${top}, outside the ${K} classes`);
  return K;
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
  checkInputs(data, lambda);
  checkSolverOptions(tol, maxIter);
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

  const run = newtonMinimize(theta, objective, derivatives, gradient, hessian, tol, maxIter);
  if (lambda === 0 && separates(X, y, theta, n, d)) {
    throw new RangeError(
      "λ = 0 and the classes are separable: the log-loss has no minimizer (w grows without " +
        "bound); use λ > 0",
    );
  }
  return { weights: theta.slice(0, d), bias: theta[d] as number, ...run };
}

/** Options of {@link logisticElasticNet}. */
export interface LogisticElasticNetOptions {
  /** λ ≥ 0. */
  readonly lambda: number;
  /** Mixing α ∈ [0, 1] of λ[(1 − α)/2‖w‖² + α‖w‖₁]: 1 is the lasso. */
  readonly alpha: number;
  /**
   * Stop when every KKT residual of the logistic objective is at most tol·g₀,
   * g₀ = ‖Xᵀ(y − ȳ)‖_∞/n (the gradient at w = 0, λ_max·α); default 1e-10.
   */
  readonly tol?: number;
  /** Most outer (Newton) steps; default 100. */
  readonly maxIter?: number;
  /** A starting point (weights and bias), e.g. the solution at a nearby λ; else w = 0. */
  readonly warmStart?: LinearModel;
}

/** A fitted L1 / elastic-net logistic regression. */
export interface LogisticElasticNetFit extends LinearModel {
  /** Outer (quadratic approximation) steps. */
  readonly iterations: number;
  readonly converged: boolean;
  /** The largest KKT residual relative to g₀ (see `tol`). */
  readonly kkt: number;
}

/**
 * Binary logistic regression with an L1 or elastic-net penalty, glmnet's binomial family:
 *
 *   `J(w, b) = (1/n) Σ [log(1 + e^{zᵢ}) − yᵢzᵢ] + λ[(1 − α)/2‖w‖² + α‖w‖₁]`, z = Xw + b,
 *
 * by glmnet's algorithm (Friedman, Hastie & Tibshirani 2010, §3): at the current point the
 * log-loss is replaced by its quadratic (IRLS) approximation, weighted least squares with
 * weights sᵢ = pᵢ(1 − pᵢ) (floored at 1e-5, as glmnet does) and working response
 * zᵢ + (yᵢ − pᵢ)/sᵢ; that penalized problem is solved by cyclic coordinate descent with exact
 * zeros, then a backtracking line search on J itself keeps every step a decrease (glmnet omits
 * it and can cycle). Convergence is the KKT test of J's own (sub)gradient, as `tol` says.
 *
 * @throws RangeError on malformed data, labels other than 0 and 1, λ < 0, α outside [0, 1] or
 * bad options
 */
export function logisticElasticNet(
  data: Dataset,
  options: LogisticElasticNetOptions,
): LogisticElasticNetFit {
  requireSingleOutput(data, "logisticElasticNet");
  const { X, y, n, d } = data;
  const { lambda, alpha, tol = 1e-10, maxIter = 100 } = options;
  checkInputs(data, lambda);
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must lie in [0, 1], got ${alpha}`);
  checkSolverOptions(tol, maxIter);
  checkLabels(y);
  const l1 = lambda * alpha;
  const l2 = lambda * (1 - alpha);

  const w = new Float64Array(d);
  let positives = 0;
  for (const v of y) positives += v;
  let b = positives > 0 && positives < n ? Math.log(positives / (n - positives)) : 0;
  if (options.warmStart !== undefined) {
    const start = options.warmStart;
    if (start.weights.length !== d) {
      throw new RangeError(`warmStart has ${start.weights.length} weights, expected d = ${d}`);
    }
    w.set(start.weights);
    b = start.bias;
    if (!(w.every(Number.isFinite) && Number.isFinite(b))) {
      throw new RangeError("warmStart is not finite");
    }
  }

  const eta = new Float64Array(n);
  const p = new Float64Array(n);
  const refresh = (ww: Float64Array, bb: number) => {
    for (let i = 0; i < n; i++) {
      let e = bb;
      for (let j = 0; j < d; j++) e += (X[i * d + j] as number) * (ww[j] as number);
      eta[i] = e;
      p[i] = sigmoid(e);
    }
  };
  const penalized = (ww: Float64Array, bb: number): number => {
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let e = bb;
      for (let j = 0; j < d; j++) e += (X[i * d + j] as number) * (ww[j] as number);
      loss += softplus(e) - (y[i] as number) * e;
    }
    let sq = 0;
    let abs = 0;
    for (const v of ww) {
      sq += v * v;
      abs += Math.abs(v);
    }
    return loss / n + (l2 / 2) * sq + l1 * abs;
  };
  /** The largest KKT residual of J at (w, b), with p fresh. */
  const kktOf = (): number => {
    let worst = 0;
    let meanR = 0;
    for (let i = 0; i < n; i++) meanR += ((y[i] as number) - (p[i] as number)) / n;
    worst = Math.abs(meanR);
    for (let j = 0; j < d; j++) {
      let c = 0;
      for (let i = 0; i < n; i++)
        c += (X[i * d + j] as number) * ((y[i] as number) - (p[i] as number));
      c /= n;
      const wj = w[j] as number;
      const v =
        wj === 0 ? Math.max(0, Math.abs(c) - l1) : Math.abs(c - l2 * wj - l1 * Math.sign(wj));
      if (!(v <= worst)) worst = v;
    }
    return worst;
  };

  // g₀ = ‖Xᵀ(y − ȳ)‖_∞/n, the scale of every gradient here.
  let g0 = 0;
  {
    const ybar = positives / n;
    for (let j = 0; j < d; j++) {
      let c = 0;
      for (let i = 0; i < n; i++) c += (X[i * d + j] as number) * ((y[i] as number) - ybar);
      g0 = Math.max(g0, Math.abs(c / n));
    }
  }
  const scale = g0 > 0 ? g0 : 1;
  refresh(w, b);
  let kkt = kktOf();
  let converged = kkt <= tol * scale;
  let iterations = 0;
  let current = penalized(w, b);
  const s = new Float64Array(n);
  const work = new Float64Array(n);
  const wNew = new Float64Array(d);
  const wTrial = new Float64Array(d);
  while (!converged && iterations < maxIter) {
    iterations++;
    // The quadratic approximation at (w, b): IRLS weights s and the working response
    // ηᵢ + (yᵢ − pᵢ)/sᵢ, as weighted moments; the penalized weighted least squares is solved
    // by covariance-update coordinate descent (core's, to its KKT test), warm-started at w.
    for (let i = 0; i < n; i++) {
      const pi = p[i] as number;
      const si = Math.max(pi * (1 - pi), 1e-5);
      s[i] = si;
      work[i] = (eta[i] as number) + ((y[i] as number) - pi) / si;
    }
    const kernel =
      d <= GRAM_MAX_FEATURES
        ? gramKernel(weightedMomentsOf(X, work, s, n, d))
        : residualKernel(weightedDesign(X, work, s, n, d));
    wNew.set(w);
    // Inexact early, exact late: an inner accuracy in proportion to the outer KKT residual
    // keeps proximal Newton's fast local convergence without over-solving far from it.
    const innerTol = Math.max(1e-13, Math.min(1e-4, (0.01 * kkt) / scale));
    solveCD(kernel, lambda, alpha, innerTol, 100_000, wNew);
    const bNew = interceptOf(kernel, wNew);
    // Backtracking on J along the step to the approximation's minimizer.
    let t = 1;
    let next = Number.POSITIVE_INFINITY;
    let bTrial = b;
    for (let k = 0; k < 60; k++) {
      for (let j = 0; j < d; j++)
        wTrial[j] = (w[j] as number) + t * ((wNew[j] as number) - (w[j] as number));
      bTrial = b + t * (bNew - b);
      next = penalized(wTrial, bTrial);
      // Near the minimizer J cannot tell the full step from the current point (their
      // difference is rounding): take it, as Newton's method does, and let the KKT test decide.
      if (
        next <= current ||
        (k === 0 && next - current <= 64 * Number.EPSILON * Math.abs(current))
      ) {
        break;
      }
      t /= 2;
    }
    if (!(next <= current + 64 * Number.EPSILON * Math.abs(current))) break; // no decrease left
    w.set(wTrial);
    b = bTrial;
    current = next;
    refresh(w, b);
    kkt = kktOf();
    converged = kkt <= tol * scale;
  }
  return { weights: w, bias: b, iterations, converged, kkt: kkt / scale };
}

/** The binomial path of {@link logisticPath}: entry k of every array belongs to `lambdas[k]`. */
export interface LogisticPath {
  readonly alpha: number;
  /** `‖Xᵀ(y − ȳ)‖_∞/(n·α)`: the smallest λ at which w = 0 (α floored at 1e-3, as glmnet). */
  readonly lambdaMax: number;
  readonly lambdas: Float64Array;
  readonly weights: Float64Array[];
  readonly biases: Float64Array;
  readonly converged: boolean[];
}

/**
 * glmnet's binomial λ grid: `nLambda` values log-spaced from λ_max = ‖Xᵀ(y − ȳ)‖_∞/(n·α) (α
 * floored at 1e-3) down to `lambdaMinRatio·λ_max` (default 1e-4 when n > d, else 1e-2), largest
 * first.
 */
export function binomialGrid(
  data: Dataset,
  options: { readonly alpha: number; readonly nLambda?: number; readonly lambdaMinRatio?: number },
): { lambdaMax: number; lambdas: Float64Array } {
  const { X, y, n, d } = data;
  const { alpha, nLambda = 100, lambdaMinRatio = n > d ? 1e-4 : 1e-2 } = options;
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must lie in [0, 1], got ${alpha}`);
  checkLabels(y);
  if (!(Number.isSafeInteger(nLambda) && nLambda >= 1)) {
    throw new RangeError(`nLambda must be an integer ≥ 1, got ${nLambda}`);
  }
  if (!(lambdaMinRatio > 0 && lambdaMinRatio <= 1)) {
    throw new RangeError(`lambdaMinRatio must lie in (0, 1], got ${lambdaMinRatio}`);
  }
  let ybar = 0;
  for (let i = 0; i < n; i++) ybar += (y[i] as number) / n;
  let top = 0;
  for (let j = 0; j < d; j++) {
    let c = 0;
    for (let i = 0; i < n; i++) c += (X[i * d + j] as number) * ((y[i] as number) - ybar);
    top = Math.max(top, Math.abs(c / n));
  }
  const lambdaMax = top / Math.max(alpha, 1e-3);
  return { lambdaMax, lambdas: logGrid(lambdaMax > 0 ? lambdaMax : 1, nLambda, lambdaMinRatio) };
}

/**
 * glmnet's multinomial λ grid: `nLambda` values log-spaced from λ_max = max_{j,k}
 * |xⱼᵀ(y_k − ȳ_k)|/(n·α) (y_k the indicator of class k; α floored at 1e-3) down to
 * `lambdaMinRatio·λ_max` (default 1e-4 when n > d, else 1e-2), largest first.
 */
export function multinomialGrid(
  data: Dataset,
  options: {
    readonly alpha: number;
    readonly classes: number;
    readonly nLambda?: number;
    readonly lambdaMinRatio?: number;
  },
): { lambdaMax: number; lambdas: Float64Array } {
  const { X, y, n, d } = data;
  const { alpha, classes, nLambda = 100, lambdaMinRatio = n > d ? 1e-4 : 1e-2 } = options;
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must lie in [0, 1], got ${alpha}`);
  if (!(Number.isSafeInteger(nLambda) && nLambda >= 1)) {
    throw new RangeError(`nLambda must be an integer ≥ 1, got ${nLambda}`);
  }
  if (!(lambdaMinRatio > 0 && lambdaMinRatio <= 1)) {
    throw new RangeError(`lambdaMinRatio must lie in (0, 1], got ${lambdaMinRatio}`);
  }
  let top = 0;
  for (let k = 0; k < classes; k++) {
    let ybar = 0;
    for (let i = 0; i < n; i++) ybar += (y[i] === k ? 1 : 0) / n;
    for (let j = 0; j < d; j++) {
      let c = 0;
      for (let i = 0; i < n; i++) c += (X[i * d + j] as number) * ((y[i] === k ? 1 : 0) - ybar);
      top = Math.max(top, Math.abs(c / n));
    }
  }
  const lambdaMax = top / Math.max(alpha, 1e-3);
  return { lambdaMax, lambdas: logGrid(lambdaMax > 0 ? lambdaMax : 1, nLambda, lambdaMinRatio) };
}

/**
 * {@link logisticElasticNet} along a grid of λ, largest first, each fit warm-started from the
 * previous one, as glmnet's binomial family computes its path: by default `nLambda` values
 * log-spaced from λ_max down to `lambdaMinRatio·λ_max` (1e-4 when n > d, else 1e-2), or the
 * given `lambdas` (returned in their order).
 */
export function logisticPath(
  data: Dataset,
  options: {
    readonly alpha: number;
    readonly nLambda?: number;
    readonly lambdaMinRatio?: number;
    readonly lambdas?: ArrayLike<number>;
    readonly tol?: number;
    readonly maxIter?: number;
  },
): LogisticPath {
  const { alpha } = options;
  const { lambdaMax, lambdas: grid } = binomialGrid(data, options);
  const lambdas = options.lambdas !== undefined ? Float64Array.from(options.lambdas) : grid;
  if (lambdas.length === 0) throw new RangeError("lambdas must not be empty");
  const m = lambdas.length;
  const weights: Float64Array[] = new Array(m);
  const biases = new Float64Array(m);
  const converged: boolean[] = new Array(m).fill(true);
  const order = Array.from(lambdas.keys()).sort(
    (p, q) => (lambdas[q] as number) - (lambdas[p] as number),
  );
  let start: LinearModel | undefined;
  for (const k of order) {
    const fit = logisticElasticNet(data, {
      lambda: lambdas[k] as number,
      alpha,
      ...(options.tol === undefined ? {} : { tol: options.tol }),
      ...(options.maxIter === undefined ? {} : { maxIter: options.maxIter }),
      ...(start === undefined ? {} : { warmStart: start }),
    });
    weights[k] = fit.weights;
    biases[k] = fit.bias;
    converged[k] = fit.converged;
    start = fit;
  }
  return { alpha, lambdaMax, lambdas, weights, biases, converged };
}

/**
 * The weighted least squares `(1/(2n)) Σ sᵢ(zᵢ − b − xᵢᵀw)²` as an unweighted problem without
 * intercept, for the residual kernel (d past {@link GRAM_MAX_FEATURES}): with weighted means x̄,
 * z̄ the best b is z̄ − x̄ᵀw for every w, and what is left is ‖z̃ − X̃w‖²/(2n) with rows
 * scaled by √sᵢ: x̃ᵢ = √sᵢ(xᵢ − x̄), z̃ᵢ = √sᵢ(zᵢ − z̄). @internal
 */
export function weightedDesign(
  X: Float64Array,
  z: Float64Array,
  s: Float64Array,
  n: number,
  d: number,
): CenteredDesign {
  const { xMean, yMean } = weightedMeans(X, z, s, n, d);
  const cols = new Float64Array(n * d);
  const yc = new Float64Array(n);
  const colScale = new Float64Array(d);
  let yScale = 0;
  for (let i = 0; i < n; i++) {
    const root = Math.sqrt(s[i] as number);
    const v = root * ((z[i] as number) - yMean);
    yc[i] = v;
    yScale += v * v;
    for (let j = 0; j < d; j++) {
      const x = root * ((X[i * d + j] as number) - (xMean[j] as number));
      cols[j * n + i] = x;
      colScale[j] = (colScale[j] as number) + x * x;
    }
  }
  for (let j = 0; j < d; j++) colScale[j] = (colScale[j] as number) / n;
  return { n, d, cols, yc, xMean, yMean, colScale, yScale: yScale / n };
}

/** Options of {@link softmaxRegression}. */
export interface SoftmaxOptions extends LogisticOptions {
  /** The number of classes K (default: the largest label + 1). */
  readonly classes?: number;
}

/** A fitted softmax (multinomial logistic) regression. */
export interface SoftmaxFit {
  /** The weights, K×d row-major: row k holds class k's w_k. */
  readonly weights: Float64Array;
  /** The K biases, summing to 0 (see {@link softmaxRegression}). */
  readonly biases: Float64Array;
  readonly classes: number;
  readonly iterations: number;
  readonly converged: boolean;
  /** ‖∇‖_∞ at the returned parameters, relative to the gradient at the start. */
  readonly gradientNorm: number;
}

/** Newton's Hessian has (K(d + 1))² entries; past this many parameters it would not fit well. */
export const SOFTMAX_NEWTON_MAX_PARAMETERS = 2000;

/**
 * Fits softmax (multinomial logistic) regression with weight decay by Newton's method:
 * labels y ∈ {0, …, K − 1}, scores `s_ik = w_kᵀxᵢ + b_k`,
 *
 *   `J(W, b) = (1/n) Σ [log Σ_k e^{s_ik} − s_{i,yᵢ}] + (λ/2)‖W‖²_F`,
 *
 * biases unpenalized. The probabilities do not change when every b_k moves by the same amount,
 * so the biases are fixed by adding ½(Σ_k b_k)², which is 0 at the answer and leaves W alone:
 * they sum to 0, as scikit-learn's do. scikit-learn's `LogisticRegression(C,
 * multi_class="multinomial")` is this J with λ = 1/(C·n). The log-sum-exp is taken after
 * subtracting each row's largest score (no overflow). Each Newton step forms the
 * (K(d + 1))² Hessian `(1/n)Σ (diag(pᵢ) − pᵢpᵢᵀ) ⊗ x̃ᵢx̃ᵢᵀ + λI_W + 11ᵀ_b`, x̃ = [x; 1].
 *
 * @throws RangeError on malformed data, labels that are not integers in [0, K), fewer than two
 * classes, λ < 0, more than {@link SOFTMAX_NEWTON_MAX_PARAMETERS} parameters, or bad options
 */
export function softmaxRegression(data: Dataset, options: SoftmaxOptions): SoftmaxFit {
  requireSingleOutput(data, "softmaxRegression");
  const { X, y, n, d } = data;
  const { lambda, tol = 1e-12, maxIter = 100 } = options;
  checkInputs(data, lambda);
  checkSolverOptions(tol, maxIter);
  const K = softmaxClasses(y, options.classes);
  const m = d + 1;
  const P = K * m;
  if (P > SOFTMAX_NEWTON_MAX_PARAMETERS) {
    throw new RangeError(
      `${K} classes × ${m} parameters = ${P}: Newton's ${P}² Hessian is past ${SOFTMAX_NEWTON_MAX_PARAMETERS} parameters`,
    );
  }
  const theta = new Float64Array(P); // theta[k·m + j]: w_kj for j < d, b_k for j = d
  const gradient = new Float64Array(P);
  const hessian = new Float64Array(P * P);
  const scores = new Float64Array(K);
  const prob = new Float64Array(K);

  /** Row i's probabilities into `prob`; returns log Σ e^{s} − s_{yᵢ}. */
  const row = (t: Float64Array, i: number): number => {
    const off = i * d;
    let best = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) {
      let s = t[k * m + d] as number;
      for (let j = 0; j < d; j++) s += (X[off + j] as number) * (t[k * m + j] as number);
      scores[k] = s;
      if (s > best) best = s;
    }
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp((scores[k] as number) - best);
      prob[k] = e;
      sum += e;
    }
    for (let k = 0; k < K; k++) prob[k] = (prob[k] as number) / sum;
    return best + Math.log(sum) - (scores[y[i] as number] as number);
  };
  const penalty = (t: Float64Array): number => {
    let sq = 0;
    let biasSum = 0;
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < d; j++) sq += (t[k * m + j] as number) ** 2;
      biasSum += t[k * m + d] as number;
    }
    return (lambda / 2) * sq + 0.5 * biasSum * biasSum;
  };
  const objective = (t: Float64Array): number => {
    let loss = 0;
    for (let i = 0; i < n; i++) loss += row(t, i);
    return loss / n + penalty(t);
  };
  const xt = new Float64Array(m);
  const derivatives = (withHessian: boolean): number => {
    gradient.fill(0);
    if (withHessian) hessian.fill(0);
    for (let i = 0; i < n; i++) {
      row(theta, i);
      for (let j = 0; j < d; j++) xt[j] = X[i * d + j] as number;
      xt[d] = 1;
      const yi = y[i] as number;
      for (let k = 0; k < K; k++) {
        const r = (prob[k] as number) - (k === yi ? 1 : 0);
        for (let j = 0; j < m; j++)
          gradient[k * m + j] = (gradient[k * m + j] as number) + r * (xt[j] as number);
      }
      if (!withHessian) continue;
      // Block (k, l): (δ_kl p_k − p_k p_l)·x̃x̃ᵀ; upper triangle of the whole matrix only.
      for (let k = 0; k < K; k++) {
        const pk = prob[k] as number;
        for (let l = k; l < K; l++) {
          const c = (k === l ? pk : 0) - pk * (prob[l] as number);
          if (c === 0) continue;
          for (let a = 0; a < m; a++) {
            const ca = c * (xt[a] as number);
            if (ca === 0) continue;
            const rowBase = (k * m + a) * P + l * m;
            for (let b = k === l ? a : 0; b < m; b++) {
              hessian[rowBase + b] = (hessian[rowBase + b] as number) + ca * (xt[b] as number);
            }
          }
        }
      }
    }
    let biasSum = 0;
    for (let k = 0; k < K; k++) biasSum += theta[k * m + d] as number;
    let norm = 0;
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < m; j++) {
        const q = k * m + j;
        const g = (gradient[q] as number) / n + (j < d ? lambda * (theta[q] as number) : biasSum);
        gradient[q] = g;
        norm = Math.max(norm, Math.abs(g));
      }
    }
    if (withHessian) {
      for (let q = 0; q < P; q++) {
        for (let r = q; r < P; r++) {
          let v = (hessian[q * P + r] as number) / n;
          const qb = q % m === d;
          const rb = r % m === d;
          if (q === r && !qb) v += lambda;
          if (qb && rb) v += 1;
          hessian[q * P + r] = v;
          hessian[r * P + q] = v;
        }
      }
    }
    return norm;
  };
  const run = newtonMinimize(theta, objective, derivatives, gradient, hessian, tol, maxIter);
  const weights = new Float64Array(K * d);
  const biases = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < d; j++) weights[k * d + j] = theta[k * m + j] as number;
    biases[k] = theta[k * m + d] as number;
  }
  return { weights, biases, classes: K, ...run };
}

/**
 * Newton's method with a backtracking (Armijo) line search, shared by the binary and the
 * multinomial model: `derivatives(withHessian)` fills `gradient` (and the symmetric
 * `hessian`) at `theta` and returns ‖∇‖_∞. Stops when ‖∇‖_∞ ≤ tol·‖∇ at the start‖_∞. Near the
 * minimizer the predicted decrease is below the rounding of the objective itself, so the line
 * search would only reject good steps there: Newton's full step is taken once the decrease is
 * unmeasurable (it converges quadratically). A singular Hessian ends the iteration.
 */
function newtonMinimize(
  theta: Float64Array,
  objective: (t: Float64Array) => number,
  derivatives: (withHessian: boolean) => number,
  gradient: Float64Array,
  hessian: Float64Array,
  tol: number,
  maxIter: number,
): { iterations: number; converged: boolean; gradientNorm: number } {
  const m = theta.length;
  const g0 = derivatives(false);
  const scale = g0 > 0 ? g0 : 1;
  let gradientNorm = g0;
  let iterations = 0;
  let converged = gradientNorm <= tol * scale;
  let current = objective(theta);
  const trial = new Float64Array(m);
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
      break;
    }
    let slope = 0;
    for (let j = 0; j < m; j++) slope += (gradient[j] as number) * (step[j] as number);
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
  return { iterations, converged, gradientNorm: gradientNorm / scale };
}
