import type { Backend, Tensor } from "./backend.js";
import { Rng, Stream } from "./random.js";

/**
 * A regression data set on the host: `X` is n×d row-major; `y` has n entries, or n×k row-major
 * for k > 1 target columns (multi-output regression, `outputs` = k).
 */
export interface Dataset {
  readonly X: Float64Array;
  readonly y: Float64Array;
  readonly n: number;
  readonly d: number;
  /** Target columns k (1 when omitted). */
  readonly outputs?: number;
}

/** The number of target columns of a dataset (1 unless it is multi-output). */
export function outputsOf(data: Dataset): number {
  return data.outputs ?? 1;
}

/**
 * Throws unless the dataset has one target column: for the host solvers and file formats that
 * fit one output (a multi-output dataset would otherwise be read as n·k rows of one target).
 */
export function requireSingleOutput(data: Dataset, who: string): void {
  const k = outputsOf(data);
  if (k !== 1) {
    throw new RangeError(`${who} fits one target column; this dataset has ${k} (multi-output)`);
  }
}

/** Training and test sets. */
export interface DataSplit {
  readonly train: Dataset;
  readonly test: Dataset;
}

/** The generating model of eq. 4.5.4; defaults are the chapter's. */
export interface SyntheticOptions {
  /** Every true weight (0.01). */
  readonly trueWeight?: number;
  /** The true bias (0.05). */
  readonly trueBias?: number;
  /** Standard deviation of the label noise ε (0.01). */
  readonly noiseStd?: number;
  /**
   * Target columns k (1). Output l has true weights (l + 1)·trueWeight, the same bias and its
   * own noise, so the columns differ; column 0 is the chapter's. With k = 1 the draws are the
   * chapter's exactly.
   */
  readonly outputs?: number;
}

/**
 * `n` examples of `y = b + Σᵢ wᵢ·xᵢ + ε` with x ~ N(0, 1) and ε ~ N(0, σ²) (eq. 4.5.4: b = 0.05,
 * wᵢ = 0.01, σ = 0.01). Draws each row's features, then its noise (one per output), from `rng`.
 */
export function syntheticData(
  rng: Rng,
  n: number,
  d: number,
  options: SyntheticOptions = {},
): Dataset {
  const { trueWeight = 0.01, trueBias = 0.05, noiseStd = 0.01, outputs = 1 } = options;
  if (!(Number.isInteger(outputs) && outputs >= 1)) {
    throw new RangeError(`outputs must be an integer ≥ 1, got ${outputs}`);
  }
  const X = new Float64Array(n * d);
  const y = new Float64Array(n * outputs);
  for (let i = 0; i < n; i++) {
    let dot = 0;
    for (let j = 0; j < d; j++) {
      const x = rng.normal();
      X[i * d + j] = x;
      dot += x;
    }
    for (let l = 0; l < outputs; l++) {
      y[i * outputs + l] = trueBias + (l + 1) * trueWeight * dot + rng.normal(0, noiseStd);
    }
  }
  return outputs === 1 ? { X, y, n, d } : { X, y, n, d, outputs };
}

/** The single-output dataset of target column l (a copy of y's column; X is shared). */
export function columnDataset(data: Dataset, l: number): Dataset {
  const k = outputsOf(data);
  if (!(Number.isInteger(l) && l >= 0 && l < k)) {
    throw new RangeError(`target column ${l} is outside [0, ${k})`);
  }
  const y = new Float64Array(data.n);
  for (let i = 0; i < data.n; i++) y[i] = data.y[i * k + l] as number;
  return { X: data.X, y, n: data.n, d: data.d };
}

/** Sizes of the chapter's problem. */
export interface ProblemSize {
  readonly nTrain: number;
  readonly nTest: number;
  readonly dims: number;
}

/** Train and test sets of eq. 4.5.4 from their own streams of `seed`. */
export function syntheticSplit(
  seed: number,
  size: ProblemSize,
  options: SyntheticOptions = {},
): DataSplit {
  return {
    train: syntheticData(new Rng(seed, Stream.trainData), size.nTrain, size.dims, options),
    test: syntheticData(new Rng(seed, Stream.testData), size.nTest, size.dims, options),
  };
}

/** A dataset resident on a backend: uploaded once, read by row index from then on. */
export interface DeviceDataset {
  readonly X: Tensor;
  readonly y: Tensor;
  readonly n: number;
  readonly d: number;
}

/** Uploads a dataset once (y as n×k); dispose it with {@link disposeDataset}. */
export function uploadDataset(backend: Backend, data: Dataset): DeviceDataset {
  const X = backend.upload(data.X, [data.n, data.d]);
  try {
    return { X, y: backend.upload(data.y, [data.n, outputsOf(data)]), n: data.n, d: data.d };
  } catch (error) {
    backend.dispose(X);
    throw error;
  }
}

export function disposeDataset(backend: Backend, data: DeviceDataset): void {
  backend.dispose(data.X);
  backend.dispose(data.y);
}

/**
 * Minibatches over a reshuffled order each epoch, like a shuffling data loader that keeps the
 * last, smaller batch. The order is a permutation from the seed's shuffle stream, made on the
 * host (so every backend sees the same order) into one reused buffer; a step reads its rows at
 * an offset into it, so a minibatch never costs an upload.
 */
export class MinibatchSchedule {
  readonly order: Int32Array;
  private readonly rng: Rng;

  constructor(
    readonly n: number,
    readonly batchSize: number,
    seed: number,
  ) {
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > n) {
      throw new RangeError(`batch size must be an integer in [1, ${n}], got ${batchSize}`);
    }
    this.order = new Int32Array(n);
    this.rng = new Rng(seed, Stream.shuffle);
  }

  /** Minibatches per epoch. */
  get batchesPerEpoch(): number {
    return Math.ceil(this.n / this.batchSize);
  }

  /** Draws the next epoch's order into {@link order} and returns it. */
  shuffle(): Int32Array {
    return this.rng.permutation(this.n, this.order);
  }

  /** Calls `visit` for each minibatch of one epoch, in order, without allocating. */
  forEachBatch(visit: (offset: number, count: number) => void): void {
    for (let offset = 0; offset < this.n; offset += this.batchSize) {
      visit(offset, Math.min(this.batchSize, this.n - offset));
    }
  }
}
