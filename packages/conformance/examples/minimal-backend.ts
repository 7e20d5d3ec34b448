/**
 * A minimal, complete wdecay backend: every primitive of the Backend interface in plain
 * TypeScript, float64 storage, no fused kernels (core composes `linearSgd` and `linearLoss` from
 * the primitives). It imports types only from `@wdecay/core`, nothing else: start a new backend
 * from a copy of this file, run the conformance suite on it (see `../test/example-backend.test.ts`),
 * then make it fast one primitive or fused kernel at a time, rerunning the suite after each.
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

const UNARY: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  abs: Math.abs,
  sign: Math.sign, // sign(±0) = ±0, sign(NaN) = NaN
  square: (x) => x * x,
  sqrt: Math.sqrt,
};

const BINARY: Record<BinaryOp, (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
};

const fmt = (s: Shape) => `${s[0]}×${s[1]}`;

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
    const [rows, cols] = shape;
    if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows >= 1 && cols >= 1)) {
      throw new RangeError(`shape must be two positive integers, got [${rows}, ${cols}]`);
    }
    if (rows * cols > this.capabilities.maxTensorElements) {
      throw new RangeError(`a ${fmt(shape)} tensor exceeds ${this.capabilities.maxTensorElements}`);
    }
    if (dtype !== "float" && dtype !== "int32") throw new TypeError(`unknown dtype ${dtype}`);
    this.live++;
    return new MinimalTensor([rows, cols], dtype, new Float64Array(rows * cols), this);
  }

  /** The values of a live tensor of this backend; a clear error for anything else. */
  protected storage(t: Tensor, what = "tensor"): Float64Array {
    if (!(t instanceof MinimalTensor) || t.owner !== this) {
      throw new TypeError(`${what} does not belong to backend ${this.name}`);
    }
    if (t.disposed) throw new Error(`${what} (${fmt(t.shape)}) was already disposed`);
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
    if (data.length !== out.length) {
      throw new RangeError(`write: ${data.length} values for a ${fmt(target.shape)} tensor`);
    }
    for (let i = 0; i < data.length; i++) {
      const v = data[i] as number;
      if (target.dtype === "int32" && !(Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31)) {
        throw new RangeError(`write: int32 tensor given ${v} at ${i}`);
      }
      out[i] = v;
    }
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
    const [ar, ac] = a.shape;
    const [br, bc] = b.shape;
    const [m, k] = transposeA ? [ac, ar] : [ar, ac];
    const [k2, n] = transposeB ? [bc, br] : [br, bc];
    if (k !== k2) {
      throw new RangeError(`matmul: inner dimensions differ (${fmt(a.shape)}, ${fmt(b.shape)})`);
    }
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
    const f = BINARY[op];
    if (!f) throw new RangeError(`unknown binary op ${op}`);
    const A = this.storage(a, `${op} a`);
    const B = this.storage(b, `${op} b`);
    const [r, c] = a.shape;
    const [br, bc] = b.shape;
    // b is the same shape as a, a 1×c row, an r×1 column or a 1×1 scalar.
    if (!((br === r || br === 1) && (bc === c || bc === 1))) {
      throw new RangeError(`${op}: cannot broadcast ${fmt(b.shape)} to ${fmt(a.shape)}`);
    }
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
    const f = UNARY[op];
    if (!f) throw new RangeError(`unknown unary op ${op}`);
    const A = this.storage(a, op);
    const out = this.alloc(a.shape);
    for (let i = 0; i < A.length; i++) out.data[i] = f(A[i] as number);
    return out;
  }

  axpby(alpha: number, x: Tensor, beta: number, y: Tensor): Tensor {
    const X = this.storage(x, "axpby x");
    const Y = this.storage(y, "axpby y");
    if (x.shape[0] !== y.shape[0] || x.shape[1] !== y.shape[1]) {
      throw new RangeError(`axpby: shapes differ (${fmt(x.shape)} and ${fmt(y.shape)})`);
    }
    const out = this.alloc(x.shape);
    for (let i = 0; i < X.length; i++) {
      out.data[i] = alpha * (X[i] as number) + beta * (Y[i] as number);
    }
    return out;
  }

  softThreshold(a: Tensor, t: number): Tensor {
    if (!(t >= 0)) throw new RangeError(`softThreshold: threshold must be ≥ 0, got ${t}`);
    const A = this.storage(a, "softThreshold");
    const out = this.alloc(a.shape);
    for (let i = 0; i < A.length; i++) {
      const v = A[i] as number;
      out.data[i] = v > t ? v - t : v < -t ? v + t : 0; // exactly 0 in the dead zone
    }
    return out;
  }

  sum(a: Tensor, axis?: Axis): Tensor {
    if (axis !== undefined && axis !== 0 && axis !== 1) {
      throw new RangeError(`sum: axis must be 0, 1 or undefined, got ${axis}`);
    }
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
    if (!(Number.isInteger(offset) && Number.isInteger(count) && offset >= 0 && count >= 1)) {
      throw new RangeError(`gatherRows: bad range offset ${offset}, count ${count}`);
    }
    if (offset + count > I.length) {
      throw new RangeError(`gatherRows: rows ${offset}..${offset + count} of ${I.length} indices`);
    }
    const [r, c] = a.shape;
    const out = this.alloc([count, c], a.dtype);
    for (let t = 0; t < count; t++) {
      const row = I[offset + t] as number;
      if (!(row >= 0 && row < r)) {
        this.dispose(out);
        throw new RangeError(`gatherRows: row index ${row} outside [0, ${r})`);
      }
      out.data.set(A.subarray(row * c, row * c + c), t * c);
    }
    return out;
  }

  assign(target: Tensor, source: Tensor): void {
    const T = this.storage(target, "assign target");
    const S = this.storage(source, "assign source");
    if (
      target.shape[0] !== source.shape[0] ||
      target.shape[1] !== source.shape[1] ||
      target.dtype !== source.dtype
    ) {
      throw new RangeError(`assign: ${fmt(source.shape)} into ${fmt(target.shape)}`);
    }
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
