/**
 * Identity 21, against the oracle: core's training loop (`train`, `trainGrid`,
 * `trainMultiOutput`) on the backend under test gives the weights, biases, histories and final
 * losses of the float64 host oracle's training loop (../oracle), which is written from the
 * documented semantics and shares no code with core's loop, its compositions or any backend.
 * The draws cover what the chapter's settings never reach: partial last minibatches, λ grids and
 * multi-output targets, L1 and elastic-net penalties, parameter-group multipliers and masks,
 * every optimizer with its decay placement, and learning-rate and decay schedules.
 */
import {
  type Backend,
  type DataSplit,
  type GridOptions,
  type Schedule,
  schedules,
  syntheticSplit,
  type TrainOptimizer,
  train,
  trainGrid,
  trainMultiOutput,
} from "@wdecay/core";
import fc from "fast-check";
import {
  type OracleHistoryPoint,
  type OracleTrainOptions,
  oracleTrain,
  type ScheduleSpec,
  type Storage,
} from "../oracle/index.js";
import { defineProperty } from "../property.js";
import {
  type Meter,
  SAFETY,
  sumTolerance,
  trajectoryTolerance,
  unitRoundoff,
} from "../tolerance.js";

/** What one run draws. */
export interface LoopSettings {
  readonly seed: number;
  readonly mode: "train" | "grid" | "multi";
  readonly nTrain: number;
  readonly nTest: number;
  readonly dims: number;
  readonly outputs: number;
  readonly options: Omit<OracleTrainOptions, "lr" | "optimizer"> & {
    readonly optimizer?: Omit<NonNullable<OracleTrainOptions["optimizer"]>, "lrSchedule"> & {
      /** A schedule of the factor applied to the stable learning rate. */
      readonly lrSchedule?: ScheduleSpec;
    };
  };
}

const lambdaArb = fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 2, noNaN: true }));

/** Schedules of a factor that starts at 1: constant, step drops, cosine, each maybe warmed up. */
const scheduleArb: fc.Arbitrary<ScheduleSpec> = fc
  .oneof(
    fc.record({ kind: fc.constant("constant" as const), value: fc.constant(1) }),
    fc.record({
      kind: fc.constant("step" as const),
      value: fc.constant(1),
      every: fc.integer({ min: 1, max: 3 }),
      factor: fc.constantFrom(0, 0.1, 0.5),
    }),
    fc.record({
      kind: fc.constant("cosine" as const),
      value: fc.constant(1),
      total: fc.integer({ min: 1, max: 8 }),
      min: fc.constantFrom(0, 0.1),
    }),
  )
  .chain((spec) =>
    fc
      .option(fc.integer({ min: 1, max: 4 }), { nil: undefined })
      .map((warmup) => (warmup === undefined ? spec : { ...spec, warmup })),
  );

const optimizerArb = fc
  .oneof(
    fc.record({ kind: fc.constant("sgd" as const) }),
    fc.record({ kind: fc.constant("momentum" as const), momentum: fc.constantFrom(0, 0.5, 0.9) }),
    fc.record({
      kind: fc.constantFrom("adam" as const, "adamw" as const),
      beta1: fc.constantFrom(0.9, 0.5),
      beta2: fc.constantFrom(0.999, 0.9),
      // Not tiny: Adam's step is Lipschitz in the gradient only through ε.
      eps: fc.constantFrom(0.1, 0.5),
    }),
  )
  .chain((base) =>
    fc
      .record({
        kind: fc.constant(base.kind),
        ...("momentum" in base ? { momentum: fc.constant(base.momentum) } : {}),
        ...("beta1" in base
          ? {
              beta1: fc.constant(base.beta1),
              beta2: fc.constant(base.beta2),
              eps: fc.constant(base.eps),
            }
          : {}),
        decay:
          base.kind === "adamw"
            ? fc.constant("decoupled" as const)
            : fc.constantFrom("coupled" as const, "decoupled" as const),
        lrSchedule: fc.option(scheduleArb, { nil: undefined }),
        decaySchedule: fc.option(scheduleArb, { nil: undefined }),
      })
      .chain((o) =>
        o.decay === "decoupled"
          ? fc
              .constantFrom("lr" as const, "none" as const)
              .map((decoupledScaling) => ({ ...o, decoupledScaling }))
          : fc.constant(o),
      ),
  );

function settingsArb(
  routes: readonly ("sgd" | "optimizer" | "mask")[],
): fc.Arbitrary<LoopSettings> {
  return fc
    .record({
      seed: fc.nat({ max: 1_000_000 }),
      mode: fc.constantFrom("train" as const, "grid" as const, "multi" as const),
      nTrain: fc.integer({ min: 1, max: 12 }),
      nTest: fc.integer({ min: 1, max: 4 }),
      dims: fc.integer({ min: 1, max: 9 }),
      // Concise more often: that is where decay multipliers, masks and schedules act.
      method: fc.constantFrom("scratch" as const, "concise" as const, "concise" as const),
      epochs: fc.integer({ min: 1, max: 4 }),
      evalEvery: fc.integer({ min: 1, max: 3 }),
      initStd: fc.constantFrom(1, 0.5),
      // Through an optimizer (or with a mask) the penalty is L2; otherwise any of the three.
      route: fc.constantFrom(...routes),
    })
    .chain((s) =>
      fc.record({
        base: fc.constant(s),
        batchSize: fc.integer({ min: 1, max: s.nTrain }),
        lambdas: fc.array(lambdaArb, {
          minLength: s.mode === "grid" ? 2 : 1,
          maxLength: s.mode === "grid" ? 3 : 1,
        }),
        outputs: s.mode === "multi" ? fc.integer({ min: 2, max: 3 }) : fc.constant(1),
        penalty:
          s.route === "sgd"
            ? fc.constantFrom("l2" as const, "l1" as const, "elastic" as const)
            : fc.constant("l2" as const),
        alpha: fc.double({ min: 0, max: 1, noNaN: true }),
        weight: fc.constantFrom(1, 0.5, 0),
        bias: fc.constantFrom(0, 1, 0.5),
        mask:
          s.route === "mask"
            ? fc.array(fc.constantFrom(0, 1, 0.5), { minLength: s.dims, maxLength: s.dims })
            : fc.constant(undefined),
        optimizer: s.route === "optimizer" ? optimizerArb : fc.constant(undefined),
      }),
    )
    .map(
      ({ base, batchSize, lambdas, outputs, penalty, alpha, weight, bias, mask, optimizer }) => ({
        seed: base.seed,
        mode: base.mode,
        nTrain: base.nTrain,
        nTest: base.nTest,
        dims: base.dims,
        outputs,
        options: {
          method: base.method,
          lambdas:
            base.mode === "multi"
              ? Array.from({ length: outputs }, () => lambdas[0] as number)
              : lambdas,
          penalty,
          ...(penalty === "elastic" ? { alpha } : {}),
          epochs: base.epochs,
          batchSize,
          seed: base.seed,
          evalEvery: base.evalEvery,
          initStd: base.initStd,
          paramGroups: { weight, bias, ...(mask ? { weightMask: mask } : {}) },
          ...(optimizer ? { optimizer } : {}),
        },
      }),
    );
}

/** Core's schedule for a spec, scaled by `scale` (the stable learning rate, or 1 for decay). */
function coreSchedule(spec: ScheduleSpec, scale: number): Schedule {
  const v = spec.value * scale;
  const inner =
    spec.kind === "constant"
      ? schedules.constant(v)
      : spec.kind === "step"
        ? schedules.step(v, { every: spec.every, factor: spec.factor })
        : schedules.cosine(v, { total: spec.total, min: (spec.min ?? 0) * scale });
  return spec.warmup ? schedules.warmup(inner, { steps: spec.warmup }) : inner;
}

function scaled(spec: ScheduleSpec, scale: number): ScheduleSpec {
  return spec.kind === "cosine"
    ? { ...spec, value: spec.value * scale, min: (spec.min ?? 0) * scale }
    : { ...spec, value: spec.value * scale };
}

/**
 * A learning rate at which every minibatch step is stable: half the inverse of the largest
 * curvature, max‖xᵢ‖² + 1 (the bias) + λ; Adam's steps are normalized, so it gets at most 0.05.
 */
function stableLr(split: DataSplit, lambdaMax: number, adam: boolean): number {
  const { X, n, d } = split.train;
  let rowMax = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += (X[i * d + j] as number) ** 2;
    rowMax = Math.max(rowMax, s);
  }
  const lr = 0.5 / (rowMax + 1 + lambdaMax);
  return adam ? Math.min(lr, 0.05) : lr;
}

/** The oracle's final state and histories. */
interface OracleView {
  readonly W: Float64Array;
  readonly b: Float64Array;
  readonly histories: readonly (readonly OracleHistoryPoint[])[];
  readonly d: number;
  readonly L: number;
}

/** A figure a result reports, and how the oracle's run gives it. */
interface Reported {
  readonly what: string;
  readonly got: number;
  readonly expected: (o: OracleView) => number;
  /** Whether it is a loss (else a norm or λ), for its tolerance. */
  readonly loss: boolean;
}

/** The backend's results in the oracle's shape: W d×L, b, the evaluated epochs, the figures. */
interface LoopResult {
  readonly W: Float64Array;
  readonly b: Float64Array;
  readonly epochs: readonly number[];
  readonly reported: readonly Reported[];
}

function norm(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += (values[i] as number) ** 2;
  return Math.sqrt(s);
}

function columnOf(W: ArrayLike<number>, d: number, L: number, l: number): number[] {
  return Array.from({ length: d }, (_, j) => W[j * L + l] as number);
}

const point = (o: OracleView, l: number, e: number) =>
  (o.histories[l] as readonly OracleHistoryPoint[])[e] as OracleHistoryPoint;
const lastPoint = (o: OracleView, l: number) =>
  point(o, l, (o.histories[l] as readonly OracleHistoryPoint[]).length - 1);

async function runOnBackend(
  backend: Backend,
  split: DataSplit,
  s: LoopSettings,
  lr: number,
  optimizer: TrainOptimizer | undefined,
): Promise<LoopResult> {
  const { lambdas, optimizer: _spec, ...rest } = s.options;
  const common: Omit<GridOptions, "lambdas" | "onEvaluate"> = {
    ...rest,
    lr,
    ...(optimizer ? { optimizer } : {}),
  };
  const d = s.dims;
  const L = lambdas.length;
  const loss = (what: string, got: number, expected: (o: OracleView) => number): Reported => ({
    what,
    got,
    expected,
    loss: true,
  });
  if (s.mode === "multi") {
    const r = await trainMultiOutput(backend, split, { ...common, lambda: lambdas[0] as number });
    const summed = (e: number, key: "trainLoss" | "testLoss") => (o: OracleView) =>
      o.histories.reduce((acc, _, l) => acc + point(o, l, e)[key], 0);
    return {
      W: r.weights,
      b: r.biases,
      epochs: r.history.map((p) => p.epoch),
      reported: [
        ...r.history.flatMap((p, e) => [
          loss(`summed train loss at epoch ${p.epoch}`, p.trainLoss, summed(e, "trainLoss")),
          loss(`summed test loss at epoch ${p.epoch}`, p.testLoss, summed(e, "testLoss")),
        ]),
        loss("trainLoss", r.trainLoss, summed(r.history.length - 1, "trainLoss")),
        loss("testLoss", r.testLoss, summed(r.history.length - 1, "testLoss")),
        ...r.outputLosses.flatMap((o, l) => [
          loss(`output ${l} trainLoss`, o.trainLoss, (v) => lastPoint(v, l).trainLoss),
          loss(`output ${l} testLoss`, o.testLoss, (v) => lastPoint(v, l).testLoss),
        ]),
        { what: "‖W‖_F", got: r.frobeniusNorm, expected: (v) => norm(v.W), loss: false },
      ],
    };
  }
  const results =
    s.mode === "train"
      ? [await train(backend, split, { ...common, lambda: lambdas[0] as number })]
      : await trainGrid(backend, split, { ...common, lambdas });
  const W = new Float64Array(d * L);
  results.forEach((r, l) => {
    r.weights.forEach((v, j) => {
      W[j * L + l] = v;
    });
  });
  return {
    W,
    b: Float64Array.from(results.map((r) => r.bias)),
    epochs: (results[0]?.history ?? []).map((p) => p.epoch),
    reported: results.flatMap((r, l) => [
      ...r.history.flatMap((p, e) => [
        loss(
          `column ${l} train loss at epoch ${p.epoch}`,
          p.trainLoss,
          (v) => point(v, l, e).trainLoss,
        ),
        loss(
          `column ${l} test loss at epoch ${p.epoch}`,
          p.testLoss,
          (v) => point(v, l, e).testLoss,
        ),
      ]),
      loss(`column ${l} trainLoss`, r.trainLoss, (v) => lastPoint(v, l).trainLoss),
      loss(`column ${l} testLoss`, r.testLoss, (v) => lastPoint(v, l).testLoss),
      {
        what: `column ${l} ‖w‖`,
        got: r.l2Norm,
        expected: (v: OracleView) => norm(columnOf(v.W, v.d, v.L, l)),
        loss: false,
      },
      { what: `column ${l} λ`, got: r.lambda, expected: () => lambdas[l] as number, loss: false },
    ]),
  };
}

/**
 * A rounding-sized perturbation of every stored value: the precision's rounding for float32,
 * ±1 ulp-sized for float64 (where rounding to the precision is the identity).
 */
function perturbation(precision: "float32" | "float64"): Storage {
  if (precision === "float32") return (v) => Math.fround(v);
  const u = unitRoundoff("float64");
  return (v, i) => v * (1 + (i % 2 === 0 ? u : -u));
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] as number));
  return m;
}

/**
 * The tolerance of a parameter: the policy's bound for `steps` steps whose sums have `terms`
 * terms at magnitude `scale` (errors carried, not amplified, by a stable step; momentum's buffer
 * multiplies them by at most 1/(1 − μ)), plus 8× how far this trajectory moves when every
 * stored value is perturbed by a rounding, which measures the amplification the first bound
 * does not model (Adam's normalized step, say).
 */
function parameterTolerance(
  precision: "float32" | "float64",
  steps: number,
  terms: number,
  scale: number,
  momentum: number,
  sensitivity: number,
): number {
  return (
    (SAFETY * trajectoryTolerance(precision, steps, terms, scale)) / (1 - momentum) +
    8 * sensitivity
  );
}

function compareLoop(
  meter: Meter,
  precision: "float32" | "float64",
  split: DataSplit,
  s: LoopSettings,
  lr: number,
  got: LoopResult,
  oracle: OracleView,
  perturbed: OracleView,
): void {
  const { n, d } = split.train;
  const L = oracle.L;
  const steps = s.options.epochs * Math.ceil(n / s.options.batchSize);
  const xMax = Math.max(maxAbs(split.train.X), maxAbs(split.test.X));
  const yMax = Math.max(maxAbs(split.train.y), maxAbs(split.test.y));
  const wMax = Math.max(maxAbs(oracle.W), maxAbs(perturbed.W), 1);
  const bMax = Math.max(maxAbs(oracle.b), 1);
  // A residual's terms, then a step's: the gradient's sums and the update's.
  const A = d * xMax * wMax + bMax + yMax;
  const lambdaMax = Math.max(...s.options.lambdas, 0);
  const scale = wMax + bMax + lr * ((xMax + 1) * A + 2 * lambdaMax * wMax);
  const momentum =
    s.options.optimizer?.momentum ?? (s.options.optimizer?.kind === "momentum" ? 0.9 : 0);
  const sensitivity = Math.max(maxDiff(oracle.W, perturbed.W), maxDiff(oracle.b, perturbed.b));
  const tol = parameterTolerance(precision, steps, n + d + 4, scale, momentum, sensitivity);
  for (let j = 0; j < d; j++) {
    for (let l = 0; l < L; l++) {
      meter.value(
        got.W[j * L + l] as number,
        oracle.W[j * L + l] as number,
        tol,
        `w[${j}, column ${l}]`,
      );
    }
  }
  for (let l = 0; l < L; l++)
    meter.value(got.b[l] as number, oracle.b[l] as number, tol, `b[column ${l}]`);
  // A loss at parameters off by δ: its own rounding over n(d + 4) terms, plus its gradient's
  // magnitude times δ (first order) and ½·(‖x‖₁ + 1)²·δ² (second).
  const nMax = Math.max(n, split.test.n);
  const lossTol = (loss: number) =>
    2 * sumTolerance(precision, nMax * (d + 4), 0.5 * A * A) +
    Math.sqrt(2 * Math.abs(loss)) * (d * xMax + 1) * tol +
    0.5 * (d * xMax + 1) ** 2 * tol * tol;
  const expectedEpochs = (oracle.histories[0] ?? []).map((p) => p.epoch);
  meter.holds(
    got.epochs.length === expectedEpochs.length &&
      got.epochs.every((epoch, e) => epoch === expectedEpochs[e]),
    `evaluated at epochs ${got.epochs.join(",")}, expected ${expectedEpochs.join(",")}`,
  );
  for (const r of got.reported) {
    let expected: number;
    try {
      expected = r.expected(oracle);
    } catch {
      continue; // an evaluation the oracle did not make: reported by the epochs above
    }
    // A loss (or a sum of L of them), or a norm of parameters each within tol.
    const t = r.loss ? L * lossTol(Math.abs(expected)) : Math.sqrt(d * L) * tol;
    meter.value(r.got, expected, t, r.what);
  }
}

async function checkLoop(backend: Backend, s: LoopSettings, meter: Meter): Promise<void> {
  const split = syntheticSplit(
    s.seed,
    { nTrain: s.nTrain, nTest: s.nTest, dims: s.dims },
    s.outputs > 1 ? { outputs: s.outputs } : {},
  );
  const opt = s.options.optimizer;
  const adam = opt?.kind === "adam" || opt?.kind === "adamw";
  const lr = stableLr(split, Math.max(...s.options.lambdas, 0), adam);
  let coreOptimizer: TrainOptimizer | undefined;
  if (opt) {
    const { lrSchedule, decaySchedule, ...rule } = opt;
    coreOptimizer = {
      ...rule,
      ...(lrSchedule ? { lrSchedule: coreSchedule(lrSchedule, lr) } : {}),
      ...(decaySchedule ? { decaySchedule: coreSchedule(decaySchedule, 1) } : {}),
    };
  }
  const oracleOptions: OracleTrainOptions = {
    ...s.options,
    lr,
    ...(opt
      ? {
          optimizer: {
            ...opt,
            ...(opt.lrSchedule ? { lrSchedule: scaled(opt.lrSchedule, lr) } : {}),
          },
        }
      : {}),
  };
  const got = await runOnBackend(backend, split, s, lr, coreOptimizer);
  const view = (r: ReturnType<typeof oracleTrain>): OracleView => ({
    W: r.params.W,
    b: r.params.b,
    histories: r.histories,
    d: s.dims,
    L: s.options.lambdas.length,
  });
  const oracle = view(oracleTrain(split, oracleOptions));
  const perturbed = view(oracleTrain(split, oracleOptions, perturbation(backend.precision)));
  compareLoop(meter, backend.precision, split, s, lr, got, oracle, perturbed);
}

export const agreesWithOracle = defineProperty({
  id: "id-21",
  name: "train, trainGrid and trainMultiOutput by SGD (weights, biases, histories, final losses; L2, L1, elastic net, group multipliers) agree with the float64 host oracle's training loop",
  source: "IDENTITIES.md 21",
  arbitrary: settingsArb(["sgd"]),
  check: ({ backend }, s, meter) => checkLoop(backend, s, meter),
});

export const optimizerTrainingAgreesWithOracle = defineProperty({
  id: "optim-train",
  name: "training through core's optimizers (every kind, decay placement, lr and decay schedules, group multipliers, masks) agrees with the float64 host oracle",
  source: "IDENTITIES.md 21, 27; core TrainOptions.optimizer",
  arbitrary: settingsArb(["optimizer", "optimizer", "mask"]),
  check: ({ backend }, s, meter) => checkLoop(backend, s, meter),
});

export const TRAINING_PROPERTIES = [agreesWithOracle, optimizerTrainingAgreesWithOracle];
