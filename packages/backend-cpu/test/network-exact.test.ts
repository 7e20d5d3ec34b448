/**
 * trainNetwork's linear classifiers against core's exact solvers: full-batch gradient descent on
 * a softmax (or logistic) head with decay on the weights and none on the biases minimizes the
 * same objective as `softmaxRegression` (`logisticRegression`), whose Newton answers match
 * scikit-learn to 1e-9 (packages/core/test/logistic.test.ts). Real data: the wine and
 * breast-cancer tables of core's fixtures, standardized.
 */
import { readFileSync } from "node:fs";
import {
  csvDataset,
  type Dataset,
  fitStandardizer,
  logisticRegression,
  oneHot,
  softmaxRegression,
  standardize,
  type TrainedParameter,
  trainNetwork,
} from "@wdecay/core";
import { describe, expect, it } from "vitest";
import { createCpuBackend } from "../src/index.js";

function table(name: string, target: string): Dataset {
  const path = new URL(`../../core/test/fixtures/reference/${name}`, import.meta.url);
  const data = csvDataset(readFileSync(path, "utf8"), { source: name, target }).dataset;
  return standardize(data, fitStandardizer(data));
}

/**
 * Gradient descent with step 1/L on an objective that is λ-strongly convex in the weights
 * contracts the error by about (1 − λ/L) per step (the biases, unpenalized, converge at the
 * data's own rate): with λ = 0.1 and L ≤ ‖X‖²/(2n) + λ ≈ 4 on standardized tables, 3,000 steps
 * shrink it by e^-75, far below the 1e-8 compared here, and float64 rounding stays near 1e-14.
 */
const EPOCHS = 3000;
const LAMBDA = 0.1;

describe("trainNetwork reaches the exact minimizers of the linear classifiers", {
  timeout: 120_000,
}, () => {
  it("softmax head ≡ softmaxRegression on the wine data (178 × 13, 3 classes)", async () => {
    const data = table("wine.csv", "class");
    const exact = softmaxRegression(data, { lambda: LAMBDA });
    const K = exact.classes;
    const split = { X: data.X, Y: oneHot(data.y, K), rows: data.n };
    const result = await trainNetwork(
      createCpuBackend(),
      { inputs: data.d, hidden: [], outputs: K, loss: "softmax" },
      { train: split, test: split },
      {
        epochs: EPOCHS,
        lr: 0.25,
        batchSize: data.n,
        seed: 1,
        evalEvery: EPOCHS,
        grouping: { weightDecay: LAMBDA },
        init: [new Float64Array(data.d * K), new Float64Array(K)],
      },
    );
    const [W, b] = result.parameters as [TrainedParameter, TrainedParameter];
    // The network's weight is d × K (Z = XW + b); the solver's is K × d, row k for class k.
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < data.d; j++) {
        expect(
          Math.abs((W.values[j * K + k] as number) - (exact.weights[k * data.d + j] as number)),
        ).toBeLessThan(1e-8);
      }
      // Both keep Σ_k b_k = 0: the solver by its normalization, gradient descent because the
      // softmax gradient's rows sum to zero from a zero start.
      expect(Math.abs((b.values[k] as number) - (exact.biases[k] as number))).toBeLessThan(1e-8);
    }
  });

  it("logistic head ≡ logisticRegression on the breast-cancer data (569 × 30)", async () => {
    const data = table("breast_cancer.csv", "target");
    const exact = logisticRegression(data, { lambda: LAMBDA });
    const split = { X: data.X, Y: Float64Array.from(data.y), rows: data.n };
    const result = await trainNetwork(
      createCpuBackend(),
      { inputs: data.d, hidden: [], outputs: 1, loss: "logistic" },
      { train: split, test: split },
      {
        epochs: EPOCHS,
        lr: 0.5,
        batchSize: data.n,
        seed: 1,
        evalEvery: EPOCHS,
        grouping: { weightDecay: LAMBDA },
      },
    );
    const [w, b] = result.parameters as [TrainedParameter, TrainedParameter];
    for (let j = 0; j < data.d; j++) {
      expect(Math.abs((w.values[j] as number) - (exact.weights[j] as number))).toBeLessThan(1e-8);
    }
    expect(Math.abs((b.values[0] as number) - exact.bias)).toBeLessThan(1e-8);
  });
});
