/**
 * A minimal, complete wdecay backend: every primitive of the Backend interface in plain
 * TypeScript, float64 storage, no fused kernels (core composes `linearSgd` and `linearLoss` from
 * the primitives). It imports from `@wdecay/core` only: the types, and the argument checks every
 * backend shares (`checkShape`, `matmulDims`, `broadcastKind`, …), so that it rejects a bad call
 * with the same message as the others, plus the host maps of the elementwise ops. Start a new
 * backend from a copy of this file, run the conformance suite on it (as the package README's
 * example test does), then make it fast one primitive or fused kernel at a time, rerunning the
 * suite after each. Exported as `@wdecay/conformance/minimal-backend`.
 */
import type {
  Axis,
  Backend,
  BackendCapabilities,
  BinaryOp,
  DType,
  FusedKernels,
  Precision,
  Shape,
  Tensor,
  UnaryOp,
} from "@wdecay/core";
import {
  broadcastKind,
  checkAssign,
  checkGatherRange,
  checkHostData,
  checkSameShape,
  checkShape,
  checkSumAxis,
  checkThreshold,
  describeShape,
  hostBinary,
  hostUnary,
  matmulDims,
} from "@wdecay/core";

/** A tensor of {@link MinimalBackend}: row-major values (int32 indices are stored as floats). */
class MinimalTensor implements Tensor {
  disposed = false;
  constructor(
    readonly shape: Shape,
    readonly dtype: DType,
    readonly data: Float64Array,
    readonly owner: MinimalBackend,
  ) {}
}

/**
 * The example backend. Subclasses reach the storage through the protected {@link alloc} and
 * {@link storage} (the conformance tests plant bugs in subclasses to prove the suite catches them).
 */
export class MinimalBackend implements Backend {
  readonly precision: Precision = "float64";
  readonly capabilities: BackendCapabilities = { device: "cpu", maxTensorElements: 2 ** 26 };
  /** No fused kernels: core composes them from the primitives below. */
  readonly fused: Partial<FusedKernels> = {};
  private live = 0;
  private destroyed = false;

  constructor(readonly name = "minimal") {}

  /** A new zero-filled tensor, counted live until disposed. */
  protected alloc(shape: Shape, dtype: DType = "float"): MinimalTensor {
    if (this.destroyed) throw new Error(`backend ${this.name} was destroyed`);
    checkShape(shape, this.capabilities.maxTensorElements);
    const [rows, cols] = shape;
    if (dtype !== "float" && dtype !== "int32") throw new TypeError(`unknown dtype ${dtype}`);
    this.live++;
    return new MinimalTensor([rows, cols], dtype, new Float64Array(rows * cols), this);
  }

  /** The values of a live tensor of this backend; a clear error for anything else. */
  protected storage(t: Tensor, what = "tensor"): Float64Array {
    if (!(t instanceof MinimalTensor) || t.owner !== this) {
      throw new TypeError(`${what} does not belong to backend ${this.name}`);
    }
    if (t.disposed) throw new Error(`${what} (${describeShape(t.shape)}) was already disposed`);
    return t.data;
  }

  upload(data: ArrayLike<number>, shape: Shape, dtype: DType = "float"): Tensor {
    const t = this.alloc(shape, dtype);
    try {
      this.write(t, data);
    } catch (error) {
      this.dispose(t);
      throw error;
    }
    return t;
  }

  write(target: Tensor, data: ArrayLike<number>): void {
    const out = this.storage(target, "write target");
    // One value per element; int32 tensors take integers in int32's range.
    checkHostData("write", data, target.shape, target.dtype);
    out.set(data);
  }

  async read(tensor: Tensor): Promise<Float64Array> {
    return this.storage(tensor).slice();
  }

  dispose(tensor: Tensor): void {
    this.storage(tensor);
    (tensor as MinimalTensor).disposed = true;
    this.live--;
  }

  liveTensors(): number {
    return this.live;
  }

  zeros(shape: Shape, dtype: DType = "float"): Tensor {
    return this.alloc(shape, dtype);
  }

  matmul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
    const A = this.storage(a, "matmul a");
    const B = this.storage(b, "matmul b");
    const ac = a.shape[1];
    const bc = b.shape[1];
    // op(a) is m×k, op(b) k×n; throws where the inner dimensions differ.
    const { m, k, n } = matmulDims(a.shape, b.shape, transposeA, transposeB);
    const out = this.alloc([m, n]);
    const C = out.data;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const x = (transposeA ? A[p * ac + i] : A[i * ac + p]) as number;
          const y = (transposeB ? B[j * bc + p] : B[p * bc + j]) as number;
          s += x * y;
        }
        C[i * n + j] = s;
      }
    }
    return out;
  }

  binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
    const f = hostBinary(op);
    const A = this.storage(a, `${op} a`);
    const B = this.storage(b, `${op} b`);
    // b is the same shape as a, a 1×c row, an r×1 column or a 1×1 scalar (else this throws):
    // the loop below reads b at row 0 where it has one row, at column 0 where it has one column.
    broadcastKind(op, a.shape, b.shape);
    const [r, c] = a.shape;
    const [br, bc] = b.shape;
    const out = this.alloc([r, c]);
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < c; j++) {
        const y = B[(br === 1 ? 0 : i) * bc + (bc === 1 ? 0 : j)] as number;
        out.data[i * c + j] = f(A[i * c + j] as number, y);
      }
    }
    return out;
  }

  unary(op: UnaryOp, a: Tensor): Tensor {
    const f = hostUnary(op); // sign(±0) = ±0, sign(NaN) = NaN
    const A = this.storage(a, op);
    const out = this.alloc(a.shape);
    for (let i = 0; i < A.length; i++) out.data[i] = f(A[i] as number);
    return out;
  }

  axpby(alpha: number, x: Tensor, beta: number, y: Tensor): Tensor {
    const X = this.storage(x, "axpby x");
    const Y = this.storage(y, "axpby y");
    checkSameShape("axpby", x.shape, y.shape);
    const out = this.alloc(x.shape);
    for (let i = 0; i < X.length; i++) {
      out.data[i] = alpha * (X[i] as number) + beta * (Y[i] as number);
    }
    return out;
  }

  softThreshold(a: Tensor, t: number): Tensor {
    checkThreshold(t);
    const A = this.storage(a, "softThreshold");
    const out = this.alloc(a.shape);
    for (let i = 0; i < A.length; i++) {
      const v = A[i] as number;
      out.data[i] = v > t ? v - t : v < -t ? v + t : 0; // exactly 0 in the dead zone
    }
    return out;
  }

  sum(a: Tensor, axis?: Axis): Tensor {
    checkSumAxis(axis);
    const A = this.storage(a, "sum");
    const [r, c] = a.shape;
    const out = this.alloc(axis === 0 ? [1, c] : axis === 1 ? [r, 1] : [1, 1]);
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < c; j++) {
        const o = axis === 0 ? j : axis === 1 ? i : 0;
        out.data[o] = (out.data[o] as number) + (A[i * c + j] as number);
      }
    }
    return out;
  }

  gatherRows(a: Tensor, indices: Tensor, offset: number, count: number): Tensor {
    const A = this.storage(a, "gatherRows source");
    const I = this.storage(indices, "gatherRows indices");
    if (indices.dtype !== "int32") throw new TypeError("gatherRows: indices must be int32");
    const [r, c] = a.shape;
    // The window lies inside `indices` and each index in it is a row of `a`: checked before
    // allocating, so that a bad index leaks nothing.
    checkGatherRange(r, I, offset, count);
    const out = this.alloc([count, c], a.dtype);
    for (let t = 0; t < count; t++) {
      const row = I[offset + t] as number;
      out.data.set(A.subarray(row * c, row * c + c), t * c);
    }
    return out;
  }

  assign(target: Tensor, source: Tensor): void {
    const T = this.storage(target, "assign target");
    const S = this.storage(source, "assign source");
    checkAssign(target, source); // same shape, same dtype
    T.set(S);
  }

  destroy(): void {
    this.destroyed = true;
  }
}

/** The example backend, typed as the interface it implements. */
export function createMinimalBackend(): Backend {
  return new MinimalBackend();
}
