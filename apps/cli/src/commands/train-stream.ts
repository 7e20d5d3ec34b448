/**
 * `wdecay train --data FILE --target COL` for the linear model: out-of-core minibatch SGD on a
 * backend (core's trainStreaming). A first pass reads the file into its sufficient statistics
 * (core's StatsAccumulator), which give the standardization and, after every epoch, the exact
 * training loss without reading the rows again; then each epoch streams the file in windows of
 * --window rows, each shuffled by its own seeded schedule. Memory is one window and one chunk.
 */
import {
  type RowSource,
  StatsAccumulator,
  standardizedMoments,
  trainStreaming,
} from "@wdecay/core";
import type { Command } from "commander";
import { type CliContext, println } from "../context.js";
import { flagOf, given } from "../data-source.js";
import { RuntimeError, UsageError } from "../errors.js";
import { openDataStream } from "../io/data-stream.js";
import { createProgress } from "../render/progress.js";
import { selectBackend } from "../select-backend.js";

/** What streaming training reads of `train`'s flags. */
export interface StreamTrainFlags {
  readonly data: string;
  readonly target?: string;
  readonly features?: string[];
  readonly standardize?: boolean;
  readonly window: number;
  readonly method: "scratch" | "concise";
  readonly lambda: number;
  readonly penalty: "l2" | "l1" | "elastic";
  readonly alpha?: number;
  readonly epochs: number;
  readonly lr: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly backend?: string;
  readonly json?: boolean;
}

/** Flags that describe in-memory or synthetic training and mean nothing to a stream. */
const NOT_STREAMED = [
  "testFraction",
  "nTrain",
  "nTest",
  "dims",
  "outputs",
  "evalEvery",
  "plot",
  "exempt",
  "optimizer",
  "momentum",
  "beta1",
  "beta2",
  "eps",
  "decay",
  "decoupledScaling",
  "schedule",
  "warmup",
  "decaySchedule",
] as const;

export async function runStreamTrain(
  flags: StreamTrainFlags,
  alpha: number,
  command: Command,
  ctx: CliContext,
): Promise<void> {
  for (const key of NOT_STREAMED) {
    if (given(command, key)) {
      throw new UsageError(
        `${flagOf(key)} does not apply to streaming training (train --data for the linear model reads the file in --window rows each epoch, with plain SGD and no test split)`,
      );
    }
  }
  if (flags.target === undefined)
    throw new UsageError("--target is required with --data: name the column to predict");
  if (flags.batchSize > flags.window) {
    throw new UsageError(`--batch-size ${flags.batchSize} is larger than --window ${flags.window}`);
  }
  const started = performance.now();
  const data = await openDataStream(flags.data, {
    target: flags.target,
    ...(flags.features ? { features: flags.features } : {}),
  });
  const { columns } = data;
  const d = columns.featureNames.length;
  const backend = await selectBackend(ctx.registry, flags.backend);
  const show = ctx.isTTY && !flags.json;

  // Pass 1: the statistics, for the standardization and the loss.
  const accumulator = new StatsAccumulator(d, { kind: "none" });
  const first = createProgress(Math.max(1, data.bytes), show, ctx.progressStream);
  try {
    for await (const block of data.blocks({
      onProgress: (read) => first.update(Math.min(read, data.bytes), "pass 1: statistics"),
    })) {
      accumulator.add(block);
    }
  } finally {
    first.stop();
  }
  const all = accumulator.folds().get(0);
  if (all === undefined) throw new RuntimeError(`--data file "${flags.data}" has no data rows`);
  const standardize = flags.standardize ?? true;
  const scaled = standardize ? standardizedMoments(all) : undefined;
  const mean = all.xMean;
  const scale = scaled?.scale;
  const source: RowSource = {
    d,
    async *pass(window) {
      for await (const block of data.blocks({ blockRows: window })) {
        if (scale !== undefined) {
          const { X, n } = block;
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < d; j++) {
              const k = i * d + j;
              X[k] = all.constant[j]
                ? 0
                : ((X[k] as number) - (mean[j] as number)) / (scale[j] as number);
            }
          }
        }
        yield block;
      }
    },
  };
  // Standardized data are centered: their moments have mean 0.
  const lossMoments = scaled ? { ...scaled.moments, xMean: new Float64Array(d) } : all;
  const progress = createProgress(flags.epochs * all.n, show, ctx.progressStream);
  let result: Awaited<ReturnType<typeof trainStreaming>>;
  try {
    result = await trainStreaming(backend, source, {
      method: flags.method,
      lambda: flags.lambda,
      penalty: flags.penalty,
      ...(flags.penalty === "elastic" ? { alpha } : {}),
      epochs: flags.epochs,
      lr: flags.lr,
      batchSize: flags.batchSize,
      seed: flags.seed,
      window: flags.window,
      moments: lossMoments,
      onWindow: (epoch, rows) =>
        progress.update(
          (epoch - 1) * all.n + rows,
          `epoch ${epoch} of ${flags.epochs}: ${rows} of ${all.n} rows`,
        ),
    });
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  } finally {
    progress.stop();
  }
  // Back to the original scale: w_j / s_j, b − Σ w_j x̄_j / s_j.
  const weights = Float64Array.from(result.weights, (w, j) =>
    scale ? (all.constant[j] ? 0 : w / (scale[j] as number)) : w,
  );
  let bias = result.bias;
  if (scale) for (let j = 0; j < d; j++) bias -= (weights[j] as number) * (mean[j] as number);
  const seconds = (performance.now() - started) / 1000;
  const last = result.history.at(-1);
  if (flags.json) {
    println(
      ctx.stdout,
      JSON.stringify({
        backend: backend.name,
        data: flags.data,
        rows: result.rows,
        windows: result.windows,
        window: flags.window,
        standardized: standardize,
        method: flags.method,
        penalty: flags.penalty,
        lambda: flags.lambda,
        epochs: flags.epochs,
        lr: flags.lr,
        batchSize: flags.batchSize,
        seed: flags.seed,
        history: result.history.map((p) => ({ epoch: p.epoch, trainLoss: p.trainLoss })),
        featureNames: columns.featureNames,
        target: columns.targetName,
        weights: Array.from(weights),
        bias,
        l2Norm: result.l2Norm,
        seconds,
      }),
    );
    return;
  }
  const out = (line = "") => println(ctx.stdout, line);
  out(
    `Streamed ${result.rows} rows of ${flags.data} (${result.windows} window(s) of up to ${flags.window} rows) ` +
      `× ${flags.epochs} epochs on ${backend.name} in ${seconds.toFixed(2)} s`,
  );
  out(
    `${flags.method}, ${flags.penalty}, λ = ${flags.lambda}, lr ${flags.lr}, batch size ${flags.batchSize}, seed ${flags.seed}; ` +
      (standardize ? "features standardized from a first pass's statistics" : "raw features"),
  );
  for (const p of result.history)
    out(`epoch ${p.epoch}: train loss mean ½(ŷ − y)² ${p.trainLoss.toPrecision(6)}`);
  out(
    `final: ‖w‖₂ ${result.l2Norm.toPrecision(4)}${standardize ? " (standardized weights)" : ""}, loss ${last?.trainLoss.toPrecision(6)}`,
  );
}
