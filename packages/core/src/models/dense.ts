/**
 * A network's dense layer, forward and backward: the backend's fused kernels
 * ({@link FusedKernels.dense}, {@link FusedKernels.denseBackward}) where it has them, else their
 * compositions from primitives here. Shapes are checked once, here, for both paths, so a fused
 * kernel and its composition refuse the same inputs with the same message.
 */
import type { Backend, DenseGradient, FusedKernels, Tensor } from "../backend.js";
import { disposeAll } from "../linear.js";
import { reluMask, relu as reluOf } from "./activations.js";

function shapeError(what: string, got: Tensor, rows: number, cols: number): RangeError {
  return new RangeError(`${what} must be ${rows}×${cols}, got ${got.shape.join("×")}`);
}

function checkDense(A: Tensor, W: Tensor, b: Tensor): void {
  const fanIn = A.shape[1];
  const units = W.shape[1];
  if (W.shape[0] !== fanIn) throw shapeError("the layer's weight", W, fanIn, units);
  if (b.shape[0] !== 1 || b.shape[1] !== units) throw shapeError("the layer's bias", b, 1, units);
}

function checkDenseBackward(A: Tensor, W: Tensor, G: Tensor): void {
  const [n, fanIn] = A.shape;
  const units = W.shape[1];
  if (W.shape[0] !== fanIn) throw shapeError("the layer's weight", W, fanIn, units);
  if (G.shape[0] !== n || G.shape[1] !== units) throw shapeError("the layer's G", G, n, units);
}

/** {@link FusedKernels.dense} from primitives: matmul, a broadcast add, ReLU. */
export function composeDense(
  backend: Backend,
  A: Tensor,
  W: Tensor,
  b: Tensor,
  relu: boolean,
): Tensor {
  checkDense(A, W, b);
  const aw = backend.matmul(A, W);
  const z = backend.binary("add", aw, b);
  backend.dispose(aw);
  if (!relu) return z;
  const out = reluOf(backend, z);
  backend.dispose(z);
  return out;
}

/** {@link FusedKernels.denseBackward} from primitives: two products, a column sum, the mask. */
export function composeDenseBackward(
  backend: Backend,
  A: Tensor,
  W: Tensor,
  G: Tensor,
  propagate: boolean,
): DenseGradient {
  checkDenseBackward(A, W, G);
  const made: Tensor[] = [];
  const keep = (t: Tensor) => {
    made.push(t);
    return t;
  };
  try {
    const dW = keep(backend.matmul(A, G, true, false));
    const db = keep(backend.sum(G, 0));
    if (!propagate) return { dW, db };
    const back = keep(backend.matmul(G, W, false, true));
    const mask = keep(reluMask(backend, A));
    const dA = backend.binary("mul", back, mask);
    disposeAll(backend, [back, mask]);
    return { dW, db, dA };
  } catch (error) {
    disposeAll(backend, made);
    throw error;
  }
}

/** relu(A·W + b), or A·W + b: the backend's fused kernel, else {@link composeDense}. */
export function dense(backend: Backend, A: Tensor, W: Tensor, b: Tensor, relu: boolean): Tensor {
  if (!backend.fused.dense) return composeDense(backend, A, W, b, relu);
  checkDense(A, W, b);
  return backend.fused.dense(A, W, b, relu);
}

/** One dense layer's gradients: the backend's fused kernel, else {@link composeDenseBackward}. */
export function denseBackward(
  backend: Backend,
  A: Tensor,
  W: Tensor,
  G: Tensor,
  propagate: boolean,
): DenseGradient {
  if (!backend.fused.denseBackward) return composeDenseBackward(backend, A, W, G, propagate);
  checkDenseBackward(A, W, G);
  return backend.fused.denseBackward(A, W, G, propagate);
}
