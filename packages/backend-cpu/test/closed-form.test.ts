import { trajectoryTolerance } from "@wdecay/conformance";
import {
  CHAPTER,
  initialWeights,
  l2Norm,
  ridgeClosedForm,
  syntheticSplit,
  train,
} from "@wdecay/core";
import { describe, expect, it } from "vitest";
import { createCpuBackend } from "../src/index.js";

// Issue 4: on the chapter's data, SGD run as full-batch gradient descent and the closed-form
// ridge solution agree to the tolerance the conformance suite uses (identity 12).
describe("full-batch gradient descent on the chapter's data", () => {
  it("converges to the closed-form ridge solution", async () => {
    const data = syntheticSplit(42, CHAPTER);
    const { n, d, X } = data.train;
    const lambda = 3;
    const epochs = 20_000;
    let sumSq = 0;
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) {
        const x = X[i * d + j] as number;
        sumSq += x * x;
        mean[j] = (mean[j] as number) + x / n;
      }
    }
    // The Hessian of J in (w, b) is (1/n)Σ[xᵢ;1][xᵢ;1]ᵀ + diag(λI, 0). Its largest eigenvalue is
    // at most λ plus the trace of the first part, Σx²/n + 1, so this step is stable…
    const lr = 1 / (sumSq / n + 1 + lambda);
    // …and its smallest is at least λ/(1 + λ + ‖x̄‖²) (Cauchy–Schwarz on the mean, then the
    // 2×2 block along x̄ and the bias), so each step shrinks the error by (1 − η·μ) or more.
    const mu = lambda / (1 + lambda + l2Norm(mean) ** 2);
    const gd = await train(createCpuBackend(), data, {
      method: "scratch",
      lambda,
      epochs,
      lr,
      batchSize: n,
      seed: 42,
      evalEvery: epochs,
    });
    const star = ridgeClosedForm(data.train, lambda);
    const start = l2Norm(initialWeights(42, d)) + l2Norm(star.weights) + Math.abs(star.bias);
    const remainder = (1 - lr * mu) ** epochs * start;
    // Plus the conformance suite's rounding allowance for that many steps of sums of n + d + 4
    // terms, bounded by |x| ≤ 5 and |w| ≤ 5 on these data.
    const rounding = trajectoryTolerance("float64", epochs, n + d + 4, 25 * d + 10);
    const tol = remainder + rounding;
    // The comparison means something only if the allowance is small next to the solution.
    expect(tol).toBeLessThan(1e-3 * Math.max(...star.weights.map(Math.abs)));
    for (let j = 0; j < d; j++) {
      expect(Math.abs((gd.weights[j] as number) - (star.weights[j] as number))).toBeLessThanOrEqual(
        tol,
      );
    }
    expect(Math.abs(gd.bias - star.bias)).toBeLessThanOrEqual(tol);
  });
});
