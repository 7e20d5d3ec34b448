/**
 * Training through core's optimizers (`train({ optimizer })`): plain SGD through the optimizer
 * equals the fused SGD program; per-feature decay masks; momentum, Adam, AdamW and schedules
 * train the chapter's problem; bad combinations fail with a message.
 */
import {
  CHAPTER,
  type DataSplit,
  type Method,
  schedules,
  syntheticSplit,
  type TrainOptions,
  train,
  trainGrid,
} from "@wdecay/core";
import { describe, expect, it } from "vitest";
import { createCpuBackend } from "../src/index.js";

const EPS64 = 2 ** -52;
const data: DataSplit = syntheticSplit(42, CHAPTER);
const base = {
  epochs: 30,
  lr: CHAPTER.lr,
  batchSize: CHAPTER.batchSize,
  seed: 42,
  evalEvery: 10,
} as const;
const steps = base.epochs * Math.ceil(CHAPTER.nTrain / CHAPTER.batchSize);

/**
 * The optimizer path computes the fused kernel's update from primitives: the same sums in another
 * order (residual over d + 2 terms, gradient over the batch) and the decay as a separate product.
 * Each step is off by a few γ_{d+2} relative to the weights' scale and SGD at the chapter's η
 * does not amplify it: 4·steps·(d + 2)·ε bounds the gap.
 */
const tol = 4 * steps * (CHAPTER.dims + 2) * EPS64;

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i] as number));
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
  }
  return diff / scale;
}

describe("train with core's optimizer", () => {
  for (const method of ["scratch", "concise"] as Method[]) {
    it(`plain SGD through the optimizer equals the fused program (${method})`, async () => {
      const backend = createCpuBackend();
      const options: TrainOptions = { ...base, method, lambda: 3 };
      const fused = await train(backend, data, options);
      const before = backend.liveTensors();
      for (const decay of ["coupled", "decoupled"] as const) {
        const viaOptimizer = await train(backend, data, {
          ...options,
          optimizer: { kind: "sgd", decay },
        });
        expect(maxRelDiff(viaOptimizer.weights, fused.weights)).toBeLessThanOrEqual(tol);
        expect(Math.abs(viaOptimizer.bias - fused.bias)).toBeLessThanOrEqual(tol);
      }
      expect(backend.liveTensors()).toBe(before);
    });
  }

  it("a λ grid through the optimizer equals the fused grid, column by column", async () => {
    const backend = createCpuBackend();
    const lambdas = [0, 0.1, 3];
    const options = { ...base, method: "concise" as const, lambdas };
    const fused = await trainGrid(backend, data, options);
    const viaOptimizer = await trainGrid(backend, data, {
      ...options,
      optimizer: { kind: "sgd", decay: "decoupled" },
    });
    for (const [l, r] of fused.entries()) {
      expect(maxRelDiff(viaOptimizer[l]?.weights ?? [], r.weights)).toBeLessThanOrEqual(tol);
    }
  });

  it("a weight mask of ones changes nothing; zeros exempt their features from decay", async () => {
    const backend = createCpuBackend();
    // The chapter's 100 epochs, so that decay has had time to shrink what it reaches.
    const options: TrainOptions = { ...base, epochs: CHAPTER.epochs, method: "concise", lambda: 3 };
    const plain = await train(backend, data, options);
    const ones = await train(backend, data, {
      ...options,
      paramGroups: { weightMask: new Float64Array(CHAPTER.dims).fill(1) },
    });
    expect(maxRelDiff(ones.weights, plain.weights)).toBeLessThanOrEqual(tol);
    // Exempt the first half of the features: they grow about as large as without any decay,
    // while the decayed half stays far smaller than it would without decay.
    const half = new Float64Array(CHAPTER.dims).fill(1).fill(0, 0, CHAPTER.dims / 2);
    const masked = await train(backend, data, { ...options, paramGroups: { weightMask: half } });
    const free = await train(backend, data, { ...options, lambda: 0 });
    const normOf = (w: Float64Array, from: number, to: number) =>
      Math.hypot(...w.subarray(from, to));
    const h = CHAPTER.dims / 2;
    expect(normOf(masked.weights, 0, h)).toBeGreaterThan(0.8 * normOf(free.weights, 0, h));
    expect(normOf(masked.weights, 0, h)).toBeGreaterThan(10 * normOf(plain.weights, 0, h));
    expect(normOf(masked.weights, h, CHAPTER.dims)).toBeLessThan(
      normOf(free.weights, h, CHAPTER.dims) / 5,
    );
  });

  it("in the scratch method the mask exempts features from the penalty in the loss", async () => {
    const backend = createCpuBackend();
    const options: TrainOptions = { ...base, method: "scratch", lambda: 3 };
    const plain = await train(backend, data, options);
    const ones = await train(backend, data, {
      ...options,
      paramGroups: { weightMask: new Float64Array(CHAPTER.dims).fill(1) },
    });
    expect(maxRelDiff(ones.weights, plain.weights)).toBeLessThanOrEqual(tol);
    // Scratch and concise are the same update under plain SGD (identity 5), mask included.
    const half = new Float64Array(CHAPTER.dims).fill(1).fill(0, 0, CHAPTER.dims / 2);
    const scratch = await train(backend, data, { ...options, paramGroups: { weightMask: half } });
    const concise = await train(backend, data, {
      ...options,
      method: "concise",
      paramGroups: { weightMask: half },
    });
    expect(maxRelDiff(scratch.weights, concise.weights)).toBeLessThanOrEqual(tol);
    expect(maxRelDiff(scratch.weights, plain.weights)).toBeGreaterThan(0.1);
  });

  it("momentum, Adam and AdamW with schedules train the chapter's problem", async () => {
    const backend = createCpuBackend();
    const before = backend.liveTensors();
    const runs = [
      { kind: "momentum", momentum: 0.9 },
      { kind: "adam", lrSchedule: schedules.cosine(0.01, { total: steps }) },
      {
        kind: "adamw",
        lrSchedule: schedules.warmup(schedules.constant(0.01), { steps: 20 }),
        decaySchedule: schedules.step(1, { every: 100, factor: 0.5 }),
      },
      { kind: "adamw", decoupledScaling: "none", lrSchedule: schedules.constant(0.01) },
    ] as const;
    const norms: number[] = [];
    for (const optimizer of runs) {
      const decayed = await train(backend, data, {
        ...base,
        method: "concise",
        lambda: optimizer.kind === "adamw" && "decoupledScaling" in optimizer ? 0.003 : 3,
        optimizer,
      });
      const free = await train(backend, data, {
        ...base,
        method: "concise",
        lambda: 0,
        optimizer,
      });
      // Every run keeps lowering the training loss, and decay shrinks ‖w‖.
      const first = free.history[0]?.trainLoss ?? Number.NaN;
      expect(free.trainLoss, optimizer.kind).toBeLessThan(first / 2);
      expect(decayed.l2Norm).toBeLessThan(free.l2Norm);
      norms.push(decayed.l2Norm);
    }
    expect(new Set(norms).size).toBe(runs.length);
    expect(backend.liveTensors()).toBe(before);
  });

  it("Adam with coupled decay is not AdamW (identity 10 on the whole run)", async () => {
    const backend = createCpuBackend();
    const options: TrainOptions = { ...base, method: "concise", lambda: 1, lr: 0.01 };
    const adam = await train(backend, data, { ...options, optimizer: { kind: "adam" } });
    const adamw = await train(backend, data, { ...options, optimizer: { kind: "adamw" } });
    expect(maxRelDiff(adam.weights, adamw.weights)).toBeGreaterThan(0.01);
  });

  it("rejects an optimizer with an L1 part and a bad mask, before touching the backend", async () => {
    const backend = createCpuBackend();
    await expect(
      train(backend, data, {
        ...base,
        method: "scratch",
        lambda: 1,
        penalty: "l1",
        optimizer: { kind: "adam" },
      }),
    ).rejects.toThrow(/penalty "l1" trains by proximal SGD, which does not combine/);
    await expect(
      train(backend, data, {
        ...base,
        method: "concise",
        lambda: 1,
        paramGroups: { weightMask: [1, 0] },
      }),
    ).rejects.toThrow("paramGroups.weightMask has 2 entries but there are 200 features");
    const bad = new Float64Array(CHAPTER.dims).fill(1);
    bad[3] = -1;
    await expect(
      train(backend, data, {
        ...base,
        method: "concise",
        lambda: 1,
        paramGroups: { weightMask: bad },
      }),
    ).rejects.toThrow("paramGroups.weightMask[3] must be a finite number ≥ 0, got -1");
    await expect(
      train(backend, data, {
        ...base,
        method: "concise",
        lambda: 1,
        penalty: "l1",
        paramGroups: { weightMask: new Float64Array(CHAPTER.dims).fill(1) },
      }),
    ).rejects.toThrow('paramGroups.weightMask masks the L2 penalty; penalty "l1" does not take it');
    expect(backend.liveTensors()).toBe(0);
  });
});
