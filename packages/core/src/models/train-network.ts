/**
 * Minibatch training of any {@link NetworkSpec} through core's optimizer, with the parameters
 * sorted into groups by rule (each with its own λ, learning-rate multiplier, L1 and decay
 * placement). The data go to the backend once; each epoch uploads its row order once; a step
 * gathers its rows on the device, backpropagates and updates every group in place: no upload
 * and no read. Losses and accuracies are read only at evaluation points.
 */
import type { Backend, Tensor } from "../backend.js";
import { MinibatchSchedule } from "../data.js";
import { disposeAll } from "../linear.js";
import { createOptimizer, type ParamGroup } from "../optim/optimizers.js";
import type { TrainOptimizer } from "../train.js";
import { type GroupingOptions, groupParameters, type ParameterGrouping } from "./groups.js";
import {
  checkNetworkSpec,
  initialParameters,
  type NetworkInit,
  type NetworkSpec,
  networkForward,
  networkGradient,
  networkParameters,
  type OutputLoss,
  type ParameterInfo,
} from "./network.js";

/** Rows of inputs X (rows × inputs) and targets Y (rows × outputs), row-major. */
export interface NetworkData {
  readonly X: ArrayLike<number>;
  readonly Y: ArrayLike<number>;
  readonly rows: number;
}

/** Training and test rows. */
export interface NetworkSplit {
  readonly train: NetworkData;
  readonly test: NetworkData;
}

/** One-hot rows (rows × classes) of integer labels in [0, classes). */
export function oneHot(labels: ArrayLike<number>, classes: number): Float64Array {
  const out = new Float64Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const k = labels[i] as number;
    if (!(Number.isInteger(k) && k >= 0 && k < classes)) {
      throw new RangeError(`label ${k} at row ${i} is not a class in [0, ${classes})`);
    }
    out[i * classes + k] = 1;
  }
  return out;
}

/** Mean loss and, for the classifiers, accuracy of outputs against targets, in float64. */
export interface OutputScore {
  readonly loss: number;
  /** Fraction of rows classified right (undefined for `squared`). */
  readonly accuracy?: number;
}

/**
 * Scores outputs Z (rows × outputs) read back from a backend against targets Y, in float64 on
 * the host, with the same stable forms as the device losses. A softmax row counts as right when
 * its largest output (the first, on a tie) is the labelled class; a logistic row when z > 0
 * matches y = 1.
 */
export function scoreOutputs(
  loss: OutputLoss,
  Z: ArrayLike<number>,
  Y: ArrayLike<number>,
  rows: number,
  outputs: number,
): OutputScore {
  let total = 0;
  let right = 0;
  for (let i = 0; i < rows; i++) {
    if (loss === "squared") {
      for (let k = 0; k < outputs; k++) {
        const r = (Z[i * outputs + k] as number) - (Y[i * outputs + k] as number);
        total += 0.5 * r * r;
      }
    } else if (loss === "logistic") {
      const z = Z[i] as number;
      const y = Y[i] as number;
      total += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - y * z;
      if ((z > 0 ? 1 : 0) === y) right++;
    } else {
      let best = 0;
      let m = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < outputs; k++) {
        const z = Z[i * outputs + k] as number;
        if (z > m) {
          m = z;
          best = k;
        }
      }
      let s = 0;
      let yz = 0;
      for (let k = 0; k < outputs; k++) {
        const z = Z[i * outputs + k] as number;
        s += Math.exp(z - m);
        yz += (Y[i * outputs + k] as number) * (z - m);
      }
      total += Math.log(s) - yz;
      if ((Y[i * outputs + best] as number) === 1) right++;
    }
  }
  return { loss: total / rows, accuracy: loss === "squared" ? undefined : right / rows };
}

/** Settings of one network run. */
export interface NetworkTrainOptions {
  readonly epochs: number;
  /** Learning rate η > 0. */
  readonly lr: number;
  readonly batchSize: number;
  /** Seeds the initial parameters and the minibatch order. */
  readonly seed: number;
  /** Evaluate every this many epochs, and after the last (1). */
  readonly evalEvery?: number;
  /** The optimizer (plain SGD by default), as `train`'s; decay coupled unless adamw. */
  readonly optimizer?: TrainOptimizer;
  /** How parameters are grouped and each group's λ (by default: weights decayed, biases not). */
  readonly grouping: GroupingOptions;
  /** Initial weights' scale (see {@link NetworkInit}), or the initial values themselves. */
  readonly init?: NetworkInit | readonly ArrayLike<number>[];
  readonly onEvaluate?: (point: NetworkHistoryPoint) => void;
  /** Called after every epoch; training awaits it when it returns a promise. */
  readonly onEpoch?: (epoch: number, epochs: number) => void | Promise<void>;
  /** Stops training between epochs; the run rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** Losses (without penalty) and accuracies after an epoch. */
export interface NetworkHistoryPoint {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly testLoss: number;
  readonly trainAccuracy?: number;
  readonly testAccuracy?: number;
}

/** A trained parameter. */
export interface TrainedParameter extends ParameterInfo {
  /** Row-major values. */
  readonly values: Float64Array;
  /** Its group. */
  readonly group: string;
}

/** What a network run returns. */
export interface NetworkTrainResult {
  readonly spec: NetworkSpec;
  readonly grouping: ParameterGrouping;
  readonly history: NetworkHistoryPoint[];
  readonly parameters: TrainedParameter[];
  /** The last evaluation point. */
  readonly final: NetworkHistoryPoint;
}

function checkData(spec: NetworkSpec, data: NetworkData, which: string): void {
  const { rows } = data;
  if (!(Number.isInteger(rows) && rows >= 1)) {
    throw new RangeError(`${which}: rows must be an integer ≥ 1, got ${rows}`);
  }
  if (data.X.length !== rows * spec.inputs) {
    throw new RangeError(`${which}: X has ${data.X.length} values, not ${rows} × ${spec.inputs}`);
  }
  if (data.Y.length !== rows * spec.outputs) {
    throw new RangeError(`${which}: Y has ${data.Y.length} values, not ${rows} × ${spec.outputs}`);
  }
}

function checkOptions(options: NetworkTrainOptions, rows: number): void {
  const { epochs, lr, batchSize, seed, evalEvery = 1 } = options;
  if (!(Number.isInteger(epochs) && epochs >= 1)) {
    throw new RangeError(`epochs must be an integer ≥ 1, got ${epochs}`);
  }
  if (!(Number.isFinite(lr) && lr > 0))
    throw new RangeError(`lr must be a finite number > 0, got ${lr}`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= rows)) {
    throw new RangeError(`batchSize must be an integer in [1, ${rows}], got ${batchSize}`);
  }
  if (!(Number.isInteger(seed) && seed >= 0)) {
    throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
  }
  if (!(Number.isInteger(evalEvery) && evalEvery >= 1)) {
    throw new RangeError(`evalEvery must be an integer ≥ 1, got ${evalEvery}`);
  }
}

/**
 * Trains a network (see the module comment). Every setting is checked before anything is
 * allocated on the backend; every tensor the run allocates is freed when it ends, however it
 * ends.
 *
 * @throws RangeError on a bad spec, data or option; the signal's reason when aborted
 */
export async function trainNetwork(
  backend: Backend,
  spec: NetworkSpec,
  data: NetworkSplit,
  options: NetworkTrainOptions,
): Promise<NetworkTrainResult> {
  checkNetworkSpec(spec);
  checkData(spec, data.train, "train");
  checkData(spec, data.test, "test");
  checkOptions(options, data.train.rows);
  const infos = networkParameters(spec);
  const grouping = groupParameters(infos, options.grouping);
  const opt = options.optimizer ?? { kind: "sgd" };
  const decay = opt.decay ?? (opt.kind === "adamw" ? "decoupled" : "coupled");
  const init = options.init;
  const start = Array.isArray(init)
    ? (init as readonly ArrayLike<number>[])
    : initialParameters(spec, options.seed, (init ?? {}) as NetworkInit);
  if (start.length !== infos.length) {
    throw new RangeError(`init must hold ${infos.length} arrays, got ${start.length}`);
  }
  infos.forEach((p, i) => {
    if ((start[i] as ArrayLike<number>).length !== p.shape[0] * p.shape[1]) {
      throw new RangeError(`init for ${p.name} must hold ${p.shape[0] * p.shape[1]} values`);
    }
  });

  const owned: Tensor[] = [];
  const upload = (values: ArrayLike<number>, rows: number, cols: number, dtype?: "int32") => {
    const t = backend.upload(values, [rows, cols], dtype);
    owned.push(t);
    return t;
  };
  let optimizer: ReturnType<typeof createOptimizer> | undefined;
  try {
    const params = infos.map((p, i) => upload(start[i] as ArrayLike<number>, ...p.shape));
    const Xtr = upload(data.train.X, data.train.rows, spec.inputs);
    const Ytr = upload(data.train.Y, data.train.rows, spec.outputs);
    const Xte = upload(data.test.X, data.test.rows, spec.inputs);
    const schedule = new MinibatchSchedule(data.train.rows, options.batchSize, options.seed);
    const order = upload(schedule.order, data.train.rows, 1, "int32");
    const groups: ParamGroup[] = grouping.groups.map((g) => ({
      params: g.indices.map((i) => params[i] as Tensor),
      weightDecay: g.weightDecay,
      lrMultiplier: g.lrMultiplier,
      l1: g.l1,
      ...(g.decay ? { decay: g.decay } : {}),
    }));
    optimizer = createOptimizer(backend, {
      kind: opt.kind,
      lr: opt.lrSchedule ?? options.lr,
      weightDecay: 0,
      decay,
      groups,
      ...(opt.decoupledScaling ? { decoupledScaling: opt.decoupledScaling } : {}),
      ...(opt.momentum !== undefined ? { momentum: opt.momentum } : {}),
      ...(opt.beta1 !== undefined ? { beta1: opt.beta1 } : {}),
      ...(opt.beta2 !== undefined ? { beta2: opt.beta2 } : {}),
      ...(opt.eps !== undefined ? { eps: opt.eps } : {}),
      ...(opt.decaySchedule ? { decaySchedule: opt.decaySchedule } : {}),
    });
    const score = async (X: Tensor, d: NetworkData) => {
      const Z = networkForward(backend, spec, params, X);
      try {
        return scoreOutputs(spec.loss, await backend.read(Z), d.Y, d.rows, spec.outputs);
      } finally {
        backend.dispose(Z);
      }
    };
    const history: NetworkHistoryPoint[] = [];
    const evalEvery = options.evalEvery ?? 1;
    const run = optimizer;
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      options.signal?.throwIfAborted();
      backend.write(order, schedule.shuffle());
      schedule.forEachBatch((offset, count) => {
        const Xb = backend.gatherRows(Xtr, order, offset, count);
        const Yb = backend.gatherRows(Ytr, order, offset, count);
        let grads: Tensor[] = [];
        try {
          grads = networkGradient(backend, spec, params, Xb, Yb).grads;
          run.step(grouping.groups.map((g) => g.indices.map((i) => grads[i] as Tensor)));
        } finally {
          disposeAll(backend, [Xb, Yb, ...grads]);
        }
      });
      if (epoch % evalEvery === 0 || epoch === options.epochs) {
        const tr = await score(Xtr, data.train);
        const te = await score(Xte, data.test);
        const point: NetworkHistoryPoint = {
          epoch,
          trainLoss: tr.loss,
          testLoss: te.loss,
          ...(tr.accuracy !== undefined ? { trainAccuracy: tr.accuracy } : {}),
          ...(te.accuracy !== undefined ? { testAccuracy: te.accuracy } : {}),
        };
        history.push(point);
        options.onEvaluate?.(point);
      }
      await options.onEpoch?.(epoch, options.epochs);
    }
    const values = await Promise.all(params.map((p) => backend.read(p)));
    return {
      spec,
      grouping,
      history,
      parameters: infos.map((info, i) => ({
        ...info,
        values: values[i] as Float64Array,
        group: grouping.groupOf[i] as string,
      })),
      final: history[history.length - 1] as NetworkHistoryPoint,
    };
  } finally {
    optimizer?.dispose();
    disposeAll(backend, owned);
  }
}
