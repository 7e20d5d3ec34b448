import type {
  Axis,
  Backend,
  BinaryOp,
  DenseGradient,
  DType,
  FusedKernels,
  LinearSgdProgram,
  LinearSgdSpec,
  NetworkPrimitives,
  NetworkUnaryOp,
  Precision,
  Shape,
  Tensor,
  UnaryOp,
} from "@wdecay/core";
import {
  applyHostBinary,
  broadcastKind,
  checkAssign,
  checkGatherRange,
  checkHostData,
  checkLinearShapes,
  checkMaxAxis,
  checkSameShape,
  checkShape,
  checkSumAxis,
  checkThreshold,
  describeShape,
  hostMax,
  hostNetworkUnary,
  hostUnary,
  matmulDims,
} from "@wdecay/core";
import { type Access, DualSgd } from "./dual.js";
import * as kernels32 from "./kernels.f32.js";
import type { AnyArray, FloatArray } from "./kernels.js";
import * as kernels64 from "./kernels.js";

/** Options of {@link createCpuBackend}. */
export interface CpuBackendOptions {
  /** float64 (the reference, default) or float32. */
  readonly precision?: Precision;
  /** Registry name (`cpu` for float64, `cpu-f32` for float32 by default). */
  readonly name?: string;
  /**
   * Provide the fused kernels (default true). Without them core composes every step from
   * primitives: slower, but that is the path a new backend starts on, so it is worth testing.
   */
  readonly fused?: boolean;
  /**
   * When the fused SGD program of a λ grid (L > 1 weight columns) runs in dual form (see
   * `dual.ts`): `auto` (default) when it pays, i.e. when there are at most half as many rows as
   * features; `always` or `never` to force a path (tests). A spec with any `weightL1` > 0 always
   * runs in primal form: the dual form cannot represent the L1 proximal step.
   */
  readonly dual?: "auto" | "always" | "never";
}

class CpuTensor implements Tensor {
  disposed = false;
  /** Bumped by every in-place change through `write`/`assign` (keys the dual programs' caches). */
  version = 0;
  constructor(
    readonly shape: Shape,
    readonly dtype: DType,
    readonly data: AnyArray,
    readonly owner: CpuBackend,
  ) {}
}

/** Plain TypeScript on typed arrays; see {@link createCpuBackend}. */
export class CpuBackend implements Backend {
  readonly name: string;
  readonly precision: Precision;
  readonly capabilities = { device: "cpu", maxTensorElements: 2 ** 31 - 1 } as const;
  readonly fused: Partial<FusedKernels>;
  readonly network: NetworkPrimitives = {
    unary: (op, a) => this.networkUnary(op, a),
    max: (a, axis) => this.max(a, axis),
  };
  private live = 0;
  private destroyed = false;
  private readonly Float: Float64ArrayConstructor | Float32ArrayConstructor;
  /** This precision's copy of the kernels (see scripts/specialize-kernels.mjs for why two). */
  private readonly k: typeof kernels64;
  private readonly dual: "auto" | "always" | "never";
  /** Live dual SGD programs: every op tells them which tensor it touches and how. */
  private readonly duals = new Set<DualSgd>();

  constructor(options: CpuBackendOptions = {}) {
    this.precision = options.precision ?? "float64";
    if (this.precision !== "float64" && this.precision !== "float32") {
      throw new RangeError(`precision must be float64 or float32, got ${String(this.precision)}`);
    }
    this.name = options.name ?? (this.precision === "float64" ? "cpu" : "cpu-f32");
    this.Float = this.precision === "float64" ? Float64Array : Float32Array;
    this.k = this.precision === "float64" ? kernels64 : kernels32;
    this.dual = options.dual ?? "auto";
    this.fused =
      options.fused === false
        ? {}
        : {
            linearSgd: (spec) => this.linearSgd(spec),
            linearLoss: (X, y, w, b) => this.linearLoss(X, y, w, b),
            dense: (A, W, b, relu) => this.dense(A, W, b, relu),
            denseBackward: (A, W, G, propagate) => this.denseBackward(A, W, G, propagate),
          };
  }

  private make(shape: Shape, dtype: DType = "float", data?: AnyArray): CpuTensor {
    if (this.destroyed) throw new Error(`backend ${this.name} was destroyed`);
    checkShape(shape, this.capabilities.maxTensorElements);
    const [rows, cols] = shape;
    const array =
      data ?? (dtype === "int32" ? new Int32Array(rows * cols) : new this.Float(rows * cols));
    this.live++;
    return new CpuTensor([rows, cols], dtype, array, this);
  }

  /**
   * Checks a tensor before an op uses it. `access` says how, so that a dual SGD program holding
   * the tensor can first materialize its weights (read) or drop its dual state (write).
   */
  private get(t: Tensor, what = "tensor", access: Access = "read", except?: DualSgd): CpuTensor {
    if (!(t instanceof CpuTensor) || t.owner !== this) {
      throw new TypeError(`${what} does not belong to backend ${this.name}`);
    }
    if (t.disposed) throw new Error(`${what} (${describeShape(t.shape)}) was already disposed`);
    if (access !== "read" && access !== "none") t.version++;
    if (this.duals.size > 0 && access !== "none") {
      for (const p of this.duals) if (p !== except) p.touch(t, access);
    }
    return t;
  }

  private float(t: Tensor, what: string): FloatArray {
    const c = this.get(t, what);
    if (c.dtype !== "float") throw new TypeError(`${what} must be a float tensor`);
    return c.data as FloatArray;
  }

  upload(data: ArrayLike<number>, shape: Shape, dtype: DType = "float"): Tensor {
    const t = this.make(shape, dtype);
    try {
      this.write(t, data);
    } catch (error) {
      this.dispose(t);
      throw error;
    }
    return t;
  }

  write(target: Tensor, data: ArrayLike<number>): void {
    // Checked first and announced only once valid: a write that throws changes nothing.
    const t = this.get(target, "write target", "none");
    checkHostData("write", data, t.shape, t.dtype);
    this.get(target, "write target", "write");
    t.data.set(data);
  }

  async read(tensor: Tensor): Promise<Float64Array> {
    return Float64Array.from(this.get(tensor).data);
  }

  dispose(tensor: Tensor): void {
    const t = this.get(tensor, "tensor", "none");
    t.disposed = true;
    this.live--;
  }

  liveTensors(): number {
    return this.live;
  }

  zeros(shape: Shape, dtype: DType = "float"): Tensor {
    return this.make(shape, dtype);
  }

  matmul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
    const A = this.get(a, "matmul a");
    const B = this.get(b, "matmul b");
    const [ar, ac] = A.shape;
    const [br, bc] = B.shape;
    const { m, n } = matmulDims(A.shape, B.shape, transposeA, transposeB);
    const out = this.make([m, n]);
    this.k.matmulImpl(
      out.data as FloatArray,
      A.data,
      ar,
      ac,
      B.data,
      br,
      bc,
      transposeA,
      transposeB,
    );
    return out;
  }

  binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
    const A = this.get(a, `${op} a`);
    const B = this.get(b, `${op} b`);
    const kind = broadcastKind(op, A.shape, B.shape);
    const [r, c] = A.shape;
    const out = this.make([r, c]);
    applyHostBinary(op, kind, A.data, B.data, out.data, c);
    return out;
  }

  unary(op: UnaryOp, a: Tensor): Tensor {
    const A = this.get(a, op);
    const f = hostUnary(op);
    const out = this.make(A.shape);
    for (let i = 0; i < out.data.length; i++) out.data[i] = f(A.data[i] as number);
    return out;
  }

  private networkUnary(op: NetworkUnaryOp, a: Tensor): Tensor {
    const A = this.get(a, op);
    const f = hostNetworkUnary(op);
    const out = this.make(A.shape);
    const o = out.data;
    const x = A.data;
    for (let i = 0; i < o.length; i++) o[i] = f(x[i] as number);
    return out;
  }

  private max(a: Tensor, axis: Axis): Tensor {
    const A = this.get(a, "max");
    checkMaxAxis(axis);
    const [r, c] = A.shape;
    const out = this.make(axis === 0 ? [1, c] : [r, 1]);
    hostMax(A.data, r, c, axis, out.data);
    return out;
  }

  axpby(alpha: number, x: Tensor, beta: number, y: Tensor): Tensor {
    const X = this.get(x, "axpby x");
    const Y = this.get(y, "axpby y");
    checkSameShape("axpby", X.shape, Y.shape);
    const out = this.make(X.shape);
    for (let i = 0; i < out.data.length; i++) {
      out.data[i] = alpha * (X.data[i] as number) + beta * (Y.data[i] as number);
    }
    return out;
  }

  softThreshold(a: Tensor, t: number): Tensor {
    checkThreshold(t);
    const A = this.get(a, "softThreshold");
    const out = this.make(A.shape);
    for (let i = 0; i < out.data.length; i++) {
      const v = A.data[i] as number;
      out.data[i] = v > t ? v - t : v < -t ? v + t : 0;
    }
    return out;
  }

  sum(a: Tensor, axis?: Axis): Tensor {
    const A = this.get(a, "sum");
    checkSumAxis(axis);
    const [r, c] = A.shape;
    const x = A.data;
    if (axis === undefined) {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += x[i] as number;
      const out = this.make([1, 1]);
      out.data[0] = s;
      return out;
    }
    if (axis === 0) {
      const acc = new Float64Array(c);
      for (let i = 0; i < r; i++)
        for (let j = 0; j < c; j++) acc[j] = (acc[j] as number) + (x[i * c + j] as number);
      const out = this.make([1, c]);
      out.data.set(acc);
      return out;
    }
    const out = this.make([r, 1]);
    for (let i = 0; i < r; i++) {
      let s = 0;
      for (let j = 0; j < c; j++) s += x[i * c + j] as number;
      out.data[i] = s;
    }
    return out;
  }

  gatherRows(a: Tensor, indices: Tensor, offset: number, count: number): Tensor {
    const A = this.get(a, "gatherRows source");
    const I = this.get(indices, "gatherRows indices");
    if (I.dtype !== "int32") throw new TypeError("gatherRows: indices must be int32");
    const [r, c] = A.shape;
    checkGatherRange(r, I.data, offset, count);
    const out = this.make([count, c], A.dtype);
    for (let t = 0; t < count; t++) {
      const row = I.data[offset + t] as number;
      out.data.set(A.data.subarray(row * c, row * c + c), t * c);
    }
    return out;
  }

  assign(target: Tensor, source: Tensor): void {
    const T = this.get(target, "assign target", "none");
    const S = this.get(source, "assign source");
    checkAssign(T, S);
    // Source first (it may be a stale w to materialize), then the target is announced.
    this.get(target, "assign target", "write");
    T.data.set(S.data);
  }

  destroy(): void {
    this.destroyed = true;
  }

  /**
   * relu(A·W + b): the product, then the bias and ReLU in place, each rounded on its store as
   * the composition's broadcast add and relu are (the same bits, without their tensors).
   */
  private dense(a: Tensor, w: Tensor, b: Tensor, relu: boolean): Tensor {
    const bias = this.float(b, "the layer's bias");
    const Z = this.matmul(a, w) as CpuTensor;
    const z = Z.data as FloatArray;
    const [m, n] = Z.shape;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const k = i * n + j;
        z[k] = (z[k] as number) + (bias[j] as number);
        if (relu) {
          const v = z[k] as number;
          z[k] = v > 0 || Number.isNaN(v) ? v : 0;
        }
      }
    }
    return Z;
  }

  /** dW = Aᵀ·G, db = Σ_rows G and, with `propagate`, (G·Wᵀ) ⊙ 1[A > 0] masked in place. */
  private denseBackward(a: Tensor, w: Tensor, g: Tensor, propagate: boolean): DenseGradient {
    const A = this.float(a, "the layer's input");
    const dW = this.matmul(a, g, true, false);
    const db = this.sum(g, 0);
    if (!propagate) return { dW, db };
    const dA = this.matmul(g, w, false, true) as CpuTensor;
    const d = dA.data as FloatArray;
    for (let k = 0; k < d.length; k++) d[k] = (d[k] as number) * ((A[k] as number) > 0 ? 1 : 0);
    return { dW, db, dA };
  }

  private linearSgd(spec: LinearSgdSpec): LinearSgdProgram {
    const X = this.float(spec.X, "X");
    const y = this.float(spec.y, "y");
    const order = this.get(spec.order, "order").data as Int32Array;
    const w = this.float(spec.w, "w");
    const b = this.float(spec.b, "b");
    const [n, d] = spec.X.shape;
    const L = spec.w.shape[1];
    const penalty = Float64Array.from(spec.weightPenalty);
    const decay = Float64Array.from(spec.weightDecay);
    const biasDecay = Float64Array.from(spec.biasDecay);
    // L1 weights, or undefined when there are none: the L1-free kernels stay exactly as before.
    const l1 = spec.weightL1?.some((v) => v > 0) ? Float64Array.from(spec.weightL1) : undefined;
    // Scratch for residuals and gradients, allocated once so that a step allocates nothing.
    const g = new this.Float(d * L);
    const tensors = [spec.X, spec.y, spec.order, spec.w, spec.b];
    // A disposed program, like a disposed tensor, is an error to use.
    let disposed = false;
    const check = (offset: number, count: number, self?: DualSgd) => {
      if (disposed) throw new Error("linearSgd: the program was disposed");
      if (!(offset >= 0 && count >= 1 && offset + count <= n)) {
        throw new RangeError(`linearSgd: rows ${offset}..${offset + count} outside [0, ${n}]`);
      }
      for (let i = 0; i < tensors.length; i++) this.get(tensors[i] as Tensor, "tensor", "none");
      // A step reads and rewrites w and b: other dual programs on them must know.
      if (this.duals.size > 0) {
        this.get(spec.w, "w", "update", self);
        this.get(spec.b, "b", "update", self);
      }
    };
    // One column (the chapter) gets its own small kernel, chosen once here rather than per step.
    if (L === 1) {
      const { linearSgdStepL1: stepL1, softThresholdInPlace } = this.k;
      const [p, dw, db] = [penalty[0] as number, decay[0] as number, biasDecay[0] as number];
      if (l1) {
        const t1 = l1[0] as number;
        return {
          step: (offset, count, lr) => {
            check(offset, count);
            stepL1(X, y, order, w, b, d, offset, count, lr, p, dw, db, g);
            softThresholdInPlace(w, d, lr * t1);
          },
          dispose: () => {
            disposed = true;
          },
        };
      }
      return {
        step: (offset, count, lr) => {
          check(offset, count);
          stepL1(X, y, order, w, b, d, offset, count, lr, p, dw, db, g);
        },
        dispose: () => {
          disposed = true;
        },
      };
    }
    // The dual form keeps w as a combination of w₀ and the rows of X, which a soft threshold
    // (nonlinear, it zeroes coordinates) does not preserve: with any L1 the primal path runs,
    // even when `dual` is `always`.
    // It also assumes one shared target column (a λ grid), not multi-output targets.
    const yCols = spec.y.shape[1];
    if (!l1 && yCols === 1 && (this.dual === "always" || (this.dual === "auto" && 2 * n <= d))) {
      const t = (x: Tensor) => this.get(x, "tensor", "none");
      const program = new DualSgd(
        t(spec.X),
        t(spec.y),
        t(spec.order),
        t(spec.w),
        t(spec.b),
        penalty,
        decay,
        biasDecay,
      );
      this.duals.add(program);
      return {
        step: (offset, count, lr) => {
          check(offset, count, program);
          program.step(offset, count, lr);
        },
        dispose: () => {
          if (disposed) return;
          disposed = true;
          // w must hold its values once nobody else can produce them.
          if (program.stale) program.materialize();
          this.duals.delete(program);
        },
      };
    }
    const r = new this.Float(n * L);
    return {
      step: (offset, count, lr) => {
        check(offset, count);
        this.k.linearSgdStep(
          X,
          y,
          order,
          w,
          b,
          d,
          L,
          offset,
          count,
          lr,
          penalty,
          decay,
          biasDecay,
          r,
          g,
          l1,
          yCols,
        );
      },
      dispose: () => {
        disposed = true;
      },
    };
  }

  private linearLoss(X: Tensor, y: Tensor, w: Tensor, b: Tensor): Tensor {
    checkLinearShapes("linearLoss", X, y, w, b);
    const d = X.shape[1];
    const L = w.shape[1];
    const yCols = y.shape[1];
    const wt = this.get(w, "w", "none");
    for (const p of this.duals) {
      if (yCols === 1 && p.w === wt && p.canEvaluate(this.get(X, "X", "none"))) {
        const [Xt, yt, bt] = [this.get(X, "X"), this.get(y, "y"), this.get(b, "b")];
        if (Xt.dtype !== "float" || yt.dtype !== "float" || bt.dtype !== "float") break;
        const out = this.make([1, L]);
        p.loss(out.data as FloatArray, Xt, yt, bt);
        return out;
      }
    }
    // Operands checked before the result is made: a misuse throws and leaves nothing behind.
    const [Xd, yd, wd, bd] = [
      this.float(X, "X"),
      this.float(y, "y"),
      this.float(w, "w"),
      this.float(b, "b"),
    ];
    const out = this.make([1, L]);
    if (L === 1) out.data[0] = this.k.linearLossL1(Xd, yd, wd, bd[0] as number, d);
    else this.k.linearLoss(out.data as FloatArray, Xd, yd, wd, bd, d, L, yCols);
    return out;
  }
}

/**
 * The cpu backend: float64 (the reference every other backend is compared with) or float32.
 * Fuses the SGD step and the loss so the chapter's workload runs at hand-written speed.
 */
export function createCpuBackend(options: CpuBackendOptions = {}): Backend {
  return new CpuBackend(options);
}
