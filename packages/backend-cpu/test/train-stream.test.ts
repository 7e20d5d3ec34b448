/**
 * Streaming SGD (core's trainStreaming) on the float64 cpu backend: with one window it is the
 * in-memory `train` bit for bit; with several, it follows the documented order rule (each
 * window shuffled by its own seeded schedule, weights carried across windows), checked against
 * the conformance package's float64 host SGD step, an independent loop. Planted bugs
 * (TESTING.md): every window seeded alike (windowSeed(seed, k) = seed: 1 failure); the last,
 * shorter window skipped (2).
 */

import { oracle } from "@wdecay/conformance";
import {
  type Dataset,
  initialWeights,
  MinibatchSchedule,
  Rng,
  type RowSource,
  train,
  trainStreaming,
} from "@wdecay/core";
import { describe, expect, it } from "vitest";
import { createCpuBackend } from "../src/index.js";

function rows(n: number, d: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const X = new Float64Array(n * d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let t = 0.3;
    for (let j = 0; j < d; j++) {
      const v = rng.normal();
      X[i * d + j] = v;
      t += (j % 2 ? 0.5 : -0.25) * v;
    }
    y[i] = t + 0.1 * rng.normal();
  }
  return { X, y, n, d };
}

/** The rows in windows of `window`, in order, as a file reader hands them over. */
function source(data: Dataset): RowSource {
  return {
    d: data.d,
    async *pass(window: number) {
      for (let from = 0; from < data.n; from += window) {
        const to = Math.min(data.n, from + window);
        yield {
          X: data.X.slice(from * data.d, to * data.d),
          y: data.y.slice(from, to),
          n: to - from,
          d: data.d,
        };
      }
    },
  };
}

describe("trainStreaming", () => {
  const data = rows(203, 5, 3);
  const settings = {
    method: "scratch" as const,
    lambda: 0.05,
    epochs: 3,
    lr: 0.05,
    batchSize: 16,
    seed: 9,
  };

  it("is the in-memory train bit for bit when every row fits in one window", async () => {
    const backend = await createCpuBackend({ precision: "float64" });
    // train evaluates a test set; the training rows stand in (they do not change the steps).
    const whole = await train(backend, { train: data, test: data }, settings);
    const streamed = await trainStreaming(backend, source(data), { ...settings, window: 1000 });
    expect([...streamed.weights]).toEqual([...whole.weights]);
    expect(streamed.bias).toBe(whole.bias);
    expect(streamed.windows).toBe(1);
  });

  it("follows the window order rule, as a float64 host loop does", async () => {
    const backend = await createCpuBackend({ precision: "float64" });
    for (const [penalty, method] of [
      ["l2", "scratch"],
      ["elastic", "concise"],
    ] as const) {
      const options = {
        ...settings,
        method,
        penalty,
        ...(penalty === "elastic" ? { alpha: 0.5 } : {}),
        window: 50,
      };
      const streamed = await trainStreaming(backend, source(data), options);
      // The host loop: windows of 50 rows (the last 3), each shuffled by its own schedule.
      const W = Float64Array.from(initialWeights(settings.seed, data.d));
      const params = { W, b: new Float64Array(1) };
      const alpha = penalty === "elastic" ? 0.5 : 0;
      const l2 = settings.lambda * (1 - alpha);
      const reg = {
        weightPenalty: [method === "scratch" ? l2 : 0],
        weightDecay: [method === "concise" ? l2 : 0],
        biasDecay: [0],
        ...(alpha > 0 ? { weightL1: [settings.lambda * alpha] } : {}),
      };
      const schedules: MinibatchSchedule[] = [];
      for (let epoch = 0; epoch < settings.epochs; epoch++) {
        for (let k = 0, from = 0; from < data.n; k++, from += 50) {
          const n = Math.min(50, data.n - from);
          // The documented seed of window k, written out (not core's windowSeed).
          const seed =
            k === 0 ? settings.seed : (settings.seed + k * 2_654_435_761) % Number.MAX_SAFE_INTEGER;
          const schedule = schedules[k] ?? new MinibatchSchedule(n, Math.min(16, n), seed);
          schedules[k] = schedule;
          const order = schedule.shuffle();
          for (let offset = 0; offset < n; offset += 16) {
            const batch = Array.from(
              order.subarray(offset, Math.min(n, offset + 16)),
              (i) => from + i,
            );
            oracle.oracleSgdStep(
              { X: data.X, y: data.y, n: data.n, d: data.d, k: 1 },
              params,
              reg,
              batch,
              settings.lr,
            );
          }
        }
      }
      expect(streamed.windows).toBe(5);
      // 39 steps per epoch, 3 epochs, d = 5: the two float64 loops round differently, well
      // inside 1e-12 relative on weights of size ~1.
      for (let j = 0; j < data.d; j++)
        expect(Math.abs((streamed.weights[j] as number) - (W[j] as number))).toBeLessThan(1e-12);
      expect(Math.abs(streamed.bias - (params.b[0] as number))).toBeLessThan(1e-12);
    }
  });

  it("refuses a batch larger than the window and rows that change between passes", async () => {
    const backend = await createCpuBackend({ precision: "float64" });
    await expect(trainStreaming(backend, source(data), { ...settings, window: 8 })).rejects.toThrow(
      "batch size must be an integer in [1, window = 8], got 16",
    );
    let pass = 0;
    const shrinking: RowSource = {
      d: data.d,
      pass: (window) => source(pass++ === 0 ? data : rows(100, 5, 3)).pass(window),
    };
    await expect(trainStreaming(backend, shrinking, { ...settings, window: 64 })).rejects.toThrow(
      "pass 2 read 100 rows, the first 203",
    );
  });
});
