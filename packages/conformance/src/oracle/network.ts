/**
 * Networks in float64 on the host, written out element by element and independent of core's
 * compositions: the forward pass and mean loss of a stack of dense layers with ReLU between them
 * (squared, logistic or softmax head), central differences of that loss, the ReLU activation
 * pattern (to tell a smooth point from a kink), and a bound on the magnitudes every gradient
 * entry is summed from (for the tolerance of a float32 backend's backpropagation), the exact
 * gradient by backpropagation on the host, and a training loop with parameter groups.
 */
import { type NetworkSpec, Rng, Stream } from "@wdecay/core";
import { OracleOptimizer, type OracleOptimizerOptions } from "./optimizer.js";

/** Parameters as flat row-major arrays, in the order weight₀, bias₀, weight₁, bias₁, … */
export type HostParams = readonly (readonly number[])[];

interface HostForward {
  /** Inputs of each layer (X, then the ReLU of each hidden layer), row-major. */
  readonly inputs: number[][];
  /** Pre-activations of each hidden layer. */
  readonly hidden: number[][];
  readonly output: number[];
}

function widths(spec: NetworkSpec): number[] {
  return [spec.inputs, ...spec.hidden, spec.outputs];
}

function forward(
  spec: NetworkSpec,
  params: HostParams,
  X: readonly number[],
  n: number,
): HostForward {
  const w = widths(spec);
  const inputs: number[][] = [[...X]];
  const hidden: number[][] = [];
  let A = [...X];
  for (let l = 0; l + 1 < w.length; l++) {
    const fanIn = w[l] as number;
    const units = w[l + 1] as number;
    const W = params[2 * l] as readonly number[];
    const b = params[2 * l + 1] as readonly number[];
    const Z = new Array<number>(n * units).fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < units; j++) {
        let s = b[j] as number;
        for (let k = 0; k < fanIn; k++)
          s += (A[i * fanIn + k] as number) * (W[k * units + j] as number);
        Z[i * units + j] = s;
      }
    }
    if (l + 2 === w.length) return { inputs, hidden, output: Z };
    hidden.push(Z);
    A = Z.map((z) => Math.max(z, 0));
    inputs.push(A);
  }
  throw new Error("unreachable");
}

/** The mean loss of outputs Z (n×K) against targets Y, in the stable forms. */
export function hostOutputLoss(
  spec: NetworkSpec,
  Z: readonly number[],
  Y: readonly number[],
  n: number,
): number {
  const K = spec.outputs;
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (spec.loss === "squared") {
      for (let k = 0; k < K; k++)
        total += 0.5 * ((Z[i * K + k] as number) - (Y[i * K + k] as number)) ** 2;
    } else if (spec.loss === "logistic") {
      const z = Z[i] as number;
      total += Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z))) - (Y[i] as number) * z;
    } else {
      let m = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < K; k++) m = Math.max(m, Z[i * K + k] as number);
      let s = 0;
      let yz = 0;
      for (let k = 0; k < K; k++) {
        s += Math.exp((Z[i * K + k] as number) - m);
        yz += (Y[i * K + k] as number) * (Z[i * K + k] as number);
      }
      total += m + Math.log(s) - yz;
    }
  }
  return total / n;
}

/** The network's mean loss, in float64. */
export function hostNetworkLoss(
  spec: NetworkSpec,
  params: HostParams,
  X: readonly number[],
  Y: readonly number[],
  n: number,
): number {
  return hostOutputLoss(spec, forward(spec, params, X, n).output, Y, n);
}

/** Which hidden pre-activations are > 0, as a string: equal patterns mean no kink was crossed. */
export function activationPattern(
  spec: NetworkSpec,
  params: HostParams,
  X: readonly number[],
  n: number,
): string {
  return forward(spec, params, X, n)
    .hidden.map((Z) => Z.map((z) => (z > 0 ? "1" : z < 0 ? "0" : "k")).join(""))
    .join("|");
}

/** A central difference of one parameter entry, with its estimated error. */
export interface CentralDifference {
  /** (L(θ + h) − L(θ − h)) / 2h. */
  readonly value: number;
  /**
   * Estimated error: the change from step 2h to h (the truncation error is O(h²), so this
   * bounds it with room), plus the rounding of the loss differences (≈ 4ε|L|/h).
   */
  readonly error: number;
  /** False when a step crossed a ReLU kink (the difference says nothing about the gradient). */
  readonly smooth: boolean;
}

/** Central differences of every entry of every parameter, step h. */
export function centralDifferences(
  spec: NetworkSpec,
  params: HostParams,
  X: readonly number[],
  Y: readonly number[],
  n: number,
  h = 1e-5,
): CentralDifference[][] {
  const pattern = activationPattern(spec, params, X, n);
  const at = (p: number, e: number, delta: number) => {
    const moved = params.map((q, i) => (i === p ? q.map((v, j) => (j === e ? v + delta : v)) : q));
    return {
      loss: hostNetworkLoss(spec, moved, X, Y, n),
      smooth: activationPattern(spec, moved, X, n) === pattern,
    };
  };
  const L0 = Math.abs(hostNetworkLoss(spec, params, X, Y, n));
  return params.map((q, p) =>
    q.map((_, e) => {
      const plus = at(p, e, h);
      const minus = at(p, e, -h);
      const plus2 = at(p, e, 2 * h);
      const minus2 = at(p, e, -2 * h);
      const d1 = (plus.loss - minus.loss) / (2 * h);
      const d2 = (plus2.loss - minus2.loss) / (4 * h);
      const rounding = (4 * Number.EPSILON * (L0 + 1)) / h;
      return {
        value: d1,
        error: Math.abs(d1 - d2) + rounding,
        smooth: plus.smooth && minus.smooth && plus2.smooth && minus2.smooth,
      };
    }),
  );
}

/** ∂loss/∂Z of the output layer, mean over rows folded in. */
function outputGradient(
  spec: NetworkSpec,
  Z: readonly number[],
  Y: readonly number[],
  n: number,
): number[] {
  const K = spec.outputs;
  const G = new Array<number>(n * K).fill(0);
  for (let i = 0; i < n; i++) {
    if (spec.loss === "squared") {
      for (let k = 0; k < K; k++)
        G[i * K + k] = ((Z[i * K + k] as number) - (Y[i * K + k] as number)) / n;
    } else if (spec.loss === "logistic") {
      G[i] = (1 / (1 + Math.exp(-(Z[i] as number))) - (Y[i] as number)) / n;
    } else {
      let m = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < K; k++) m = Math.max(m, Z[i * K + k] as number);
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.exp((Z[i * K + k] as number) - m);
      for (let k = 0; k < K; k++) {
        G[i * K + k] = (Math.exp((Z[i * K + k] as number) - m) / s - (Y[i * K + k] as number)) / n;
      }
    }
  }
  return G;
}

/**
 * Backpropagation in float64, one array per parameter. `magnitudes` runs it on |A|, |W| and a
 * bound on |∂loss/∂Z| (|Z| + |Y| for squared, 1 + |y| for the others, over n) with every ReLU
 * open: for each gradient entry, the sum of the magnitudes it is computed from, so that a
 * float32 backend's gradient may be held to a few roundings of it per layer.
 */
function backprop(
  spec: NetworkSpec,
  params: HostParams,
  X: readonly number[],
  Y: readonly number[],
  n: number,
  magnitudes: boolean,
): number[][] {
  const f = forward(spec, params, X, n);
  const w = widths(spec);
  const abs = magnitudes ? Math.abs : (v: number) => v;
  let G = magnitudes
    ? f.output.map((z, idx) =>
        spec.loss === "squared"
          ? (Math.abs(z) + Math.abs(Y[idx] as number)) / n
          : (1 + Math.abs(Y[idx] as number)) / n,
      )
    : outputGradient(spec, f.output, Y, n);
  const out: number[][] = new Array(params.length);
  for (let l = w.length - 2; l >= 0; l--) {
    const fanIn = w[l] as number;
    const units = w[l + 1] as number;
    const A = f.inputs[l] as number[];
    const gW = new Array<number>(fanIn * units).fill(0);
    const gb = new Array<number>(units).fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < units; j++) {
        const g = G[i * units + j] as number;
        gb[j] = (gb[j] as number) + g;
        for (let k = 0; k < fanIn; k++) {
          gW[k * units + j] = (gW[k * units + j] as number) + abs(A[i * fanIn + k] as number) * g;
        }
      }
    }
    out[2 * l] = gW;
    out[2 * l + 1] = gb;
    if (l === 0) break;
    const W = params[2 * l] as readonly number[];
    const Zprev = f.hidden[l - 1] as number[];
    const next = new Array<number>(n * fanIn).fill(0);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < fanIn; k++) {
        if (!magnitudes && !((Zprev[i * fanIn + k] as number) > 0)) continue;
        let s = 0;
        for (let j = 0; j < units; j++) {
          s += (G[i * units + j] as number) * abs(W[k * units + j] as number);
        }
        next[i * fanIn + k] = s;
      }
    }
    G = next;
  }
  return out;
}

/** The gradient of the mean loss by backpropagation in float64, one array per parameter. */
export function hostNetworkGradient(
  spec: NetworkSpec,
  params: HostParams,
  X: readonly number[],
  Y: readonly number[],
  n: number,
): number[][] {
  return backprop(spec, params, X, Y, n, false);
}

/** For each gradient entry, the sum of the magnitudes it is computed from (see backprop). */
export function gradientMagnitudes(
  spec: NetworkSpec,
  params: HostParams,
  X: readonly number[],
  Y: readonly number[],
  n: number,
): number[][] {
  return backprop(spec, params, X, Y, n, true);
}

/**
 * How close the rows' hidden pre-activations come to ReLU's kink, relative to the magnitudes
 * they are summed from plus `floor`: min |z| / (|b| + Σ|a·w| + floor) over every hidden unit and
 * row (Infinity where there is no hidden layer; a unit whose terms are all exactly 0 is 0 on
 * every backend and does not count). In training, `floor` is the size of a step (the learning
 * rate): a parameter near 0 carries the rounding of the updates that brought it there. Where it is within a few roundings of 0, which side of the kink a float32
 * backend lands on is decided by the last bits, and so is the path training takes after it.
 */
export function kinkMargin(
  spec: NetworkSpec,
  params: HostParams,
  X: readonly number[],
  n: number,
  floor = 0,
): number {
  const w = widths(spec);
  let margin = Number.POSITIVE_INFINITY;
  let A = [...X];
  for (let l = 0; l + 2 < w.length; l++) {
    const fanIn = w[l] as number;
    const units = w[l + 1] as number;
    const W = params[2 * l] as readonly number[];
    const b = params[2 * l + 1] as readonly number[];
    const next: number[] = new Array(n * units).fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < units; j++) {
        let z = b[j] as number;
        let scale = Math.abs(z);
        for (let k = 0; k < fanIn; k++) {
          const t = (A[i * fanIn + k] as number) * (W[k * units + j] as number);
          z += t;
          scale += Math.abs(t);
        }
        if (scale > 0) margin = Math.min(margin, Math.abs(z) / (scale + floor));
        next[i * units + j] = Math.max(z, 0);
      }
    }
    A = next;
  }
  return margin;
}

/** One group of a host network run: parameter indices and their settings. */
export interface HostNetworkGroup {
  readonly indices: readonly number[];
  readonly weightDecay: number;
  readonly lrMultiplier: number;
}

/** Settings of {@link hostTrainNetwork}. */
export interface HostNetworkTraining {
  readonly epochs: number;
  readonly lr: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly kind: OracleOptimizerOptions["kind"];
  readonly decay: OracleOptimizerOptions["decay"];
  /** Adam's ε (1e-8). */
  readonly eps?: number;
  readonly groups: readonly HostNetworkGroup[];
}

/**
 * Minibatch training in float64: each epoch's row order from core's seeded shuffle stream (the
 * one source of randomness every backend shares), the host gradient, the oracle's optimizer per
 * group. Returns the parameters and the train and test losses after every epoch.
 */
export function hostTrainNetwork(
  spec: NetworkSpec,
  start: HostParams,
  train: { X: readonly number[]; Y: readonly number[]; n: number },
  test: { X: readonly number[]; Y: readonly number[]; n: number },
  t: HostNetworkTraining,
): {
  params: Float64Array[];
  history: { trainLoss: number; testLoss: number }[];
  /** The smallest {@link kinkMargin} of any minibatch at any step. */
  margin: number;
} {
  const params = start.map((p) => Float64Array.from(p));
  const optimizers = t.groups.map(
    (g) =>
      new OracleOptimizer(
        {
          kind: t.kind,
          lr: () => t.lr * g.lrMultiplier,
          weightDecay: g.weightDecay,
          decay: t.decay,
          ...(t.eps !== undefined ? { eps: t.eps } : {}),
        },
        [{ params: g.indices.map((i) => params[i] as Float64Array) }],
      ),
  );
  const rng = new Rng(t.seed, Stream.shuffle);
  const order = new Int32Array(train.n);
  const d = spec.inputs;
  const K = spec.outputs;
  const history: { trainLoss: number; testLoss: number }[] = [];
  let margin = Number.POSITIVE_INFINITY;
  for (let epoch = 0; epoch < t.epochs; epoch++) {
    rng.permutation(train.n, order);
    for (let offset = 0; offset < train.n; offset += t.batchSize) {
      const rows = Array.from(order.subarray(offset, Math.min(offset + t.batchSize, train.n)));
      const Xb = rows.flatMap((r) => train.X.slice(r * d, (r + 1) * d));
      const Yb = rows.flatMap((r) => train.Y.slice(r * K, (r + 1) * K));
      margin = Math.min(
        margin,
        kinkMargin(spec, params as unknown as HostParams, Xb, rows.length, t.lr),
      );
      const grads = hostNetworkGradient(spec, params as unknown as HostParams, Xb, Yb, rows.length);
      t.groups.forEach((g, gi) =>
        optimizers[gi]?.step([g.indices.map((i) => grads[i] as number[])]),
      );
    }
    history.push({
      trainLoss: hostNetworkLoss(spec, params as unknown as HostParams, train.X, train.Y, train.n),
      testLoss: hostNetworkLoss(spec, params as unknown as HostParams, test.X, test.Y, test.n),
    });
  }
  return { params, history, margin };
}
