import { describe, expect, it } from "vitest";
import type { Dataset } from "../../src/data.js";
import { kFolds, selectRows, trainTestSplit } from "../../src/io/split.js";
import { Rng, Stream } from "../../src/random.js";

/** Row i has features (i, 10i) and target 100i, so every row can be traced. */
function numbered(n: number): Dataset {
  const X = new Float64Array(n * 2);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    X[i * 2] = i;
    X[i * 2 + 1] = 10 * i;
    y[i] = 100 * i;
  }
  return { X, y, n, d: 2 };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("trainTestSplit", () => {
  it("puts every row on exactly one side, in file order, from the split stream", () => {
    const data = numbered(20);
    const split = trainTestSplit(data, { testFraction: 0.25, seed: 3 });
    expect(split.test.n).toBe(5);
    expect(split.train.n).toBe(15);
    const test = Array.from(split.testIndices);
    const train = Array.from(split.trainIndices);
    expect([...test, ...train].sort((a, b) => a - b)).toEqual(range(20));
    expect(test).toEqual([...test].sort((a, b) => a - b));
    // The test set is the first rows of the seed's split-stream permutation.
    const order = Array.from(new Rng(3, Stream.split).permutation(20));
    expect(test).toEqual(order.slice(0, 5).sort((a, b) => a - b));
    // Rows travel whole: features and target of the same original row.
    for (let r = 0; r < split.test.n; r++) {
      const i = test[r] as number;
      expect([split.test.X[r * 2], split.test.X[r * 2 + 1], split.test.y[r]]).toEqual([
        i,
        10 * i,
        100 * i,
      ]);
    }
  });

  it("is reproducible, differs between seeds, and nests test sets as the fraction grows", () => {
    const data = numbered(50);
    const a = trainTestSplit(data, { testFraction: 0.2, seed: 9 });
    expect(trainTestSplit(data, { testFraction: 0.2, seed: 9 })).toEqual(a);
    expect(trainTestSplit(data, { testFraction: 0.2, seed: 10 }).testIndices).not.toEqual(
      a.testIndices,
    );
    const larger = trainTestSplit(data, { testFraction: 0.5, seed: 9 });
    const bigger = new Set(larger.testIndices);
    expect(Array.from(a.testIndices).every((i) => bigger.has(i))).toBe(true);
  });

  it("rounds n · fraction, so 0.3 of 10 rows is 3", () => {
    expect(trainTestSplit(numbered(10), { testFraction: 0.3, seed: 1 }).test.n).toBe(3);
  });

  it("rejects fractions that leave either side empty, or are out of range", () => {
    expect(() => trainTestSplit(numbered(10), { testFraction: 0.01, seed: 1 })).toThrow(
      "test fraction 0.01 of 10 rows leaves the test set empty; use a fraction ≥ 0.050",
    );
    expect(() => trainTestSplit(numbered(10), { testFraction: 0.97, seed: 1 })).toThrow(
      "test fraction 0.97 of 10 rows leaves the training set empty; use a smaller fraction",
    );
    for (const bad of [0, 1, -0.5, Number.NaN]) {
      expect(() => trainTestSplit(numbered(10), { testFraction: bad, seed: 1 })).toThrow(
        `test fraction must be a number in (0, 1), got ${bad}`,
      );
    }
  });
});

describe("kFolds", () => {
  it("puts every row in exactly one fold, with sizes differing by at most one", () => {
    const folds = kFolds(23, 5, 4);
    expect(folds.map((f) => f.length)).toEqual([5, 5, 5, 4, 4]);
    expect(folds.flatMap((f) => Array.from(f)).sort((a, b) => a - b)).toEqual(range(23));
    for (const fold of folds) expect(Array.from(fold)).toEqual([...fold].sort((a, b) => a - b));
    expect(kFolds(23, 5, 4)).toEqual(folds);
    expect(kFolds(23, 5, 5)).not.toEqual(folds);
  });

  it("allows k = n (leave one out) and rejects k < 2 or k > n", () => {
    expect(kFolds(3, 3, 1).map((f) => f.length)).toEqual([1, 1, 1]);
    expect(() => kFolds(10, 1, 1)).toThrow("number of folds must be an integer ≥ 2, got 1");
    expect(() => kFolds(10, 2.5, 1)).toThrow("number of folds must be an integer ≥ 2, got 2.5");
    expect(() => kFolds(4, 5, 1)).toThrow("5 folds need at least 5 rows, got 4");
  });

  it("feeds selectRows, which checks its indices", () => {
    const data = numbered(6);
    const [first] = kFolds(6, 2, 2);
    const rows = selectRows(data, first as Int32Array);
    expect(Array.from(rows.y)).toEqual(Array.from(first as Int32Array, (i) => 100 * i));
    expect(() => selectRows(data, [6])).toThrow("row index 6 is outside [0, 6)");
  });
});
