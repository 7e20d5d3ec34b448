/**
 * Multi-output regression with the Frobenius penalty (exercise 4), end to end on the cpu
 * backend: W (d×k) trained in one pass equals k single-output runs, one per target column, and
 * the Frobenius penalty shrinks ‖W‖_F as the L2 penalty shrinks ‖w‖ in the chapter.
 */
import {
  CHAPTER,
  columnDataset,
  type DataSplit,
  l2Norm,
  ridgeClosedForm,
  syntheticSplit,
  train,
  trainGrid,
  trainMultiOutput,
} from "@wdecay/core";
import { describe, expect, it } from "vitest";
import { createCpuBackend } from "../src/index.js";

const EPS64 = 2 ** -52;
const K = 3;

/** The chapter's problem with k target columns (output l has true weights 0.01·(l + 1)). */
function multiOutputData(seed: number, outputs: number): DataSplit {
  return syntheticSplit(seed, CHAPTER, { outputs });
}

function columnSplit(data: DataSplit, l: number): DataSplit {
  return { train: columnDataset(data.train, l), test: columnDataset(data.test, l) };
}

/**
 * The joint run and a single-output run compute the same iterates with the same sums, only in
 * the general-L kernel instead of the one-column kernel (another association of the residual's
 * terms). Each residual is a sum of d + 2 terms, off by γ_{d+2} ≈ (d + 2)ε relative to its
 * |terms|; SGD at the chapter's η does not amplify an error, so after `steps` steps the gap is
 * below steps·(d + 2)·ε relative to the weights' scale; 4× covers the update's products.
 */
function tolerance(steps: number, d: number): number {
  return 4 * steps * (d + 2) * EPS64;
}

const OPTIONS = {
  epochs: CHAPTER.epochs,
  lr: CHAPTER.lr,
  batchSize: CHAPTER.batchSize,
  seed: 42,
} as const;

describe("trainMultiOutput (Frobenius penalty)", () => {
  for (const method of ["scratch", "concise"] as const) {
    it(`column l of W equals a single-output run on target column l (${method})`, async () => {
      const backend = createCpuBackend();
      const data = multiOutputData(7, K);
      const before = backend.liveTensors();
      const joint = await trainMultiOutput(backend, data, { ...OPTIONS, method, lambda: 3 });
      expect(backend.liveTensors()).toBe(before);
      expect(joint.outputs).toBe(K);
      expect(joint.weights.length).toBe(CHAPTER.dims * K);
      const steps = OPTIONS.epochs * Math.ceil(CHAPTER.nTrain / OPTIONS.batchSize);
      const tol = tolerance(steps, CHAPTER.dims);
      let frob2 = 0;
      let trainSum = 0;
      for (let l = 0; l < K; l++) {
        const one = await train(backend, columnSplit(data, l), { ...OPTIONS, method, lambda: 3 });
        const scale = Math.max(...one.weights.map(Math.abs));
        for (let j = 0; j < CHAPTER.dims; j++) {
          const got = joint.weights[j * K + l] as number;
          expect(Math.abs(got - (one.weights[j] as number))).toBeLessThanOrEqual(tol * scale);
        }
        expect(Math.abs((joint.biases[l] as number) - one.bias)).toBeLessThanOrEqual(
          tol * Math.max(1, Math.abs(one.bias)),
        );
        const own = joint.outputLosses[l];
        expect(Math.abs((own?.trainLoss ?? Number.NaN) - one.trainLoss)).toBeLessThanOrEqual(
          tol * Math.max(1, one.trainLoss),
        );
        frob2 += one.l2Norm ** 2;
        trainSum += one.trainLoss;
      }
      // ‖W‖_F² is the sum of the columns' ‖w_l‖²; the joint loss the sum of the outputs' losses.
      expect(joint.frobeniusNorm).toBeCloseTo(Math.sqrt(frob2), 10);
      expect(joint.trainLoss).toBeCloseTo(trainSum, 12);
    });
  }

  it("the Frobenius penalty shrinks ‖W‖_F and lowers the test loss, as L2 does for ‖w‖", async () => {
    const backend = createCpuBackend();
    const data = multiOutputData(42, K);
    const free = await trainMultiOutput(backend, data, {
      ...OPTIONS,
      method: "scratch",
      lambda: 0,
    });
    const decayed = await trainMultiOutput(backend, data, {
      ...OPTIONS,
      method: "scratch",
      lambda: 3,
    });
    expect(decayed.frobeniusNorm).toBeLessThan(free.frobeniusNorm / 10);
    expect(decayed.testLoss).toBeLessThan(free.testLoss / 10);
    expect(decayed.trainLoss).toBeGreaterThan(free.trainLoss);
  });

  it("full-batch training approaches the closed-form ridge solution of each column", async () => {
    // d ≤ n here, so GD converges linearly to W* = the per-column ridge solutions; 3000 epochs
    // at η = 0.05 with μ ≥ λ = 0.5 leave (1 − ημ)^K ≈ 1e-32 of the start: only rounding remains.
    const backend = createCpuBackend();
    const data = syntheticSplit(3, { nTrain: 40, nTest: 10, dims: 5 }, { outputs: 2 });
    const fit = await trainMultiOutput(backend, data, {
      method: "scratch",
      lambda: 0.5,
      epochs: 3000,
      lr: 0.05,
      batchSize: 40,
      seed: 1,
      evalEvery: 3000,
    });
    for (let l = 0; l < 2; l++) {
      const ridge = ridgeClosedForm(columnDataset(data.train, l), 0.5);
      const column = Array.from({ length: 5 }, (_, j) => fit.weights[j * 2 + l] as number);
      const gap = column.map((v, j) => v - (ridge.weights[j] as number));
      expect(l2Norm(gap)).toBeLessThan(1e-10 * l2Norm(ridge.weights));
      expect(Math.abs((fit.biases[l] as number) - ridge.bias)).toBeLessThan(1e-10);
    }
  });

  it("rejects a grid over a multi-output dataset and mismatched train/test outputs", async () => {
    const backend = createCpuBackend();
    const data = multiOutputData(1, 2);
    await expect(
      trainGrid(backend, data, { ...OPTIONS, method: "scratch", lambdas: [0, 1] }),
    ).rejects.toThrow(/2 target columns: train it with trainMultiOutput/);
    const mixed = { train: data.train, test: columnDataset(data.test, 0) };
    await expect(
      trainMultiOutput(backend, mixed, { ...OPTIONS, method: "scratch", lambda: 1 }),
    ).rejects.toThrow(/train has 2 target columns but test has 1/);
    expect(() => ridgeClosedForm(data.train, 1)).toThrow(/has 2 \(multi-output\)/);
  });
});
