import { ridgeDescent } from "@wdecay/conformance";
import { CHAPTER, ridgeClosedForm, syntheticSplit, train } from "@wdecay/core";
import { describe, expect, it } from "vitest";
import { createCpuBackend } from "../src/index.js";

// Issue 4: on the chapter's data, SGD run as full-batch gradient descent and the closed-form
// ridge solution agree to the tolerance the conformance suite uses (identity 12).
describe("full-batch gradient descent on the chapter's data", () => {
  it("converges to the closed-form ridge solution", async () => {
    const data = syntheticSplit(42, CHAPTER);
    const lambda = 3;
    const epochs = 20_000;
    const { lr, tolerance } = ridgeDescent(data.train, lambda, epochs, 42);
    const gd = await train(createCpuBackend(), data, {
      method: "scratch",
      lambda,
      epochs,
      lr,
      batchSize: data.train.n,
      seed: 42,
      evalEvery: epochs,
    });
    const star = ridgeClosedForm(data.train, lambda);
    // The contraction's remainder plus the conformance suite's rounding allowance.
    const tol = tolerance(star);
    // The comparison means something only if the allowance is small next to the solution.
    expect(tol).toBeLessThan(1e-3 * Math.max(...star.weights.map(Math.abs)));
    for (let j = 0; j < data.train.d; j++) {
      expect(Math.abs((gd.weights[j] as number) - (star.weights[j] as number))).toBeLessThanOrEqual(
        tol,
      );
    }
    expect(Math.abs(gd.bias - star.bias)).toBeLessThanOrEqual(tol);
  });
});
