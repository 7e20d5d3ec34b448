/**
 * Everything heavy the pages compute, as jobs the compute worker runs (work/worker.ts): each takes
 * plain data, may report progress, and returns plain data (structured-cloned back to the page).
 * Pages import only the types of this module; its code is bundled into the worker alone.
 */

import { createCpuBackend } from "@wdecay/backend-cpu";
import {
  ALL_PROPERTIES,
  type BackendReport,
  type PropertyResult,
  runConformance,
} from "@wdecay/conformance";
import {
  CHAPTER,
  columnDataset,
  type Dataset,
  type HistoryPoint,
  type LambdaSelection,
  l2Norm,
  type Method,
  momentsOf,
  type NetworkTrainResult,
  type PenaltyKind,
  predict,
  type RegularizationPath,
  regularizationPath,
  ridgeClosedForm,
  type SelectionMethod,
  type SelectionRule,
  selectLambda,
  syntheticSplit,
  type TrainResult,
  train,
  trainGrid,
  trainMultiOutput,
  trainNetwork,
} from "@wdecay/core";
import { type BackendChoice, getBackend, listBackends, startNewBackend } from "../backends.js";
import type { JobContext } from "./protocol.js";

/** Training progress: epochs done of all. */
export interface EpochProgress {
  readonly epoch: number;
  readonly epochs: number;
}

/**
 * The `onEpoch` of a job's training: reports the epoch (with `extra`, e.g. which of several
 * runs), waits out a pause, and lets the worker read control messages.
 */
function epochHook<E extends object>(
  context: JobContext<EpochProgress & E>,
  extra: E = {} as E,
): (epoch: number, epochs: number) => Promise<void> {
  return async (epoch, epochs) => {
    context.progress({ ...extra, epoch, epochs });
    await context.gate();
  };
}

/** The chapter's model at one λ (the demo): progress is each evaluation point. */
async function chapterTrain(
  args: {
    readonly backend: string;
    readonly lambda: number;
    readonly method: Method;
    readonly seed: number;
    readonly penalty?: PenaltyKind;
    /**
     * Milliseconds to wait at each evaluation, so a reader sees the curves grow (a run of the
     * chapter takes a few milliseconds on cpu).
     */
    readonly pace?: number;
  },
  context: JobContext<HistoryPoint | EpochProgress>,
): Promise<TrainResult & { readonly ms: number }> {
  const backend = await getBackend(args.backend);
  const started = performance.now();
  let paced = 0;
  const hook = epochHook(context);
  const result = await train(backend, syntheticSplit(args.seed, CHAPTER), {
    method: args.method,
    lambda: args.lambda,
    ...(args.penalty ? { penalty: args.penalty } : {}),
    epochs: CHAPTER.epochs,
    lr: CHAPTER.lr,
    batchSize: CHAPTER.batchSize,
    evalEvery: CHAPTER.evalEvery,
    seed: args.seed,
    onEvaluate: (point) => context.progress(point),
    onEpoch: async (epoch, epochs) => {
      await hook(epoch, epochs);
      if (args.pace && epoch % CHAPTER.evalEvery === 0) {
        await new Promise((resolve) => setTimeout(resolve, args.pace));
        paced += args.pace;
      }
    },
  });
  // The time the backend trained, not the pacing for the eye.
  return { ...result, ms: performance.now() - started - paced };
}

/** Exercise 1: one model per λ of a grid, in one pass. */
async function sweep(
  args: { readonly backend: string; readonly lambdas: readonly number[]; readonly seed: number },
  context: JobContext<EpochProgress>,
): Promise<TrainResult[]> {
  const backend = await getBackend(args.backend);
  return trainGrid(backend, syntheticSplit(args.seed, CHAPTER), {
    method: "scratch",
    lambdas: args.lambdas,
    epochs: CHAPTER.epochs,
    lr: CHAPTER.lr,
    batchSize: CHAPTER.batchSize,
    evalEvery: CHAPTER.epochs,
    seed: args.seed,
    onEpoch: epochHook(context),
  });
}

/** Exercise 2: λ chosen on held-out data (exact ridge), and the refit's test loss. */
async function selection(
  args: {
    readonly n: number;
    readonly seed: number;
    readonly method: SelectionMethod;
    readonly rule: SelectionRule;
    readonly lambdas: readonly number[];
  },
  context: JobContext<{ readonly done: number; readonly total: number }>,
): Promise<{
  readonly selection: Omit<LambdaSelection, "model"> & { readonly weights: Float64Array };
  readonly testLoss: number;
  readonly norm: number;
}> {
  const { train: rows, test } = syntheticSplit(args.seed, {
    nTrain: args.n,
    nTest: 100,
    dims: CHAPTER.dims,
  });
  const sel = selectLambda(rows, {
    lambdas: args.lambdas,
    penalty: "l2",
    method: args.method,
    seed: args.seed,
    rule: args.rule,
    onProgress: (done, total) => context.progress({ done, total }),
  });
  // Test MSE of the refit model on the test examples (the validation curve's measure).
  const predicted = predict(sel.model, test.X);
  let testLoss = 0;
  for (let i = 0; i < test.n; i++)
    testLoss += ((predicted[i] as number) - (test.y[i] as number)) ** 2;
  testLoss /= test.n;
  const { model, ...rest } = sel;
  return { selection: { ...rest, weights: model.weights }, testLoss, norm: l2Norm(model.weights) };
}

/** Exercise 4: W (d × k) trained as one matrix, and each column trained alone. */
async function multiOutput(
  args: {
    readonly backend: string;
    readonly lambda: number;
    readonly seed: number;
    readonly outputs: number;
  },
  context: JobContext<HistoryPoint | EpochProgress>,
): Promise<{
  readonly weights: Float64Array;
  readonly frobeniusNorm: number;
  readonly columnNorms: number[];
}> {
  const backend = await getBackend(args.backend);
  const data = syntheticSplit(args.seed, CHAPTER, { outputs: args.outputs });
  const settings = {
    method: "scratch" as const,
    lambda: args.lambda,
    epochs: CHAPTER.epochs,
    lr: CHAPTER.lr,
    batchSize: CHAPTER.batchSize,
    evalEvery: CHAPTER.evalEvery,
    seed: args.seed,
  };
  const multi = await trainMultiOutput(backend, data, {
    ...settings,
    onEvaluate: (point) => context.progress(point),
    onEpoch: epochHook(context),
  });
  const columnNorms: number[] = [];
  for (let c = 0; c < args.outputs; c++) {
    const single = await train(
      backend,
      { train: columnDataset(data.train, c), test: columnDataset(data.test, c) },
      settings,
    );
    columnNorms.push(single.l2Norm);
  }
  return { weights: multi.weights, frobeniusNorm: multi.frobeniusNorm, columnNorms };
}

/**
 * Exercise 4 in closed form: each column's ridge along λ, with ‖W‖_F² summed entry by entry
 * over the d × k matrix, to set against Σ_c w_cᵀw_c = tr(WᵀW).
 */
async function frobeniusPath(args: {
  readonly seed: number;
  readonly lambdas: readonly number[];
  readonly outputs: number;
}): Promise<{ readonly lambda: number; readonly entries: number; readonly columns: number[] }[]> {
  const { train: data } = syntheticSplit(args.seed, CHAPTER, { outputs: args.outputs });
  return args.lambdas.map((lambda) => {
    const W = Array.from(
      { length: args.outputs },
      (_, c) => ridgeClosedForm(columnDataset(data, c), lambda).weights,
    );
    let entries = 0;
    for (let j = 0; j < data.d; j++) for (const w of W) entries += (w[j] as number) ** 2;
    return { lambda, entries, columns: W.map((w) => w.reduce((a, v) => a + v * v, 0)) };
  });
}

/**
 * The mean nonzero eigenvalue s̄ of XcᵀXc/n (Xc: X with its columns centred), from the trace:
 * ‖Xc‖²_F/n spread over rank ≤ min(n − 1, d) directions. Ridge multiplies the part of w along
 * an eigenvector of eigenvalue s by s/(s + λ), so its path changes where λ is near the
 * eigenvalues, and s̄/100 … 100·s̄ takes a typical direction from 99 % to 1 %. The lasso's
 * λ (up to ‖Xcᵀyc‖_∞/n, about 0.1 here) lies far below s̄ (about 10): on the lasso's grid
 * ridge barely moves, which is why the two panels have their own λ axis.
 */
function meanEigenvalue(data: Dataset): number {
  const { sxx } = momentsOf(data);
  let trace = 0;
  for (let j = 0; j < data.d; j++) trace += sxx[j * data.d + j] as number;
  return trace / data.n / Math.max(1, Math.min(data.n - 1, data.d));
}

/**
 * Exercise 3: the lasso's path on its default grid, ridge on the same grid (for the zero counts
 * at equal λ) and ridge over the λ where it shrinks (for its coefficient paths).
 */
async function paths(args: { readonly seed: number }): Promise<{
  readonly l1: RegularizationPath;
  readonly l2: RegularizationPath;
  readonly l2Path: RegularizationPath;
  readonly sbar: number;
  readonly d: number;
}> {
  const { train: rows } = syntheticSplit(args.seed, CHAPTER);
  const l1 = regularizationPath(rows, { alpha: 1, nLambda: 40 });
  const l2 = regularizationPath(rows, { alpha: 0, lambdas: l1.lambdas });
  const sbar = meanEigenvalue(rows);
  const ridgeGrid = Array.from({ length: 40 }, (_, k) => sbar * 10 ** (2 - (4 * k) / 39));
  const l2Path = regularizationPath(rows, { alpha: 0, lambdas: ridgeGrid });
  return { l1, l2, l2Path, sbar, d: rows.d };
}

/**
 * The validation rows of exercise 5 are the test rows of the seed's neighbour: draws from the
 * same source as the training and test sets, independent of both.
 */
const VALIDATION_SEED_OFFSET = 1;

/**
 * Exercise 5: early stopping from train()'s history. λ = 0 scored on a validation set, the same
 * run scored on the test set (same seed: same start and minibatches, so the two train
 * identically), and λ = 3, on the float64 cpu backend.
 */
async function earlyStopping(args: { readonly seed: number }): Promise<{
  readonly onValidation: TrainResult;
  readonly onTest: TrainResult;
  readonly decayed: TrainResult;
}> {
  const backend = await getBackend("cpu");
  const { train: rows, test } = syntheticSplit(args.seed, CHAPTER);
  const validation = syntheticSplit(args.seed + VALIDATION_SEED_OFFSET, CHAPTER).test;
  const options = {
    method: "scratch" as const,
    epochs: CHAPTER.epochs,
    lr: CHAPTER.lr,
    batchSize: CHAPTER.batchSize,
    seed: args.seed,
    evalEvery: 1,
  };
  return {
    onValidation: await train(
      backend,
      { train: rows, test: validation },
      { ...options, lambda: 0 },
    ),
    onTest: await train(backend, { train: rows, test }, { ...options, lambda: 0 }),
    decayed: await train(backend, { train: rows, test }, { ...options, lambda: 3 }),
  };
}

/** The chapter's last section: an MLP on the digits of the page, without and with decay. */
async function everyLayer(
  args: { readonly backend: string; readonly weightDecay: number },
  context: JobContext<EpochProgress & { readonly run: number }>,
): Promise<NetworkTrainResult[]> {
  const [{ pool }, { EVERY_LAYER, mnistSplit }] = await Promise.all([
    import("virtual:wdecay/mnist-pool"),
    import("../mnist-data.js"),
  ]);
  const backend = await getBackend(args.backend);
  const data = mnistSplit(pool);
  const runs: NetworkTrainResult[] = [];
  for (const [run, weightDecay] of [0, args.weightDecay].entries()) {
    runs.push(
      await trainNetwork(backend, EVERY_LAYER.spec, data, {
        epochs: EVERY_LAYER.epochs,
        lr: EVERY_LAYER.lr,
        batchSize: EVERY_LAYER.batchSize,
        seed: EVERY_LAYER.seed,
        grouping: { weightDecay },
        onEpoch: epochHook(context, { run }),
      }),
    );
  }
  return runs;
}

/** One backend's conformance run, or why it could not start here. */
export type ConformanceOutcome =
  | { readonly name: string; readonly available: false; readonly reason: string }
  | { readonly name: string; readonly available: true; readonly report: BackendReport };

/** The conformance suite on every backend this browser starts, against the float64 cpu. */
async function conformance(
  args: { readonly numRuns: number; readonly seed: number },
  context: JobContext<{
    readonly backend: string;
    readonly done: number;
    readonly total: number;
    readonly result: PropertyResult;
  }>,
): Promise<ConformanceOutcome[]> {
  const outcomes: ConformanceOutcome[] = [];
  for (const choice of await listBackends()) {
    if (!choice.available) {
      outcomes.push({ name: choice.name, available: false, reason: choice.reason ?? "" });
      continue;
    }
    let done = 0;
    const report = await runConformance(await getBackend(choice.name), {
      reference: () => createCpuBackend(),
      another: () => startNewBackend(choice.name),
      numRuns: args.numRuns,
      seed: args.seed,
      onResult: (result) =>
        context.progress({
          backend: choice.name,
          done: ++done,
          total: ALL_PROPERTIES.length,
          result,
        }),
    });
    outcomes.push({ name: choice.name, available: true, report });
  }
  return outcomes;
}

export const JOBS = {
  listBackends: async (_args: Record<string, never>): Promise<BackendChoice[]> => listBackends(),
  chapterTrain,
  sweep,
  selection,
  multiOutput,
  frobeniusPath,
  paths,
  earlyStopping,
  everyLayer,
  conformance,
};

export type JobName = keyof typeof JOBS;
export type JobArgs<K extends JobName> = Parameters<(typeof JOBS)[K]>[0];
export type JobResult<K extends JobName> = Awaited<ReturnType<(typeof JOBS)[K]>>;
export type JobProgress<K extends JobName> =
  Parameters<(typeof JOBS)[K]> extends [unknown, JobContext<infer P>] ? P : never;
