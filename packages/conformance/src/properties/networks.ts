/**
 * Networks and classifiers: the network primitives against host maps (exp, log, relu, step, row
 * and column max), ReLU composed from the linear primitives against the primitive, the analytic
 * backpropagation of every output loss against float64 central differences of the host
 * network's loss (identity 26), and parameter groups chosen by rule (identity 27): a group
 * whose λ is 0 is untouched by the decay of every optimizer, a group's learning-rate multiplier
 * scales its step, and Adam + L2 differs from AdamW on a network's weights (identity 10).
 */
import {
  type Backend,
  composeRelu,
  createOptimizer,
  groupParameters,
  type NetworkSpec,
  type NetworkUnaryOp,
  networkGradient,
  networkParameters,
  type OptimizerKind,
  type OutputLoss,
  relu,
  trainNetwork,
} from "@wdecay/core";
import fc from "fast-check";
import { dim, shape, unitValues } from "../arbitraries.js";
import {
  centralDifferences,
  gradientMagnitudes,
  type HostParams,
  hostTrainNetwork,
} from "../oracle/network.js";
import { defineProperty, type PropertyContext } from "../property.js";
import { type Keep, scoped, stored } from "../scope.js";
import { gamma, SAFETY, underflowUnit, unitRoundoff } from "../tolerance.js";

const needsNetwork = (backend: Backend): string | undefined =>
  backend.network ? undefined : "the backend has no network primitives (exp, log, max)";

/** Values an op is checked on: order one, wide exponents, zeros and float32 subnormals. */
function opValues(op: NetworkUnaryOp, count: number): fc.Arbitrary<number[]> {
  const value =
    op === "exp"
      ? fc.oneof(
          fc.double({ min: -110, max: 80, noNaN: true }),
          fc.double({ min: -2, max: 2, noNaN: true }),
          // Results in float32's subnormal range, where a flushing device gives 0.
          fc.double({ min: -103, max: -87.5, noNaN: true }),
          fc.constant(0),
        )
      : op === "log"
        ? fc.oneof(
            fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
            fc.double({ min: 0.5, max: 2, noNaN: true }),
            fc.constantFrom(1e-40, 3e-39, 1e-30, 1, 0),
            fc.double({ min: -5, max: -1e-3, noNaN: true }),
          )
        : fc.oneof(
            fc.double({ min: -10, max: 10, noNaN: true }),
            fc.constantFrom(0, -0, 1e-40, -1e-40, 2 ** -149, -(2 ** -149), 3 * 2 ** -149, 1e-300),
          );
  return fc.array(value, { minLength: count, maxLength: count });
}

/**
 * Tolerances of the maps, from WGSL's accuracy table (the loosest of the backends' libraries):
 * exp within 3 + 2|x| ulp, log within 3 ulp or 2⁻²¹ absolute on [0.5, 2]; one ulp is 2u
 * relative. Results that underflow may be off by the smallest subnormal.
 */
function mapTolerance(op: NetworkUnaryOp, x: number, exact: number, backend: Backend): number {
  const u = unitRoundoff(backend.precision);
  const eta = underflowUnit(backend.precision);
  if (op === "relu" || op === "step" || !Number.isFinite(exact)) return 0;
  if (op === "exp") return SAFETY * ((3 + 2 * Math.abs(x)) * 2 * u * Math.abs(exact) + eta);
  return SAFETY * (3 * 2 * u * Math.abs(exact) + 8 * u);
}

export const networkUnary = defineProperty({
  id: "op-network-unary",
  name: "exp, log, relu and step elementwise (log of 0 is −∞, of a negative NaN; relu(−0) = +0)",
  source: "primitive network.unary",
  requires: needsNetwork,
  arbitrary: fc
    .record({ s: shape(), op: fc.constantFrom<NetworkUnaryOp>("exp", "log", "relu", "step") })
    .chain(({ s, op }) =>
      fc.record({ s: fc.constant(s), op: fc.constant(op), a: opValues(op, s[0] * s[1]) }),
    ),
  async check({ backend }, { s, op, a }, meter) {
    const net = backend.network;
    if (!net) return;
    await scoped(backend, async (keep) => {
      const got = await backend.read(keep(net.unary(op, keep(backend.upload(a, s)))));
      stored(a, backend.precision).forEach((x, i) => {
        const exact =
          op === "exp"
            ? Math.exp(x)
            : op === "log"
              ? Math.log(x)
              : op === "relu"
                ? Math.max(x, 0)
                : x > 0
                  ? 1
                  : 0;
        const g = got[i] as number;
        if (op === "relu" && x <= 0) meter.holds(Object.is(g, 0), `relu(${x}) is +0, got ${g}`);
        meter.value(g, exact, mapTolerance(op, x, exact, backend), `${op}(${x})`);
      });
    });
  },
});

export const networkMax = defineProperty({
  id: "op-network-max",
  name: "max over rows (1×c) and over columns (r×1), exactly",
  source: "primitive network.max",
  requires: needsNetwork,
  arbitrary: shape().chain((s) =>
    fc.record({
      s: fc.constant(s),
      axis: fc.constantFrom<0 | 1>(0, 1),
      a: fc.array(
        fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constantFrom(0, -0, 1e-40)),
        { minLength: s[0] * s[1], maxLength: s[0] * s[1] },
      ),
    }),
  ),
  async check({ backend }, { s, axis, a }, meter) {
    const net = backend.network;
    if (!net) return;
    const [r, c] = s;
    const xs = stored(a, backend.precision);
    await scoped(backend, async (keep) => {
      const out = keep(net.max(keep(backend.upload(a, s)), axis));
      meter.holds(
        out.shape[0] === (axis === 0 ? 1 : r) && out.shape[1] === (axis === 0 ? c : 1),
        "shape",
      );
      const got = await backend.read(out);
      const outer = axis === 0 ? c : r;
      for (let o = 0; o < outer; o++) {
        let m = Number.NEGATIVE_INFINITY;
        const inner = axis === 0 ? r : c;
        for (let t = 0; t < inner; t++) {
          m = Math.max(m, xs[axis === 0 ? t * c + o : o * c + t] as number);
        }
        meter.value(got[o] as number, m, 0, `max ${axis === 0 ? "column" : "row"} ${o}`);
      }
    });
  },
});

export const reluComposition = defineProperty({
  id: "fused-relu",
  name: "ReLU composed from abs and axpby equals the relu primitive (and the host map) exactly",
  source: "core relu composition",
  requires: needsNetwork,
  arbitrary: shape().chain((s) => fc.tuple(fc.constant(s), opValues("relu", s[0] * s[1]))),
  async check({ backend }, [s, a], meter) {
    await scoped(backend, async (keep) => {
      const x = keep(backend.upload(a, s));
      const composed = await backend.read(keep(composeRelu(backend, x)));
      const primitive = await backend.read(keep(relu(backend, x)));
      stored(a, backend.precision).forEach((v, i) => {
        meter.value(composed[i] as number, Math.max(v, 0), 0, `composed relu(${v})`);
        meter.value(primitive[i] as number, composed[i] as number, 0, `relu(${v})`);
      });
    });
  },
});

/** A small network, its parameters, inputs and targets, all of order one. */
interface NetworkCase {
  readonly spec: NetworkSpec;
  readonly n: number;
  readonly params: HostParams;
  readonly X: number[];
  readonly Y: number[];
}

function networkCase(loss: OutputLoss): fc.Arbitrary<NetworkCase> {
  return fc
    .record({
      inputs: dim(5),
      hidden: fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 2 }),
      outputs:
        loss === "logistic"
          ? fc.constant(1)
          : fc.integer({ min: loss === "softmax" ? 2 : 1, max: 4 }),
      n: dim(7),
    })
    .chain(({ inputs, hidden, outputs, n }) => {
      const spec: NetworkSpec = { inputs, hidden, outputs, loss };
      const infos = networkParameters(spec);
      const targets =
        loss === "squared"
          ? unitValues(n * outputs, 2)
          : fc
              .array(fc.integer({ min: 0, max: Math.max(1, outputs - 1) }), {
                minLength: n,
                maxLength: n,
              })
              .map((labels) =>
                loss === "logistic"
                  ? labels
                  : labels.flatMap((k) =>
                      Array.from({ length: outputs }, (_, j) => (j === k ? 1 : 0)),
                    ),
              );
      return fc.record({
        spec: fc.constant(spec),
        n: fc.constant(n),
        params: fc.tuple(...infos.map((p) => unitValues(p.shape[0] * p.shape[1], 1.5))),
        X: unitValues(n * inputs, 2),
        Y: targets,
      });
    });
}

function uploadParams(backend: Backend, c: NetworkCase, keep: Keep) {
  return networkParameters(c.spec).map((p, i) =>
    keep(backend.upload(c.params[i] as number[], p.shape)),
  );
}

function backpropProperty(loss: OutputLoss) {
  return defineProperty({
    id: `id-26-${loss}`,
    name: `backpropagation of the ${loss} loss equals float64 central differences, per parameter`,
    source: "IDENTITIES.md 26, 24",
    cost: 3,
    requires: loss === "squared" ? undefined : needsNetwork,
    arbitrary: networkCase(loss),
    async check({ backend }: PropertyContext, c: NetworkCase, meter) {
      const { spec, n } = c;
      const differences = centralDifferences(spec, c.params, c.X, c.Y, n);
      const magnitudes = gradientMagnitudes(spec, c.params, c.X, c.Y, n);
      const layers = spec.hidden.length + 1;
      const widest = Math.max(spec.inputs, spec.outputs, ...spec.hidden);
      // Each layer's products sum ≤ widest + n terms; exp/log and the softmax division add a
      // few roundings more; an error made in one layer is carried through the ones below.
      const g = gamma(backend.precision, layers * (widest + n + 10) + 30);
      await scoped(backend, async (keep) => {
        const params = uploadParams(backend, c, keep);
        const X = keep(backend.upload(c.X, [n, spec.inputs]));
        const Y = keep(backend.upload(c.Y, [n, spec.outputs]));
        const { grads } = networkGradient(backend, spec, params, X, Y);
        for (const t of grads) keep(t);
        const infos = networkParameters(spec);
        for (const [p, info] of infos.entries()) {
          const got = await backend.read(grads[p] as never);
          (differences[p] as { value: number; error: number; smooth: boolean }[]).forEach(
            (d, e) => {
              if (!d.smooth) return;
              const tol = SAFETY * (g * ((magnitudes[p] as number[])[e] as number) + d.error);
              meter.value(got[e] as number, d.value, tol, `∂${info.name}[${e}]`);
            },
          );
        }
      });
    },
  });
}

export const backpropSquared = backpropProperty("squared");
export const backpropLogistic = backpropProperty("logistic");
export const backpropSoftmax = backpropProperty("softmax");

const KINDS: readonly OptimizerKind[] = ["sgd", "momentum", "adam", "adamw"];

export const groupsExemptFromDecay = defineProperty({
  id: "id-27",
  name: "a group with λ 0 (biases, by the default rule) is untouched by every optimizer's decay; lr ×0 freezes a group",
  source: "IDENTITIES.md 27, 8",
  arbitrary: fc.record({
    kind: fc.constantFrom(...KINDS),
    placement: fc.constantFrom<"coupled" | "decoupled">("coupled", "decoupled"),
    lambda: fc.double({ min: 0.01, max: 2, noNaN: true }),
    lr: fc.double({ min: 0.01, max: 0.3, noNaN: true }),
    steps: fc.integer({ min: 1, max: 4 }),
    c: networkCase("squared").filter((c) => c.spec.hidden.length > 0),
  }),
  async check({ backend }, { kind, placement, lambda, lr, steps, c }, meter) {
    const u = unitRoundoff(backend.precision);
    const decay = kind === "adamw" ? "decoupled" : placement;
    const infos = networkParameters(c.spec);
    // Biases go to no_decay by the default rule; the first layer's weight is frozen by a rule.
    const grouping = groupParameters(infos, {
      weightDecay: lambda,
      rules: [{ name: "frozen", match: "layers.0.weight", lrMultiplier: 0 }],
    });
    meter.holds(
      grouping.groupOf.every((g, i) =>
        i === 0 ? g === "frozen" : (infos[i]?.ndim === 1) === (g === "no_decay"),
      ),
      `groups ${grouping.groupOf.join(",")}`,
    );
    await scoped(backend, async (keep) => {
      const params = uploadParams(backend, c, keep);
      const before = await Promise.all(params.map((p) => backend.read(p)));
      const optimizer = createOptimizer(backend, {
        kind,
        lr,
        weightDecay: 0,
        decay,
        groups: grouping.groups.map((g) => ({
          params: g.indices.map((i) => params[i] as never),
          weightDecay: g.weightDecay,
          lrMultiplier: g.lrMultiplier,
        })),
      });
      try {
        // Zero data gradients: whatever moves is the decay's doing.
        const zeros = params.map((p) => keep(backend.zeros(p.shape)));
        for (let k = 0; k < steps; k++) {
          optimizer.step(grouping.groups.map((g) => g.indices.map((i) => zeros[i] as never)));
        }
      } finally {
        optimizer.dispose();
      }
      const after = await Promise.all(params.map((p) => backend.read(p)));
      for (const [i, info] of infos.entries()) {
        const b = before[i] as Float64Array;
        const a = after[i] as Float64Array;
        const group = grouping.groupOf[i];
        const exact = kind === "sgd" || decay === "decoupled";
        b.forEach((v, e) => {
          const got = a[e] as number;
          if (group !== "decay") {
            meter.value(got, v, 0, `${info.name}[${e}] untouched (${group})`);
          } else if (exact) {
            // Zero gradient: SGD and decoupled decay give (1 − ηλ)ᵏθ (identity 7, per group).
            const expected = v * (1 - lr * lambda) ** steps;
            const tol = SAFETY * 4 * steps * u * Math.abs(v);
            meter.value(got, expected, tol, `${info.name}[${e}] after ${steps} decay steps`);
          } else if (v !== 0) {
            // Coupled momentum and Adam route λθ through their state: it must move.
            meter.holds(got !== v, `${info.name}[${e}] moved by the decay`);
          }
        });
      }
    });
  },
});

export const adamL2IsNotAdamWOnNetwork = defineProperty({
  id: "id-10-network",
  name: "on a network's weights, one Adam + L2 step moves each by ≈ η·sign(θ), AdamW by ηλθ + η·data step",
  source: "IDENTITIES.md 10, 27",
  arbitrary: fc.record({
    lambda: fc.double({ min: 0.05, max: 1, noNaN: true }),
    lr: fc.double({ min: 0.001, max: 0.05, noNaN: true }),
    c: networkCase("squared"),
  }),
  async check({ backend }, { lambda, lr, c }, meter) {
    const infos = networkParameters(c.spec);
    const grouping = groupParameters(infos, { weightDecay: lambda });
    const u = unitRoundoff(backend.precision);
    const run = async (kind: "adam" | "adamw") =>
      scoped(backend, async (keep) => {
        const params = uploadParams(backend, c, keep);
        const optimizer = createOptimizer(backend, {
          kind,
          lr,
          weightDecay: 0,
          decay: kind === "adamw" ? "decoupled" : "coupled",
          groups: grouping.groups.map((g) => ({
            params: g.indices.map((i) => params[i] as never),
            weightDecay: g.weightDecay,
          })),
        });
        try {
          const zeros = params.map((p) => keep(backend.zeros(p.shape)));
          optimizer.step(grouping.groups.map((g) => g.indices.map((i) => zeros[i] as never)));
        } finally {
          optimizer.dispose();
        }
        return Promise.all(params.map((p) => backend.read(p)));
      });
    const adam = await run("adam");
    const adamw = await run("adamw");
    const eps = 1e-8;
    for (const [i, info] of infos.entries()) {
      const theta = stored(c.params[i] as number[], backend.precision);
      theta.forEach((t, e) => {
        const decayed = grouping.groupOf[i] === "decay";
        // Zero data gradient, first step: Adam+L2 sees g = λθ, so m̂/(√v̂ + ε) = λθ/(λ|θ| + ε).
        const g = decayed ? lambda * t : 0;
        const adamExpected = t - (lr * g) / (Math.abs(g) + eps);
        const adamwExpected = t - (decayed ? lr * lambda * t : 0);
        const tol = SAFETY * 8 * u * (Math.abs(t) + lr);
        meter.value(
          (adam[i] as Float64Array)[e] as number,
          adamExpected,
          tol,
          `adam ${info.name}[${e}]`,
        );
        meter.value(
          (adamw[i] as Float64Array)[e] as number,
          adamwExpected,
          tol,
          `adamw ${info.name}[${e}]`,
        );
      });
    }
  },
});

/** A training run: a small network, its data split, the loop's settings and a group rule. */
const trainingCase = fc
  .record({
    loss: fc.constantFrom<OutputLoss>("squared", "softmax"),
    hidden: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 1 }),
    inputs: dim(4),
    nTrain: fc.integer({ min: 2, max: 8 }),
    nTest: fc.integer({ min: 1, max: 4 }),
    epochs: fc.integer({ min: 1, max: 3 }),
    kind: fc.constantFrom<OptimizerKind>("sgd", "momentum", "adam", "adamw"),
    lambda: fc.double({ min: 0, max: 0.5, noNaN: true }),
    headLr: fc.constantFrom(0, 0.5, 1, 2),
    seed: fc.nat(1000),
  })
  .chain((r) => {
    const outputs = r.loss === "softmax" ? 3 : 1;
    const spec: NetworkSpec = { inputs: r.inputs, hidden: r.hidden, outputs, loss: r.loss };
    const rows = r.nTrain + r.nTest;
    const targets =
      r.loss === "squared"
        ? unitValues(rows, 1)
        : fc
            .array(fc.integer({ min: 0, max: 2 }), { minLength: rows, maxLength: rows })
            .map((ls) => ls.flatMap((k) => [0, 1, 2].map((j) => (j === k ? 1 : 0))));
    return fc.record({
      r: fc.constant(r),
      spec: fc.constant(spec),
      batchSize: fc.integer({ min: 1, max: r.nTrain }),
      params: fc.tuple(
        ...networkParameters(spec).map((p) => unitValues(p.shape[0] * p.shape[1], 1)),
      ),
      X: unitValues(rows * r.inputs, 1),
      Y: targets,
    });
  });

export const networkTrainingAgreesWithOracle = defineProperty({
  id: "id-21-network",
  name: "trainNetwork (every optimizer, groups by rule with their own λ and lr multiplier) agrees with the float64 host loop: parameters and every epoch's losses",
  source: "IDENTITIES.md 21, 26, 27; core trainNetwork",
  cost: 3,
  requires: (backend) =>
    backend.network ? undefined : "the softmax head needs network primitives",
  arbitrary: trainingCase,
  async check({ backend }, c, meter) {
    const { r, spec } = c;
    const adam = r.kind === "adam" || r.kind === "adamw";
    const lr = adam ? 0.01 : 0.05;
    const decay = r.kind === "adamw" ? "decoupled" : "coupled";
    // Adam's step g/(|g| + ε) has slope up to 1/ε in g: with the usual ε = 1e-8, a gradient
    // within rounding of 0 (zero inputs, a dead unit) makes the step's size a coin toss on a
    // float32 backend. ε = 0.1 keeps the step within η·δg/ε of the float64 one for a rounding δg
    // of the gradient; the optimizer properties test the usual ε on their own.
    const eps = adam ? 0.1 : undefined;
    const K = spec.outputs;
    const d = spec.inputs;
    const split = (from: number, n: number) => ({
      X: c.X.slice(from * d, (from + n) * d),
      Y: c.Y.slice(from * K, (from + n) * K),
      n,
    });
    const train = split(0, r.nTrain);
    const test = split(r.nTrain, r.nTest);
    const last = spec.hidden.length;
    const grouping = {
      weightDecay: r.lambda,
      rules: [{ name: "head", match: `layers.${last}.*`, lrMultiplier: r.headLr }],
    };
    const infos = networkParameters(spec);
    const groups = groupParameters(infos, grouping).groups.map((g) => ({
      indices: g.indices,
      weightDecay: g.weightDecay,
      lrMultiplier: g.lrMultiplier,
    }));
    const settings = {
      epochs: r.epochs,
      lr,
      batchSize: c.batchSize,
      seed: r.seed,
      kind: r.kind,
      decay,
      ...(eps !== undefined ? { eps } : {}),
    } as const;
    const got = await trainNetwork(
      backend,
      spec,
      {
        train: { X: train.X, Y: train.Y, rows: train.n },
        test: { X: test.X, Y: test.Y, rows: test.n },
      },
      {
        ...settings,
        optimizer: { kind: r.kind, decay, ...(eps !== undefined ? { eps } : {}) },
        grouping,
        init: c.params,
      },
    );
    const oracle = hostTrainNetwork(spec, c.params, train, test, { ...settings, groups });
    // How far the host run moves when every stored input is perturbed by one rounding of the
    // backend's precision: the amplification (Adam's normalized step, a nearby ReLU kink) that
    // the rounding bound below does not model.
    const u = unitRoundoff(backend.precision);
    const nudge = (xs: readonly number[]) =>
      backend.precision === "float32"
        ? xs.map(Math.fround)
        : xs.map((v, i) => v * (1 + (i % 2 ? u : -u)));
    const perturbed = hostTrainNetwork(
      spec,
      c.params.map(nudge),
      { ...train, X: nudge(train.X), Y: nudge(train.Y) },
      { ...test, X: nudge(test.X), Y: nudge(test.Y) },
      { ...settings, groups },
    );
    // A path that passes within rounding reach of ReLU's kink (a pre-activation within 1e-3 of
    // the magnitudes it is summed from; float32 rounds at 6e-8 a term and step) depends on the
    // last bits: which side a backend lands on is not the code's to decide, so such a draw says
    // nothing. (id-26 skips the same entries of its central differences.)
    if (oracle.margin < 1e-3 || perturbed.margin < 1e-3) {
      meter.holds(
        got.history.length === r.epochs,
        `one history point per epoch (${got.history.length})`,
      );
      return;
    }
    const steps = r.epochs * Math.ceil(r.nTrain / c.batchSize);
    const widest = Math.max(d, K, ...spec.hidden);
    const g = gamma(backend.precision, (last + 1) * (widest + r.nTrain + 10) + 30);
    for (const [i, info] of infos.entries()) {
      const o = oracle.params[i] as Float64Array;
      const q = perturbed.params[i] as Float64Array;
      const scale = 1 + o.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const values = got.parameters[i]?.values as Float64Array;
      o.forEach((v, e) => {
        const tol = SAFETY * (steps * (steps + 1) * g * scale + 8 * Math.abs(v - (q[e] as number)));
        meter.value(values[e] as number, v, tol, `${info.name}[${e}] after ${steps} steps`);
      });
    }
    meter.holds(
      got.history.length === r.epochs,
      `one history point per epoch (${got.history.length})`,
    );
    got.history.forEach((p, e) => {
      const o = oracle.history[e] as { trainLoss: number; testLoss: number };
      const q = perturbed.history[e] as { trainLoss: number; testLoss: number };
      for (const key of ["trainLoss", "testLoss"] as const) {
        const tol =
          SAFETY *
          (steps * (steps + 1) * g * (1 + Math.abs(o[key]) * 10) + 8 * Math.abs(o[key] - q[key]));
        meter.value(p[key], o[key], tol, `epoch ${e + 1} ${key}`);
      }
    });
  },
});

export const NETWORK_PROPERTIES = [
  networkUnary,
  networkMax,
  reluComposition,
  backpropSquared,
  backpropLogistic,
  backpropSoftmax,
  groupsExemptFromDecay,
  adamL2IsNotAdamWOnNetwork,
  networkTrainingAgreesWithOracle,
] as const;
