/**
 * The workloads every contender runs. Data, initial weights and minibatch orders all come from
 * core's seeded generators, so every contender trains on the same numbers in the same order and
 * their final ‖w‖ can be compared.
 */
import {
  CHAPTER,
  type DataSplit,
  initialWeights,
  MinibatchSchedule,
  syntheticSplit,
} from "@wdecay/core";

export const WORKLOAD_NAMES = ["chapter", "grid64", "big1", "big2", "matmul1024"] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

/**
 * What is timed:
 * - `train`: one whole call of core's `train()` (scratch method) as `wdecay demo` makes it:
 *   upload, initial weights, a fresh shuffle per epoch, the steps, the train/test loss
 *   evaluations every `evalEvery` epochs and the final read. Baselines mirror all of it.
 * - `steps`: training steps only. Data sits on the contender already and each epoch's order is
 *   drawn beforehand; a run resets w and b, writes each epoch's order, takes every step and
 *   reads w once at the end.
 * - `grid`: one whole call of core's `trainGrid()` (scratch method) over `lambdas`, the λ grid
 *   trained in one pass, evaluations included. ‖w‖ is the Frobenius norm of the d×L weights.
 * - `matmul`: one matrix product C = X·X of the square training matrix (nTrain = dims), then the
 *   read of C. Each run also reports the time of the product alone (`opMs`), from which the
 *   report gives GFLOP/s; "‖w‖" is then ‖C‖_F.
 */
export type WorkloadMode = "train" | "steps" | "grid" | "matmul";

/** One benchmark problem (the λ is the canonical one: J = mean ½r² + (λ/2)‖w‖²). */
export interface Workload {
  readonly name: string;
  readonly title: string;
  readonly mode: WorkloadMode;
  readonly nTrain: number;
  /** Only `train` evaluates on it; `steps` workloads draw a 1-row test set they never use. */
  readonly nTest: number;
  readonly dims: number;
  readonly batchSize: number;
  readonly epochs: number;
  readonly lr: number;
  readonly lambda: number;
  /** `grid` only: the λ values trained together (`lambda` is then unused). */
  readonly lambdas?: readonly number[];
  /** `train` and `grid` only: train and test loss every this many epochs and after the last. */
  readonly evalEvery: number;
  readonly seed: number;
  /** Default repetitions; `--warmup` / `--runs` override them. */
  readonly warmup: number;
  readonly runs: number;
}

/** Seeds data, initial weights and shuffles of every workload. */
export const SEED = 42;

/** λ = 3 as in the chapter; lr 0.003 is stable on the big ones too (ηλ ≪ 2, X ~ N(0, 1)). */
const LAMBDA = 3;

/** 64 log-spaced λ from 1e-3 to 10. */
export const GRID_LAMBDAS: readonly number[] = Array.from(
  { length: 64 },
  (_, i) => 10 ** (-3 + (4 * i) / 63),
);

export const WORKLOADS: Readonly<Record<WorkloadName, Workload>> = {
  chapter: {
    name: "chapter",
    title: "the chapter's training run (core train(), scratch, with evaluations)",
    mode: "train",
    nTrain: CHAPTER.nTrain,
    nTest: CHAPTER.nTest,
    dims: CHAPTER.dims,
    batchSize: CHAPTER.batchSize,
    epochs: CHAPTER.epochs,
    lr: CHAPTER.lr,
    lambda: LAMBDA,
    evalEvery: CHAPTER.evalEvery,
    seed: SEED,
    // A run takes about a millisecond, so more repetitions cost nothing and steady the median.
    warmup: 5,
    runs: 30,
  },
  grid64: {
    name: "grid64",
    title: "the chapter's run for 64 λ in one pass (core trainGrid(), scratch, with evaluations)",
    mode: "grid",
    nTrain: CHAPTER.nTrain,
    nTest: CHAPTER.nTest,
    dims: CHAPTER.dims,
    batchSize: CHAPTER.batchSize,
    epochs: CHAPTER.epochs,
    lr: CHAPTER.lr,
    lambda: LAMBDA,
    lambdas: GRID_LAMBDAS,
    evalEvery: CHAPTER.evalEvery,
    seed: SEED,
    warmup: 3,
    runs: 15,
  },
  big1: {
    name: "big1",
    title: "wide: training steps only",
    mode: "steps",
    nTrain: 10_000,
    nTest: 1,
    dims: 1_000,
    batchSize: 256,
    epochs: 10,
    lr: 0.003,
    lambda: LAMBDA,
    evalEvery: 0,
    seed: SEED,
    warmup: 1,
    runs: 9,
  },
  big2: {
    name: "big2",
    title: "tall: training steps only",
    mode: "steps",
    nTrain: 100_000,
    nTest: 1,
    dims: 100,
    batchSize: 1_024,
    epochs: 5,
    lr: 0.003,
    lambda: LAMBDA,
    evalEvery: 0,
    seed: SEED,
    warmup: 1,
    runs: 9,
  },
  matmul1024: {
    name: "matmul1024",
    title: "a 1024³ matrix product through each contender (C = X·X, then the read of C)",
    mode: "matmul",
    nTrain: 1_024,
    nTest: 1,
    dims: 1_024,
    batchSize: 1_024,
    epochs: 1,
    lr: 0.003,
    lambda: LAMBDA,
    evalEvery: 0,
    seed: SEED,
    // The plain-JavaScript contenders take seconds per product.
    warmup: 1,
    runs: 3,
  },
};

/** Floating-point operations of one product of the `matmul` mode: 2·m·k·n. */
export function matmulFlops(w: Workload): number {
  return 2 * w.nTrain * w.dims * w.dims;
}

/** A workload with its data drawn: everything a contender needs, made once, outside timing. */
export interface PreparedWorkload {
  readonly workload: Workload;
  readonly data: DataSplit;
  /** w₀ from core's `initialWeights(seed, d)`; contenders copy it, never write it. */
  readonly init: Float64Array;
  /**
   * `steps` mode: each epoch's row order from core's `MinibatchSchedule(n, batch, seed)`, drawn
   * up front so shuffling is not timed. `train` mode shuffles inside the run, as `train()`
   * does, and these are the orders it will draw.
   */
  readonly orders: readonly Int32Array[];
}

/** Draws a workload's data, initial weights and per-epoch orders. */
export function prepareWorkload(workload: Workload): PreparedWorkload {
  const data = syntheticSplit(workload.seed, {
    nTrain: workload.nTrain,
    nTest: workload.nTest,
    dims: workload.dims,
  });
  const schedule = new MinibatchSchedule(workload.nTrain, workload.batchSize, workload.seed);
  // shuffle() refills one shared buffer, hence the copies.
  const orders = Array.from({ length: workload.epochs }, () => schedule.shuffle().slice());
  return { workload, data, init: initialWeights(workload.seed, workload.dims), orders };
}

/** One line describing a workload's sizes, for reports. */
export function describeWorkload(w: Workload): string {
  if (w.mode === "matmul") {
    return `C = X·X with X ${w.nTrain}×${w.dims} (float64 data, as each contender stores it), ${(matmulFlops(w) / 1e9).toFixed(2)} GFLOP per product; GFLOP/s from the product alone, the read of C timed in the median`;
  }
  const sizes =
    w.mode !== "steps"
      ? `n = ${w.nTrain} train / ${w.nTest} test, d = ${w.dims}`
      : `n = ${w.nTrain.toLocaleString("en-US")}, d = ${w.dims.toLocaleString("en-US")}`;
  const evals =
    w.mode !== "steps" ? `, train/test loss every ${w.evalEvery} epochs` : ", no evaluations";
  const lambdas = w.lambdas;
  const lambda =
    w.mode === "grid" && lambdas
      ? `${lambdas.length} log-spaced λ from ${lambdas[0]} to ${lambdas[lambdas.length - 1]}`
      : `λ = ${w.lambda}`;
  return `${sizes}, batch ${w.batchSize.toLocaleString("en-US")}, ${w.epochs} epochs, lr ${w.lr}, ${lambda}${evals}`;
}
