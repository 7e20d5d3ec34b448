/**
 * The nonlinear pieces of networks and classifiers, on a backend: ReLU and its mask, and the
 * numerically stable softplus, sigmoid and row-wise log-sum-exp/softmax. Each uses the backend's
 * {@link NetworkPrimitives} where it has them; ReLU and its mask are also composed from the
 * linear primitives, exactly, so a backend without network primitives still trains networks
 * with a squared-loss head.
 */
import type { Backend, NetworkPrimitives, Tensor } from "../backend.js";
import { disposeAll } from "../linear.js";

/**
 * The backend's network primitives, or a one-line error naming what needs them.
 *
 * @throws TypeError `backend X has no network primitives (exp, log, max), which WHAT needs`
 */
export function requireNetwork(backend: Backend, what: string): NetworkPrimitives {
  if (!backend.network) {
    throw new TypeError(
      `backend ${backend.name} has no network primitives (exp, log, max), which ${what} needs`,
    );
  }
  return backend.network;
}

/** ReLU, max(a, 0): the backend's primitive, or {@link composeRelu} where it has none. */
export function relu(backend: Backend, a: Tensor): Tensor {
  return backend.network ? backend.network.unary("relu", a) : composeRelu(backend, a);
}

/**
 * ReLU from the linear primitives, as (a + |a|)·½: a + |a| is 2a or 0 exactly and halving is
 * exact, so it equals the primitive (up to 2a overflowing past the largest float; −0 ↦ +0 alike).
 */
export function composeRelu(backend: Backend, a: Tensor): Tensor {
  const abs = backend.unary("abs", a);
  const twice = backend.binary("add", a, abs);
  const out = backend.axpby(0.5, twice, 0, twice);
  disposeAll(backend, [abs, twice]);
  return out;
}

/** ReLU's derivative as a 0/1 mask (0 at a = 0): the `step` primitive, or sign(relu(a)). */
export function reluMask(backend: Backend, a: Tensor): Tensor {
  if (backend.network) return backend.network.unary("step", a);
  const r = composeRelu(backend, a);
  const out = backend.unary("sign", r);
  backend.dispose(r);
  return out;
}

/**
 * softplus(z) = log(1 + eᶻ), computed as max(z, 0) + log(1 + e^(−|z|)): the exponent is never
 * positive, so nothing overflows, and for large |z| the log term is a small correction.
 */
export function tensorSoftplus(backend: Backend, z: Tensor): Tensor {
  const net = requireNetwork(backend, "the logistic loss");
  const temps: Tensor[] = [];
  try {
    const abs = backend.unary("abs", z);
    temps.push(abs);
    const negAbs = backend.unary("neg", abs);
    temps.push(negAbs);
    const e = net.unary("exp", negAbs);
    temps.push(e);
    // 1 + e without uploading a constant (a step must not upload): sign(exp(0·e)) is exactly 1
    // whatever exp's accuracy.
    const zero = backend.axpby(0, e, 0, e);
    temps.push(zero);
    const near = net.unary("exp", zero);
    temps.push(near);
    const one = backend.unary("sign", near);
    temps.push(one);
    const onePlus = backend.binary("add", e, one);
    temps.push(onePlus);
    const log = net.unary("log", onePlus);
    temps.push(log);
    const pos = net.unary("relu", z);
    temps.push(pos);
    return backend.binary("add", pos, log);
  } finally {
    disposeAll(backend, temps);
  }
}

/**
 * σ(z) = exp(z − softplus(z)): the exponent is ≤ 0, so it is stable for every z. Pass
 * softplus(z) when it is at hand (the logistic loss has it) rather than computing it again.
 */
export function tensorSigmoid(backend: Backend, z: Tensor, softplusOfZ?: Tensor): Tensor {
  const net = requireNetwork(backend, "the logistic loss");
  const sp = softplusOfZ ?? tensorSoftplus(backend, z);
  const diff = backend.binary("sub", z, sp);
  const out = net.unary("exp", diff);
  disposeAll(backend, [softplusOfZ ? undefined : sp, diff]);
  return out;
}

/** Row-wise pieces of a softmax of Z (n×K), shifted by each row's maximum m. */
export interface RowSoftmax {
  /** S = Z − m (n×K), every entry ≤ 0. */
  readonly shifted: Tensor;
  /** log Σₖ e^(S) per row (n×1): log-sum-exp of Z minus m. */
  readonly logSum: Tensor;
  /** P = softmax(Z) (n×K). */
  readonly probabilities: Tensor;
}

/**
 * Softmax of each row, by the max shift: with S = Z − max(Z), every exponent is ≤ 0 and each
 * row's sum of e^S is ≥ 1, so neither overflows nor underflows to 0.
 */
export function rowSoftmax(backend: Backend, Z: Tensor): RowSoftmax {
  const net = requireNetwork(backend, "the softmax cross-entropy loss");
  const temps: Tensor[] = [];
  try {
    const m = net.max(Z, 1);
    temps.push(m);
    const shifted = backend.binary("sub", Z, m);
    const e = net.unary("exp", shifted);
    temps.push(e);
    const sum = backend.sum(e, 1);
    temps.push(sum);
    const logSum = net.unary("log", sum);
    const probabilities = backend.binary("div", e, sum);
    return { shifted, logSum, probabilities };
  } finally {
    disposeAll(backend, temps);
  }
}
