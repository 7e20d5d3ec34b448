import type { Backend, LinearSgdSpec, Tensor } from "./backend.js";
import {
  type DataSplit,
  type DeviceDataset,
  disposeDataset,
  MinibatchSchedule,
  outputsOf,
  uploadDataset,
} from "./data.js";
import { disposeAll, linearGradient, linearLoss, linearSgd } from "./linear.js";
import {
  createOptimizer,
  type DecayPlacement,
  type DecoupledScaling,
  type OptimizerKind,
} from "./optim/optimizers.js";
import type { Schedule } from "./optim/schedule.js";
import { Rng, Stream } from "./random.js";

/**
 * How weight decay enters training, as in the chapter:
 * - `scratch`: the penalty (λ/2)‖w‖² is added to the loss and plain SGD follows its gradient;
 * - `concise`: the loss has no penalty; the optimizer decays each parameter group by
 *   λ × the group's decay multiplier (weights 1, bias 0 by default), like PyTorch's parameter
 *   groups and Gluon's `wd_mult`.
 * With plain SGD the two give the same update (identity 5).
 *
 * An L1 part of the penalty (`penalty: "l1"` or `"elastic"`) has no gradient at 0, so both
 * methods apply it the same way, as a proximal (soft-threshold) step after each smooth update:
 * `scratch` puts λα on every weight column, `concise` λα × the weight group's multiplier. The
 * bias is never thresholded.
 */
export type Method = "scratch" | "concise";

/**
 * The penalty's form, with objective J = mean ½(ŷ − y)² + λ[(1 − α)/2‖w‖² + α‖w‖₁]:
 * - `l2` (α = 0): weight decay, the chapter;
 * - `l1` (α = 1): the lasso, trained by proximal SGD (exact zeros);
 * - `elastic`: the elastic net with mixing `alpha` ∈ [0, 1].
 */
export type TrainPenalty = "l2" | "l1" | "elastic";

export const TRAIN_PENALTIES: readonly TrainPenalty[] = ["l2", "l1", "elastic"];

export const METHODS: readonly Method[] = ["scratch", "concise"];

/** Decay multipliers and masks per parameter group, for the concise method. */
export interface ParamGroups {
  /** Multiplier of λ for the weights (1). */
  readonly weight?: number;
  /** Multiplier of λ for the bias (0: the bias is not decayed). */
  readonly bias?: number;
  /**
   * Per-feature mask, length d: 1 = regularized, 0 = exempt (like optax's `mask`); values in
   * between scale λ. It masks the concise method's decay and, in the scratch method, the L2
   * penalty in the loss, (λ/2)Σⱼ mⱼwⱼ². Trains through core's optimizer (see
   * {@link TrainOptions.optimizer}); not with an L1 part.
   */
  readonly weightMask?: ArrayLike<number>;
}

/**
 * Training through one of core's optimizers ({@link createOptimizer}, composed from primitives)
 * instead of the fused SGD program. With the scratch method the L2 penalty stays in the loss (its
 * gradient passes through momentum or Adam); with the concise method the optimizer applies the
 * decay, coupled or decoupled.
 */
export interface TrainOptimizer {
  readonly kind: OptimizerKind;
  /**
   * Where the concise method's decay goes: "coupled" (added to the gradient) or "decoupled" (a
   * shrink of the weights). Default: decoupled for adamw, coupled for the others.
   */
  readonly decay?: DecayPlacement;
  /** Decoupled decay scaled by the learning rate ("lr", PyTorch/optax) or not ("none"). */
  readonly decoupledScaling?: DecoupledScaling;
  readonly momentum?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  /** The learning rate at step t (0-based, counted over the whole run); default `lr`, constant. */
  readonly lrSchedule?: Schedule;
  /** A factor on the decay at step t (default 1). */
  readonly decaySchedule?: Schedule;
}

/** Settings of one training run. */
export interface TrainOptions {
  readonly method: Method;
  /**
   * λ ≥ 0, canonical convention: J = mean ½(ŷ − y)² + (λ/2)‖w‖² (with `penalty`:
   * λ[(1 − α)/2‖w‖² + α‖w‖₁]).
   */
  readonly lambda: number;
  /** Form of the penalty (`l2`, the chapter's weight decay, by default); see {@link TrainPenalty}. */
  readonly penalty?: TrainPenalty;
  /** Elastic-net mixing α ∈ [0, 1]: required for `penalty: "elastic"`, not allowed otherwise. */
  readonly alpha?: number;
  readonly epochs: number;
  /** Learning rate η > 0. */
  readonly lr: number;
  readonly batchSize: number;
  /** Seeds the initial weights and the minibatch order (non-negative integer). */
  readonly seed: number;
  /** Evaluate train and test loss every this many epochs, and after the last one (5). */
  readonly evalEvery?: number;
  /** Standard deviation of the initial weights, w ~ N(0, σ²) (1); the bias starts at 0. */
  readonly initStd?: number;
  /** Decay multipliers (and a per-feature mask) for the concise method. */
  readonly paramGroups?: ParamGroups;
  /**
   * Train through core's optimizer (momentum, Adam, AdamW; schedules) instead of plain SGD;
   * with `paramGroups.weightMask`, plain SGD through the optimizer is implied. Not with an L1
   * part (`penalty` l1 or elastic), whose proximal step is defined for plain SGD.
   */
  readonly optimizer?: TrainOptimizer;
  /** Called after every epoch; training awaits it when it returns a promise. */
  readonly onEpoch?: (epoch: number, epochs: number) => void | Promise<void>;
  /** Called at every evaluation point. */
  readonly onEvaluate?: (point: HistoryPoint) => void;
  /** Stops training between epochs; the run rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** Mean losses (without the penalty) after an epoch. */
export interface HistoryPoint {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly testLoss: number;
}

/** What a run returns. */
export interface TrainResult {
  readonly method: Method;
  readonly lambda: number;
  readonly history: HistoryPoint[];
  /** Final weights, length d. */
  readonly weights: Float64Array;
  readonly bias: number;
  /** ‖w‖₂ of the final weights. */
  readonly l2Norm: number;
  readonly trainLoss: number;
  readonly testLoss: number;
}

/** The chapter's initialization: w ~ N(0, σ²) from the seed's init stream. */
export function initialWeights(seed: number, d: number, std = 1): Float64Array {
  return new Rng(seed, Stream.init).fillNormal(new Float64Array(d), 0, std);
}

/** ‖v‖₂, accumulated in float64 with scaling so that huge or tiny entries do not overflow. */
export function l2Norm(v: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < v.length; i++) scale = Math.max(scale, Math.abs(v[i] as number));
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  let sum = 0;
  for (let i = 0; i < v.length; i++) {
    const t = (v[i] as number) / scale;
    sum += t * t;
  }
  return scale * Math.sqrt(sum);
}

/** Settings of a λ grid trained in one pass: every setting of {@link TrainOptions} but λ. */
export interface GridOptions extends Omit<TrainOptions, "lambda" | "onEvaluate"> {
  /** The λ values (canonical convention), one weight column each. */
  readonly lambdas: readonly number[];
  /** Called at every evaluation point with one point per λ. */
  readonly onEvaluate?: (points: HistoryPoint[]) => void;
}

function checkOptions(options: GridOptions, data: DataSplit): void {
  const fail = (message: string): never => {
    throw new RangeError(message);
  };
  const { lambdas, epochs, lr, batchSize, seed, evalEvery = 5, initStd = 1 } = options;
  if (!(options.method === "scratch" || options.method === "concise")) {
    fail(`method must be "scratch" or "concise", got ${String(options.method)}`);
  }
  const { penalty = "l2", alpha } = options;
  if (!TRAIN_PENALTIES.includes(penalty)) {
    fail(`penalty must be "l2", "l1" or "elastic", got ${String(penalty)}`);
  }
  if (penalty === "elastic") {
    if (alpha === undefined) fail('alpha is required with penalty "elastic"');
    if (!(typeof alpha === "number" && alpha >= 0 && alpha <= 1)) {
      fail(`alpha must be a number in [0, 1], got ${String(alpha)}`);
    }
  } else if (alpha !== undefined) {
    fail(`alpha is only used with penalty "elastic" (penalty is "${penalty}"), got ${alpha}`);
  }
  if (lambdas.length === 0) fail("lambdas must hold at least one value");
  for (const lambda of lambdas) {
    if (!(Number.isFinite(lambda) && lambda >= 0))
      fail(`lambda must be a finite number ≥ 0, got ${lambda}`);
  }
  if (!(Number.isInteger(epochs) && epochs >= 1))
    fail(`epochs must be an integer ≥ 1, got ${epochs}`);
  if (!(Number.isFinite(lr) && lr > 0)) fail(`lr must be a finite number > 0, got ${lr}`);
  if (!(Number.isInteger(evalEvery) && evalEvery >= 1)) {
    fail(`evalEvery must be an integer ≥ 1, got ${evalEvery}`);
  }
  if (!(Number.isFinite(initStd) && initStd >= 0)) fail(`initStd must be ≥ 0, got ${initStd}`);
  const mask = options.paramGroups?.weightMask;
  if (mask !== undefined) {
    if (mask.length !== data.train.d) {
      fail(
        `paramGroups.weightMask has ${mask.length} entries but there are ${data.train.d} features`,
      );
    }
    for (let j = 0; j < mask.length; j++) {
      const m = mask[j] as number;
      if (!(Number.isFinite(m) && m >= 0)) {
        fail(`paramGroups.weightMask[${j}] must be a finite number ≥ 0, got ${m}`);
      }
    }
  }
  if (options.optimizer !== undefined && penalty !== "l2") {
    fail(
      `penalty "${penalty}" trains by proximal SGD, which does not combine with an optimizer; ` +
        "use penalty l2 or leave the optimizer out",
    );
  }
  if (mask !== undefined && penalty !== "l2") {
    fail(`paramGroups.weightMask masks the L2 penalty; penalty "${penalty}" does not take it`);
  }
  if (!(Number.isSafeInteger(seed) && seed >= 0))
    fail(`seed must be a non-negative integer, got ${seed}`);
  const { train, test } = data;
  if (train.n < 1) fail("the training set is empty");
  if (test.n < 1) fail("the test set is empty");
  if (train.d !== test.d) fail(`train has ${train.d} features but test has ${test.d}`);
  if (outputsOf(train) !== outputsOf(test)) {
    fail(`train has ${outputsOf(train)} target columns but test has ${outputsOf(test)}`);
  }
  if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= train.n)) {
    fail(
      `batchSize must be an integer in [1, ${train.n}] (the training set size), got ${batchSize}`,
    );
  }
}

/**
 * Trains a linear model by minibatch SGD with weight decay (the chapter's `train` and
 * `train_concise`). Data and parameters are uploaded once; each epoch uploads only its row
 * order; the device is read only at evaluation points (every `evalEvery` epochs and after the
 * last) and for the final parameters. Every tensor it makes is disposed, on failure too.
 */
export async function train(
  backend: Backend,
  data: DataSplit,
  options: TrainOptions,
): Promise<TrainResult> {
  const { lambda, onEvaluate, ...rest } = options;
  const [result] = await trainGrid(backend, data, {
    ...rest,
    lambdas: [lambda],
    ...(onEvaluate
      ? { onEvaluate: (points: HistoryPoint[]) => onEvaluate(points[0] as HistoryPoint) }
      : {}),
  });
  return result as TrainResult;
}

/**
 * Trains one model per λ in a single pass: the weights of L values of λ are one d×L matrix,
 * updated by one SGD program, so the data are gathered once per step for the whole grid. Every
 * column starts from the same initial weights and sees the same minibatches, so column l equals
 * a separate {@link train} at `lambdas[l]` up to rounding.
 */
export async function trainGrid(
  backend: Backend,
  data: DataSplit,
  options: GridOptions,
): Promise<TrainResult[]> {
  checkOptions(options, data);
  const k = outputsOf(data.train);
  if (k !== 1) {
    throw new RangeError(
      `this dataset has ${k} target columns: train it with trainMultiOutput, one λ at a time`,
    );
  }
  const { lambdas } = options;
  const { histories, weights, bias } = await trainColumns(backend, data, options);
  const d = data.train.d;
  const L = lambdas.length;
  return lambdas.map((lambda, l) => {
    const history = histories[l] as HistoryPoint[];
    const last = history[history.length - 1] as HistoryPoint;
    const column = new Float64Array(d);
    for (let j = 0; j < d; j++) column[j] = weights[j * L + l] as number;
    return {
      method: options.method,
      lambda,
      history,
      weights: column,
      bias: bias[l] as number,
      l2Norm: l2Norm(column),
      trainLoss: last.trainLoss,
      testLoss: last.testLoss,
    };
  });
}

/** What a multi-output run returns: W (d×k) and b (k) with the Frobenius penalty's λ. */
export interface MultiOutputResult {
  readonly method: Method;
  readonly lambda: number;
  /** k, the number of target columns. */
  readonly outputs: number;
  /**
   * Losses summed over the outputs, mean over rows of ½‖Wᵀx + b − y‖² (without the penalty), at
   * every evaluation point.
   */
  readonly history: HistoryPoint[];
  /** Final weights W, d×k row-major: column l predicts target column l. */
  readonly weights: Float64Array;
  /** Final biases, one per output. */
  readonly biases: Float64Array;
  /** ‖W‖_F, the norm the penalty (λ/2)‖W‖²_F acts on (exercise 4). */
  readonly frobeniusNorm: number;
  readonly trainLoss: number;
  readonly testLoss: number;
  /** The final train and test loss of each output alone. */
  readonly outputLosses: ReadonlyArray<{ readonly trainLoss: number; readonly testLoss: number }>;
}

/**
 * Multi-output linear regression with the Frobenius penalty (exercise 4): targets Y (n×k, a
 * dataset with `outputs` = k), weights W (d×k), objective
 * `mean ½‖Wᵀx + b − y‖² + (λ/2)‖W‖²_F` (with `penalty`, the L1 part is Σ|W_jl|). Both terms sum
 * over the columns, so W trains as one d×k matrix in one SGD program whose column l is the
 * single-output model of target column l at the same λ; every column starts from the chapter's
 * initial weights and sees the same minibatches. Settings are those of {@link train}.
 */
export async function trainMultiOutput(
  backend: Backend,
  data: DataSplit,
  options: TrainOptions,
): Promise<MultiOutputResult> {
  const k = outputsOf(data.train);
  const { lambda, onEvaluate, ...rest } = options;
  const grid: GridOptions = {
    ...rest,
    lambdas: Array.from({ length: k }, () => lambda),
    ...(onEvaluate
      ? { onEvaluate: (points: HistoryPoint[]) => onEvaluate(sumPoints(points)) }
      : {}),
  };
  checkOptions(grid, data);
  const { histories, weights, bias } = await trainColumns(backend, data, grid);
  const epochsSeen = (histories[0] as HistoryPoint[]).length;
  const history = Array.from({ length: epochsSeen }, (_, e) =>
    sumPoints(histories.map((h) => h[e] as HistoryPoint)),
  );
  const last = history[history.length - 1] as HistoryPoint;
  return {
    method: options.method,
    lambda,
    outputs: k,
    history,
    weights,
    biases: bias,
    frobeniusNorm: l2Norm(weights),
    trainLoss: last.trainLoss,
    testLoss: last.testLoss,
    outputLosses: histories.map((h) => {
      const p = h[h.length - 1] as HistoryPoint;
      return { trainLoss: p.trainLoss, testLoss: p.testLoss };
    }),
  };
}

/** One minibatch step of some training program, at the run's own learning rate. */
interface Stepper {
  step(offset: number, count: number): void;
  dispose(): void;
}

/** The fused (or composed) SGD program at a constant learning rate. */
function sgdStepper(backend: Backend, spec: LinearSgdSpec, lr: number): Stepper {
  const sgd = linearSgd(backend, spec);
  return { step: (offset, count) => sgd.step(offset, count, lr), dispose: () => sgd.dispose() };
}

/**
 * Steps through core's optimizer: gather the batch, the loss gradient (with the scratch method's
 * penalty per column), then `optimizer.step`. The concise method's decay runs with weightDecay 1
 * and masks that carry each column's λ × group multiplier (× the feature's mask), so a grid of λ
 * or a per-feature mask is one optimizer.
 */
function optimizerStepper(
  backend: Backend,
  state: {
    trainSet: DeviceDataset;
    order: Tensor;
    w: Tensor;
    b: Tensor;
    l2Part: readonly number[];
  },
  options: GridOptions,
): Stepper {
  const { trainSet, order, w, b, l2Part } = state;
  const [d, L] = w.shape;
  const scratch = options.method === "scratch";
  const groups = { weight: 1, bias: 0, ...options.paramGroups };
  const opt: TrainOptimizer = options.optimizer ?? { kind: "sgd" };
  const owned: Tensor[] = [];
  const upload = (values: ArrayLike<number>, shape: [number, number]) => {
    const t = backend.upload(values, shape);
    owned.push(t);
    return t;
  };
  try {
    // λ_l × the feature's mask (× the weight group's multiplier for the concise method's decay).
    const masked = (multiplier: number) => {
      const out = new Float64Array(d * L);
      for (let j = 0; j < d; j++) {
        const m = (groups.weightMask?.[j] ?? 1) * multiplier;
        for (let l = 0; l < L; l++) out[j * L + l] = (l2Part[l] as number) * m;
      }
      return out;
    };
    // The scratch method's penalty gradient λ⊙w: per column (1×L), or per weight with a mask.
    const penalty = !scratch
      ? undefined
      : groups.weightMask === undefined
        ? upload(l2Part, [1, L])
        : upload(masked(1), [d, L]);
    const decay = opt.decay ?? (opt.kind === "adamw" ? "decoupled" : "coupled");
    const optimizer = createOptimizer(backend, {
      kind: opt.kind,
      lr: opt.lrSchedule ?? options.lr,
      ...(opt.momentum !== undefined ? { momentum: opt.momentum } : {}),
      ...(opt.beta1 !== undefined ? { beta1: opt.beta1 } : {}),
      ...(opt.beta2 !== undefined ? { beta2: opt.beta2 } : {}),
      ...(opt.eps !== undefined ? { eps: opt.eps } : {}),
      ...(opt.decoupledScaling !== undefined ? { decoupledScaling: opt.decoupledScaling } : {}),
      ...(opt.decaySchedule !== undefined ? { decaySchedule: opt.decaySchedule } : {}),
      weightDecay: scratch ? 0 : 1,
      decay,
      groups: scratch
        ? [{ params: [w] }, { params: [b] }]
        : [
            { params: [w], mask: upload(masked(groups.weight), [d, L]) },
            {
              params: [b],
              mask: upload(
                l2Part.map((v) => v * groups.bias),
                [1, L],
              ),
            },
          ],
    });
    return {
      step(offset, count) {
        const Xb = backend.gatherRows(trainSet.X, order, offset, count);
        let yb: Tensor | undefined;
        let grad: { gw: Tensor; gb: Tensor } | undefined;
        try {
          yb = backend.gatherRows(trainSet.y, order, offset, count);
          grad = linearGradient(backend, Xb, yb, w, b, penalty ?? 0);
          optimizer.step([[grad.gw], [grad.gb]]);
        } finally {
          disposeAll(backend, [Xb, yb, grad?.gw, grad?.gb]);
        }
      },
      dispose() {
        optimizer.dispose();
        disposeAll(backend, owned);
      },
    };
  } catch (error) {
    disposeAll(backend, owned);
    throw error;
  }
}

/** One point of the summed loss from the outputs' points at the same epoch. */
function sumPoints(points: readonly HistoryPoint[]): HistoryPoint {
  let trainLoss = 0;
  let testLoss = 0;
  for (const p of points) {
    trainLoss += p.trainLoss;
    testLoss += p.testLoss;
  }
  return { epoch: (points[0] as HistoryPoint).epoch, trainLoss, testLoss };
}

/**
 * The training loop behind {@link trainGrid} and {@link trainMultiOutput}: L weight columns in
 * one d×L matrix, column l regularized by `lambdas[l]`, fitting the shared target column or, for
 * a multi-output dataset (k = L), target column l. Returns each column's history and the final
 * W (d×L row-major) and b.
 */
async function trainColumns(
  backend: Backend,
  data: DataSplit,
  options: GridOptions,
): Promise<{ histories: HistoryPoint[][]; weights: Float64Array; bias: Float64Array }> {
  const { method, lambdas, epochs, lr, batchSize, seed, evalEvery = 5, initStd = 1 } = options;
  const d = data.train.d;
  const L = lambdas.length;
  const groups = { weight: 1, bias: 0, ...options.paramGroups };
  // α of the canonical objective; the L2 part λ(1 − α) is λ itself for l2 (bit for bit).
  const penalty = options.penalty ?? "l2";
  const alpha = penalty === "l1" ? 1 : penalty === "elastic" ? (options.alpha as number) : 0;
  const l2Part = lambdas.map((lambda) => (alpha === 0 ? lambda : lambda * (1 - alpha)));
  const l1Part = lambdas.map((lambda) => (alpha === 0 ? 0 : lambda * alpha));
  const schedule = new MinibatchSchedule(data.train.n, batchSize, seed);
  const w0 = initialWeights(seed, d, initStd);
  const wGrid = new Float64Array(d * L);
  for (let j = 0; j < d; j++) {
    for (let l = 0; l < L; l++) wGrid[j * L + l] = w0[j] as number;
  }

  const owned: Tensor[] = [];
  const own = <T extends Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  const devices: DeviceDataset[] = [];
  let program: { dispose(): void } | undefined;
  try {
    const trainSet = uploadDataset(backend, data.train);
    devices.push(trainSet);
    const testSet = uploadDataset(backend, data.test);
    devices.push(testSet);
    const w = own(backend.upload(wGrid, [d, L]));
    const b = own(backend.zeros([1, L]));
    const order = own(backend.zeros([data.train.n, 1], "int32"));
    const viaOptimizer =
      options.optimizer !== undefined || options.paramGroups?.weightMask !== undefined;
    const stepper: Stepper = viaOptimizer
      ? optimizerStepper(backend, { trainSet, order, w, b, l2Part }, options)
      : sgdStepper(
          backend,
          {
            X: trainSet.X,
            y: trainSet.y,
            order,
            w,
            b,
            weightPenalty: l2Part.map((lambda) => (method === "scratch" ? lambda : 0)),
            weightDecay: l2Part.map((lambda) =>
              method === "concise" ? lambda * groups.weight : 0,
            ),
            biasDecay: l2Part.map((lambda) => (method === "concise" ? lambda * groups.bias : 0)),
            // Proximal in both methods (the L1 term has no gradient); never on the bias.
            ...(alpha === 0
              ? {}
              : {
                  weightL1: l1Part.map((lambda) =>
                    method === "concise" ? lambda * groups.weight : lambda,
                  ),
                }),
          },
          lr,
        );
    program = stepper;
    const step = (offset: number, count: number) => stepper.step(offset, count);

    const evaluate = async (epoch: number): Promise<HistoryPoint[]> => {
      const trainLoss = linearLoss(backend, trainSet.X, trainSet.y, w, b);
      let testLoss: Tensor | undefined;
      try {
        testLoss = linearLoss(backend, testSet.X, testSet.y, w, b);
        const [tr, te] = await Promise.all([backend.read(trainLoss), backend.read(testLoss)]);
        return lambdas.map((_, l) => ({
          epoch,
          trainLoss: tr[l] as number,
          testLoss: te[l] as number,
        }));
      } finally {
        disposeAll(backend, [trainLoss, testLoss]);
      }
    };

    const histories: HistoryPoint[][] = lambdas.map(() => []);
    for (let epoch = 1; epoch <= epochs; epoch++) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error("training aborted");
      backend.write(order, schedule.shuffle());
      schedule.forEachBatch(step);
      if (epoch % evalEvery === 0 || epoch === epochs) {
        const points = await evaluate(epoch);
        points.forEach((point, l) => histories[l]?.push(point));
        options.onEvaluate?.(points);
      }
      // Awaited only when it returns a promise: an await per epoch costs the chapter's run 2%.
      const pending = options.onEpoch?.(epoch, epochs);
      if (pending) await pending;
    }
    const [weights, bias] = await Promise.all([backend.read(w), backend.read(b)]);
    return { histories, weights, bias };
  } finally {
    program?.dispose();
    disposeAll(backend, owned);
    for (const set of devices) disposeDataset(backend, set);
  }
}
