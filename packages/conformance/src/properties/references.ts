/**
 * Core's float64 reference answers, checked on their own, on the host. The other properties take
 * `ridgeClosedForm`, `elasticNetCD`, `elasticNetProx`, `regularizationPath` and `lassoKKT` as the
 * truth for the backend; here nothing of the backend is used, and every answer is held to a bound
 * fixed before it is looked at:
 *
 * - a direct solve (the ridge closed form) to the backward error of a stable solve, from the
 *   magnitudes of the data and of the answer, never from its measured residual;
 * - an iterative solver to the certificate its documentation promises at the tolerance it was
 *   called with, plus the rounding of the computations involved, with every KKT residual
 *   computed here, independently of core (its own `lassoKKT` is itself checked against it);
 * - the minibatch order to what a uniform random permutation does.
 *
 * The bounds and helpers are exported: `toolkit.ts` and `identities.ts` use them as the a-priori
 * error of the truths they take from core.
 *
 * Rounding model: that of `tolerance.ts` (Higham §2.2, §3.1), in float64: a chain of k operations
 * on magnitudes adding up to s is off by at most γ_k·s, and {@link f64} is the policy's bound for
 * that (twice γ_{k+2}·s, plus underflow). Bounds are sums of such terms; each states what it covers.
 */

import {
  CD_DEFAULT_TOL,
  type Dataset,
  elasticNetCD,
  elasticNetProx,
  type LinearModel,
  lassoKKT,
  MinibatchSchedule,
  PATH_MIN_ALPHA,
  Rng,
  regularizationPath,
  ridgeClosedForm,
} from "@wdecay/core";
import fc from "fast-check";
import { unitValues } from "../arbitraries.js";
import { type ConformanceProperty, defineProperty } from "../property.js";
import { gamma, type Meter, SAFETY, sumTolerance, unitRoundoff } from "../tolerance.js";

/** Unit roundoff of float64. */
const U = unitRoundoff("float64");

/** γ_k of float64. */
const g = (k: number) => gamma("float64", k);

/** The policy's float64 bound for a chain of `terms` operations on magnitudes summing to `scale`. */
export const f64 = (terms: number, scale: number) => sumTolerance("float64", terms, scale);

// ---------------------------------------------------------------------------------------------
// Host float64 linear algebra, written here, independent of core

/**
 * A data set centered here: column means Σx/n, an exactly constant column (or y) centered to exact
 * zeros (its mean is its value). With `xa_ij = |x_ij| + mean_i|x_ij|`, every centered entry, here
 * or in core, satisfies |xc_ij| ≤ xa_ij, and any centering that computes a mean by n roundings and
 * subtracts it is within γ_{n+2}·xa_ij of the exact one; likewise y with `ya`.
 */
export interface HostCentered {
  readonly n: number;
  readonly d: number;
  /** Centered X, n×d row-major. */
  readonly xc: Float64Array;
  readonly yc: Float64Array;
  readonly xMean: Float64Array;
  readonly yMean: number;
  readonly xa: Float64Array;
  readonly ya: Float64Array;
  /** mean_i |x_ij|, which bounds |x̄_j|. */
  readonly meanAbsX: Float64Array;
  readonly meanAbsY: number;
  /** v_j = ‖xc_j‖²/n, the curvature of coordinate j. */
  readonly v: Float64Array;
  /** sd(y) = ‖yc‖/√n. */
  readonly sdY: number;
}

export function centerHost(data: Dataset): HostCentered {
  const { X, y, n, d } = data;
  const xc = new Float64Array(n * d);
  const xa = new Float64Array(n * d);
  const xMean = new Float64Array(d);
  const meanAbsX = new Float64Array(d);
  const v = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let sum = 0;
    let abs = 0;
    let constant = true;
    for (let i = 0; i < n; i++) {
      const x = X[i * d + j] as number;
      sum += x;
      abs += Math.abs(x);
      if (x !== X[j]) constant = false;
    }
    const mean = constant ? (X[j] as number) : sum / n;
    xMean[j] = mean;
    meanAbsX[j] = abs / n;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const x = X[i * d + j] as number;
      const c = constant ? 0 : x - mean;
      xc[i * d + j] = c;
      xa[i * d + j] = Math.abs(x) + abs / n;
      ss += c * c;
    }
    v[j] = ss / n;
  }
  let ySum = 0;
  let yAbs = 0;
  let yConstant = true;
  for (let i = 0; i < n; i++) {
    ySum += y[i] as number;
    yAbs += Math.abs(y[i] as number);
    if (y[i] !== y[0]) yConstant = false;
  }
  const yMean = yConstant ? (y[0] as number) : ySum / n;
  const yc = new Float64Array(n);
  const ya = new Float64Array(n);
  let yss = 0;
  for (let i = 0; i < n; i++) {
    const c = yConstant ? 0 : (y[i] as number) - yMean;
    yc[i] = c;
    ya[i] = Math.abs(y[i] as number) + yAbs / n;
    yss += c * c;
  }
  return {
    n,
    d,
    xc,
    yc,
    xMean,
    yMean,
    xa,
    ya,
    meanAbsX,
    meanAbsY: yAbs / n,
    v,
    sdY: Math.sqrt(yss / n),
  };
}

/** ‖Xcᵀyc‖_∞/n computed here, with the bound of its rounding (centering, n products, /n). */
export function dataGradientNorm(c: HostCentered): { value: number; rounding: number } {
  let top = 0;
  let scale = 0;
  for (let j = 0; j < c.d; j++) {
    let dot = 0;
    let abs = 0;
    for (let i = 0; i < c.n; i++) {
      dot += (c.xc[i * c.d + j] as number) * (c.yc[i] as number);
      abs += (c.xa[i * c.d + j] as number) * (c.ya[i] as number);
    }
    top = Math.max(top, Math.abs(dot / c.n));
    scale = Math.max(scale, abs / c.n);
  }
  // Centering of both factors (2·(n + 2)), n products and sums, the division.
  return { value: top, rounding: f64(3 * c.n + 6, scale) };
}

/**
 * Solves `A x = rhs` (m×m, row-major) by Gaussian elimination with partial pivoting, and returns
 * with x the vector `Pᵀ|L̂||Û||x̂|`: the computed x̂ solves `(A + ΔA)x̂ = rhs` with
 * `|ΔA| ≤ γ_{3m}·Pᵀ|L̂||Û|` (Higham, Theorem 9.4), so `|A x̂ − rhs| ≤ γ_{3m}·backward`, a bound
 * computed from the factors, not from a residual. Undefined if a pivot is exactly 0.
 */
export function solveGEPP(
  A: ArrayLike<number>,
  rhs: ArrayLike<number>,
  m: number,
): { x: Float64Array; backward: Float64Array } | undefined {
  const LU = Float64Array.from(A);
  const perm = Array.from({ length: m }, (_, i) => i);
  for (let k = 0; k < m; k++) {
    let p = k;
    for (let i = k + 1; i < m; i++) {
      if (Math.abs(LU[i * m + k] as number) > Math.abs(LU[p * m + k] as number)) p = i;
    }
    if (LU[p * m + k] === 0) return undefined;
    if (p !== k) {
      for (let j = 0; j < m; j++) {
        const t = LU[k * m + j] as number;
        LU[k * m + j] = LU[p * m + j] as number;
        LU[p * m + j] = t;
      }
      [perm[k], perm[p]] = [perm[p] as number, perm[k] as number];
    }
    const pivot = LU[k * m + k] as number;
    for (let i = k + 1; i < m; i++) {
      const l = (LU[i * m + k] as number) / pivot;
      LU[i * m + k] = l;
      for (let j = k + 1; j < m; j++) {
        LU[i * m + j] = (LU[i * m + j] as number) - l * (LU[k * m + j] as number);
      }
    }
  }
  const x = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = rhs[perm[i] as number] as number;
    for (let k = 0; k < i; k++) s -= (LU[i * m + k] as number) * (x[k] as number);
    x[i] = s;
  }
  for (let i = m - 1; i >= 0; i--) {
    let s = x[i] as number;
    for (let k = i + 1; k < m; k++) s -= (LU[i * m + k] as number) * (x[k] as number);
    x[i] = s / (LU[i * m + i] as number);
  }
  // |U||x|, then |L|·that (L unit lower triangular), then back to A's row order.
  const ux = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    for (let k = i; k < m; k++) {
      ux[i] = (ux[i] as number) + Math.abs(LU[i * m + k] as number) * Math.abs(x[k] as number);
    }
  }
  const backward = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = ux[i] as number;
    for (let k = 0; k < i; k++) s += Math.abs(LU[i * m + k] as number) * (ux[k] as number);
    backward[perm[i] as number] = s;
  }
  return { x, backward };
}

/**
 * The eigenvalues of a symmetric m×m matrix by cyclic Jacobi, with a bound on their error: the
 * computed diagonal is, by Weyl's theorem, within ‖off-diagonal‖_F + ‖E‖₂ of the eigenvalues
 * (both sorted), where E, the rounding of the rotations, is at most about 6u·‖A‖_F per rotation
 * (Higham §19.1 / Golub & Van Loan §8.5); we allow 12u per rotation.
 */
export function symmetricEigenvalues(
  S: ArrayLike<number>,
  m: number,
): { values: number[]; error: number } {
  const A = Float64Array.from(S);
  let frob = 0;
  for (const a of A) frob += a * a;
  frob = Math.sqrt(frob);
  const offNorm = () => {
    let s = 0;
    for (let p = 0; p < m; p++)
      for (let q = 0; q < m; q++) if (p !== q) s += (A[p * m + q] as number) ** 2;
    return Math.sqrt(s);
  };
  let rotations = 0;
  for (let sweep = 0; sweep < 60 && offNorm() > U * frob; sweep++) {
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = A[p * m + q] as number;
        if (apq === 0) continue;
        const theta = ((A[q * m + q] as number) - (A[p * m + p] as number)) / (2 * apq);
        const t =
          Math.abs(theta) > 1e150
            ? 1 / (2 * theta)
            : (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1);
        const sn = t * cs;
        for (let k = 0; k < m; k++) {
          const akp = A[k * m + p] as number;
          const akq = A[k * m + q] as number;
          A[k * m + p] = cs * akp - sn * akq;
          A[k * m + q] = sn * akp + cs * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = A[p * m + k] as number;
          const aqk = A[q * m + k] as number;
          A[p * m + k] = cs * apk - sn * aqk;
          A[q * m + k] = sn * apk + cs * aqk;
        }
        rotations++;
      }
    }
  }
  const values = Array.from({ length: m }, (_, i) => A[i * m + i] as number);
  return { values, error: SAFETY * (offNorm() + 12 * rotations * U * frob) };
}

// ---------------------------------------------------------------------------------------------
// KKT residuals, computed here

/**
 * The elastic net's KKT residuals of (w, b) for `J = (1/n)Σ½(wᵀxᵢ + b − yᵢ)² + λ[(1 − α)/2‖w‖² +
 * α‖w‖₁]`, on the raw data with the given bias, written here (not core's `lassoKKT`): with
 * `c_j = x_jᵀ(y − Xw − b)/n`, the residual of w_j is `|c_j − λ(1 − α)w_j − λα·sign(w_j)|` where
 * w_j ≠ 0 and `max(0, |c_j| − λα)` where w_j = 0; the bias's is `|mean(y − Xw − b)|`.
 *
 * `rounding[j]` bounds the float64 error of `correlations[j]` and of `violations[j]` as computed
 * here: the residual (d + 2 operations), the correlation (n + 1), the penalty terms and the
 * subtractions (3), on the magnitudes `scale[j] = (1/n)Σᵢ|x_ij|(|y_i| + |b| + Σ_k|x_ik w_k|) +
 * λ(1 − α)|w_j| + λα`.
 */
export interface HostKKT {
  readonly correlations: number[];
  readonly violations: number[];
  readonly bias: number;
  readonly rounding: number[];
  readonly biasRounding: number;
}

export function kktResiduals(
  data: Dataset,
  w: ArrayLike<number>,
  b: number,
  lambda: number,
  alpha: number,
): HostKKT {
  const { X, y, n, d } = data;
  const l1 = lambda * alpha;
  const l2 = lambda * (1 - alpha);
  const r = new Float64Array(n);
  const mag = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let fit = b;
    let abs = Math.abs(b) + Math.abs(y[i] as number);
    for (let k = 0; k < d; k++) {
      const t = (X[i * d + k] as number) * (w[k] as number);
      fit += t;
      abs += Math.abs(t);
    }
    r[i] = (y[i] as number) - fit;
    mag[i] = abs;
  }
  const correlations: number[] = [];
  const violations: number[] = [];
  const rounding: number[] = [];
  for (let j = 0; j < d; j++) {
    let dot = 0;
    let scale = 0;
    for (let i = 0; i < n; i++) {
      dot += (X[i * d + j] as number) * (r[i] as number);
      scale += Math.abs(X[i * d + j] as number) * (mag[i] as number);
    }
    const cj = dot / n;
    const wj = w[j] as number;
    correlations.push(cj);
    violations.push(
      wj === 0 ? Math.max(0, Math.abs(cj) - l1) : Math.abs(cj - l2 * wj - l1 * Math.sign(wj)),
    );
    rounding.push(f64(n + d + 6, scale / n + l2 * Math.abs(wj) + l1));
  }
  let mean = 0;
  let magMean = 0;
  for (let i = 0; i < n; i++) {
    mean += r[i] as number;
    magMean += mag[i] as number;
  }
  return {
    correlations,
    violations,
    bias: Math.abs(mean / n),
    rounding,
    biasRounding: f64(n + d + 4, magMean / n),
  };
}

/**
 * Magnitudes that bound the rounding of a solver's gradient at w (entries taken as `wAbs`): on the
 * raw data (`(1/n)Σᵢ|x_ij|(|y_i| + |b| + Σ_k|x_ik|·wAbs_k)`) and on any centering of it
 * (`(1/n)Σᵢ xa_ij(ya_i + Σ_k xa_ik·wAbs_k)`), each plus the penalty's `l2·wAbs_j + l1`.
 */
function gradientScales(
  data: Dataset,
  c: HostCentered,
  wAbs: ArrayLike<number>,
  b: number,
  l2: number,
  l1: number,
): number[] {
  const { X, y, n, d } = data;
  const raw = new Float64Array(n);
  const cen = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = Math.abs(y[i] as number) + Math.abs(b);
    let t = c.ya[i] as number;
    for (let k = 0; k < d; k++) {
      s += Math.abs(X[i * d + k] as number) * (wAbs[k] as number);
      t += (c.xa[i * d + k] as number) * (wAbs[k] as number);
    }
    raw[i] = s;
    cen[i] = t;
  }
  return Array.from({ length: d }, (_, j) => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      s +=
        Math.abs(X[i * d + j] as number) * (raw[i] as number) +
        (c.xa[i * d + j] as number) * (cen[i] as number);
    }
    return s / n + 2 * (l2 * (wAbs[j] as number) + l1);
  });
}

/**
 * Bound on `|b − (ȳ − x̄ᵀw)|` for a bias computed as ȳ − x̄ᵀw from means of n roundings each: the
 * means (n + 1) and the d products and subtractions (d + 1), relative to mean|y| + Σ mean|x_k||w_k|.
 */
function interceptRounding(c: HostCentered, w: ArrayLike<number>): number {
  let s = c.meanAbsY;
  for (let k = 0; k < c.d; k++) s += (c.meanAbsX[k] as number) * Math.abs(w[k] as number);
  return f64(c.n + c.d + 4, s);
}

// ---------------------------------------------------------------------------------------------
// The ridge closed form's a-priori error

/** A-priori bounds on how far a computed ridge solution (ŵ, b̂) is from exact. */
export interface RidgeBound {
  /**
   * Bounds on `|(A ŵ − Xcᵀyc/n)_j|`, A = XcᵀXc/n + λI: the centered normal equations at ŵ with
   * the exact centered data (equivalently ∇_w J at (ŵ, ȳ − x̄ᵀŵ)).
   */
  readonly normal: number[];
  /** Bound on `|b̂ − (ȳ − x̄ᵀŵ)|`, which is also |∂J/∂b| at (ŵ, b̂). */
  readonly bias: number;
  /** Bounds on `|∂J/∂w_j|` (normal_j + mean|x_j|·bias, as ∂J/∂w_j = (Aŵ − b)_j + x̄_j·∂J/∂b) and `|∂J/∂b|`. */
  readonly gradient: number[];
  /** `D_j = √(Σᵢ xa_ij²/n + λ)`, `T = √(Σᵢ ya_i²/n)`: the scales the bounds are built from. */
  readonly D: number[];
  readonly T: number;
}

/**
 * The backward error of a stable solve of the ridge problem, as `ridgeClosedForm` documents it:
 * the d×d normal equations by Cholesky when d ≤ n, the n×n dual system `(XcXcᵀ + nλI)α = yc`,
 * `w = Xcᵀα`, when d > n. Nothing here looks at a residual: only at the data and at |ŵ|.
 *
 * Primal. Cholesky's computed solution solves `(Â + ΔA)ŵ = r̂` with `|ΔA| ≤ γ_{3d+1}|R̂ᵀ||R̂|`
 * (Higham, Theorem 10.4), and by Cauchy–Schwarz on the columns of R̂, `(|R̂ᵀ||R̂|)_jk ≤
 * √(Â_jj·Â_kk)`: the componentwise bound `c·u·(|A||w| + |b|)` of a stable solve, with |A|
 * replaced by its majorant `√(A_jj·A_kk)` (Cholesky does not bound |A| itself). Forming Â and r̂
 * from the centered data (n products), and the centering of X and y (γ_{n+2}·xa, ·ya, in both
 * factors), add `γ_{3n+5}` relative to `(Σᵢ xa_ij xa_ik/n)|w_k|` and `Σᵢ xa_ij ya_i/n`. By
 * Cauchy–Schwarz every one of these magnitudes is at most `D_j·D_k|w_k|` or `D_j·T`, so
 * `|Aŵ − b|_j ≤ γ_{3n+3d+6}·D_j(Σ_k D_k|ŵ_k| + T)`, doubled by the policy's safety factor.
 *
 * Dual. The computed α̂ solves `(K̂ + ΔK)α̂ = ŷc` with `|ΔK_ik| ≤ γ_{3n+1}√(K̂_ii K̂_kk)` and K̂
 * within γ_d of `XcXcᵀ + nλI`; then ŵ = Xcᵀα̂ + e, `|e| ≤ γ_n|Xc|ᵀ|α̂|`. Substituting,
 * `n(Aŵ − b) = −Xcᵀ(ΔK + K̂ − K)α̂ + (XcᵀXc + nλI)e`, bounded with the row norms
 * `ρ_i = √(Σ_j xa_ij² + nλ)` and `|α̂_i| ≤ (ya_i + Σ_j xa_ij|ŵ_j|)/(nλ)` (from nλα = yc − Xcŵ);
 * the centering adds `γ_{2n+4}·D_j(Σ D_k|ŵ_k| + T)` as in the primal. The 1/(nλ) is real: the
 * dual's error grows as λ shrinks.
 *
 * Bias. `b̂ = ȳ − x̄ᵀŵ` is computed from means: {@link interceptRounding}.
 */
export function ridgeResidualBound(
  data: Dataset,
  lambda: number,
  model: LinearModel,
  c: HostCentered = centerHost(data),
): RidgeBound {
  const { n, d, xa, ya } = c;
  const w = model.weights;
  const D = Array.from({ length: d }, (_, j) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += (xa[i * d + j] as number) ** 2;
    return Math.sqrt(s / n + lambda);
  });
  let T = 0;
  for (let i = 0; i < n; i++) T += (ya[i] as number) ** 2;
  T = Math.sqrt(T / n);
  let W = 0;
  for (let k = 0; k < d; k++) W += (D[k] as number) * Math.abs(w[k] as number);
  let normal: number[];
  if (d <= n) {
    normal = D.map((Dj) => SAFETY * g(3 * n + 3 * d + 8) * Dj * (W + T));
  } else {
    const nl = n * lambda;
    const rho = Array.from({ length: n }, (_, i) => {
      let s = nl;
      for (let j = 0; j < d; j++) s += (xa[i * d + j] as number) ** 2;
      return Math.sqrt(s);
    });
    const aHat = Array.from({ length: n }, (_, i) => {
      let s = ya[i] as number;
      for (let j = 0; j < d; j++) s += (xa[i * d + j] as number) * Math.abs(w[j] as number);
      return s / nl;
    });
    let aSum = 0;
    for (let k = 0; k < n; k++) aSum += (rho[k] as number) * (aHat[k] as number);
    const e = Array.from({ length: d }, (_, l) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += (xa[i * d + l] as number) * (aHat[i] as number);
      return g(n) * s;
    });
    normal = D.map((Dj, j) => {
      let colDot = 0;
      for (let i = 0; i < n; i++) colDot += (xa[i * d + j] as number) * (rho[i] as number);
      const term1 = (g(3 * n + d + 3) * colDot * aSum) / n;
      let term2 = nl * (e[j] as number);
      for (let l = 0; l < d; l++) {
        let G = 0;
        for (let i = 0; i < n; i++) G += (xa[i * d + j] as number) * (xa[i * d + l] as number);
        term2 += G * (e[l] as number);
      }
      const term3 = g(2 * n + 6) * Dj * (W + T);
      return SAFETY * (term1 + term2 / n + term3);
    });
  }
  const bias = interceptRounding(c, w);
  return {
    normal,
    bias,
    gradient: [...normal.map((v, j) => v + (c.meanAbsX[j] as number) * bias), bias],
    D,
    T,
  };
}

/**
 * The centered normal equations' residual `(1/n)Σᵢ xc_ij(xc_iᵀw − yc_i) + λw_j`, computed here
 * with {@link centerHost}, and the bound of its rounding: the centering of both factors
 * (2(n + 2)), the inner sum (d + 1), the outer sum and division (n + 1), the penalty (1), relative
 * to `D_j(Σ_k D_k|w_k| + T)` (Cauchy–Schwarz, as in {@link ridgeResidualBound}).
 */
export function normalResidual(
  c: HostCentered,
  lambda: number,
  w: ArrayLike<number>,
  scales: { D: readonly number[]; T: number },
): { value: number[]; rounding: number[] } {
  const { n, d, xc, yc } = c;
  const s = Array.from({ length: n }, (_, i) => {
    let t = -(yc[i] as number);
    for (let k = 0; k < d; k++) t += (xc[i * d + k] as number) * (w[k] as number);
    return t;
  });
  let W = 0;
  for (let k = 0; k < d; k++) W += (scales.D[k] as number) * Math.abs(w[k] as number);
  const value: number[] = [];
  const rounding: number[] = [];
  for (let j = 0; j < d; j++) {
    let dot = 0;
    for (let i = 0; i < n; i++) dot += (xc[i * d + j] as number) * (s[i] as number);
    value.push(dot / n + lambda * (w[j] as number));
    rounding.push(f64(3 * n + d + 8, (scales.D[j] as number) * (W + scales.T)));
  }
  return { value, rounding };
}

// ---------------------------------------------------------------------------------------------
// The iterative solvers' certificates

/** What a certificate needs of an elastic-net fit. */
export interface FitForCertificate {
  readonly weights: ArrayLike<number>;
  readonly bias: number;
}

/**
 * The bound `elasticNetCD` documents for every KKT residual of its answer when it reports
 * `converged` at tolerance `tol`: `tol·g₀`, g₀ = ‖Xcᵀyc‖_∞/n, measured on a gradient it
 * recomputes from scratch (from the centered columns, or from the centered moments when
 * d ≤ n). Returns d + 1 bounds (weights, then the bias) on the KKT residuals as
 * {@link kktResiduals} evaluates them.
 *
 * The rounding, bounded a priori (none of it is measured at the answer):
 * - g₀ as computed by the solver and here: relative γ_{2d+8} plus g₀'s own rounding;
 * - the solver's gradient: from centered columns, a fresh residual (d terms per row) and an
 *   n-term dot product; from moments, `G = Sxx/n` and `q = Sxy/n` (n-term sums of centered
 *   products) then `q − Gw` (d terms). Either way the error of c_j is within γ_{2n+2d} of
 *   `Σ_i |xc_ij|(|yc_i| + Σ_k |xc_ik w_k|)/n`, which {@link gradientScales} bounds;
 * - the step's shrink and division, the solver's centering and this file's evaluation:
 *   γ_{3n+2d+20} relative to those scales in all;
 * - the bias, b = ȳ − x̄ᵀw: its rounding moves c_j by |x̄_j| times it.
 */
export function cdCertificate(
  data: Dataset,
  c: HostCentered,
  fit: FitForCertificate,
  options: { lambda: number; alpha: number; tol: number },
): number[] {
  const { n, d } = c;
  const { lambda, alpha, tol } = options;
  const l1 = lambda * alpha;
  const l2 = lambda * (1 - alpha);
  const g0 = dataGradientNorm(c);
  const certificate = tol * (g0.value + g0.rounding) * (1 + g(2 * d + 8));
  const wAbs = Array.from({ length: d }, (_, k) => Math.abs(fit.weights[k] as number));
  const scales = gradientScales(data, c, wAbs, fit.bias, l2, l1);
  const bias = interceptRounding(c, fit.weights);
  const bounds = scales.map(
    (scale, j) =>
      certificate +
      f64(3 * n + 2 * d + 20, scale) +
      f64(6, l2 * (wAbs[j] as number) + l1) +
      (c.meanAbsX[j] as number) * bias,
  );
  return [...bounds, bias + biasEvaluation(data, fit)];
}

/**
 * The bound `elasticNetProx` documents when it reports `converged` at tolerance `tol`:
 * `dist(0, ∂J(w⁺)) ≤ 2·tol·g₀`, g₀ = ‖Xcᵀyc‖_∞/n, which bounds every KKT residual. Returns d + 1
 * bounds as {@link cdCertificate} does.
 *
 * The rounding, a priori: g₀ as computed by the solver and here; the gradient at the momentum
 * point u (fresh each step: no drift), with |u_j| ≤ |w⁺_j| + η‖G‖ ≤ |w⁺_j| + η·tol·g₀, and
 * η ≤ 1/(max_j v_j + λ(1 − α)) (the documented clamp of the step's L to [max v_j, Σ v_j]);
 * the step u − η(∇ + λ(1 − α)u), the shrink and G = (u − w⁺)/η, whose rounding relative to
 * |u_j| is divided by η, i.e. multiplied by L ≤ Σ_j v_j + λ(1 − α); the solver's centering and
 * this file's evaluation; the bias as in {@link cdCertificate}.
 */
export function proxCertificate(
  data: Dataset,
  c: HostCentered,
  fit: { weights: ArrayLike<number>; bias: number },
  options: { lambda: number; alpha: number; tol: number },
): number[] {
  const { n, d } = c;
  const { lambda, alpha, tol } = options;
  const l1 = lambda * alpha;
  const l2 = lambda * (1 - alpha);
  const g0 = dataGradientNorm(c);
  const certificate = 2 * tol * (g0.value + g0.rounding) * (1 + g(2 * d + 8));
  let vMax = 0;
  let trace = 0;
  for (const v of c.v) {
    vMax = Math.max(vMax, v);
    trace += v;
  }
  const eta = vMax + l2 > 0 ? 1 / (vMax + l2) : 0;
  const L = trace * (1 + g(2 * n + 8)) + l2;
  const wAbs = Array.from(
    { length: d },
    (_, k) => Math.abs(fit.weights[k] as number) + eta * certificate,
  );
  const scales = gradientScales(data, c, wAbs, fit.bias, l2, l1);
  const bias = interceptRounding(c, fit.weights);
  const bounds = scales.map(
    (scale, j) =>
      certificate +
      f64(3 * n + 2 * d + 20, scale) +
      f64(6, L * (wAbs[j] as number) + l1) +
      (c.meanAbsX[j] as number) * bias,
  );
  return [...bounds, bias + biasEvaluation(data, fit)];
}

/** The rounding of |mean(y − Xw − b)| as {@link kktResiduals} evaluates it. */
function biasEvaluation(data: Dataset, fit: { weights: ArrayLike<number>; bias: number }): number {
  return kktResiduals(data, fit.weights, fit.bias, 0, 0).biasRounding;
}

// ---------------------------------------------------------------------------------------------
// Random problems

/** A data set as drawn: X (n×d) and y with entries of order one, or X of order 10. */
export interface HostProblem {
  readonly n: number;
  readonly d: number;
  readonly X: number[];
  readonly y: number[];
}

export function hostProblem(maxN: number, maxD: number): fc.Arbitrary<HostProblem> {
  return fc
    .record({
      n: fc.integer({ min: 1, max: maxN }),
      d: fc.integer({ min: 1, max: maxD }),
      // X of order 10 makes the curvatures v_j ~ 30 and proximal steps η ~ 1/100.
      xScale: fc.constantFrom(1, 1, 10),
      yScale: fc.constantFrom(1, 1, 10),
    })
    .chain(({ n, d, xScale, yScale }) =>
      fc.record({
        n: fc.constant(n),
        d: fc.constant(d),
        X: unitValues(n * d).map((xs) => xs.map((x) => x * xScale)),
        y: unitValues(n).map((ys) => ys.map((v) => v * yScale)),
      }),
    );
}

/**
 * A least-squares problem, n > d, with X uniform in [−1, 1] (unbiased: the edge values the other
 * arbitraries favour, exact zeros among them, make constant columns and singular XcᵀXc common).
 */
export function leastSquaresProblem(maxD: number): fc.Arbitrary<HostProblem> {
  return fc
    .record({ d: fc.integer({ min: 1, max: maxD }), extra: fc.integer({ min: 1, max: 4 }) })
    .chain(({ d, extra }) =>
      fc.record({
        n: fc.constant(d + extra),
        d: fc.constant(d),
        X: fc.array(
          fc.noBias(fc.integer({ min: -1_000_000, max: 1_000_000 })).map((k) => k / 1_000_000),
          { minLength: (d + extra) * d, maxLength: (d + extra) * d },
        ),
        y: unitValues(d + extra),
      }),
    );
}

export function toDataset(p: HostProblem): Dataset {
  return { X: Float64Array.from(p.X), y: Float64Array.from(p.y), n: p.n, d: p.d };
}

/** A double whose base-10 logarithm is uniform in [log lo, log hi]. */
function logUniform(lo: number, hi: number): fc.Arbitrary<number> {
  return fc.double({ min: Math.log10(lo), max: Math.log10(hi), noNaN: true }).map((e) => 10 ** e);
}

/** Mixing α: the ridge end, the lasso end, or between. */
const mixing = fc.oneof(
  fc.constant(0),
  fc.constant(1),
  fc.double({ min: 0.05, max: 0.95, noNaN: true }),
);

/**
 * A λ where the problem is interesting: a fraction of λ_max = g₀/α for α > 0 (w ≠ 0 below it),
 * a fraction of the largest curvature max v_j for ridge (so that coordinate descent, whose rate
 * is set by λ against the curvatures, converges in a few thousand passes at worst); the fraction
 * itself when that scale is 0.
 */
function interestingLambda(c: HostCentered, alpha: number, fraction: number): number {
  const scale = alpha > 0 ? dataGradientNorm(c).value / alpha : Math.max(...c.v);
  return scale > 0 ? fraction * scale : fraction;
}

/**
 * Whether the elastic net's smooth part, `L + λ(1 − α)/2·‖w‖²`, is well conditioned: its curvature
 * `XcᵀXc/n + λ(1 − α)I` has smallest eigenvalue (computed here, less its error) at least 1e-3 of
 * the largest coordinate curvature. Coordinate descent and accelerated proximal gradient then
 * converge linearly, at rates fixed by that ratio, to any tolerance above rounding within a few
 * thousand passes or steps, far below the solvers' default budget of 100 000. On an
 * ill-conditioned problem (collinear columns, d > n with little L2) they may legitimately run out
 * of budget and say so (`converged: false`, as documented); only a converged answer carries a
 * certificate.
 */
export function wellConditioned(c: HostCentered, l2: number): boolean {
  const { n, d, xc } = c;
  const gram = new Float64Array(d * d);
  let top = 0;
  for (let j = 0; j < d; j++) {
    for (let k = 0; k < d; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += (xc[i * d + j] as number) * (xc[i * d + k] as number);
      gram[j * d + k] = s / n + (j === k ? l2 : 0);
    }
    top = Math.max(top, gram[j * d + j] as number);
  }
  const eig = symmetricEigenvalues(gram, d);
  return top > 0 && Math.min(...eig.values) - eig.error >= 1e-3 * top;
}

/** Records each KKT residual (d weights, then the bias) against its bound. */
function checkKKT(meter: Meter, kkt: HostKKT, bounds: readonly number[], what: string): void {
  kkt.violations.forEach((v, j) =>
    meter.value(v, 0, bounds[j] as number, `${what}: KKT residual of w${j}`),
  );
  meter.value(kkt.bias, 0, bounds[kkt.violations.length] as number, `${what}: KKT residual of b`);
}

// ---------------------------------------------------------------------------------------------
// The properties

export const ridgeReference = defineProperty({
  id: "ref-ridge",
  name: "ridgeClosedForm (primal, dual, λ = 0) solves the centered normal equations to a stable solve's backward error, as GEPP does",
  source: "core ridgeClosedForm, IDENTITIES.md 11",
  arbitrary: fc.oneof(
    { weight: 3, arbitrary: fc.record({ p: hostProblem(8, 8), lambda: logUniform(1e-4, 10) }) },
    { weight: 1, arbitrary: fc.record({ p: leastSquaresProblem(6), lambda: fc.constant(0) }) },
  ),
  async check(_ctx, { p, lambda: drawn }, meter) {
    const data = toDataset(p);
    const c = centerHost(data);
    const { n, d } = c;
    // λ = 0 is ordinary least squares: unique only when XcᵀXc is nonsingular, which needs n > d.
    // Held to it only where XcᵀXc/n is well conditioned (its smallest eigenvalue, computed here
    // with its error, above 1e-8 of its trace: Cholesky then completes, Higham Theorem 10.7);
    // elsewhere the smallest λ drawn stands in.
    let lambda = drawn;
    if (lambda === 0) {
      const gram = new Float64Array(d * d);
      let trace = 0;
      for (let j = 0; j < d; j++) {
        for (let k = 0; k < d; k++) {
          let s = 0;
          for (let i = 0; i < n; i++)
            s += (c.xc[i * d + j] as number) * (c.xc[i * d + k] as number);
          gram[j * d + k] = s / n;
        }
        trace += gram[j * d + j] as number;
      }
      const eig = symmetricEigenvalues(gram, d);
      const wellPosed = n > d && Math.min(...eig.values) - eig.error > 1e-8 * trace;
      if (!wellPosed) lambda = 1e-4;
    }
    const form = d <= n ? "primal" : "dual";
    const model = ridgeClosedForm(data, lambda);
    const bound = ridgeResidualBound(data, lambda, model, c);
    const w = model.weights;

    // The centered normal equations (XcᵀXc/n + λI)w = Xcᵀyc/n at core's w, evaluated here.
    const res = normalResidual(c, lambda, w, bound);
    res.value.forEach((v, j) =>
      meter.value(
        v,
        0,
        (bound.normal[j] as number) + (res.rounding[j] as number),
        `${form}, λ = ${lambda}: normal equation ${j}`,
      ),
    );
    let intercept = c.yMean;
    for (let k = 0; k < d; k++) intercept -= (c.xMean[k] as number) * (w[k] as number);
    meter.value(model.bias, intercept, 2 * bound.bias, `${form}, λ = ${lambda}: b = ȳ − x̄ᵀw`);

    // An independent solve of the same equations, by Gaussian elimination with partial pivoting.
    // Compared in residual form, which no condition number enters: with δ = w − w_GE,
    // Aδ = (Aw − b) − (Aw_GE − b), so |Aδ|_j is at most the two solutions' backward-error bounds
    // (core's above; GE's γ_{3d}·Pᵀ|L̂||Û||w_GE| plus the forming and centering of A and b here,
    // γ_{3n+5}·D_j(Σ D_k|w_GE,k| + T)), plus the rounding of computing Aδ (γ_d, and A's own
    // γ_{3n+5}, relative to Σ_k D_jD_k|δ_k|).
    const A = new Float64Array(d * d);
    const rhs = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      for (let k = 0; k < d; k++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += (c.xc[i * d + j] as number) * (c.xc[i * d + k] as number);
        A[j * d + k] = s / n + (j === k ? lambda : 0);
      }
      let s = 0;
      for (let i = 0; i < n; i++) s += (c.xc[i * d + j] as number) * (c.yc[i] as number);
      rhs[j] = s / n;
    }
    const ge = solveGEPP(A, rhs, d);
    meter.holds(ge !== undefined, `${form}, λ = ${lambda}: Gaussian elimination broke down`);
    if (!ge) return;
    let Wge = 0;
    for (let k = 0; k < d; k++) Wge += (bound.D[k] as number) * Math.abs(ge.x[k] as number);
    const delta = Array.from({ length: d }, (_, k) => (w[k] as number) - (ge.x[k] as number));
    for (let j = 0; j < d; j++) {
      const Dj = bound.D[j] as number;
      let t = 0;
      let spread = 0;
      for (let k = 0; k < d; k++) {
        t += (A[j * d + k] as number) * (delta[k] as number);
        spread += (bound.D[k] as number) * Math.abs(delta[k] as number);
      }
      const geBound =
        SAFETY * g(3 * d) * (ge.backward[j] as number) + f64(3 * n + 4, Dj * (Wge + bound.T));
      meter.value(
        t,
        0,
        (bound.normal[j] as number) + geBound + f64(3 * n + d + 6, Dj * spread),
        `${form}, λ = ${lambda}: (A(w − w_GE))_${j}`,
      );
    }
  },
});

export const elasticNetReference = defineProperty({
  id: "ref-elastic-net",
  name: "elasticNetCD and elasticNetProx converge and meet their documented KKT certificates at the tolerance asked for",
  source: "core elasticNetCD, elasticNetProx, IDENTITIES.md 17",
  arbitrary: fc.record({
    p: hostProblem(8, 6),
    alpha: mixing,
    fraction: fc.double({ min: 0.02, max: 1.2, noNaN: true }),
    tol: logUniform(1e-12, 1e-6),
  }),
  async check(_ctx, { p, alpha, fraction, tol }, meter) {
    const data = toDataset(p);
    const c = centerHost(data);
    const lambda = interestingLambda(c, alpha, fraction);
    const what = `λ = ${lambda}, α = ${alpha}, tol = ${tol}`;

    // Convergence is owed where the problem is well conditioned (see wellConditioned) and, for
    // proximal gradient, whose criterion is relative to g₀ = ‖Xcᵀyc‖_∞/n, where tol·g₀ is above the
    // rounding of the mapping it measures (its bound with tol = 0: when Xc is nearly orthogonal
    // to yc, g₀ is far below the magnitudes the gradient is computed from). A converged answer
    // must meet its certificate in every case.
    const owed = wellConditioned(c, lambda * (1 - alpha));

    const cd = elasticNetCD(data, { lambda, alpha, tol });
    if (owed) meter.holds(cd.converged, `CD, ${what}: not converged after ${cd.iterations} passes`);
    if (cd.converged) {
      meter.holds(cd.kkt <= tol, `CD, ${what}: converged with kkt ${cd.kkt} > tol`);
      checkKKT(
        meter,
        kktResiduals(data, cd.weights, cd.bias, lambda, alpha),
        cdCertificate(data, c, cd, { lambda, alpha, tol }),
        `CD, ${what}`,
      );
    }

    const prox = elasticNetProx(data, { lambda, alpha, tol });
    const floor = proxCertificate(data, c, prox, { lambda, alpha, tol: 0 });
    const above = tol * dataGradientNorm(c).value >= Math.sqrt(c.d) * Math.max(...floor);
    if (owed && above) {
      meter.holds(prox.converged, `prox, ${what}: not converged after ${prox.iterations} steps`);
    }
    if (prox.converged) {
      meter.holds(
        prox.mappingNorm <= tol,
        `prox, ${what}: converged with mappingNorm ${prox.mappingNorm} > tol`,
      );
      checkKKT(
        meter,
        kktResiduals(data, prox.weights, prox.bias, lambda, alpha),
        proxCertificate(data, c, prox, { lambda, alpha, tol }),
        `prox, ${what}`,
      );
    }
  },
});

/** Compares core's `lassoKKT` report with {@link kktResiduals} at (w, b). */
function compareKKT(
  meter: Meter,
  data: Dataset,
  model: LinearModel,
  lambda: number,
  alpha: number,
  what: string,
): void {
  const core = lassoKKT(data, model, lambda, alpha);
  const mine = kktResiduals(data, model.weights, model.bias, lambda, alpha);
  // Two float64 evaluations of the same quantities, each within its rounding bound.
  mine.violations.forEach((v, j) => {
    const tol = 2 * (mine.rounding[j] as number);
    meter.value(
      core.correlations[j] as number,
      mine.correlations[j] as number,
      tol,
      `${what}: c${j}`,
    );
    meter.value(
      core.violations[j] as number,
      v,
      tol,
      `${what}: residual of w${j} = ${model.weights[j]}`,
    );
  });
  meter.value(core.biasViolation, mine.bias, 2 * mine.biasRounding, `${what}: residual of b`);
  // The report's summary is its own entries' maximum, and `worst` points at it.
  const all = [core.biasViolation, ...core.violations];
  meter.holds(
    core.maxViolation === Math.max(...all),
    `${what}: maxViolation is not the largest residual`,
  );
  meter.holds(
    (core.worst === -1 ? core.biasViolation : core.violations[core.worst]) === core.maxViolation,
    `${what}: worst = ${core.worst} does not point at maxViolation`,
  );
}

export const kktReference = defineProperty({
  id: "ref-kkt",
  name: "lassoKKT reports the KKT residuals computed here, at solutions and at arbitrary points",
  source: "core lassoKKT, IDENTITIES.md 16",
  arbitrary: fc.record({
    p: hostProblem(8, 6),
    w: fc.array(
      fc.oneof(
        fc.constant(0),
        fc.double({ min: -3, max: 3, noNaN: true, noDefaultInfinity: true }),
      ),
      { minLength: 6, maxLength: 6 },
    ),
    b: fc.double({ min: -3, max: 3, noNaN: true, noDefaultInfinity: true }),
    lambda: fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 3, noNaN: true })),
    alpha: mixing,
    fraction: fc.double({ min: 0.02, max: 1.2, noNaN: true }),
  }),
  async check(_ctx, { p, w, b, lambda, alpha, fraction }, meter) {
    const data = toDataset(p);
    const point = { weights: Float64Array.from(w.slice(0, p.d)), bias: b };
    compareKKT(meter, data, point, lambda, alpha, `at w = ${Array.from(point.weights)}, b = ${b}`);
    const c = centerHost(data);
    const atSolution = interestingLambda(c, alpha, fraction);
    const fit = elasticNetCD(data, { lambda: atSolution, alpha, tol: 1e-10 });
    compareKKT(meter, data, fit, atSolution, alpha, `at the CD solution, λ = ${atSolution}`);
  },
});

export const pathReference = defineProperty({
  id: "ref-path",
  name: "regularizationPath: nLambda λ from ‖Xcᵀyc‖_∞/(nα) down to lambdaMinRatio·λ_max, geometric; every fit meets CD's certificate",
  source: "core regularizationPath, IDENTITIES.md 16 and 17",
  arbitrary: fc.record({
    p: hostProblem(8, 6),
    // Below PATH_MIN_ALPHA (ridge included) the grid is sized with PATH_MIN_ALPHA, as documented.
    alpha: fc.oneof(mixing, fc.constant(1e-4)),
    nLambda: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
    ratio: fc.option(logUniform(1e-5, 1), { nil: undefined }),
    tol: fc.option(logUniform(1e-10, 1e-6), { nil: undefined }),
  }),
  async check(_ctx, { p, alpha, nLambda, ratio, tol }, meter) {
    const data = toDataset(p);
    const c = centerHost(data);
    const { n, d } = c;
    // The documented defaults: 100 values, lambdaMinRatio 1e-4 when n > d else 1e-2, CD's tol.
    const m = nLambda ?? 100;
    const r = ratio ?? (n > d ? 1e-4 : 1e-2);
    const cdTol = tol ?? CD_DEFAULT_TOL;
    const a = Math.max(alpha, PATH_MIN_ALPHA);
    const top = dataGradientNorm(c);
    let path: ReturnType<typeof regularizationPath>;
    try {
      path = regularizationPath(data, {
        alpha,
        ...(nLambda !== undefined ? { nLambda } : {}),
        ...(ratio !== undefined ? { lambdaMinRatio: ratio } : {}),
        ...(tol !== undefined ? { tol } : {}),
      });
    } catch (error) {
      // The ridge path solves the closed form at each λ, which throws where its system is singular
      // to working precision. Its centered Gram (XcXcᵀ in the dual) is singular whenever d ≥ n,
      // and then only nλ keeps it definite: allowed where the grid's smallest λ is below 1e-8 of
      // the data's curvature scale Σ xa²/n, far above where Cholesky can fail (~ (d + n)·u).
      let curvature = 0;
      for (const x of c.xa) curvature += (x * x) / n;
      const smallest = (top.value / a) * r;
      if (!(error instanceof RangeError && alpha === 0 && smallest <= 1e-8 * curvature))
        throw error;
      meter.holds(true, "the ridge path at a numerically singular λ");
      return;
    }
    meter.holds(
      path.lambdas.length === m &&
        path.weights.length === m &&
        path.biases.length === m &&
        path.converged.length === m,
      `the grid has ${path.lambdas.length} values, nLambda = ${m}`,
    );
    if (path.lambdas.length !== m) return;

    // λ_max = ‖Xcᵀyc‖_∞/(n·max(α, PATH_MIN_ALPHA)), computed here; core may round it up by an ulp
    // or two so that λ_max·α clears every correlation.
    if (path.lambdaMax === 0) {
      meter.value(top.value, 0, top.rounding, "λ_max = 0: ‖Xcᵀyc‖_∞/n");
    } else {
      meter.value(
        path.lambdaMax,
        top.value / a,
        top.rounding / a + 4 * Number.EPSILON * (top.value / a),
        "λ_max = ‖Xcᵀyc‖_∞/(n·α)",
      );
    }
    // Anchored at 1 when λ_max = 0 (every fit is then w = 0), as documented.
    const start = path.lambdaMax > 0 ? path.lambdaMax : 1;
    meter.holds(
      path.lambdas[0] === start,
      `the grid starts at ${path.lambdas[0]}, not λ_max = ${start}`,
    );
    // λ_k = λ_max·r^(k/(m − 1)): relative rounding of the exponent (|ln r|·u, twice: k/(m − 1)
    // and ln r), of exp or pow (an ulp each), and of the products.
    const rel = SAFETY * (2 * Math.abs(Math.log(r)) + 8) * U;
    if (m >= 2) {
      meter.value(
        path.lambdas[m - 1] as number,
        r * start,
        rel * r * start,
        `the grid ends at lambdaMinRatio·λ_max (lambdaMinRatio = ${r})`,
      );
    }
    for (let k = 0; k < m; k++) {
      const expected = m === 1 ? start : start * r ** (k / (m - 1));
      meter.value(
        path.lambdas[k] as number,
        expected,
        rel * expected,
        `λ_${k} = λ_max·r^(k/(m − 1))`,
      );
    }

    const owed = (lambda: number) => wellConditioned(c, lambda * (1 - alpha));
    // The fits: w = 0 at λ_max (exactly, for α ≥ PATH_MIN_ALPHA), and every fit meets the CD
    // certificate at the path's tol, warm-started from the previous λ's (ridge: the closed form).
    for (let k = 0; k < m; k++) {
      const lambda = path.lambdas[k] as number;
      const weights = path.weights[k] as Float64Array;
      const model = { weights, bias: path.biases[k] as number };
      const what = `λ_${k} = ${lambda}, α = ${alpha}`;
      if (k === 0 && path.lambdaMax > 0 && alpha >= PATH_MIN_ALPHA) {
        meter.holds(
          weights.every((v) => v === 0),
          `${what}: w = ${Array.from(weights)} at λ_max, must be 0`,
        );
      }
      const kkt = kktResiduals(data, weights, model.bias, lambda, alpha);
      let bounds: number[];
      if (alpha === 0 && path.lambdaMax > 0) {
        bounds = ridgeResidualBound(data, lambda, model, c).gradient.map(
          (v, j) => v + (j < d ? (kkt.rounding[j] as number) : kkt.biasRounding),
        );
      } else {
        // A λ that did not converge is reported and the path goes on (documented); owed where
        // the problem is well conditioned, and only a converged fit carries the certificate.
        if (owed(lambda)) meter.holds(path.converged[k] === true, `${what}: not converged`);
        if (!path.converged[k]) continue;
        bounds = cdCertificate(data, c, model, { lambda, alpha, tol: cdTol });
      }
      checkKKT(meter, kkt, bounds, what);
    }
  },
});

/** Index of a permutation of 0, 1, 2 among the six (lexicographic rank). */
function rank3(p: ArrayLike<number>): number {
  const a = p[0] as number;
  const b = p[1] as number;
  return a * 2 + (b > a ? b - 1 : b);
}

/** Whether `p` holds each of 0..n−1 exactly once. */
function isPermutation(p: ArrayLike<number>, n: number): boolean {
  if (p.length !== n) return false;
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = p[i] as number;
    if (!(Number.isInteger(v) && v >= 0 && v < n) || seen[v]) return false;
    seen[v] = 1;
  }
  return true;
}

/**
 * Checks that `draw(n)`, called repeatedly, behaves like a uniform random permutation of 0..n−1:
 * every draw is a permutation; over E = 800 draws for each n = 2..8 the number of fixed points
 * (mean 1 and variance 1 per uniform permutation, for every n ≥ 2) lies within 12√E of E, so a
 * generator of cyclic permutations only (Sattolo's), which never fixes a point (28√E off), fails;
 * and over 2400 draws of n = 3 every one of the 6 orders appears, with Pearson's χ² (5 degrees
 * of freedom) below 100. The bounds sit far out (a uniform generator's largest z of 7 draws is
 * about 3, its χ² about 5), so an honest generator reports error/tolerance near 0.3, under the
 * 0.5 at which a property is flagged as too tight on the reference, while a biased one lands
 * far past 1.
 */
function checkUniformPermutations(
  meter: Meter,
  what: string,
  draw: (n: number, index: number) => ArrayLike<number>,
): void {
  const E = 800;
  for (let n = 2; n <= 8; n++) {
    let fixed = 0;
    for (let e = 0; e < E; e++) {
      const p = draw(n, e);
      meter.holds(
        isPermutation(p, n),
        `${what}: ${Array.from(p)} is not a permutation of 0..${n - 1}`,
      );
      for (let i = 0; i < n; i++) if (p[i] === i) fixed++;
    }
    meter.value(fixed, E, 12 * Math.sqrt(E), `${what}, n = ${n}: fixed points in ${E} draws`);
  }
  const N = 2400;
  const counts = new Array<number>(6).fill(0);
  for (let e = 0; e < N; e++) {
    const k = rank3(draw(3, e));
    counts[k] = (counts[k] as number) + 1;
  }
  const expected = N / 6;
  const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  meter.holds(
    counts.every((c) => c > 0),
    `${what}: orders of 3 seen ${counts.join(", ")} times`,
  );
  meter.value(chi2, 0, 100, `${what}: χ² of the 6 orders of 3 (counts ${counts.join(", ")})`);
}

export const shuffleReference = defineProperty({
  id: "ref-shuffle",
  name: "epoch orders are uniform permutations (fixed points occur, all 6 orders of 3 equally often); batches cover each row once",
  source: "core MinibatchSchedule, Rng.permutation",
  arbitrary: fc.record({
    seed: fc.nat({ max: 1_000_000 }),
    n: fc.integer({ min: 1, max: 20 }),
    batch: fc.integer({ min: 1, max: 20 }),
  }),
  async check(_ctx, { seed, n, batch }, meter) {
    // The epochs of one schedule per n (its shuffle stream), and Rng.permutation directly.
    const schedules = new Map<number, MinibatchSchedule>();
    checkUniformPermutations(meter, `MinibatchSchedule(seed ${seed})`, (m) => {
      let s = schedules.get(m);
      if (!s) {
        s = new MinibatchSchedule(m, 1, seed);
        schedules.set(m, s);
      }
      return Array.from(s.shuffle());
    });
    const rngs = new Map<number, Rng>();
    checkUniformPermutations(meter, `Rng(${seed}).permutation`, (m) => {
      let r = rngs.get(m);
      if (!r) {
        r = new Rng(seed, m);
        rngs.set(m, r);
      }
      return r.permutation(m);
    });

    // forEachBatch: consecutive batches of `size` rows from offset 0, the last one partial, and
    // the rows order[offset .. offset + count) of an epoch's batches cover 0..n−1 once each.
    const size = Math.min(batch, n);
    const schedule = new MinibatchSchedule(n, size, seed);
    for (let epoch = 0; epoch < 3; epoch++) {
      const order = Array.from(schedule.shuffle());
      const batches: [number, number][] = [];
      schedule.forEachBatch((offset, count) => batches.push([offset, count]));
      const expected = Math.ceil(n / size);
      meter.holds(
        batches.length === expected && schedule.batchesPerEpoch === expected,
        `n = ${n}, batch ${size}: ${batches.length} batches (batchesPerEpoch ${schedule.batchesPerEpoch}), expected ${expected}`,
      );
      const rows: number[] = [];
      batches.forEach(([offset, count], k) => {
        const full = k < expected - 1 ? size : n - (expected - 1) * size;
        meter.holds(
          offset === k * size && count === full,
          `n = ${n}, batch ${size}: batch ${k} is (offset ${offset}, count ${count}), expected (${k * size}, ${full})`,
        );
        for (let i = offset; i < offset + count; i++) rows.push(order[i] as number);
      });
      meter.holds(
        isPermutation(rows, n),
        `n = ${n}, batch ${size}: an epoch's batches visit rows ${rows.join(", ")}`,
      );
    }
  },
});

export const REFERENCE_PROPERTIES: readonly ConformanceProperty<never>[] = [
  ridgeReference,
  elasticNetReference,
  kktReference,
  pathReference,
  shuffleReference,
] as unknown as readonly ConformanceProperty<never>[];
