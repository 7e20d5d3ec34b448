import { describe, expect, it } from "vitest";
import {
  columnDataset,
  MinibatchSchedule,
  outputsOf,
  requireSingleOutput,
  syntheticSplit,
} from "../src/data.js";
import { selectRows } from "../src/io/split.js";
import { initialWeights, l2Norm } from "../src/train.js";

describe("synthetic data (eq. 4.5.4)", () => {
  it("follows y = 0.05 + Σ 0.01·xᵢ + ε with ε ~ N(0, 0.01²) and x ~ N(0, 1)", () => {
    const { train, test } = syntheticSplit(5, { nTrain: 2000, nTest: 10, dims: 50 });
    expect(train.X.length).toBe(2000 * 50);
    expect(test.y.length).toBe(10);
    let noiseSq = 0;
    let xSq = 0;
    for (let i = 0; i < train.n; i++) {
      let dot = 0;
      for (let j = 0; j < train.d; j++) {
        const x = train.X[i * train.d + j] as number;
        dot += x;
        xSq += x * x;
      }
      noiseSq += ((train.y[i] as number) - 0.05 - 0.01 * dot) ** 2;
    }
    // Sample standard deviations over 2000 (noise) and 100,000 (features) draws: within a few %.
    expect(Math.sqrt(noiseSq / train.n)).toBeCloseTo(0.01, 3);
    expect(Math.sqrt(xSq / (train.n * train.d))).toBeGreaterThan(0.98);
    expect(Math.sqrt(xSq / (train.n * train.d))).toBeLessThan(1.02);
  });

  it("draws train and test from separate streams, so sizes do not change each other", () => {
    const small = syntheticSplit(1, { nTrain: 5, nTest: 5, dims: 3 });
    const large = syntheticSplit(1, { nTrain: 5, nTest: 50, dims: 3 });
    expect(large.train.X).toEqual(small.train.X);
    expect(large.test.X.subarray(0, 15)).toEqual(small.test.X);
  });
});

describe("multi-output data (exercise 4)", () => {
  it("k = 1 draws the chapter's data exactly; output l has true weights 0.01·(l + 1)", () => {
    const size = { nTrain: 400, nTest: 3, dims: 20 };
    const one = syntheticSplit(9, size);
    const single = syntheticSplit(9, size, { outputs: 1 });
    expect(single.train.y).toEqual(one.train.y);
    expect(outputsOf(single.train)).toBe(1);
    const multi = syntheticSplit(9, size, { outputs: 3 });
    expect(outputsOf(multi.train)).toBe(3);
    expect(multi.train.y.length).toBe(400 * 3);
    // Same features; each output's residual from its own true model is noise of sd 0.01.
    for (let l = 0; l < 3; l++) {
      let sq = 0;
      for (let i = 0; i < size.nTrain; i++) {
        let dot = 0;
        for (let j = 0; j < size.dims; j++) dot += multi.train.X[i * size.dims + j] as number;
        sq += ((multi.train.y[i * 3 + l] as number) - 0.05 - 0.01 * (l + 1) * dot) ** 2;
      }
      expect(Math.sqrt(sq / size.nTrain)).toBeGreaterThan(0.009);
      expect(Math.sqrt(sq / size.nTrain)).toBeLessThan(0.011);
    }
    expect(() => syntheticSplit(1, size, { outputs: 0 })).toThrow(/outputs must be an integer/);
  });

  it("columnDataset and selectRows keep each row's k targets together", () => {
    const { train } = syntheticSplit(2, { nTrain: 6, nTest: 1, dims: 2 }, { outputs: 2 });
    const col1 = columnDataset(train, 1);
    expect(outputsOf(col1)).toBe(1);
    expect(Array.from(col1.y)).toEqual([1, 3, 5, 7, 9, 11].map((i) => train.y[i]));
    const picked = selectRows(train, [4, 0]);
    expect(picked.outputs).toBe(2);
    expect(Array.from(picked.y)).toEqual([8, 9, 0, 1].map((i) => train.y[i]));
    expect(() => columnDataset(train, 2)).toThrow(/outside \[0, 2\)/);
    expect(() => requireSingleOutput(train, "ridge")).toThrow(
      "ridge fits one target column; this dataset has 2 (multi-output)",
    );
  });
});

describe("MinibatchSchedule", () => {
  it("covers every row once per epoch, reshuffling each epoch, last batch smaller", () => {
    const schedule = new MinibatchSchedule(23, 5, 4);
    const batches: [number, number][] = [];
    schedule.forEachBatch((offset, count) => batches.push([offset, count]));
    expect(batches).toEqual([
      [0, 5],
      [5, 5],
      [10, 5],
      [15, 5],
      [20, 3],
    ]);
    expect(schedule.batchesPerEpoch).toBe(5);
    const first = Array.from(schedule.shuffle());
    const second = Array.from(schedule.shuffle());
    expect([...first].sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    expect(second).not.toEqual(first);
    expect(new MinibatchSchedule(23, 5, 4).shuffle()).toEqual(Int32Array.from(first));
  });

  it("rejects batch sizes outside [1, n]", () => {
    expect(() => new MinibatchSchedule(10, 0, 1)).toThrow(/batch size/);
    expect(() => new MinibatchSchedule(10, 11, 1)).toThrow(/batch size/);
  });
});

describe("parameters", () => {
  it("initialises w ~ N(0, σ²) from the seed", () => {
    const w = initialWeights(42, 10_000, 2);
    expect(w).toEqual(initialWeights(42, 10_000, 2));
    // ‖w‖² / d estimates σ² = 4 with relative standard error √(2/d) ≈ 1.4%.
    expect(l2Norm(w) ** 2 / 10_000).toBeGreaterThan(4 * 0.93);
    expect(l2Norm(w) ** 2 / 10_000).toBeLessThan(4 * 1.07);
  });

  it("computes ‖v‖ without overflow or underflow", () => {
    expect(l2Norm([3, 4])).toBe(5);
    expect(l2Norm([3e200, 4e200])).toBeCloseTo(5e200, -190);
    expect(l2Norm([3e-200, 4e-200])).toBeCloseTo(5e-200, 210);
    expect(l2Norm([0, 0])).toBe(0);
  });
});
