/**
 * The Bayesian reading of weight decay (identity 19; D2L §4.5, exercise 6): the penalty is the
 * negative log of a prior on w, and the regularized minimizer is the maximum a posteriori (MAP)
 * estimate. Every λ here is in the canonical convention (see conventions.ts):
 * `J(w, b) = (1/n) Σ ½(wᵀxᵢ + b − yᵢ)² + (λ/2)‖w‖² (+ λ₁‖w‖₁)`.
 *
 * Model: `y | w, b ~ N(Xw + b·1, σ²I)`, with a flat (improper, constant) prior on the bias b so
 * that, like the penalty, the prior says nothing about b. For a Gaussian prior `w ~ N(0, τ²I)`:
 *
 *   −log p(w, b | y) = ‖y − Xw − b·1‖²/(2σ²) + ‖w‖²/(2τ²) + const
 *                    = (n/σ²) · [ (1/(2n))‖y − Xw − b·1‖² + (σ²/(nτ²))/2 · ‖w‖² ] + const,
 *
 * which is (n/σ²)·J with **λ = σ²/(nτ²)**: a positive factor does not move the minimizer.
 * For a Laplace prior `p(w_j) = exp(−|w_j|/s)/(2s)` the same steps give (n/σ²)·[(1/(2n))‖r‖² +
 * (σ²/(ns))‖w‖₁], the lasso with **λ₁ = σ²/(n·s)**.
 */
import { type Dataset, requireSingleOutput } from "./data.js";
import { choleskySolve, ridgeClosedForm } from "./ridge.js";

/** Standard deviations of the label noise and of the Gaussian prior on each weight. */
export interface GaussianPriorScales {
  /** σ > 0: `y | w, b ~ N(Xw + b, σ²I)`. */
  readonly noiseStd: number;
  /** τ > 0: `w ~ N(0, τ²I)`; `Infinity` is the flat prior (λ = 0, ordinary least squares). */
  readonly priorStd: number;
}

function checkPositive(name: string, value: number, allowInfinity = false): void {
  const ok = value > 0 && (allowInfinity ? !Number.isNaN(value) : Number.isFinite(value));
  if (!ok) {
    throw new RangeError(
      `${name} must be a ${allowInfinity ? "" : "finite "}number > 0, got ${value}`,
    );
  }
}

function checkN(n: number): void {
  if (!(Number.isSafeInteger(n) && n >= 1)) {
    throw new RangeError(`n must be a positive integer, got ${n}`);
  }
}

/**
 * The canonical λ whose ridge solution is the MAP under `w ~ N(0, τ²I)` with noise σ on n examples:
 * `λ = σ²/(nτ²)`. Derivation (module comment): the negative log posterior is
 * `‖r‖²/(2σ²) + ‖w‖²/(2τ²)`, which is `(n/σ²)` times the canonical objective at that λ. The 1/n
 * is the canonical convention's mean loss: more data, same prior, less shrinkage.
 */
export function priorScaleToLambda(scales: GaussianPriorScales & { readonly n: number }): number {
  const { noiseStd: sigma, priorStd: tau, n } = scales;
  checkPositive("noiseStd", sigma);
  checkPositive("priorStd", tau, true);
  checkN(n);
  return (sigma * sigma) / (n * tau * tau);
}

/**
 * The inverse of {@link priorScaleToLambda}: the prior standard deviation `τ = σ/√(nλ)` that a
 * canonical λ ≥ 0 stands for (λ = 0 gives `Infinity`, the flat prior).
 */
export function lambdaToPriorScale(params: {
  readonly lambda: number;
  readonly noiseStd: number;
  readonly n: number;
}): number {
  const { lambda, noiseStd: sigma, n } = params;
  if (!(Number.isFinite(lambda) && lambda >= 0)) {
    throw new RangeError(`lambda must be a finite number ≥ 0, got ${lambda}`);
  }
  checkPositive("noiseStd", sigma);
  checkN(n);
  return sigma / Math.sqrt(n * lambda);
}

/**
 * The canonical L1 weight whose lasso solution is the MAP under independent Laplace priors
 * `p(w_j) = exp(−|w_j|/s)/(2s)` (scale s, variance 2s²) with noise σ on n examples:
 * `λ₁ = σ²/(n·s)`, since `−log p(w | y) = ‖r‖²/(2σ²) + ‖w‖₁/s + const = (n/σ²)·[(1/(2n))‖r‖² +
 * (σ²/(ns))‖w‖₁] + const`. Only the MAP is the lasso: unlike the Gaussian case, the posterior
 * mean under a Laplace prior is not sparse and is not the lasso solution.
 * @param laplaceScale s > 0; `Infinity` (flat prior) gives 0
 */
export function laplacePriorToL1(noiseStd: number, laplaceScale: number, n: number): number {
  checkPositive("noiseStd", noiseStd);
  checkPositive("laplaceScale", laplaceScale, true);
  checkN(n);
  return (noiseStd * noiseStd) / (n * laplaceScale);
}

/** The inverse of {@link laplacePriorToL1}: the Laplace scale `s = σ²/(n·λ₁)` (λ₁ = 0 → ∞). */
export function l1ToLaplacePriorScale(lambdaL1: number, noiseStd: number, n: number): number {
  if (!(Number.isFinite(lambdaL1) && lambdaL1 >= 0)) {
    throw new RangeError(`lambdaL1 must be a finite number ≥ 0, got ${lambdaL1}`);
  }
  checkPositive("noiseStd", noiseStd);
  checkN(n);
  return (noiseStd * noiseStd) / (n * lambdaL1);
}

/** The Gaussian posterior of the weights under {@link GaussianPriorScales}. */
export interface RidgePosterior {
  /** Posterior mean of w (d entries); it is also the MAP and the ridge solution at {@link lambda}. */
  readonly mean: Float64Array;
  /** Posterior mean (and MAP) of the bias: `ȳ − x̄ᵀmean`, the ridge bias. */
  readonly bias: number;
  /** Posterior covariance of w, d×d row-major: `σ²(XcᵀXc + (σ²/τ²)I)⁻¹`. */
  readonly covariance: Float64Array;
  /** The canonical λ = σ²/(nτ²) the posterior corresponds to. */
  readonly lambda: number;
  readonly d: number;
}

/**
 * The exact posterior of w for `y | w, b ~ N(Xw + b, σ²I)`, `w ~ N(0, τ²I)` and a flat prior on b.
 *
 * The bias is handled by centering: `‖y − Xw − b·1‖² = ‖yc − Xc·w‖² + n(b − ȳ + x̄ᵀw)²` with
 * `Xc = X − 1x̄ᵀ`, `yc = y − ȳ`, so integrating b out under its flat prior multiplies the
 * likelihood by a constant (`√(2πσ²/n)`), and the marginal posterior of w is
 * `∝ exp(−‖yc − Xc·w‖²/(2σ²) − ‖w‖²/(2τ²))`: Gaussian with precision `H = XcᵀXc/σ² + I/τ²`
 * (the Hessian of the negative log posterior), covariance `Σ = H⁻¹ = σ²(XcᵀXc + (σ²/τ²)I)⁻¹`
 * and mean `Σ·Xcᵀyc/σ² = (XcᵀXc + nλI)⁻¹Xcᵀyc`, the centered ridge solution of
 * {@link ridgeClosedForm} at λ = σ²/(nτ²) (identity 19 writes XᵀX: that is this Xc when the
 * model has a bias). For a Gaussian the mean is also the mode, so it is the MAP of (w, b) jointly.
 *
 * The mean comes from {@link ridgeClosedForm} (a solve, better conditioned than multiplying by an
 * explicit inverse). The covariance needs an explicit inverse: with d ≤ n, d Cholesky solves of
 * the d×d system; with d > n, the Woodbury form `Σ = τ²[I − Xcᵀ(XcXcᵀ + (σ²/τ²)I)⁻¹Xc]`, n solves
 * of an n×n system; so the cost is about min(d, n)⁴/3 (choleskySolve factors on every call). The
 * Woodbury form loses relative accuracy ~ε·(s²τ²/σ²)² in directions with singular value s, so it
 * suits τ not far above σ/s_max; it is symmetrized, as is the primal form, so that rounding in
 * the column-by-column solves does not leave Σ ≠ Σᵀ.
 * @throws RangeError for invalid scales, or τ = ∞ when XcᵀXc is singular (d ≥ n, or collinear
 * columns): the flat-prior posterior is then improper
 */
export function ridgePosterior(data: Dataset, scales: GaussianPriorScales): RidgePosterior {
  const { X, n, d } = data;
  requireSingleOutput(data, "ridgePosterior");
  const lambda = priorScaleToLambda({ ...scales, n });
  const sigma2 = scales.noiseStd ** 2;
  const rho = sigma2 / scales.priorStd ** 2;

  const xMean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) xMean[j] = (xMean[j] as number) + (X[i * d + j] as number) / n;
  }
  const Xc = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) Xc[i * d + j] = (X[i * d + j] as number) - (xMean[j] as number);
  }

  const covariance = new Float64Array(d * d);
  try {
    if (d <= n) {
      const A = new Float64Array(d * d);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < d; j++) {
          const xij = Xc[i * d + j] as number;
          for (let k = 0; k < d; k++)
            A[j * d + k] = (A[j * d + k] as number) + xij * (Xc[i * d + k] as number);
        }
      }
      for (let j = 0; j < d; j++) A[j * d + j] = (A[j * d + j] as number) + rho;
      const unit = new Float64Array(d);
      for (let k = 0; k < d; k++) {
        unit.fill(0);
        unit[k] = 1;
        const column = choleskySolve(A, unit, d);
        for (let j = 0; j < d; j++) covariance[j * d + k] = sigma2 * (column[j] as number);
      }
    } else {
      if (!(rho > 0)) throw new RangeError("XcᵀXc is singular when d > n");
      const K = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < n; k++) {
          let s = 0;
          for (let j = 0; j < d; j++) s += (Xc[i * d + j] as number) * (Xc[k * d + j] as number);
          K[i * n + k] = s + (i === k ? rho : 0);
        }
      }
      // Z = K⁻¹Xc, column by column of Xc (n×d), then Σ = τ²(I − XcᵀZ).
      const Z = new Float64Array(n * d);
      const column = new Float64Array(n);
      for (let j = 0; j < d; j++) {
        for (let i = 0; i < n; i++) column[i] = Xc[i * d + j] as number;
        const z = choleskySolve(K, column, n);
        for (let i = 0; i < n; i++) Z[i * d + j] = z[i] as number;
      }
      const tau2 = scales.priorStd ** 2;
      for (let j = 0; j < d; j++) {
        for (let k = 0; k < d; k++) {
          let s = 0;
          for (let i = 0; i < n; i++) s += (Xc[i * d + j] as number) * (Z[i * d + k] as number);
          covariance[j * d + k] = tau2 * ((j === k ? 1 : 0) - s);
        }
      }
    }
  } catch (error) {
    throw new RangeError(
      `the posterior of w is improper for priorStd = ${scales.priorStd} on these data ` +
        `(${(error as Error).message}); use a finite priorStd`,
    );
  }
  for (let j = 0; j < d; j++) {
    for (let k = j + 1; k < d; k++) {
      const s = 0.5 * ((covariance[j * d + k] as number) + (covariance[k * d + j] as number));
      covariance[j * d + k] = s;
      covariance[k * d + j] = s;
    }
  }

  const { weights, bias } = ridgeClosedForm(data, lambda);
  return { mean: weights, bias, covariance, lambda, d };
}
