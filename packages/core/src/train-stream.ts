/**
 * Minibatch SGD over rows that do not fit in memory: each epoch reads the rows again, in file
 * order, in windows of at most `window` rows; a window goes to the device, its rows are shuffled
 * and cut into minibatches exactly as {@link train} does with a whole data set, and the weights
 * carry over from window to window. Memory is one window, whatever the number of rows.
 *
 * The order rule, seeded: window k of every epoch is shuffled by a {@link MinibatchSchedule} of
 * its own, seeded `seed` for k = 0 and `windowSeed(seed, k)` otherwise, and drawing a new
 * permutation each epoch. So rows mix within a window, never across windows (as tf.data's
 * shuffle buffer, but deterministic); when every row fits in one window the run is the
 * in-memory {@link train} step for step, with the same result on the same backend. The last
 * window of a file may hold fewer rows than a batch: its batches are that window.
 */
import type { Backend, Tensor } from "./backend.js";
import { type Dataset, disposeDataset, MinibatchSchedule, uploadDataset } from "./data.js";
import { disposeAll, linearSgd } from "./linear.js";
import { type Moments, meanSquaredErrorOf } from "./solvers/moments.js";
import { type HistoryPoint, initialWeights, l2Norm, type TrainOptions } from "./train.js";

/** Rows read again for every epoch, in the same order every time. */
export interface RowSource {
  readonly d: number;
  /** One pass over every row, in windows of at most the run's `window` rows. */
  pass(window: number): AsyncIterable<Dataset>;
}

/** Settings of {@link trainStreaming}: {@link train}'s plain-SGD settings, and the window. */
export interface StreamTrainOptions
  extends Pick<
    TrainOptions,
    | "method"
    | "lambda"
    | "penalty"
    | "alpha"
    | "epochs"
    | "lr"
    | "batchSize"
    | "seed"
    | "initStd"
    | "onEpoch"
    | "signal"
  > {
  /** Rows per window (the shuffle's reach and the device's share of the data). */
  readonly window: number;
  /**
   * The moments of every row (from a stats pass): each epoch's loss mean ½(ŷ − y)² comes from
   * them on the host, exactly, without reading the rows again.
   */
  readonly moments?: Moments;
  /** Called after each window with the rows done in this epoch. */
  readonly onWindow?: (epoch: number, rows: number) => void;
}

/** What a streaming run returns. */
export interface StreamTrainResult {
  readonly weights: Float64Array;
  readonly bias: number;
  readonly l2Norm: number;
  /** One point per epoch when `moments` were given (testLoss NaN: there is no test set). */
  readonly history: HistoryPoint[];
  /** Rows of one pass, and windows per pass. */
  readonly rows: number;
  readonly windows: number;
}

/** The seed of window k's shuffle (see the module comment). */
export function windowSeed(seed: number, k: number): number {
  return k === 0 ? seed : (seed + k * 2_654_435_761) % Number.MAX_SAFE_INTEGER;
}

/** Trains a linear model by minibatch SGD, streaming the rows (see the module comment). */
export async function trainStreaming(
  backend: Backend,
  source: RowSource,
  options: StreamTrainOptions,
): Promise<StreamTrainResult> {
  const { method, lambda, epochs, lr, batchSize, seed, window, initStd = 1 } = options;
  const { d } = source;
  if (!(Number.isInteger(window) && window >= 1)) {
    throw new RangeError(`window must be a positive integer, got ${window}`);
  }
  if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= window)) {
    throw new RangeError(
      `batch size must be an integer in [1, window = ${window}], got ${batchSize}`,
    );
  }
  if (!(Number.isInteger(epochs) && epochs >= 1)) {
    throw new RangeError(`epochs must be an integer ≥ 1, got ${epochs}`);
  }
  if (!(lr > 0 && Number.isFinite(lr)))
    throw new RangeError(`lr must be a positive number, got ${lr}`);
  if (!(lambda >= 0 && Number.isFinite(lambda)))
    throw new RangeError(`λ must be ≥ 0, got ${lambda}`);
  const penalty = options.penalty ?? "l2";
  const alpha = penalty === "l1" ? 1 : penalty === "elastic" ? (options.alpha as number) : 0;
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must lie in [0, 1], got ${alpha}`);
  const l2 = alpha === 0 ? lambda : lambda * (1 - alpha);
  const l1 = alpha === 0 ? 0 : lambda * alpha;

  const owned: Tensor[] = [];
  const w = backend.upload(initialWeights(seed, d, initStd), [d, 1]);
  owned.push(w);
  const b = backend.zeros([1, 1]);
  owned.push(b);
  const schedules = new Map<number, MinibatchSchedule>();
  const history: HistoryPoint[] = [];
  let rows = 0;
  let windows = 0;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      let k = 0;
      let epochRows = 0;
      for await (const part of source.pass(window)) {
        if (options.signal?.aborted) throw options.signal.reason ?? new Error("training aborted");
        if (part.n === 0) continue;
        if (part.d !== d)
          throw new RangeError(`a window of ${part.d} features for a model of ${d}`);
        let schedule = schedules.get(k);
        if (schedule === undefined || schedule.n !== part.n) {
          schedule = new MinibatchSchedule(
            part.n,
            Math.min(batchSize, part.n),
            windowSeed(seed, k),
          );
          schedules.set(k, schedule);
        }
        const device = uploadDataset(backend, part);
        const order = backend.upload(schedule.shuffle(), [part.n, 1], "int32");
        const sgd = linearSgd(backend, {
          X: device.X,
          y: device.y,
          order,
          w,
          b,
          weightPenalty: [method === "scratch" ? l2 : 0],
          weightDecay: [method === "concise" ? l2 : 0],
          biasDecay: [0],
          ...(l1 === 0 ? {} : { weightL1: [l1] }),
        });
        try {
          schedule.forEachBatch((offset, count) => sgd.step(offset, count, lr));
        } finally {
          sgd.dispose();
          backend.dispose(order);
          disposeDataset(backend, device);
        }
        k++;
        epochRows += part.n;
        options.onWindow?.(epoch, epochRows);
      }
      if (epoch === 1) {
        rows = epochRows;
        windows = k;
        if (rows === 0) throw new RangeError("the source has no rows");
      } else if (epochRows !== rows) {
        throw new RangeError(
          `pass ${epoch} read ${epochRows} rows, the first ${rows}: the rows changed during training`,
        );
      }
      if (options.moments !== undefined) {
        const [wv, bv] = await Promise.all([backend.read(w), backend.read(b)]);
        const loss = meanSquaredErrorOf(options.moments, wv, bv[0] as number) / 2;
        history.push({ epoch, trainLoss: loss, testLoss: Number.NaN });
      }
      await options.onEpoch?.(epoch, epochs);
    }
    const [weights, bias] = await Promise.all([backend.read(w), backend.read(b)]);
    return { weights, bias: bias[0] as number, l2Norm: l2Norm(weights), history, rows, windows };
  } finally {
    disposeAll(backend, owned);
  }
}
