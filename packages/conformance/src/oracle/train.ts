/**
 * The oracle's training loop: what core's `train`, `trainGrid` and `trainMultiOutput` are
 * documented to compute, written out on the host in float64 — the chapter's initial weights and
 * per-epoch row orders (drawn from core's seeded generator, the one source of randomness every
 * backend shares), minibatches of consecutive rows with a partial last one, the scratch and
 * concise methods, L2, L1 and elastic-net penalties, parameter-group multipliers and a
 * per-feature mask, core's optimizers with their schedules, and the evaluations of the history.
 */
import { type DataSplit, Rng, Stream } from "@wdecay/core";
import { OracleOptimizer, oracleSchedule, type ScheduleSpec } from "./optimizer.js";
import { type OracleData, type OracleParams, oracleLoss, oracleSgdStep } from "./sgd.js";

/** A training run's settings, as core's `GridOptions` states them, with schedules as data. */
export interface OracleTrainOptions {
  readonly method: "scratch" | "concise";
  readonly lambdas: readonly number[];
  readonly penalty?: "l2" | "l1" | "elastic";
  readonly alpha?: number;
  readonly epochs: number;
  readonly lr: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly evalEvery?: number;
  readonly initStd?: number;
  readonly paramGroups?: {
    readonly weight?: number;
    readonly bias?: number;
    readonly weightMask?: readonly number[];
  };
  readonly optimizer?: {
    readonly kind: "sgd" | "momentum" | "adam" | "adamw";
    readonly decay?: "coupled" | "decoupled";
    readonly decoupledScaling?: "lr" | "none";
    readonly momentum?: number;
    readonly beta1?: number;
    readonly beta2?: number;
    readonly eps?: number;
    readonly lrSchedule?: ScheduleSpec;
    readonly decaySchedule?: ScheduleSpec;
  };
}

export interface OracleHistoryPoint {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly testLoss: number;
}

export interface OracleTrainResult {
  /** One history per weight column. */
  readonly histories: OracleHistoryPoint[][];
  /** W, d×L row-major, and b, length L, after the last epoch. */
  readonly params: OracleParams;
}

/**
 * How values are stored: identity for the exact oracle; a rounding (or a rounding-sized
 * perturbation) to measure how much this very trajectory moves when every stored value does.
 */
export type Storage = (value: number, index: number) => number;

const exact: Storage = (v) => v;

function dataOf(set: DataSplit["train"], store: Storage): OracleData {
  return {
    X: set.X.map(store),
    y: set.y.map(store),
    n: set.n,
    d: set.d,
    k: set.outputs ?? 1,
  };
}

/**
 * Trains L = lambdas.length columns side by side, as core's training loop is documented to.
 * `store` is applied to the data and the initial weights, and to the parameters after every step.
 */
export function oracleTrain(
  split: DataSplit,
  options: OracleTrainOptions,
  store: Storage = exact,
): OracleTrainResult {
  const { method, lambdas, epochs, lr, batchSize, seed } = options;
  const evalEvery = options.evalEvery ?? 5;
  const train = dataOf(split.train, store);
  const test = dataOf(split.test, store);
  const { n, d } = train;
  const L = lambdas.length;
  const weightMult = options.paramGroups?.weight ?? 1;
  const biasMult = options.paramGroups?.bias ?? 0;
  const mask = options.paramGroups?.weightMask;
  const alpha =
    options.penalty === "l1" ? 1 : options.penalty === "elastic" ? (options.alpha as number) : 0;
  const l2 = lambdas.map((lambda) => lambda * (1 - alpha));
  const l1 = lambdas.map((lambda) => lambda * alpha);
  const concise = method === "concise";

  const w0 = new Rng(seed, Stream.init).fillNormal(new Float64Array(d), 0, options.initStd ?? 1);
  const params: OracleParams = { W: new Float64Array(d * L), b: new Float64Array(L) };
  for (let j = 0; j < d; j++) {
    for (let l = 0; l < L; l++) params.W[j * L + l] = store(w0[j] as number, j * L + l);
  }
  const shuffles = new Rng(seed, Stream.shuffle);

  const viaOptimizer = options.optimizer !== undefined || mask !== undefined;
  let step: (rows: number[]) => void;
  if (!viaOptimizer) {
    const reg = {
      weightPenalty: l2.map((v) => (concise ? 0 : v)),
      weightDecay: l2.map((v) => (concise ? v * weightMult : 0)),
      biasDecay: l2.map((v) => (concise ? v * biasMult : 0)),
      weightL1: l1.map((v) => (concise ? v * weightMult : v)),
    };
    step = (rows) => oracleSgdStep(train, params, reg, rows, lr);
  } else {
    const opt = options.optimizer ?? { kind: "sgd" as const };
    const maskOf = (j: number) => mask?.[j] ?? 1;
    const decayMask = new Float64Array(d * L);
    for (let j = 0; j < d; j++) {
      for (let l = 0; l < L; l++) decayMask[j * L + l] = (l2[l] as number) * maskOf(j) * weightMult;
    }
    const optimizer = new OracleOptimizer(
      {
        kind: opt.kind,
        lr: opt.lrSchedule ? oracleSchedule(opt.lrSchedule) : () => lr,
        ...(opt.momentum !== undefined ? { momentum: opt.momentum } : {}),
        ...(opt.beta1 !== undefined ? { beta1: opt.beta1 } : {}),
        ...(opt.beta2 !== undefined ? { beta2: opt.beta2 } : {}),
        ...(opt.eps !== undefined ? { eps: opt.eps } : {}),
        ...(opt.decoupledScaling !== undefined ? { decoupledScaling: opt.decoupledScaling } : {}),
        ...(opt.decaySchedule ? { decaySchedule: oracleSchedule(opt.decaySchedule) } : {}),
        weightDecay: concise ? 1 : 0,
        decay: opt.decay ?? (opt.kind === "adamw" ? "decoupled" : "coupled"),
      },
      concise
        ? [
            { params: [params.W], mask: decayMask },
            { params: [params.b], mask: l2.map((v) => v * biasMult) },
          ]
        : [{ params: [params.W] }, { params: [params.b] }],
    );
    step = (rows) => {
      // The data gradient of the batch, plus the scratch method's penalty λ_l·m_j·w_jl.
      const gW = new Float64Array(d * L);
      const gb = new Float64Array(L);
      for (let l = 0; l < L; l++) {
        for (const i of rows) {
          let r = params.b[l] as number;
          for (let j = 0; j < d; j++)
            r += (train.X[i * d + j] as number) * (params.W[j * L + l] as number);
          r -= train.y[i * train.k + (train.k === 1 ? 0 : l)] as number;
          gb[l] = (gb[l] as number) + r / rows.length;
          for (let j = 0; j < d; j++) {
            gW[j * L + l] =
              (gW[j * L + l] as number) + ((train.X[i * d + j] as number) * r) / rows.length;
          }
        }
        if (!concise) {
          for (let j = 0; j < d; j++) {
            gW[j * L + l] =
              (gW[j * L + l] as number) +
              (l2[l] as number) * maskOf(j) * (params.W[j * L + l] as number);
          }
        }
      }
      optimizer.step([[gW], [gb]]);
    };
  }

  const histories: OracleHistoryPoint[][] = lambdas.map(() => []);
  const order = new Int32Array(n);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    shuffles.permutation(n, order);
    for (let offset = 0; offset < n; offset += batchSize) {
      step(Array.from(order.subarray(offset, Math.min(n, offset + batchSize))));
      params.W.forEach((v, i) => {
        params.W[i] = store(v, i);
      });
      params.b.forEach((v, i) => {
        params.b[i] = store(v, params.W.length + i);
      });
    }
    if (epoch % evalEvery === 0 || epoch === epochs) {
      const tr = oracleLoss(train, params);
      const te = oracleLoss(test, params);
      for (let l = 0; l < L; l++) {
        histories[l]?.push({ epoch, trainLoss: tr[l] as number, testLoss: te[l] as number });
      }
    }
  }
  return { histories, params };
}
