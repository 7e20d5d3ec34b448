import { describe, expect, it } from "vitest";
import type { Dataset } from "../../src/data.js";
import { Rng } from "../../src/random.js";
import { elasticNetCD } from "../../src/solvers/coordinate-descent.js";
import { regularizationPath } from "../../src/solvers/path.js";
import { elasticNetProx } from "../../src/solvers/proximal-gradient.js";
import { softThreshold } from "../../src/solvers/soft-threshold.js";

const N = 16;
const D = 7;

/**
 * Identity 14 needs XᵀX = nI on centered columns. Columns 1..D of the Sylvester–Hadamard matrix
 * H₁₆ (H₂ₘ = [[H, H], [H, −H]]) are ±1, mutually orthogonal, and each sums to zero (orthogonal to
 * column 0, all ones), so they are centered already and XᵀX = 16·I exactly, in integer arithmetic.
 */
function orthonormalData(seed: number): Dataset {
  let H = [[1]];
  while (H.length < N) {
    H = [...H.map((row) => [...row, ...row]), ...H.map((row) => [...row, ...row.map((v) => -v)])];
  }
  const X = new Float64Array(N * D);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < D; j++) X[i * D + j] = (H[i] as number[])[j + 1] as number;
  }
  const rng = new Rng(seed);
  // A nonzero mean exercises the intercept; y's spread gives OLS weights of mixed sizes.
  const y = Float64Array.from({ length: N }, () => 3 + rng.normal(0, 2));
  return { X, y, n: N, d: D };
}

/** ŵ_OLS = Xᵀ(y − ȳ)/n, the least-squares weights when XᵀX = nI. */
function olsWeights(data: Dataset): Float64Array {
  const ym = data.y.reduce((s, v) => s + v, 0) / N;
  const w = new Float64Array(D);
  for (let j = 0; j < D; j++) {
    let s = 0;
    for (let i = 0; i < N; i++) s += (data.X[i * D + j] as number) * ((data.y[i] as number) - ym);
    w[j] = s / N;
  }
  return w;
}

/**
 * With exactly orthogonal columns the coordinates decouple: one pass of coordinate descent puts
 * every weight at its exact minimizer, and the remaining error is rounding alone: n-term dot
 * products of ±1 with residuals bounded by max|y − ȳ|, i.e. ≲ n·ε·max|y − ȳ|. (The KKT bound
 * from `tol` does not enter: the coupling it accounts for is exactly zero here.)
 */
function roundingTolerance(data: Dataset): number {
  const ym = data.y.reduce((s, v) => s + v, 0) / N;
  const spread = data.y.reduce((m, v) => Math.max(m, Math.abs(v - ym)), 0);
  return 4 * N * Number.EPSILON * spread;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let j = 0; j < a.length; j++) m = Math.max(m, Math.abs((a[j] as number) - (b[j] as number)));
  return m;
}

/** λ values between the sorted |ŵ_j|, so each has some weights shrunk to zero and some not. */
function lambdasBetween(ols: Float64Array): number[] {
  const sorted = Array.from(ols, Math.abs).sort((p, q) => p - q);
  return [1, 3, 5].map((k) => ((sorted[k - 1] as number) + (sorted[k] as number)) / 2);
}

describe("orthonormal design XᵀX = nI (identity 14)", () => {
  const data = orthonormalData(14);
  const ols = olsWeights(data);
  const tolerance = roundingTolerance(data);

  it("the design is orthonormal and centered", () => {
    for (let j = 0; j < D; j++) {
      for (let k = 0; k < D; k++) {
        let s = 0;
        for (let i = 0; i < N; i++)
          s += (data.X[i * D + j] as number) * (data.X[i * D + k] as number);
        expect(s).toBe(j === k ? N : 0);
      }
    }
  });

  it("lasso = S_λ(ŵ_OLS), with exact zeros where |ŵ_j| ≤ λ", () => {
    for (const lambda of lambdasBetween(ols)) {
      const fit = elasticNetCD(data, { lambda, alpha: 1 });
      const expected = softThreshold(ols, lambda);
      expect(maxAbsDiff(fit.weights, expected)).toBeLessThanOrEqual(tolerance);
      ols.forEach((v, j) => {
        if (Math.abs(v) <= lambda) expect(Object.is(fit.weights[j], 0)).toBe(true);
        else expect(fit.weights[j]).not.toBe(0);
      });
      // Decoupled coordinates: pass 1 solves, an active-set pass and a full pass confirm it.
      expect(fit.iterations).toBeLessThanOrEqual(3);
    }
  });

  it("ridge = ŵ_OLS/(1 + λ) and the elastic net = S_{λα}(ŵ_OLS)/(1 + λ(1 − α))", () => {
    for (const lambda of [0.01, 0.5, 4]) {
      const ridge = elasticNetCD(data, { lambda, alpha: 0 });
      expect(
        maxAbsDiff(
          ridge.weights,
          ols.map((v) => v / (1 + lambda)),
        ),
      ).toBeLessThanOrEqual(tolerance);
      const path = regularizationPath(data, { alpha: 0, lambdas: [lambda] });
      // The closed form (Cholesky of 16·(1 + λ)·I) is exact up to the same rounding.
      expect(
        maxAbsDiff(
          path.weights[0] as Float64Array,
          ols.map((v) => v / (1 + lambda)),
        ),
      ).toBeLessThanOrEqual(tolerance);
    }
    for (const lambda of lambdasBetween(ols)) {
      const alpha = 0.6;
      const fit = elasticNetCD(data, { lambda, alpha });
      const expected = softThreshold(ols, lambda * alpha).map(
        (v) => v / (1 + lambda * (1 - alpha)),
      );
      expect(maxAbsDiff(fit.weights, expected)).toBeLessThanOrEqual(tolerance);
    }
  });

  it("proximal gradient reaches the same closed forms within its certificate", () => {
    const tol = 1e-10;
    const g0 = ols.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    for (const lambda of lambdasBetween(ols)) {
      for (const alpha of [1, 0.5]) {
        for (const accelerated of [true, false]) {
          const fit = elasticNetProx(data, { lambda, alpha, tol, accelerated });
          expect(fit.converged).toBe(true);
          const expected = softThreshold(ols, lambda * alpha).map(
            (v) => v / (1 + lambda * (1 - alpha)),
          );
          // dist(0, ∂J) ≤ 2·tol·g₀ (prox TSDoc) and J is (1 + λ(1 − α))-strongly convex
          // (Gram = I), so ‖w − w*‖₂ ≤ 2·tol·g₀/(1 + λ(1 − α)); plus rounding.
          const bound = (2 * tol * g0) / (1 + lambda * (1 - alpha)) + tolerance;
          expect(maxAbsDiff(fit.weights, expected)).toBeLessThanOrEqual(bound);
        }
      }
    }
  });

  it("the lasso path is S_λ(ŵ_OLS) at every λ: w_j = 0 exactly iff |ŵ_j| ≤ λ", () => {
    const path = regularizationPath(data, { nLambda: 40 });
    expect(Math.abs(path.lambdaMax - Math.max(...Array.from(ols, Math.abs)))).toBeLessThanOrEqual(
      tolerance,
    );
    expect(path.weights[0]?.every((v) => Object.is(v, 0))).toBe(true);
    path.lambdas.forEach((lambda, k) => {
      const w = path.weights[k] as Float64Array;
      expect(maxAbsDiff(w, softThreshold(ols, lambda))).toBeLessThanOrEqual(tolerance);
      // Our ŵ and the solver's correlations differ by rounding, so |ŵ_j| within `tolerance`
      // of λ could fall either way; every other weight must be zero or not as S_λ says.
      ols.forEach((v, j) => {
        if (Math.abs(v) < lambda - tolerance) expect(Object.is(w[j], 0)).toBe(true);
        if (Math.abs(v) > lambda + tolerance) expect(w[j]).not.toBe(0);
      });
    });
  });
});
