/**
 * Models as ordered lists of named parameter tensors with a forward and an analytic backward
 * pass written once here, from the backend's primitives. One family covers every model in
 * scope: a stack of dense layers with ReLU between them (none for the linear models) and an
 * output loss.
 * - `squared`: linear regression with no hidden layer (the chapter), a regression MLP otherwise;
 *   loss mean ½Σₖ(zₖ − yₖ)².
 * - `logistic`: one output z, labels y ∈ {0, 1}; loss mean[log(1 + eᶻ) − y·z] (identity 24).
 * - `softmax`: K outputs, one-hot labels; loss mean[log Σₖ e^(zₖ) − Σₖ yₖzₖ] (identity 24).
 *
 * Parameters are named as PyTorch names an `nn.Sequential` of `nn.Linear` layers:
 * `layers.0.weight` (inputs × units, so that Z = A·W + b), `layers.0.bias` (1 × units), … Each
 * records its logical rank (2 for a weight matrix, 1 for a bias) so that grouping rules such as
 * "no decay for ndim ≤ 1" mean what they mean in PyTorch, even where a weight is d×1.
 *
 * Backward, with A₀ = X, Zₗ = Aₗ₋₁Wₗ + bₗ, Aₗ = relu(Zₗ) and G = ∂loss/∂Z_last (the mean over
 * rows folded in): ∂Wₗ = Aₗ₋₁ᵀGₗ, ∂bₗ = Σ_rows Gₗ, Gₗ₋₁ = (GₗWₗᵀ) ⊙ 1[Aₗ₋₁ > 0] (the same mask
 * as 1[Zₗ₋₁ > 0]). Each layer's forward and backward step is the backend's fused dense kernel
 * where it has one, else its composition (`dense.ts`).
 */
import type { Backend, Shape, Tensor } from "../backend.js";
import { disposeAll } from "../linear.js";
import { Rng, Stream } from "../random.js";
import { requireNetwork, rowSoftmax, tensorSigmoid, tensorSoftplus } from "./activations.js";
import { dense, denseBackward } from "./dense.js";

/** The output loss of a network (see the module comment). */
export type OutputLoss = "squared" | "logistic" | "softmax";

export const OUTPUT_LOSSES: readonly OutputLoss[] = ["squared", "logistic", "softmax"];

/** The architecture: `inputs` → each of `hidden` (ReLU) → `outputs`, with an output loss. */
export interface NetworkSpec {
  readonly inputs: number;
  /** Units of each hidden layer, in order; empty for the linear models. */
  readonly hidden: readonly number[];
  /** Outputs: any ≥ 1 for `squared`, 1 for `logistic`, the number of classes (≥ 2) for `softmax`. */
  readonly outputs: number;
  readonly loss: OutputLoss;
}

/** One named parameter of a network. */
export interface ParameterInfo {
  /** `layers.<i>.weight` or `layers.<i>.bias`. */
  readonly name: string;
  readonly shape: Shape;
  /** Rank as PyTorch sees it: 2 for a weight matrix, 1 for a bias vector. */
  readonly ndim: 1 | 2;
  /** Index of the dense layer it belongs to (0 = the first). */
  readonly layer: number;
}

/**
 * Checks a spec.
 *
 * @throws RangeError naming the first bad field
 */
export function checkNetworkSpec(spec: NetworkSpec): void {
  const positive = (name: string, v: unknown) => {
    if (!(Number.isInteger(v) && (v as number) >= 1)) {
      throw new RangeError(`${name} must be an integer ≥ 1, got ${String(v)}`);
    }
  };
  positive("inputs", spec.inputs);
  if (!Array.isArray(spec.hidden)) throw new RangeError("hidden must be an array of layer sizes");
  spec.hidden.forEach((h, i) => positive(`hidden[${i}]`, h));
  positive("outputs", spec.outputs);
  if (!OUTPUT_LOSSES.includes(spec.loss)) {
    throw new RangeError(
      `loss must be one of ${OUTPUT_LOSSES.join(", ")}, got ${String(spec.loss)}`,
    );
  }
  if (spec.loss === "logistic" && spec.outputs !== 1) {
    throw new RangeError(`the logistic loss has one output, got ${spec.outputs}`);
  }
  if (spec.loss === "softmax" && spec.outputs < 2) {
    throw new RangeError(`the softmax loss needs at least 2 classes, got ${spec.outputs}`);
  }
}

/** The sizes of every layer boundary: inputs, each hidden layer, outputs. */
function widths(spec: NetworkSpec): number[] {
  return [spec.inputs, ...spec.hidden, spec.outputs];
}

/** The network's parameters in order: each layer's weight, then its bias. */
export function networkParameters(spec: NetworkSpec): ParameterInfo[] {
  checkNetworkSpec(spec);
  const w = widths(spec);
  const out: ParameterInfo[] = [];
  for (let l = 0; l + 1 < w.length; l++) {
    const fanIn = w[l] as number;
    const units = w[l + 1] as number;
    out.push({ name: `layers.${l}.weight`, shape: [fanIn, units], ndim: 2, layer: l });
    out.push({ name: `layers.${l}.bias`, shape: [1, units], ndim: 1, layer: l });
  }
  return out;
}

/** How the weights start. */
export interface NetworkInit {
  /**
   * Standard deviation of every weight, w ~ N(0, σ²); default He's √(2/fan_in) before a ReLU
   * and √(1/fan_in) for the output layer (with no hidden layer: the chapter's σ = 1 is its own
   * option). Biases start at 0.
   */
  readonly std?: number;
}

/**
 * Initial values of every parameter, drawn from the seed's init stream in parameter order, so a
 * seed gives the same network on every backend.
 */
export function initialParameters(
  spec: NetworkSpec,
  seed: number,
  init: NetworkInit = {},
): Float64Array[] {
  const params = networkParameters(spec);
  const rng = new Rng(seed, Stream.init);
  const last = spec.hidden.length;
  return params.map((p) => {
    const values = new Float64Array(p.shape[0] * p.shape[1]);
    if (p.ndim === 1) return values;
    const fanIn = p.shape[0];
    const std = init.std ?? Math.sqrt((p.layer === last ? 1 : 2) / fanIn);
    return rng.fillNormal(values, 0, std);
  });
}

/** Checks that `params` are the spec's tensors, in order (per call: no parameter list built). */
function checkParams(spec: NetworkSpec, params: readonly Tensor[]): void {
  const w = widths(spec);
  if (params.length !== 2 * (w.length - 1)) {
    throw new RangeError(
      `the network has ${2 * (w.length - 1)} parameters, got ${params.length} tensors`,
    );
  }
  params.forEach((t, i) => {
    const l = i >> 1;
    const rows = i % 2 === 0 ? (w[l] as number) : 1;
    const cols = w[l + 1] as number;
    if (t.shape[0] !== rows || t.shape[1] !== cols) {
      const name = `layers.${l}.${i % 2 === 0 ? "weight" : "bias"}`;
      throw new RangeError(`${name} must be ${rows}×${cols}, got ${t.shape.join("×")}`);
    }
  });
}

/** Activations kept by the forward pass for the backward pass. */
interface ForwardTrace {
  /**
   * Inputs of each layer: X, then relu(Z) of each hidden layer (ReLU's mask comes from these:
   * relu(z) > 0 exactly where z > 0, so the pre-activations need not be kept).
   */
  readonly inputs: Tensor[];
  /** The outputs Z of the last layer (logits, or predictions for `squared`). */
  readonly output: Tensor;
}

function forwardTrace(
  backend: Backend,
  spec: NetworkSpec,
  params: readonly Tensor[],
  X: Tensor,
): ForwardTrace {
  checkParams(spec, params);
  if (X.shape[1] !== spec.inputs) {
    throw new RangeError(`X must have ${spec.inputs} columns, got ${X.shape[1]}`);
  }
  const inputs: Tensor[] = [X];
  try {
    for (let l = 0; l < spec.hidden.length; l++) {
      const A = inputs[l] as Tensor;
      inputs.push(dense(backend, A, params[2 * l] as Tensor, params[2 * l + 1] as Tensor, true));
    }
    const last = spec.hidden.length;
    const A = inputs[last] as Tensor;
    const output = dense(
      backend,
      A,
      params[2 * last] as Tensor,
      params[2 * last + 1] as Tensor,
      false,
    );
    return { inputs, output };
  } catch (error) {
    disposeAll(backend, inputs.slice(1));
    throw error;
  }
}

function disposeTrace(backend: Backend, trace: ForwardTrace, keepOutput: boolean): void {
  disposeAll(backend, trace.inputs.slice(1));
  if (!keepOutput) backend.dispose(trace.output);
}

/** The network's outputs (n × outputs): logits for the classifiers, predictions for `squared`. */
export function networkForward(
  backend: Backend,
  spec: NetworkSpec,
  params: readonly Tensor[],
  X: Tensor,
): Tensor {
  const trace = forwardTrace(backend, spec, params, X);
  disposeTrace(backend, trace, true);
  return trace.output;
}

/** Checks the targets' shape for the loss: n × outputs. */
function checkTargets(spec: NetworkSpec, Z: Tensor, Y: Tensor): void {
  if (Y.shape[0] !== Z.shape[0] || Y.shape[1] !== spec.outputs) {
    throw new RangeError(
      `targets must be ${Z.shape[0]}×${spec.outputs} for the ${spec.loss} loss, got ${Y.shape.join("×")}`,
    );
  }
}

/**
 * The mean loss (1×1) of outputs Z against targets Y and/or its gradient ∂loss/∂Z, as asked: a
 * training step wants only the gradient, and computing a loss it would throw away is work in
 * every step.
 */
function outputLoss(
  backend: Backend,
  spec: NetworkSpec,
  Z: Tensor,
  Y: Tensor,
  want: { readonly loss: boolean; readonly gradient: boolean },
): { loss?: Tensor; dZ?: Tensor } {
  checkTargets(spec, Z, Y);
  const n = Z.shape[0];
  const temps: Tensor[] = [];
  const keep = (t: Tensor) => {
    temps.push(t);
    return t;
  };
  // (P − Y)/n for a prediction P: every head's gradient has this form.
  const gradient = (P: Tensor) => {
    const diff = keep(backend.binary("sub", P, Y));
    return backend.axpby(1 / n, diff, 0, diff);
  };
  try {
    if (spec.loss === "squared") {
      let loss: Tensor | undefined;
      if (want.loss) {
        const r = keep(backend.binary("sub", Z, Y));
        const total = keep(backend.sum(keep(backend.unary("square", r))));
        loss = backend.axpby(0.5 / n, total, 0, total);
      }
      return { loss, dZ: want.gradient ? gradient(Z) : undefined };
    }
    if (spec.loss === "logistic") {
      // mean[softplus(z) − y·z]; ∂/∂z = (σ(z) − y)/n, σ(z) = exp(z − softplus(z)).
      const sp = keep(tensorSoftplus(backend, Z));
      let loss: Tensor | undefined;
      if (want.loss) {
        const terms = keep(backend.binary("sub", sp, keep(backend.binary("mul", Y, Z))));
        const total = keep(backend.sum(terms));
        loss = backend.axpby(1 / n, total, 0, total);
      }
      const dZ = want.gradient ? gradient(keep(tensorSigmoid(backend, Z, sp))) : undefined;
      return { loss, dZ };
    }
    requireNetwork(backend, "the softmax cross-entropy loss");
    // mean[lse(z) − Σₖyₖzₖ] = mean[log Σ e^S − Σₖyₖsₖ] for one-hot (Σₖyₖ = 1) rows, S = Z − max.
    const { shifted, logSum, probabilities } = rowSoftmax(backend, Z);
    temps.push(shifted, logSum, probabilities);
    let loss: Tensor | undefined;
    if (want.loss) {
      const ysTotal = keep(backend.sum(keep(backend.binary("mul", Y, shifted))));
      const lseTotal = keep(backend.sum(logSum));
      loss = backend.axpby(1 / n, lseTotal, -1 / n, ysTotal);
    }
    return { loss, dZ: want.gradient ? gradient(probabilities) : undefined };
  } finally {
    disposeAll(backend, temps);
  }
}

/** The mean loss (1×1, on the device) of the network on X against Y, without a penalty. */
export function networkLoss(
  backend: Backend,
  spec: NetworkSpec,
  params: readonly Tensor[],
  X: Tensor,
  Y: Tensor,
): Tensor {
  const trace = forwardTrace(backend, spec, params, X);
  try {
    return outputLoss(backend, spec, trace.output, Y, { loss: true, gradient: false })
      .loss as Tensor;
  } finally {
    disposeTrace(backend, trace, false);
  }
}

/** Gradients of the mean loss, one per parameter in order, and optionally the loss itself. */
export interface NetworkGradient {
  readonly grads: Tensor[];
  /** 1×1, when asked for. */
  readonly loss?: Tensor;
}

/**
 * The analytic gradient of the mean loss over the rows of X (no penalty: decay belongs to the
 * optimizer's groups), by backpropagation. The caller owns the returned tensors.
 */
export function networkGradient(
  backend: Backend,
  spec: NetworkSpec,
  params: readonly Tensor[],
  X: Tensor,
  Y: Tensor,
  withLoss = false,
): NetworkGradient {
  const trace = forwardTrace(backend, spec, params, X);
  const grads: Tensor[] = new Array(params.length);
  let loss: Tensor | undefined;
  let G: Tensor | undefined;
  try {
    const out = outputLoss(backend, spec, trace.output, Y, { loss: withLoss, gradient: true });
    loss = out.loss;
    G = out.dZ as Tensor;
    for (let l = spec.hidden.length; l >= 0; l--) {
      const A = trace.inputs[l] as Tensor;
      const { dW, db, dA } = denseBackward(backend, A, params[2 * l] as Tensor, G, l > 0);
      grads[2 * l] = dW;
      grads[2 * l + 1] = db;
      if (l === 0) break;
      backend.dispose(G);
      G = dA as Tensor;
    }
    return { grads, loss };
  } catch (error) {
    disposeAll(backend, [...grads, loss]);
    throw error;
  } finally {
    disposeAll(backend, [G]);
    disposeTrace(backend, trace, false);
  }
}
