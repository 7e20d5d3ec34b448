/** L1 and elastic-net penalties in training: the proximal step of the fused SGD program. */
import {
  CHAPTER,
  elasticNetCD,
  elasticNetObjective,
  initialWeights,
  type Method,
  syntheticSplit,
  type TrainOptions,
  train,
  trainGrid,
} from "@wdecay/core";
import { describe, expect, it } from "vitest";
import { createCpuBackend } from "../src/index.js";

const data = syntheticSplit(42, CHAPTER);
const options = (method: Method, lambda: number): TrainOptions => ({
  method,
  lambda,
  epochs: CHAPTER.epochs,
  lr: CHAPTER.lr,
  batchSize: CHAPTER.batchSize,
  seed: 42,
});

describe("penalty l1 / elastic in train", () => {
  const backend = createCpuBackend();

  it("l1 with a large λ gives exact zeros, for both methods alike", async () => {
    const scratch = await train(backend, data, { ...options("scratch", 3), penalty: "l1" });
    const concise = await train(backend, data, { ...options("concise", 3), penalty: "l1" });
    const zeros = scratch.weights.filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(CHAPTER.dims / 2);
    expect(Array.from(concise.weights)).toEqual(Array.from(scratch.weights));
    expect(concise.bias).toBe(scratch.bias);
  });

  it("elastic with α = 0 equals l2 bit for bit", async () => {
    for (const method of ["scratch", "concise"] as const) {
      const l2 = await train(backend, data, options(method, 3));
      const el = await train(backend, data, {
        ...options(method, 3),
        penalty: "elastic",
        alpha: 0,
      });
      expect(Array.from(el.weights)).toEqual(Array.from(l2.weights));
      expect(el.bias).toBe(l2.bias);
      expect(el.history).toEqual(l2.history);
    }
  });

  it("a grid with L1 columns equals separate runs", async () => {
    const lambdas = [0, 0.05, 0.5, 3];
    for (const penalty of ["l1", "elastic"] as const) {
      const extra = penalty === "elastic" ? { alpha: 0.3 } : {};
      for (const dual of ["auto", "always"] as const) {
        const b = createCpuBackend({ dual });
        const grid = await trainGrid(b, data, {
          method: "scratch",
          epochs: CHAPTER.epochs,
          lr: CHAPTER.lr,
          batchSize: CHAPTER.batchSize,
          seed: 42,
          lambdas,
          penalty,
          ...extra,
        });
        for (const [l, lambda] of lambdas.entries()) {
          const one = await train(b, data, { ...options("scratch", lambda), penalty, ...extra });
          const col = grid[l];
          // Same arithmetic per column: the L = 1 and L > 1 kernels round alike here.
          const diff = Math.max(...one.weights.map((v, j) => Math.abs(v - (col?.weights[j] ?? 0))));
          expect(diff).toBeLessThanOrEqual(1e-12);
          expect(col?.weights.map((v) => (v === 0 ? 1 : 0))).toEqual(
            one.weights.map((v) => (v === 0 ? 1 : 0)),
          );
        }
      }
    }
  });

  it("full-batch proximal GD approaches the coordinate-descent lasso / elastic net", async () => {
    const train0 = data.train;
    // lr ≤ 1/Lip with Lip ≤ ‖[X 1]‖_F²/n, so J(w_k) − J* ≤ ‖θ₀ − θ*‖²/(2·lr·k) (proximal gradient).
    let fro = 0;
    for (const v of train0.X) fro += v * v;
    const lr = 1 / (fro / train0.n + 1);
    const epochs = 20_000;
    for (const [penalty, alpha] of [
      ["l1", 1],
      ["elastic", 0.5],
    ] as const) {
      const lambda = 0.05;
      const res = await train(backend, data, {
        method: "scratch",
        lambda,
        epochs,
        lr,
        batchSize: train0.n,
        seed: 42,
        evalEvery: epochs,
        penalty,
        ...(penalty === "elastic" ? { alpha } : {}),
      });
      const cd = elasticNetCD(train0, { lambda, alpha, tol: 1e-12 });
      const jSgd = elasticNetObjective(
        train0,
        { weights: res.weights, bias: res.bias },
        lambda,
        alpha,
      );
      const jCd = elasticNetObjective(train0, cd, lambda, alpha);
      const w0 = initialWeights(42, train0.d);
      let dist2 = cd.bias ** 2;
      for (let j = 0; j < train0.d; j++)
        dist2 += ((w0[j] as number) - (cd.weights[j] as number)) ** 2;
      const bound = dist2 / (2 * lr * epochs);
      expect(jSgd - jCd).toBeLessThanOrEqual(bound + 1e-12);
      expect(jSgd - jCd).toBeGreaterThanOrEqual(-1e-9);
    }
  });

  it("rejects bad penalty options", async () => {
    await expect(
      train(backend, data, { ...options("scratch", 1), penalty: "elastic" }),
    ).rejects.toThrow(RangeError);
    await expect(
      train(backend, data, { ...options("scratch", 1), penalty: "elastic", alpha: 1.5 }),
    ).rejects.toThrow(/alpha/);
    await expect(
      train(backend, data, { ...options("scratch", 1), penalty: "l1", alpha: 0.5 }),
    ).rejects.toThrow(/alpha/);
    await expect(
      train(backend, data, { ...options("scratch", 1), penalty: "l3" as never }),
    ).rejects.toThrow(/penalty/);
  });
});
