/**
 * Closed-form ridge regression in float64 on the host (identity 11): on centered data,
 * `w* = (XcᵀXc + nλI)⁻¹Xcᵀyc`, `b* = ȳ − x̄ᵀw*`, the minimizer of the canonical objective
 * `mean ½(Xw + b − y)² + (λ/2)‖w‖²`. It is the reference the trained backends converge to.
 */
import { type Dataset, requireSingleOutput } from "./data.js";

/** A fitted linear model. */
export interface LinearModel {
  readonly weights: Float64Array;
  readonly bias: number;
}

/**
 * Solves the symmetric positive definite system `A x = rhs` (A is m×m, row-major) by Cholesky,
 * in place on copies. Throws when A is not positive definite to working precision.
 */
export function choleskySolve(A: Float64Array, rhs: Float64Array, m: number): Float64Array {
  const L = Float64Array.from(A);
  for (let j = 0; j < m; j++) {
    let diag = L[j * m + j] as number;
    for (let k = 0; k < j; k++) diag -= (L[j * m + k] as number) ** 2;
    if (!(diag > 0)) throw new RangeError("the system is singular (not positive definite)");
    const ljj = Math.sqrt(diag);
    L[j * m + j] = ljj;
    for (let i = j + 1; i < m; i++) {
      let s = L[i * m + j] as number;
      for (let k = 0; k < j; k++) s -= (L[i * m + k] as number) * (L[j * m + k] as number);
      L[i * m + j] = s / ljj;
    }
  }
  const x = Float64Array.from(rhs);
  for (let i = 0; i < m; i++) {
    let s = x[i] as number;
    for (let k = 0; k < i; k++) s -= (L[i * m + k] as number) * (x[k] as number);
    x[i] = s / (L[i * m + i] as number);
  }
  for (let i = m - 1; i >= 0; i--) {
    let s = x[i] as number;
    for (let k = i + 1; k < m; k++) s -= (L[k * m + i] as number) * (x[k] as number);
    x[i] = s / (L[i * m + i] as number);
  }
  return x;
}

/**
 * The ridge solution for λ ≥ 0 (canonical convention). With d ≤ n it solves the d×d normal
 * equations; with d > n (the chapter's case) the n×n dual system
 * `w = Xcᵀ(XcXcᵀ + nλI)⁻¹yc`, which needs λ > 0: centered data of n rows have rank < n.
 */
export function ridgeClosedForm(data: Dataset, lambda: number): LinearModel {
  const { X, y, n, d } = data;
  requireSingleOutput(data, "ridgeClosedForm");
  if (!(Number.isFinite(lambda) && lambda >= 0)) {
    throw new RangeError(`lambda must be a finite number ≥ 0, got ${lambda}`);
  }
  // Centered data of n rows have rank ≤ n − 1: with d ≥ n least squares has no unique solution,
  // whatever rounding lets a Cholesky factorization of the singular system do (it used to pass
  // on some data sets and fail on others).
  if (lambda === 0 && d >= n) {
    throw new RangeError(
      `ridge has no unique solution for λ = 0 on these data (d = ${d} features but n = ${n} rows; centering leaves rank ≤ ${n - 1}); use λ > 0`,
    );
  }
  const xMean = new Float64Array(d);
  let yMean = 0;
  for (let i = 0; i < n; i++) {
    yMean += (y[i] as number) / n;
    for (let j = 0; j < d; j++) xMean[j] = (xMean[j] as number) + (X[i * d + j] as number) / n;
  }
  const Xc = new Float64Array(n * d);
  const yc = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    yc[i] = (y[i] as number) - yMean;
    for (let j = 0; j < d; j++) Xc[i * d + j] = (X[i * d + j] as number) - (xMean[j] as number);
  }
  const ridge = n * lambda;
  let w: Float64Array;
  try {
    if (d <= n) {
      const A = new Float64Array(d * d);
      const rhs = new Float64Array(d);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < d; j++) {
          const xij = Xc[i * d + j] as number;
          rhs[j] = (rhs[j] as number) + xij * (yc[i] as number);
          for (let k = 0; k < d; k++)
            A[j * d + k] = (A[j * d + k] as number) + xij * (Xc[i * d + k] as number);
        }
      }
      for (let j = 0; j < d; j++) A[j * d + j] = (A[j * d + j] as number) + ridge;
      w = choleskySolve(A, rhs, d);
    } else {
      const K = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < n; k++) {
          let s = 0;
          for (let j = 0; j < d; j++) s += (Xc[i * d + j] as number) * (Xc[k * d + j] as number);
          K[i * n + k] = s + (i === k ? ridge : 0);
        }
      }
      const alpha = choleskySolve(K, yc, n);
      w = new Float64Array(d);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < d; j++)
          w[j] = (w[j] as number) + (Xc[i * d + j] as number) * (alpha[i] as number);
      }
    }
  } catch (error) {
    throw new RangeError(
      `ridge has no unique solution for λ = ${lambda} on these data (${(error as Error).message}); use λ > 0`,
    );
  }
  let bias = yMean;
  for (let j = 0; j < d; j++) bias -= (xMean[j] as number) * (w[j] as number);
  return { weights: w, bias };
}
