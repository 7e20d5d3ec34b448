/**
 * How far full-batch gradient descent on ridge regression may be from the closed-form solution
 * after K steps: the derivation shared by every test that checks an SGD path against
 * `ridgeClosedForm` (identity 12 on real problem sizes, such as the chapter's d = 200 > n = 20).
 */
import { type Dataset, initialWeights, l2Norm } from "@wdecay/core";
import { trajectoryTolerance } from "./tolerance.js";

/** A stable step size for full-batch GD on ridge, and the bound on its distance from w*. */
export interface RidgeDescent {
  /** η = 1/(Σx²/n + 1 + λ): below 1/L for the Hessian's largest eigenvalue L. */
  readonly lr: number;
  /** μ = λ/(1 + λ + ‖x̄‖²): at most the Hessian's smallest eigenvalue. */
  readonly mu: number;
  /**
   * The bound on |θ_K − θ*| per coordinate (w and b) after `epochs` steps from the chapter's
   * initial weights (seed `seed`) and b = 0: the contraction's remainder (1 − ημ)^K·‖θ₀ − θ*‖
   * plus the conformance suite's float64 rounding allowance for K steps.
   */
  tolerance(star: { readonly weights: ArrayLike<number>; readonly bias: number }): number;
}

/**
 * The step size and bound for λ > 0 on `data` (one target column). The Hessian of J in (w, b) is
 * (1/n)Σ[xᵢ;1][xᵢ;1]ᵀ + diag(λI, 0): its largest eigenvalue is at most λ plus the trace of the
 * first part, Σx²/n + 1; its smallest at least λ/(1 + λ + ‖x̄‖²) (Cauchy–Schwarz on the mean,
 * then the 2×2 block along x̄ and the bias), so each step shrinks the error by (1 − η·μ) or more.
 */
export function ridgeDescent(
  data: Dataset,
  lambda: number,
  epochs: number,
  seed: number,
): RidgeDescent {
  const { n, d, X } = data;
  if (!(lambda > 0)) throw new RangeError(`ridgeDescent needs λ > 0, got ${lambda}`);
  let sumSq = 0;
  let xMax = 0;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const x = X[i * d + j] as number;
      sumSq += x * x;
      xMax = Math.max(xMax, Math.abs(x));
      mean[j] = (mean[j] as number) + x / n;
    }
  }
  const lr = 1 / (sumSq / n + 1 + lambda);
  const mu = lambda / (1 + lambda + l2Norm(mean) ** 2);
  const w0 = initialWeights(seed, d);
  return {
    lr,
    mu,
    tolerance(star) {
      let wMax = 0;
      for (let j = 0; j < d; j++) {
        wMax = Math.max(wMax, Math.abs(w0[j] as number), Math.abs(star.weights[j] as number));
      }
      const start = l2Norm(w0) + l2Norm(star.weights) + Math.abs(star.bias);
      const remainder = (1 - lr * mu) ** epochs * start;
      // Each step's sums have n + d + 4 terms; a forward term is at most |x|·|w| (the iterates
      // stay near the segment from w₀ to w*), d of them, plus the bias and target (≤ 10 here).
      const rounding = trajectoryTolerance("float64", epochs, n + d + 4, d * xMax * wMax + 10);
      return remainder + rounding;
    },
  };
}
