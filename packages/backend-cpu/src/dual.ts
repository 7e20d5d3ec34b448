/**
 * Minibatch SGD of a linear model in dual form, for a λ grid (L weight columns) on few rows.
 *
 * Every SGD step moves w by a combination of training rows (the gradient Σ r·x) and scales it by
 * (1 − η·decay − η·penalty), so every iterate stays in span{w₀, rows of X}:
 *
 *     w_l = s_l·w₀_l + Xᵀ·A[:, l]        (s: L scalars, A: n×L)
 *
 * With K = X·Xᵀ (n×n) and P = X·W₀ (n×L) computed once, a row's residual is
 * r_bl = s_l·P_bl + K_b·A[:, l] + b_l − y_b, and the step is
 *
 *     s ← c∘s,  A ← A∘c (per column),  A[b, l] −= η/B·r_bl,   c_l = 1 − η·decay_l − η·penalty_l,
 *
 * which is the primal w ← (1 − η·decay)·w − η·(g/B + penalty·w) with g = Σ_b r_b·x_b, rewritten.
 * A step then costs O(B·n·L) instead of O(B·d·L): much less when d ≫ n (the chapter: d = 200,
 * n = 20). The weight tensor is materialized (W = W₀∘s + XᵀA, O(d·n·L)) only when something
 * reads it; the loss of a stale w is taken from cached cross-Grams X_e·Xᵀ and X_e·W₀ instead.
 * All dual state is float64, whatever the backend's precision.
 *
 * An L1 proximal step (`LinearSgdSpec.weightL1`) cannot be represented: the soft threshold is
 * nonlinear and zeroes coordinates, which takes w out of that span. The backend therefore runs
 * the primal kernel whenever any weightL1 is > 0, whatever its `dual` option says.
 */
import type { FloatArray } from "./kernels.js";

/** How a backend op touches a tensor, so that a dual program can keep the tensor honest. */
export type Access = "read" | "write" | "update" | "none";

/** The tensor view a dual program needs (the backend's CpuTensor satisfies it). */
export interface DualTensor {
  readonly shape: readonly [number, number];
  readonly data: FloatArray | Int32Array;
  version: number;
}

interface EvalCache {
  version: number;
  epoch: number;
  /** X_e·Xᵀ, ne×n. */
  readonly G: Float64Array;
  /** X_e·W₀, ne×L. */
  readonly P: Float64Array;
}

export class DualSgd {
  /** True while w's data lags behind the dual state (a step ran since the last materialize). */
  stale = false;
  /** The dual state no longer describes w (w or X was written): rebuild before the next step. */
  private needRebase = true;
  private needGram = true;
  /** Bumped at each rebase: evaluation caches of an older epoch are invalid. */
  private epoch = 0;
  private readonly n: number;
  private readonly d: number;
  private readonly L: number;
  private readonly s: Float64Array;
  private readonly A: Float64Array;
  private readonly K: Float64Array;
  private readonly P: Float64Array;
  private readonly W0: Float64Array;
  private readonly r: Float64Array;
  private readonly c: Float64Array;
  private readonly tmp: Float64Array;
  private readonly caches = new Map<DualTensor, EvalCache>();

  constructor(
    readonly X: DualTensor,
    readonly y: DualTensor,
    readonly order: DualTensor,
    readonly w: DualTensor,
    readonly b: DualTensor,
    private readonly penalty: Float64Array,
    private readonly decay: Float64Array,
    private readonly biasDecay: Float64Array,
  ) {
    const [n, d] = X.shape;
    const L = w.shape[1];
    this.n = n;
    this.d = d;
    this.L = L;
    this.s = new Float64Array(L);
    this.A = new Float64Array(n * L);
    this.K = new Float64Array(n * n);
    this.P = new Float64Array(n * L);
    this.W0 = new Float64Array(d * L);
    this.r = new Float64Array(n * L);
    this.c = new Float64Array(L);
    this.tmp = new Float64Array(L);
  }

  /** Called before any backend op uses `t` (see {@link Access}). */
  touch(t: DualTensor, access: Access): void {
    if (access === "none") return;
    if (t === this.w) {
      // A full overwrite needs no materialized values; everything else does.
      if (access !== "write" && this.stale) this.materialize();
      if (access !== "read") {
        this.stale = false;
        this.needRebase = true;
      }
    } else if (t === this.X && access !== "read") {
      if (this.stale) this.materialize();
      this.needRebase = true;
      this.needGram = true;
    }
  }

  /** Writes W = W₀∘s + XᵀA into w. Leaves the dual state as it is (it still describes w). */
  materialize(): void {
    const { n, d, L, s, A, W0, tmp } = this;
    const X = this.X.data;
    const w = this.w.data as FloatArray;
    for (let j = 0; j < d; j++) {
      const jl = j * L;
      for (let l = 0; l < L; l++) tmp[l] = (W0[jl + l] as number) * (s[l] as number);
      for (let i = 0; i < n; i++) {
        const x = X[i * d + j] as number;
        if (x === 0) continue;
        const il = i * L;
        for (let l = 0; l < L; l++) tmp[l] = (tmp[l] as number) + x * (A[il + l] as number);
      }
      for (let l = 0; l < L; l++) w[jl + l] = tmp[l] as number;
    }
    this.stale = false;
  }

  /** Takes w as it is now as W₀: s = 1, A = 0, P = X·W₀ (and K = XXᵀ when X changed). */
  private rebase(): void {
    const { n, d, L, K, P, W0 } = this;
    const X = this.X.data;
    const w = this.w.data;
    for (let i = 0; i < W0.length; i++) W0[i] = w[i] as number;
    this.s.fill(1);
    this.A.fill(0);
    for (let i = 0; i < n; i++) {
      const base = i * d;
      const tmp = this.tmp.fill(0);
      for (let j = 0; j < d; j++) {
        const x = X[base + j] as number;
        if (x === 0) continue;
        const jl = j * L;
        for (let l = 0; l < L; l++) tmp[l] = (tmp[l] as number) + x * (W0[jl + l] as number);
      }
      P.set(tmp, i * L);
    }
    if (this.needGram) {
      for (let i = 0; i < n; i++) {
        for (let k = 0; k <= i; k++) {
          let acc = 0;
          const bi = i * d;
          const bk = k * d;
          for (let j = 0; j < d; j++) acc += (X[bi + j] as number) * (X[bk + j] as number);
          K[i * n + k] = acc;
          K[k * n + i] = acc;
        }
      }
      this.needGram = false;
    }
    this.caches.clear();
    this.epoch++;
    this.needRebase = false;
  }

  /** One SGD step on the rows `order[offset .. offset + count)`. */
  step(offset: number, count: number, lr: number): void {
    if (this.needRebase) this.rebase();
    const { n, L, s, A, K, P, r, c, penalty, decay, biasDecay } = this;
    const order = this.order.data as Int32Array;
    const y = this.y.data;
    const b = this.b.data as FloatArray;
    for (let t = 0; t < count; t++) {
      const row = order[offset + t] as number;
      if (row >>> 0 >= n) throw new RangeError(`row index ${row} out of range [0, ${n})`);
    }
    for (let t = 0; t < count; t++) {
      const row = order[offset + t] as number;
      const rt = t * L;
      const yr = y[row] as number;
      const pr = row * L;
      for (let l = 0; l < L; l++) {
        r[rt + l] = (s[l] as number) * (P[pr + l] as number) + (b[l] as number) - yr;
      }
      const kr = row * n;
      for (let i = 0; i < n; i++) {
        const k = K[kr + i] as number;
        if (k === 0) continue;
        const il = i * L;
        for (let l = 0; l < L; l++) r[rt + l] = (r[rt + l] as number) + k * (A[il + l] as number);
      }
    }
    const inv = 1 / count;
    for (let l = 0; l < L; l++) {
      const cl = 1 - lr * (decay[l] as number) - lr * (penalty[l] as number);
      c[l] = cl;
      s[l] = (s[l] as number) * cl;
    }
    for (let i = 0; i < n; i++) {
      const il = i * L;
      for (let l = 0; l < L; l++) A[il + l] = (A[il + l] as number) * (c[l] as number);
    }
    const eta = lr * inv;
    for (let t = 0; t < count; t++) {
      const al = (order[offset + t] as number) * L;
      const rt = t * L;
      for (let l = 0; l < L; l++) A[al + l] = (A[al + l] as number) - eta * (r[rt + l] as number);
    }
    for (let l = 0; l < L; l++) {
      let rSum = 0;
      for (let t = 0; t < count; t++) rSum += r[t * L + l] as number;
      b[l] = (1 - lr * (biasDecay[l] as number)) * (b[l] as number) - lr * rSum * inv;
    }
    this.stale = true;
  }

  /** Whether {@link loss} can evaluate w in dual form (w stale, state current, shapes fit). */
  canEvaluate(Xe: DualTensor): boolean {
    return this.stale && !this.needRebase && Xe.shape[1] === this.d;
  }

  /**
   * Mean ½(X_e·w + b − y_e)² per column without materializing w: X_e·w_l = s_l·(X_e·W₀)_l +
   * (X_e·Xᵀ)·A_l, with both cross-Grams cached per X_e (until X_e is written or w rebased).
   */
  loss(out: FloatArray, Xe: DualTensor, ye: DualTensor, bT: DualTensor): void {
    const { n, d, L, s, A, W0, tmp } = this;
    const ne = Xe.shape[0];
    let cache = this.caches.get(Xe);
    if (!cache || cache.version !== Xe.version || cache.epoch !== this.epoch) {
      if (this.caches.size >= 8) this.caches.clear();
      const xe = Xe.data;
      const X = this.X.data;
      const G = new Float64Array(ne * n);
      const Pe = new Float64Array(ne * L);
      for (let e = 0; e < ne; e++) {
        const be = e * d;
        for (let i = 0; i < n; i++) {
          let acc = 0;
          const bi = i * d;
          for (let j = 0; j < d; j++) acc += (xe[be + j] as number) * (X[bi + j] as number);
          G[e * n + i] = acc;
        }
        tmp.fill(0);
        for (let j = 0; j < d; j++) {
          const x = xe[be + j] as number;
          if (x === 0) continue;
          const jl = j * L;
          for (let l = 0; l < L; l++) tmp[l] = (tmp[l] as number) + x * (W0[jl + l] as number);
        }
        Pe.set(tmp, e * L);
      }
      cache = { version: Xe.version, epoch: this.epoch, G, P: Pe };
      this.caches.set(Xe, cache);
    }
    const { G, P: Pe } = cache;
    const y = ye.data;
    const b = bT.data;
    const acc = new Float64Array(L);
    for (let e = 0; e < ne; e++) {
      const ye_ = y[e] as number;
      const el = e * L;
      for (let l = 0; l < L; l++) {
        tmp[l] = (s[l] as number) * (Pe[el + l] as number) + (b[l] as number) - ye_;
      }
      const en = e * n;
      for (let i = 0; i < n; i++) {
        const g = G[en + i] as number;
        if (g === 0) continue;
        const il = i * L;
        for (let l = 0; l < L; l++) tmp[l] = (tmp[l] as number) + g * (A[il + l] as number);
      }
      for (let l = 0; l < L; l++) acc[l] = (acc[l] as number) + (tmp[l] as number) ** 2;
    }
    for (let l = 0; l < L; l++) out[l] = (0.5 * (acc[l] as number)) / ne;
  }
}
