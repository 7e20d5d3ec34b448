/**
 * Minibatch SGD of a linear model in dual form, for a λ grid (L weight columns) on few rows: the
 * cpu backend's `dual.ts`, with its loops in this package's SIMD kernels and its state (float64)
 * in the shared WebAssembly heap.
 *
 * Every SGD step moves w by a combination of training rows and scales it by
 * c_l = 1 − η·decay_l − η·penalty_l, so every iterate stays in span{w₀, rows of X}:
 *
 *     w_l = s_l·w₀_l + Xᵀ·A[:, l]        (s: L scalars, A: n×L)
 *
 * With K = X·Xᵀ (n×n) and P = X·W₀ (n×L) computed once, a step costs O(B·n·L) instead of
 * O(B·d·L): far less when d ≫ n (the chapter's grid: d = 200, n = 20, L = 64). The weight tensor
 * is written out (W = W₀∘s + XᵀA) only when an op reads it; the loss of a stale w comes from
 * cached cross-Grams X_e·Xᵀ and X_e·W₀. An L1 proximal step leaves that span, so the backend never
 * runs a spec with L1 here.
 */
import type { LinearSgdSpec } from "@wdecay/core";
import type { WasmBackend, WasmTensor } from "./backend.js";
import { Job } from "./threads.js";

/** How a backend op touches a tensor, so that a dual program can keep the tensor honest. */
export type Access = "read" | "write" | "update" | "none";

interface EvalCache {
  version: number;
  epoch: number;
  /** X_e·Xᵀ, ne×n f64. */
  readonly G: number;
  /** X_e·W₀, ne×L f64. */
  readonly P: number;
}

export class DualSgd {
  /** True while w's data lag behind the dual state. */
  stale = false;
  private needRebase = true;
  private needGram = true;
  private epoch = 0;
  private readonly n: number;
  private readonly d: number;
  private readonly L: number;
  // f64 blocks in the heap.
  private readonly s: number;
  private readonly A: number;
  private readonly K: number;
  private readonly P: number;
  private readonly W0: number;
  private readonly r: number;
  private readonly coef: number;
  private readonly tmp: number;
  /** X in f64 (n×d), the right operand of every Gram. */
  private readonly X64: number;
  /** d f64 of scratch for the Grams. */
  private readonly row: number;
  private readonly caches = new Map<WasmTensor, EvalCache>();
  private released = false;

  constructor(
    private readonly backend: WasmBackend,
    readonly X: WasmTensor,
    readonly y: WasmTensor,
    readonly order: WasmTensor,
    readonly w: WasmTensor,
    readonly b: WasmTensor,
    spec: LinearSgdSpec,
  ) {
    const [n, d] = X.shape;
    const L = w.shape[1];
    this.n = n;
    this.d = d;
    this.L = L;
    const f64 = (count: number) => backend.alloc(count * 8);
    this.s = f64(L);
    this.A = f64(n * L);
    this.K = f64(n * n);
    this.P = f64(n * L);
    this.W0 = f64(d * L);
    this.r = f64(n * L);
    this.coef = f64(4 * L);
    // L f64 per part (materialize on the threads), and at least 2L (the loss).
    this.tmp = f64(Math.max(2, backend.parts) * L);
    this.X64 = f64(n * d);
    this.row = f64(backend.parts * d);
    const coef = backend.f64(this.coef, 3 * L);
    for (let l = 0; l < L; l++) {
      coef[l] = spec.weightPenalty[l] as number;
      coef[L + l] = spec.weightDecay[l] as number;
      coef[2 * L + l] = spec.biasDecay[l] as number;
    }
  }

  /** Called before any backend op uses `t` (see {@link Access}). */
  touch(t: WasmTensor, access: Access): void {
    if (access === "none" || this.released) return;
    if (t === this.w) {
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

  /** A tensor was disposed: drop its evaluation cache. */
  forget(t: WasmTensor): void {
    const cache = this.caches.get(t);
    if (cache) {
      this.freeCache(cache);
      this.caches.delete(t);
    }
  }

  private freeCache(cache: EvalCache): void {
    this.backend.free(cache.G);
    this.backend.free(cache.P);
  }

  private clearCaches(): void {
    for (const c of this.caches.values()) this.freeCache(c);
    this.caches.clear();
  }

  /** Writes W = W₀∘s + XᵀA into w; the dual state still describes it. */
  materialize(): void {
    const { n, d, L, W0, s, A, tmp } = this;
    const [w, X] = [this.w.ptr, this.X.ptr];
    this.backend.runRows(Job.materialize, [w, X, n, d, W0, s, A, L, tmp], d * n * L, () =>
      this.backend.kernels.materialize(w, X, n, d, W0, s, A, L, tmp, 0, d),
    );
    this.stale = false;
  }

  /** out (m×n f64) = X₁·X₂ᵀ for X₂ = this X in f64. */
  private gram(out: number, X1: WasmTensor, m: number): void {
    const { n, d, X64, row } = this;
    this.backend.runRows(Job.gram, [out, X1.ptr, m, X64, n, d, row], m * n * d, () =>
      this.backend.kernels.gram(out, X1.ptr, X64, n, d, row, 0, m),
    );
  }

  /** out (m×L f64) = X·W₀. */
  private xw64(out: number, X: WasmTensor, m: number): void {
    const { d, L, W0 } = this;
    this.backend.runRows(Job.xw64, [out, X.ptr, m, d, W0, L], m * d * L, () =>
      this.backend.kernels.xw64(out, X.ptr, d, W0, L, 0, m),
    );
  }

  /** Takes w as it is now as W₀: s = 1, A = 0, P = X·W₀ (and K = XXᵀ when X changed). */
  private rebase(): void {
    const { n, d, L } = this;
    const k = this.backend.kernels;
    k.widen(this.W0, this.w.ptr, d * L);
    this.backend.f64(this.s, L).fill(1);
    this.backend.f64(this.A, n * L).fill(0);
    this.xw64(this.P, this.X, n);
    if (this.needGram) {
      k.widen(this.X64, this.X.ptr, n * d);
      this.gram(this.K, this.X, n);
      this.needGram = false;
    }
    this.clearCaches();
    this.epoch++;
    this.needRebase = false;
  }

  step(offset: number, count: number, lr: number): void {
    if (this.needRebase) this.rebase();
    const { n, L } = this;
    const bad = this.backend.kernels.dualStep(
      this.order.ptr,
      offset,
      count,
      this.K,
      this.P,
      this.A,
      this.s,
      this.b.ptr,
      this.y.ptr,
      this.y.shape[1],
      this.coef,
      this.r,
      n,
      L,
      lr,
    );
    if (bad >= 0) {
      const row = this.backend.i32()[(this.order.ptr >>> 2) + offset + bad];
      throw new RangeError(`row index ${row} out of range [0, ${n})`);
    }
    this.stale = true;
  }

  canEvaluate(Xe: WasmTensor): boolean {
    return this.stale && !this.needRebase && Xe.shape[1] === this.d;
  }

  /** Mean ½(X_e·w + b − y_e)² per column of the stale w, into `out` (1×L). */
  loss(out: WasmTensor, Xe: WasmTensor, ye: WasmTensor, bT: WasmTensor): void {
    const { n, L } = this;
    const ne = Xe.shape[0];
    const k = this.backend.kernels;
    let cache = this.caches.get(Xe);
    if (!cache || cache.version !== Xe.version || cache.epoch !== this.epoch) {
      if (cache) {
        this.freeCache(cache);
        this.caches.delete(Xe);
      }
      if (this.caches.size >= 8) this.clearCaches();
      const G = this.backend.alloc(ne * n * 8);
      const P = this.backend.alloc(ne * L * 8);
      this.gram(G, Xe, ne);
      this.xw64(P, Xe, ne);
      cache = { version: Xe.version, epoch: this.epoch, G, P };
      this.caches.set(Xe, cache);
    }
    k.dualLoss(
      out.ptr,
      cache.G,
      cache.P,
      this.A,
      this.s,
      bT.ptr,
      ye.ptr,
      ye.shape[1],
      ne,
      n,
      L,
      this.tmp,
      this.tmp + L * 8,
    );
  }

  /** Frees the dual state (the program was disposed or the backend destroyed). */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.clearCaches();
    for (const p of [
      this.s,
      this.A,
      this.K,
      this.P,
      this.W0,
      this.r,
      this.coef,
      this.tmp,
      this.X64,
      this.row,
    ]) {
      this.backend.free(p);
    }
  }
}
