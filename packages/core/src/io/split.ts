/**
 * Seeded train/test splits and k-fold partitions. Both permute the rows with the seed's split
 * stream (`Stream.split`), so a split depends only on the seed and the number of rows: the
 * same seed on the same file gives the same split on every backend and every run.
 */
import { type DataSplit, type Dataset, outputsOf } from "../data.js";
import { Rng, Stream } from "../random.js";

/** The rows of `dataset` at `indices`, in that order. */
export function selectRows(dataset: Dataset, indices: ArrayLike<number>): Dataset {
  const { X, y, n, d } = dataset;
  const k = outputsOf(dataset);
  const m = indices.length;
  const Xs = new Float64Array(m * d);
  const ys = new Float64Array(m * k);
  for (let r = 0; r < m; r++) {
    const i = indices[r] as number;
    if (!(Number.isInteger(i) && i >= 0 && i < n)) {
      throw new RangeError(`row index ${i} is outside [0, ${n})`);
    }
    Xs.set(X.subarray(i * d, (i + 1) * d), r * d);
    ys.set(y.subarray(i * k, (i + 1) * k), r * k);
  }
  return k === 1 ? { X: Xs, y: ys, n: m, d } : { X: Xs, y: ys, n: m, d, outputs: k };
}

/** Options of {@link trainTestSplit}. */
export interface SplitOptions {
  /** Share of rows in the test set, in (0, 1); the test set gets round(n · testFraction) rows. */
  readonly testFraction: number;
  /** A non-negative safe integer. */
  readonly seed: number;
}

/** A split with the original row numbers of each side (ascending). */
export interface IndexedSplit extends DataSplit {
  readonly trainIndices: Int32Array;
  readonly testIndices: Int32Array;
}

/**
 * Splits rows into train and test sets: the test set is the first round(n · testFraction) rows
 * of a seeded permutation, so for one seed a larger fraction's test set contains a smaller
 * one's. Each side keeps the file's row order (the training loop shuffles anyway, and sorted
 * rows are easier to check against the file). Throws when either side would be empty.
 */
export function trainTestSplit(dataset: Dataset, options: SplitOptions): IndexedSplit {
  const { testFraction, seed } = options;
  const { n } = dataset;
  if (!(Number.isFinite(testFraction) && testFraction > 0 && testFraction < 1)) {
    throw new RangeError(`test fraction must be a number in (0, 1), got ${testFraction}`);
  }
  // round, not ceil: 0.3 · 10 is 3.0000000000000004 in floating point, and should be 3.
  const nTest = Math.round(n * testFraction);
  if (nTest === 0) {
    throw new RangeError(
      `test fraction ${testFraction} of ${n} rows leaves the test set empty; use a fraction ≥ ${(0.5 / n).toPrecision(2)}`,
    );
  }
  if (nTest === n) {
    throw new RangeError(
      `test fraction ${testFraction} of ${n} rows leaves the training set empty; use a smaller fraction`,
    );
  }
  const order = new Rng(seed, Stream.split).permutation(n);
  // A typed array sorts numerically (unlike an Array, which would compare strings).
  const testIndices = order.slice(0, nTest).sort();
  const trainIndices = order.slice(nTest).sort();
  return {
    train: selectRows(dataset, trainIndices),
    test: selectRows(dataset, testIndices),
    trainIndices,
    testIndices,
  };
}

/**
 * Partitions rows 0..n−1 into k folds of sizes ⌊n/k⌋ or ⌈n/k⌉ (the larger ones first) from a
 * seeded permutation; every row is in exactly one fold, and each fold is ascending.
 */
export function kFolds(n: number, k: number, seed: number): Int32Array[] {
  if (!(Number.isInteger(n) && n >= 0)) {
    throw new RangeError(`number of rows must be a non-negative integer, got ${n}`);
  }
  if (!Number.isInteger(k) || k < 2) {
    throw new RangeError(`number of folds must be an integer ≥ 2, got ${k}`);
  }
  if (k > n) {
    throw new RangeError(`${k} folds need at least ${k} rows, got ${n}`);
  }
  const order = new Rng(seed, Stream.split).permutation(n);
  const base = Math.floor(n / k);
  const extra = n % k;
  const folds: Int32Array[] = [];
  let start = 0;
  for (let f = 0; f < k; f++) {
    const size = base + (f < extra ? 1 : 0);
    folds.push(order.slice(start, start + size).sort());
    start += size;
  }
  return folds;
}
