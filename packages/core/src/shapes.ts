/**
 * The argument checks of the {@link Backend} primitives, shared by every backend so that each
 * rejects a bad call the same way, with the same message: shapes, matmul's inner dimension,
 * binary broadcasting, sum's axis, gatherRows' window and indices, same-shape operands and the
 * soft threshold. Plus the host (JavaScript) maps of the elementwise ops, for backends that
 * compute them on the host.
 *
 * All of them run once per op call, on the host, before any work: none sits inside a kernel or
 * on a fused SGD step, and none allocates (except {@link matmulDims}' small result).
 */
import type {
  Axis,
  Backend,
  BackendCapabilities,
  BinaryOp,
  DType,
  NetworkUnaryOp,
  Shape,
  Tensor,
  UnaryOp,
} from "./backend.js";

/** A shape as `r×c`, the form every backend error message uses. */
export function describeShape(shape: Shape): string {
  return `${shape[0]}×${shape[1]}`;
}

/**
 * Checks the shape of a tensor about to be allocated: two positive integers with at most
 * `maxElements` elements (a backend's {@link BackendCapabilities.maxTensorElements}).
 *
 * @throws RangeError `shape must be two positive integers, got [r, c]`, or
 *   `a r×c tensor exceeds N elements`.
 */
export function checkShape(shape: Shape, maxElements: number): void {
  const [rows, cols] = shape;
  if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows >= 1 && cols >= 1)) {
    throw new RangeError(`shape must be two positive integers, got [${rows}, ${cols}]`);
  }
  if (rows * cols > maxElements) {
    throw new RangeError(`a ${describeShape(shape)} tensor exceeds ${maxElements} elements`);
  }
}

/**
 * Checks host data about to be copied into a tensor of `shape` and `dtype` ({@link Backend.upload},
 * {@link Backend.write}): one value per element and, for int32, integers in int32's range.
 *
 * @param op - The operation, first word of the message (`write`, `upload`).
 * @throws RangeError `write: N values for a r×c tensor`, or `write: int32 tensor given v at i`.
 */
export function checkHostData(
  op: string,
  data: ArrayLike<number>,
  shape: Shape,
  dtype: DType,
): void {
  if (data.length !== shape[0] * shape[1]) {
    throw new RangeError(`${op}: ${data.length} values for a ${describeShape(shape)} tensor`);
  }
  // An Int32Array holds only int32 values: nothing to check (a row order is written each epoch).
  if (dtype === "int32" && !(data instanceof Int32Array)) {
    for (let i = 0; i < data.length; i++) {
      const v = data[i] as number;
      if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) {
        throw new RangeError(`${op}: int32 tensor given ${v} at ${i}`);
      }
    }
  }
}

/** The dimensions of a product `op(a)·op(b)`: m×k times k×n gives m×n. */
export interface MatmulDims {
  /** Rows of `op(a)` and of the result. */
  readonly m: number;
  /** The inner dimension: columns of `op(a)`, rows of `op(b)`. */
  readonly k: number;
  /** Columns of `op(b)` and of the result. */
  readonly n: number;
}

/**
 * The dimensions of {@link Backend.matmul}'s `op(a)·op(b)`, where `op` transposes when asked.
 *
 * @throws RangeError `matmul: inner dimensions differ (2×3 · 4×5ᵀ)` when they do.
 */
export function matmulDims(a: Shape, b: Shape, transposeA = false, transposeB = false): MatmulDims {
  const m = transposeA ? a[1] : a[0];
  const k = transposeA ? a[0] : a[1];
  const k2 = transposeB ? b[1] : b[0];
  const n = transposeB ? b[0] : b[1];
  if (k !== k2) {
    throw new RangeError(
      `matmul: inner dimensions differ (${describeShape(a)}${transposeA ? "ᵀ" : ""} · ${describeShape(b)}${transposeB ? "ᵀ" : ""})`,
    );
  }
  return { m, k, n };
}

/**
 * How the second operand `b` of {@link Backend.binary} (`a op b`, a r×c) broadcasts:
 * - `same`: b is r×c, element for element;
 * - `scalar`: b is 1×1, one value for every element;
 * - `row`: b is 1×c, one value per column (row i of a takes b's only row);
 * - `column`: b is r×1, one value per row.
 *
 * Where two apply (a 1×1 `a`, say), the first in this order wins.
 */
export type Broadcast = "same" | "scalar" | "row" | "column";

/**
 * Classifies `b` against `a` for {@link Backend.binary}.
 *
 * @param op - The binary op, first word of the message.
 * @throws RangeError `add: cannot broadcast 2×3 to 4×5` when b is none of r×c, 1×1, 1×c, r×1.
 */
export function broadcastKind(op: BinaryOp, a: Shape, b: Shape): Broadcast {
  const [r, c] = a;
  const [br, bc] = b;
  if (br === r && bc === c) return "same";
  if (br === 1 && bc === 1) return "scalar";
  if (br === 1 && bc === c) return "row";
  if (br === r && bc === 1) return "column";
  throw new RangeError(`${op}: cannot broadcast ${describeShape(b)} to ${describeShape(a)}`);
}

/**
 * Checks two operands that must have one shape ({@link Backend.axpby}).
 *
 * @param op - The operation, first word of the message.
 * @throws RangeError `axpby: shapes differ (2×3 and 3×2)`.
 */
export function checkSameShape(op: string, a: Shape, b: Shape): void {
  if (a[0] !== b[0] || a[1] !== b[1]) {
    throw new RangeError(`${op}: shapes differ (${describeShape(a)} and ${describeShape(b)})`);
  }
}

/**
 * Checks {@link Backend.assign}'s operands: the source must have the target's shape and dtype.
 *
 * @throws RangeError `assign: 2×3 into 3×2` (also when only the dtypes differ).
 */
export function checkAssign(target: Tensor, source: Tensor): void {
  const [t, s] = [target.shape, source.shape];
  if (t[0] !== s[0] || t[1] !== s[1] || target.dtype !== source.dtype) {
    throw new RangeError(`assign: ${describeShape(s)} into ${describeShape(t)}`);
  }
}

/**
 * Checks {@link Backend.softThreshold}'s threshold: t ≥ 0 (NaN fails).
 *
 * @throws RangeError `softThreshold: threshold must be ≥ 0, got t`.
 */
export function checkThreshold(t: number): void {
  if (!(t >= 0)) throw new RangeError(`softThreshold: threshold must be ≥ 0, got ${t}`);
}

/**
 * Checks {@link Backend.sum}'s axis: 0, 1 or undefined (a caller without types may pass more).
 *
 * @throws RangeError `sum: axis must be 0, 1 or undefined, got 2`.
 */
export function checkSumAxis(axis: Axis | undefined): void {
  if (axis !== undefined && axis !== 0 && axis !== 1) {
    throw new RangeError(`sum: axis must be 0, 1 or undefined, got ${String(axis)}`);
  }
}

/**
 * Checks {@link Backend.gatherRows}' window `indices[offset .. offset + count)` and every index
 * in it, before anything is copied: the window is integers with offset ≥ 0 and count ≥ 1 inside
 * `indices`, and each index a row of the source, in `[0, rows)`.
 *
 * @param rows - Rows of the tensor gathered from.
 * @param indices - The index tensor's values (on the host).
 * @throws RangeError `gatherRows: bad range offset o, count c`,
 *   `gatherRows: rows 2..5 exceed 4 indices`, or `gatherRows: row index 9 out of range [0, 6)`.
 */
export function checkGatherRange(
  rows: number,
  indices: ArrayLike<number>,
  offset: number,
  count: number,
): void {
  if (!(Number.isInteger(offset) && Number.isInteger(count) && offset >= 0 && count >= 1)) {
    throw new RangeError(`gatherRows: bad range offset ${offset}, count ${count}`);
  }
  if (offset + count > indices.length) {
    throw new RangeError(
      `gatherRows: rows ${offset}..${offset + count} exceed ${indices.length} indices`,
    );
  }
  for (let t = offset; t < offset + count; t++) {
    const row = indices[t] as number;
    if (!(row >= 0 && row < rows)) {
      throw new RangeError(`gatherRows: row index ${row} out of range [0, ${rows})`);
    }
  }
}

/** Host (JavaScript) maps of the {@link UnaryOp}s: the reference a backend computes. */
export const HOST_UNARY: Readonly<Record<UnaryOp, (x: number) => number>> = Object.freeze({
  neg: (x: number) => -x,
  abs: Math.abs,
  // ±0 for ±0 and NaN for NaN, as Math.sign.
  sign: (x: number) => (x > 0 ? 1 : x < 0 ? -1 : x),
  square: (x: number) => x * x,
  sqrt: Math.sqrt,
});

/** Host (JavaScript) maps of the {@link NetworkUnaryOp}s: the reference a backend computes. */
export const HOST_NETWORK_UNARY: Readonly<Record<NetworkUnaryOp, (x: number) => number>> =
  Object.freeze({
    exp: Math.exp,
    log: Math.log,
    // x > 0 is false for NaN and −0: relu gives +0 there and NaN passes through as NaN.
    relu: (x: number) => (x > 0 ? x : Number.isNaN(x) ? x : 0),
    step: (x: number) => (x > 0 ? 1 : 0),
  });

/**
 * The host map of a network op ({@link HOST_NETWORK_UNARY}).
 *
 * @throws RangeError `unknown network op x` for anything else (a caller without types).
 */
export function hostNetworkUnary(op: NetworkUnaryOp): (x: number) => number {
  if (!Object.hasOwn(HOST_NETWORK_UNARY, op)) {
    throw new RangeError(`unknown network op ${String(op)}`);
  }
  return HOST_NETWORK_UNARY[op];
}

/**
 * Checks {@link NetworkPrimitives.max}' axis: 0 or 1 (a maximum of every element is not needed).
 *
 * @throws RangeError `max: axis must be 0 or 1, got x`.
 */
export function checkMaxAxis(axis: Axis): void {
  if (axis !== 0 && axis !== 1)
    throw new RangeError(`max: axis must be 0 or 1, got ${String(axis)}`);
}

/**
 * Maximum over an axis of a row-major r×c array, into `out` (length c for axis 0, r for axis 1):
 * the host loop of {@link NetworkPrimitives.max}. A NaN term makes the result NaN.
 */
export function hostMax(
  x: ArrayLike<number>,
  r: number,
  c: number,
  axis: Axis,
  out: { length: number; [i: number]: number },
): void {
  const outer = axis === 0 ? c : r;
  const inner = axis === 0 ? r : c;
  const outerStride = axis === 0 ? 1 : c;
  const innerStride = axis === 0 ? c : 1;
  for (let o = 0; o < outer; o++) {
    let m = Number.NEGATIVE_INFINITY;
    for (let t = 0; t < inner; t++) {
      const v = x[o * outerStride + t * innerStride] as number;
      // Math.max propagates NaN, as the contract asks.
      m = Math.max(m, v);
    }
    out[o] = m;
  }
}

/** Host (JavaScript) maps of the {@link BinaryOp}s: the reference a backend computes. */
export const HOST_BINARY: Readonly<Record<BinaryOp, (x: number, y: number) => number>> =
  Object.freeze({
    add: (x: number, y: number) => x + y,
    sub: (x: number, y: number) => x - y,
    mul: (x: number, y: number) => x * y,
    div: (x: number, y: number) => x / y,
  });

/**
 * The host map of a unary op ({@link HOST_UNARY}).
 *
 * @throws RangeError `unknown unary op x` for anything else (a caller without types).
 */
export function hostUnary(op: UnaryOp): (x: number) => number {
  if (!Object.hasOwn(HOST_UNARY, op)) throw new RangeError(`unknown unary op ${String(op)}`);
  return HOST_UNARY[op];
}

/**
 * The host map of a binary op ({@link HOST_BINARY}).
 *
 * @throws RangeError `unknown binary op x` for anything else (a caller without types).
 */
export function hostBinary(op: BinaryOp): (x: number, y: number) => number {
  if (!Object.hasOwn(HOST_BINARY, op)) throw new RangeError(`unknown binary op ${String(op)}`);
  return HOST_BINARY[op];
}

/**
 * Checks that `op` names a {@link UnaryOp}, for backends whose kernels are not host maps.
 *
 * @throws RangeError `unknown unary op x`.
 */
export function checkUnaryOp(op: UnaryOp): void {
  hostUnary(op);
}

/**
 * Checks that `op` names a {@link BinaryOp}, for backends whose kernels are not host maps.
 *
 * @throws RangeError `unknown binary op x`.
 */
export function checkBinaryOp(op: BinaryOp): void {
  hostBinary(op);
}

/**
 * `out = x op y` on host arrays, with y broadcast as {@link broadcastKind} classified it
 * (`x` and `out` are r×c row-major; `y` is r×c, 1×c, r×1 or 1×1): the elementwise loop of
 * backends that compute {@link Backend.binary} on the host.
 */
export function applyHostBinary(
  op: BinaryOp,
  kind: Broadcast,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  out: { [index: number]: number; readonly length: number },
  cols: number,
): void {
  const f = hostBinary(op);
  const n = out.length;
  if (kind === "same") {
    for (let i = 0; i < n; i++) out[i] = f(x[i] as number, y[i] as number);
  } else if (kind === "scalar") {
    const s = y[0] as number;
    for (let i = 0; i < n; i++) out[i] = f(x[i] as number, s);
  } else if (kind === "row") {
    for (let i = 0; i < n; i++) out[i] = f(x[i] as number, y[i % cols] as number);
  } else {
    for (let i = 0; i < n; i++) out[i] = f(x[i] as number, y[Math.floor(i / cols)] as number);
  }
}
