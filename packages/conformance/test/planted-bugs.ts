/**
 * Backends with one planted bug each: the proof that the suite can fail. Each is the minimal
 * example backend with one realistic mistake, and names the properties that must catch it.
 */

import { MinimalBackend } from "@wdecay/conformance/minimal-backend";
import {
  type Axis,
  type Backend,
  type BackendCapabilities,
  type BinaryOp,
  composeLinearSgd,
  type FusedKernels,
  type LinearSgdSpec,
  type Precision,
  type Tensor,
  type UnaryOp,
} from "@wdecay/core";

export interface PlantedBug {
  /** Short id, used as the backend's name. */
  readonly id: string;
  /** The mistake, as it would be described in a bug report. */
  readonly bug: string;
  /** Property ids that must fail on this backend. */
  readonly caughtBy: readonly string[];
  readonly create: () => Backend;
}

/** `op(a)·op(b)` that forgets the transpose of a square B: Bᵀ and B have the same shape. */
class TransposedMatmul extends MinimalBackend {
  override matmul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
    const square = b.shape[0] === b.shape[1];
    return super.matmul(a, b, transposeA, transposeB && !square);
  }
}

/** A fused SGD step whose bias takes the weights' decay (the bias must not be decayed). */
class DecayedBias extends MinimalBackend {
  override readonly fused: Partial<FusedKernels> = {
    linearSgd: (spec: LinearSgdSpec) =>
      composeLinearSgd(this, { ...spec, biasDecay: spec.weightDecay }),
  };
}

/** A fused SGD step that applies decoupled decay and also adds it to the loss as a penalty. */
class DecayTwice extends MinimalBackend {
  override readonly fused: Partial<FusedKernels> = {
    linearSgd: (spec: LinearSgdSpec) =>
      composeLinearSgd(this, {
        ...spec,
        weightPenalty: spec.weightPenalty.map((p, l) => p + (spec.weightDecay[l] as number)),
      }),
  };
}

/** A reduction whose loop stops one short (`i < n − 1`): the last element is dropped. */
class SumDropsLast extends MinimalBackend {
  override sum(a: Tensor, axis?: Axis): Tensor {
    const A = this.storage(a, "sum");
    const [r, c] = a.shape;
    const out = this.alloc(axis === 0 ? [1, c] : axis === 1 ? [r, 1] : [1, 1]);
    const add = (o: number, i: number) => {
      out.data[o] = (out.data[o] as number) + (A[i] as number);
    };
    if (axis === 0) {
      for (let j = 0; j < c; j++) for (let i = 0; i < r - 1; i++) add(j, i * c + j);
    } else if (axis === 1) {
      for (let i = 0; i < r; i++) for (let j = 0; j < c - 1; j++) add(i, i * c + j);
    } else {
      for (let i = 0; i < A.length - 1; i++) add(0, i);
    }
    return out;
  }
}

/** A minibatch gather one off: reads `indices[offset + t + 1]` (clamped, so it never throws). */
class GatherOffByOne extends MinimalBackend {
  override gatherRows(a: Tensor, indices: Tensor, offset: number, count: number): Tensor {
    const A = this.storage(a, "gatherRows source");
    const I = this.storage(indices, "gatherRows indices");
    const c = a.shape[1];
    const out = this.alloc([count, c], a.dtype);
    for (let t = 0; t < count; t++) {
      const row = I[Math.min(offset + t + 1, I.length - 1)] as number;
      out.data.set(A.subarray(row * c, row * c + c), t * c);
    }
    return out;
  }
}

/** Declares float64 but accumulates matmul and sum in float32 (`Math.fround` after each add). */
/** A value rounded to 21 significant bits: 3 bits fewer than float32's 24. */
function round21(v: number): number {
  if (v === 0 || !Number.isFinite(v)) return v;
  const scale = 2 ** (20 - Math.floor(Math.log2(Math.abs(v))));
  return Math.round(v * scale) / scale;
}

/**
 * A float32 backend whose results keep 21 significant bits (a half-precision intermediate, a
 * lossy packing): 8× less accurate than float32, yet inside most worst-case tolerances.
 */
class CoarseFloat32 extends MinimalBackend {
  override readonly precision: Precision = "float32";

  private coarse(t: Tensor): Tensor {
    const data = this.storage(t);
    for (let i = 0; i < data.length; i++) data[i] = round21(Math.fround(data[i] as number));
    return t;
  }

  override write(target: Tensor, values: ArrayLike<number>): void {
    super.write(
      target,
      Array.from(values, (v) => (target.dtype === "float" ? Math.fround(v) : v)),
    );
  }

  override binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
    return this.coarse(super.binary(op, a, b));
  }

  override unary(op: UnaryOp, a: Tensor): Tensor {
    return this.coarse(super.unary(op, a));
  }

  override axpby(alpha: number, x: Tensor, beta: number, y: Tensor): Tensor {
    return this.coarse(super.axpby(alpha, x, beta, y));
  }

  override matmul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
    return this.coarse(super.matmul(a, b, transposeA, transposeB));
  }

  override sum(a: Tensor, axis?: Axis): Tensor {
    return this.coarse(super.sum(a, axis));
  }
}

class Float32Accumulation extends MinimalBackend {
  override matmul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
    // The honest product validates the shapes and allocates; the sums are then redone in float32.
    const out = super.matmul(a, b, transposeA, transposeB);
    const [A, B, C] = [this.storage(a), this.storage(b), this.storage(out)];
    const [ac, bc] = [a.shape[1], b.shape[1]];
    const [m, n] = out.shape;
    const k = transposeA ? a.shape[0] : ac;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const x = (transposeA ? A[p * ac + i] : A[i * ac + p]) as number;
          const y = (transposeB ? B[j * bc + p] : B[p * bc + j]) as number;
          s = Math.fround(s + Math.fround(x * y));
        }
        C[i * n + j] = s;
      }
    }
    return out;
  }

  override sum(a: Tensor, axis?: Axis): Tensor {
    const out = super.sum(a, axis);
    const [A, S] = [this.storage(a), this.storage(out)];
    const [r, c] = a.shape;
    S.fill(0);
    for (let i = 0; i < r; i++) {
      for (let j = 0; j < c; j++) {
        const o = axis === 0 ? j : axis === 1 ? i : 0;
        S[o] = Math.fround((S[o] as number) + (A[i * c + j] as number));
      }
    }
    return out;
  }
}

/** Row broadcasting that reads element 0 of the row for every column (as if it were a scalar). */
class RowBroadcastAsScalar extends MinimalBackend {
  override binary(op: Parameters<Backend["binary"]>[0], a: Tensor, b: Tensor): Tensor {
    if (b.shape[0] === 1 && b.shape[1] === a.shape[1] && a.shape[0] !== 1) {
      const first = this.upload([this.storage(b)[0] as number], [1, 1]);
      try {
        return super.binary(op, a, first);
      } finally {
        this.dispose(first);
      }
    }
    return super.binary(op, a, b);
  }
}

/** Soft threshold written as v − t·sign(v), without the dead zone: no exact zeros. */
class SoftThresholdNoZeros extends MinimalBackend {
  override softThreshold(a: Tensor, t: number): Tensor {
    const A = this.storage(a, "softThreshold");
    const out = this.alloc(a.shape);
    for (let i = 0; i < A.length; i++) {
      const v = A[i] as number;
      out.data[i] = v - t * Math.sign(v);
    }
    return out;
  }
}

/** A read cache that `write` and `assign` do not invalidate: reads return stale values. */
class StaleRead extends MinimalBackend {
  private readonly cache = new WeakMap<Tensor, Float64Array>();
  override async read(tensor: Tensor): Promise<Float64Array> {
    const cached = this.cache.get(tensor);
    if (cached) return cached.slice();
    const fresh = await super.read(tensor);
    this.cache.set(tensor, fresh.slice());
    return fresh;
  }
}

/** A gather that stages the indices in a scratch tensor and never frees it: a leak per call. */
class LeakyGather extends MinimalBackend {
  override gatherRows(a: Tensor, indices: Tensor, offset: number, count: number): Tensor {
    const scratch = this.zeros([count, 1], "int32");
    this.storage(scratch).set(this.storage(indices).subarray(offset, offset + count));
    return super.gatherRows(a, indices, offset, count);
  }
}

/** axpby with its coefficients swapped: βx + αy. */
class SwappedAxpby extends MinimalBackend {
  override axpby(alpha: number, x: Tensor, beta: number, y: Tensor): Tensor {
    return super.axpby(beta, x, alpha, y);
  }
}

/** sign written as `x >= 0 ? 1 : −1`: sign(0) = 1 (the L1 subgradient at 0 must be 0). */
class SignOfZeroIsOne extends MinimalBackend {
  override unary(op: UnaryOp, a: Tensor): Tensor {
    const out = super.unary(op, a);
    if (op === "sign") {
      const [A, S] = [this.storage(a), this.storage(out)];
      for (let i = 0; i < A.length; i++) S[i] = (A[i] as number) >= 0 ? 1 : -1;
    }
    return out;
  }
}

/** A fused loss that forgets the ½ of ½(Xw + b − y)². */
class LossWithoutHalf extends MinimalBackend {
  override readonly fused: Partial<FusedKernels> = {
    linearLoss: (X, y, w, b) => {
      const xw = this.matmul(X, w);
      const z = this.binary("add", xw, b);
      const r = this.binary("sub", z, y);
      const sq = this.unary("square", r);
      const total = this.sum(sq, 0);
      const loss = this.axpby(1 / X.shape[0], total, 0, total);
      for (const t of [xw, z, r, sq, total]) this.dispose(t);
      return loss;
    },
  };
}

/** A fused SGD step that averages the gradient over the whole data set instead of the batch. */
class GradientOverN extends MinimalBackend {
  override readonly fused: Partial<FusedKernels> = {
    linearSgd: (spec: LinearSgdSpec) => {
      const composed = composeLinearSgd(this, spec);
      const n = spec.X.shape[0];
      return {
        step: (offset, count, lr) => composed.step(offset, count, (lr * count) / n),
        dispose: () => composed.dispose(),
      };
    },
  };
}

/**
 * A fused SGD step with its own path for small batches, whose seven-row case forgets the last
 * row (as a kernel with a branch per row might): right for every other batch size.
 */
class SevenRowBatch extends MinimalBackend {
  override readonly fused: Partial<FusedKernels> = {
    linearSgd: (spec: LinearSgdSpec) => {
      const composed = composeLinearSgd(this, spec);
      return {
        step: (offset, count, lr) => composed.step(offset, count === 7 ? 6 : count, lr),
        dispose: () => composed.dispose(),
      };
    },
  };
}

/**
 * A backend that declares where it hands large copies to another path (threads, say), and whose
 * other path leaves each part's last value out: right below its declared size, wrong from it on.
 */
class SplitCopyDropsLast extends MinimalBackend {
  static readonly BOUNDARY = 4096;
  override readonly capabilities: BackendCapabilities = {
    device: "cpu",
    maxTensorElements: 2 ** 26,
    sizeBoundaries: [SplitCopyDropsLast.BOUNDARY],
  };
  override assign(target: Tensor, source: Tensor): void {
    const T = this.storage(target, "assign target");
    if (T.length < SplitCopyDropsLast.BOUNDARY) {
      super.assign(target, source);
      return;
    }
    const S = this.storage(source, "assign source");
    const half = T.length >> 1;
    for (const [lo, hi] of [
      [0, half],
      [half, T.length],
    ] as const) {
      for (let i = lo; i < hi - 1; i++) T[i] = S[i] as number;
    }
  }
}

export const PLANTED_BUGS: readonly PlantedBug[] = [
  {
    id: "transposed-matmul",
    bug: "matmul ignores transposeB when B is square",
    caughtBy: ["op-matmul"],
    create: () => new TransposedMatmul("transposed-matmul"),
  },
  {
    id: "decayed-bias",
    bug: "the fused SGD step applies the weight decay to the bias",
    caughtBy: ["fused-linear-sgd", "id-8", "id-21"],
    create: () => new DecayedBias("decayed-bias"),
  },
  {
    id: "decay-twice",
    bug: "the fused SGD step applies decoupled decay and the same λ as an L2 penalty",
    caughtBy: ["fused-linear-sgd", "id-5", "id-7", "id-21"],
    create: () => new DecayTwice("decay-twice"),
  },
  {
    id: "sum-drops-last",
    bug: "sum drops the last element of each reduction",
    caughtBy: ["op-sum", "size-linear-loss", "id-1"],
    create: () => new SumDropsLast("sum-drops-last"),
  },
  {
    id: "gather-off-by-one",
    bug: "gatherRows reads indices[offset + t + 1]",
    caughtBy: ["op-gather-rows", "id-12", "id-21"],
    create: () => new GatherOffByOne("gather-off-by-one"),
  },
  {
    id: "float32-accumulation",
    bug: "matmul and sum accumulate in float32 while the backend declares float64",
    caughtBy: ["op-matmul", "op-sum", "id-2", "id-19"],
    create: () => new Float32Accumulation("float32-accumulation"),
  },
  {
    id: "coarse-float32",
    bug: "a float32 backend whose results keep 21 significant bits (8× less accurate)",
    caughtBy: ["calib-precision"],
    create: () => new CoarseFloat32("coarse-float32"),
  },
  {
    id: "row-broadcast-as-scalar",
    bug: "binary broadcasts a 1×c row as if it were its first element",
    caughtBy: ["op-binary", "size-linear-loss", "id-19"],
    create: () => new RowBroadcastAsScalar("row-broadcast-as-scalar"),
  },
  {
    id: "soft-threshold-no-zeros",
    bug: "softThreshold returns v − t·sign(v) everywhere, never an exact 0",
    caughtBy: ["op-soft-threshold", "id-3", "id-14", "id-15"],
    create: () => new SoftThresholdNoZeros("soft-threshold-no-zeros"),
  },
  {
    id: "stale-read",
    bug: "read caches values that write does not invalidate",
    caughtBy: ["op-write"],
    create: () => new StaleRead("stale-read"),
  },
  {
    id: "leaky-gather",
    bug: "gatherRows allocates a scratch tensor it never disposes",
    caughtBy: ["op-gather-rows", "id-23"],
    create: () => new LeakyGather("leaky-gather"),
  },
  {
    id: "swapped-axpby",
    bug: "axpby(α, x, β, y) computes βx + αy",
    caughtBy: ["op-axpby", "id-1"],
    create: () => new SwappedAxpby("swapped-axpby"),
  },
  {
    id: "sign-of-zero",
    bug: "sign(0) = 1",
    caughtBy: ["op-unary", "id-3", "id-16"],
    create: () => new SignOfZeroIsOne("sign-of-zero"),
  },
  {
    id: "loss-without-half",
    bug: "the fused loss forgets the ½",
    caughtBy: ["fused-linear-loss"],
    create: () => new LossWithoutHalf("loss-without-half"),
  },
  {
    id: "gradient-over-n",
    bug: "the fused SGD step divides the minibatch gradient by n instead of the batch size",
    caughtBy: ["fused-linear-sgd", "id-21"],
    create: () => new GradientOverN("gradient-over-n"),
  },
  {
    id: "seven-row-batch",
    bug: "the fused SGD step drops the last row of a batch of exactly 7 rows",
    caughtBy: ["size-linear-sgd-batches"],
    create: () => new SevenRowBatch("seven-row-batch"),
  },
  {
    id: "split-copy-drops-last",
    bug: "assign from its declared size on drops the last value of each of two parts",
    caughtBy: ["size-declared"],
    create: () => new SplitCopyDropsLast("split-copy-drops-last"),
  },
];
