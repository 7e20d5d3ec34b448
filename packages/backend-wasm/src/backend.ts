import type {
  Axis,
  Backend,
  BackendCapabilities,
  BinaryOp,
  DenseGradient,
  DType,
  FusedKernels,
  LinearSgdProgram,
  LinearSgdSpec,
  NetworkPrimitives,
  NetworkUnaryOp,
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
import {
  loadRuntime,
  MAX_THREADS,
  type Runtime,
  type RuntimeOptions,
  type TfjsWasmPaths,
  threadSupport,
} from "./runtime.js";
import { Job, type ThreadPool } from "./threads.js";

/**
 * Steps and losses with fewer multiply-adds than this (rows · d · L) run on one thread even when
 * the backend has more: below it, handing the work out and collecting it costs more than the
 * second thread saves (measured crossover on a 2-core machine: see BENCH.md, "Threads").
 */
export const PARALLEL_MIN_WORK = 2 ** 14;

/**
 * Losses with fewer multiply-adds than this (rows · d · L) run on one thread. A loss comes alone
 * between runs of steps, when the worker may have gone to sleep, and a sleeping thread's wake-up
 * (tens of microseconds, milliseconds where the machine is busy) costs more than a small loss.
 * The chapter's test loss (100 × 200) is one: threads on it made the chapter's run 2.3× slower
 * in `pnpm bench`, with some runs 20–40 ms.
 */
export const PARALLEL_MIN_LOSS = 2 ** 18;

/**
 * Matrix products with fewer multiply-adds than this (m·k·n) run on one thread. A product is
 * split by rows (or columns) of the result, and the split must pay for more than the handing
 * out: the other thread's part of the result, and what it read, are in its core's cache, and
 * the next write there by this thread (the next batch's gather, say) waits for each line. On a
 * 2-core machine the bench's `logistic` network (784 → 10, batch 64: two products of 0.5M a
 * step) took 1.43–1.52× its one-thread time with this at 2¹⁸, and 0.92–0.97× from 2¹⁹; a
 * 64 × 784 batch gathered after a threaded product took 95 µs against 17 on one thread. The
 * `mlp` network's large products (12.8M) gain, its small ones (164k) took 0.02–0.07 ms each on
 * two threads against 0.014–0.017 on one.
 */
export const PARALLEL_MIN_GEMM = 2 ** 20;

/**
 * `axpby` and `assign` over fewer elements than this run on one thread. Above it they are split
 * by rows, as a product splits a result with more rows than columns (a layer's weights and their
 * gradient Aᵀ·G), so an optimizer's update of a row runs on the core whose cache holds it: a line
 * that passes between two cores costs about 30 ns on the bench's machine. A split by columns
 * instead (each row's halves on different threads) ran 2× slower than one thread there: each
 * core's prefetcher pulled the other's lines.
 */
export const PARALLEL_MIN_ELEMENTS = 2 ** 16;

/**
 * Products with at least this many multiply-adds go to XNNPACK by default (see
 * {@link WasmBackendOptions.tfjsMatmulThreshold}).
 */
const TFJS_MATMUL_MIN = 2 ** 26;

/** Options of {@link createWasmBackend}. */
export interface WasmBackendOptions {
  /** Registry name (`wasm`). */
  readonly name?: string;
  /**
   * Where tfjs-backend-wasm's `.wasm` files are served from (browsers; Node finds them itself):
   * a URL prefix ending in `/` or a map of file names to URLs, as tfjs' `setWasmPaths` takes it.
   * Applies process-wide, once.
   */
  readonly tfjsWasmPaths?: TfjsWasmPaths;
  /**
   * Products with at least this many multiply-adds (m·k·n) go to tfjs-backend-wasm's XNNPACK
   * GEMM (default 2²⁶, a 406³ product); smaller ones run in our kernel (`gemmRows`), which packs
   * nothing. XNNPACK packs its right operand first, which pays where the product is large or
   * the operand is used again; a training step's operands change every step.
   */
  readonly tfjsMatmulThreshold?: number;
  /**
   * When a λ grid's SGD program (L > 1 columns, no L1) runs in dual form (see `dual.ts`):
   * `auto` (default) when there are at most half as many rows as features; `always`, `never`.
   */
  readonly dual?: "auto" | "always" | "never";
  /**
   * Threads to compute on, 1 to 8: our kernels' SGD steps, losses and matrix products are split
   * over a pool of workers, and XNNPACK's products over its own. Default: the machine's logical cores
   * (`os.availableParallelism()`, `navigator.hardwareConcurrency`), at most 8; one where threads
   * cannot run (a page that is not cross-origin isolated), with the reason in
   * `capabilities.threads.note`. Results depend on the thread count (the parts' partial sums
   * are added in a fixed order) and never on timing. Our products do not depend on it either:
   * each entry of a product is summed whole by one thread.
   */
  readonly threads?: number;
  /**
   * @internal Steps with at least this many multiply-adds go to the threads (default
   * {@link PARALLEL_MIN_WORK}), and so do losses (default {@link PARALLEL_MIN_LOSS}) and products
   * (default {@link PARALLEL_MIN_GEMM}); tests set 0 to put every size through the threaded
   * kernels.
   */
  readonly parallelMinWork?: number;
  /** @internal The WebAssembly namespace checked for SIMD (tests). */
  readonly webAssembly?: RuntimeOptions["webAssembly"];
}

/** A tensor: one block of the shared heap (4 bytes per element, f32 or i32). */
export class WasmTensor implements Tensor {
  disposed = false;
  /**
   * Bumped by every in-place change: keys the dual programs' evaluation caches and tells whether
   * the id this tensor has in tfjs (below) still names the same values.
   */
  version = 0;
  /** Its id in tfjs-backend-wasm while registered there (see `WasmBackend.tfjsMatmul`). */
  tfjsId = 0;
  /** `version` when it was registered under `tfjsId`. */
  tfjsVersion = -1;
  constructor(
    readonly shape: Shape,
    readonly dtype: DType,
    /** Byte offset in the heap. */
    readonly ptr: number,
    readonly size: number,
    readonly owner: WasmBackend,
  ) {}
}

/**
 * Float64 host data of at least this many values are uploaded through the `narrow` kernel
 * (below it, a malloc costs more than V8's element-by-element conversion saves).
 */
const NARROW_MIN = 256;

/** Ids we register with tfjs for the span of one call: far above the ones tfjs hands out. */
let nextTfjsId = 2 ** 30;

/** See {@link createWasmBackend}. */
export class WasmBackend implements Backend {
  readonly name: string;
  readonly precision = "float32" as const;
  readonly capabilities: BackendCapabilities & { readonly device: "wasm" };
  readonly fused: Partial<FusedKernels>;
  readonly network: NetworkPrimitives = {
    unary: (op, a) => this.networkUnary(op, a),
    max: (a, axis) => this.max(a, axis),
  };
  private readonly rt: Runtime;
  private readonly live = new Set<WasmTensor>();
  private destroyed = false;
  private readonly dual: "auto" | "always" | "never";
  private readonly matmulThreshold: number;
  private readonly duals = new Set<DualSgd>();
  /** Our blocks (tensors and programs' scratch), freed on destroy: aligned start → malloc's. */
  private readonly blocks = new Map<number, number>();
  private buffer: ArrayBuffer | undefined;
  private f32View = new Float32Array(0);
  private i32View = new Int32Array(0);
  /** Two rank-3 shapes (6 int32) passed to tfjs' BatchMatMul. */
  private shapePtr = 0;
  /** Our kernels' workers, when it has more than one thread. */
  private readonly pool: ThreadPool | undefined;
  private readonly parallelMinWork: number;
  private readonly parallelMinLoss: number;
  private readonly parallelMinGemm: number;
  private readonly parallelMinElements: number;

  constructor(rt: Runtime, options: WasmBackendOptions = {}, threadsNote?: string) {
    this.rt = rt;
    this.name = options.name ?? "wasm";
    this.dual = options.dual ?? "auto";
    this.matmulThreshold = options.tfjsMatmulThreshold ?? TFJS_MATMUL_MIN;
    this.pool = rt.pool;
    this.parallelMinWork = options.parallelMinWork ?? PARALLEL_MIN_WORK;
    this.parallelMinLoss = options.parallelMinWork ?? PARALLEL_MIN_LOSS;
    this.parallelMinGemm = options.parallelMinWork ?? PARALLEL_MIN_GEMM;
    this.parallelMinElements = options.parallelMinWork ?? PARALLEL_MIN_ELEMENTS;
    this.capabilities = {
      device: "wasm",
      maxTensorElements: 2 ** 28,
      sizeBoundaries: [
        // The heap the runtime started with, in floats: a tensor that size makes it grow, and
        // every view of it taken before the growth is detached. (Not the heap as it is now: that
        // depends on what ran before in the process, and grows past what a check can afford.)
        rt.initialHeapBytes / 4,
        // Where `axpby` and `assign` go over to the threads.
        ...(rt.pool && this.parallelMinElements > 1 ? [this.parallelMinElements] : []),
      ],
      threads: {
        count: rt.pool?.size ?? 1,
        ...(threadsNote !== undefined ? { note: threadsNote } : {}),
      },
    };
    this.shapePtr = this.alloc(24);
    this.fused = {
      linearSgd: (spec) => this.linearSgd(spec),
      linearLoss: (X, y, w, b) => this.linearLoss(X, y, w, b),
      dense: (A, W, b, relu) => this.dense(A, W, b, relu),
      denseBackward: (A, W, G, propagate) => this.denseBackward(A, W, G, propagate),
    };
  }

  /**
   * @internal Runs a job that splits its output by rows (a product, the dual form's Grams, X·W₀
   * and weights, `axpby` and `assign`: each row is one thread's whole work, so the split changes
   * no bit) on the pool from `work` ≥ `min` (multiply-adds, `PARALLEL_MIN_GEMM` by default; for
   * `axpby` and `assign`, elements); else `alone()` on this thread.
   */
  runRows(
    job: number,
    args: readonly number[],
    work: number,
    alone: () => void,
    min = this.parallelMinGemm,
  ): void {
    const pool = this.pool;
    if (pool && work >= min) pool.run(job, args);
    else alone();
  }

  /** @internal The parts a job is split into (the threads), for per-part scratch. */
  get parts(): number {
    return this.pool?.size ?? 1;
  }

  /** @internal The worker pool (tests wait for it to start). */
  get threadPool(): ThreadPool | undefined {
    return this.pool;
  }

  // --- heap -----------------------------------------------------------------------------------

  /**
   * Float32 view of the heap. `memory.buffer` costs 50–100 ns a call (more on a shared memory),
   * so the view is renewed only where the heap may have grown under it: a plain memory's growth
   * detaches the old buffer (the view's length drops to 0), and a shared memory's old buffer
   * keeps its length but misses the new pages, which only blocks allocated since can lie in
   * (`alloc` renews the view when its block ends past it). Whoever else grows the heap (tfjs'
   * own allocations, on any thread) leaves every block of ours inside the old view.
   */
  f32(): Float32Array {
    if (this.f32View.length === 0) this.renew();
    return this.f32View;
  }

  i32(): Int32Array {
    if (this.i32View.length === 0) this.renew();
    return this.i32View;
  }

  f64(ptr: number, length: number): Float64Array {
    this.f32();
    return new Float64Array(this.buffer as ArrayBuffer, ptr, length);
  }

  private renew(): void {
    const buffer = this.rt.memory.buffer as ArrayBuffer;
    this.buffer = buffer;
    this.f32View = new Float32Array(buffer);
    this.i32View = new Int32Array(buffer);
  }

  /**
   * malloc in the shared heap, the block starting on a 64-byte cache line (malloc gives 8): no
   * SIMD load of ours straddles two lines, and two tensors never share one, so threads writing
   * different tensors never pass a line between their cores.
   */
  alloc(bytes: number): number {
    const raw = this.rt.tfjs._malloc(Math.max(16, bytes) + 64 - 8);
    if (raw === 0) throw new RangeError(`wasm: out of memory allocating ${bytes} bytes`);
    const ptr = (raw + 63) & ~63;
    this.blocks.set(ptr, raw);
    // A block past the view's end: the heap has grown (see f32).
    if (ptr + bytes > this.f32View.byteLength) this.renew();
    return ptr;
  }

  free(ptr: number): void {
    const raw = this.blocks.get(ptr);
    if (raw !== undefined) {
      this.blocks.delete(ptr);
      this.rt.tfjs._free(raw);
    }
  }

  get kernels() {
    return this.rt.kernels;
  }

  // --- tensors --------------------------------------------------------------------------------

  private make(shape: Shape, dtype: DType = "float"): WasmTensor {
    if (this.destroyed) throw new Error(`backend ${this.name} was destroyed`);
    checkShape(shape, this.capabilities.maxTensorElements);
    const [rows, cols] = shape;
    const size = rows * cols;
    const ptr = this.alloc(size * 4);
    const t = new WasmTensor([rows, cols], dtype, ptr, size, this);
    this.live.add(t);
    return t;
  }

  /** Checks a tensor before an op uses it; `access` keeps dual programs honest (see dual.ts). */
  get(t: Tensor, what = "tensor", access: Access = "read", except?: DualSgd): WasmTensor {
    if (!(t instanceof WasmTensor) || t.owner !== this) {
      throw new TypeError(`${what} does not belong to backend ${this.name}`);
    }
    if (t.disposed) throw new Error(`${what} (${describeShape(t.shape)}) was already disposed`);
    if (access !== "read" && access !== "none") t.version++;
    if (this.duals.size > 0 && access !== "none") {
      for (const p of this.duals) if (p !== except) p.touch(t, access);
    }
    return t;
  }

  private float(t: Tensor, what: string, access: Access = "read"): WasmTensor {
    const c = this.get(t, what, access);
    if (c.dtype !== "float") throw new TypeError(`${what} must be a float tensor`);
    return c;
  }

  private view(t: WasmTensor): Float32Array | Int32Array {
    const base = t.ptr >>> 2;
    return t.dtype === "int32"
      ? this.i32().subarray(base, base + t.size)
      : this.f32().subarray(base, base + t.size);
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
    const t = this.get(target, "write target", "none");
    checkHostData("write", data, t.shape, t.dtype);
    this.get(target, "write target", "write");
    if (t.dtype === "float" && data instanceof Float64Array && t.size >= NARROW_MIN) {
      // The f64 bytes as they are, then one SIMD pass rounds them to f32 in place.
      const scratch = this.alloc(t.size * 8);
      try {
        this.f64(scratch, t.size).set(data);
        this.kernels.narrow(t.ptr, scratch, t.size);
      } finally {
        this.free(scratch);
      }
      return;
    }
    // `set` at an offset: no view object per write (the chapter writes a row order every epoch).
    (t.dtype === "int32" ? this.i32() : this.f32()).set(data, t.ptr >>> 2);
  }

  async read(tensor: Tensor): Promise<Float64Array> {
    const t = this.get(tensor);
    const out = new Float64Array(t.size);
    const heap = t.dtype === "int32" ? this.i32() : this.f32();
    const base = t.ptr >>> 2;
    // A few values (a loss) by a loop: a view of them costs more than the copy.
    if (t.size <= 64) for (let i = 0; i < t.size; i++) out[i] = heap[base + i] as number;
    else out.set(heap.subarray(base, base + t.size));
    return out;
  }

  dispose(tensor: Tensor): void {
    const t = this.get(tensor, "tensor", "none");
    t.disposed = true;
    this.live.delete(t);
    this.unregister(t);
    for (const p of this.duals) p.forget(t);
    this.free(t.ptr);
  }

  liveTensors(): number {
    return this.live.size;
  }

  zeros(shape: Shape, dtype: DType = "float"): Tensor {
    const t = this.make(shape, dtype);
    this.view(t).fill(0);
    return t;
  }

  // --- primitives -----------------------------------------------------------------------------

  matmul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
    const A = this.float(a, "matmul a");
    const B = this.float(b, "matmul b");
    const { m, k, n } = matmulDims(A.shape, B.shape, transposeA, transposeB);
    const out = this.make([m, n]);
    try {
      if (m * k * n >= this.matmulThreshold) this.tfjsMatmul(out, A, B, transposeA, transposeB);
      else this.gemm(out, A, B, k, transposeA, transposeB);
    } catch (error) {
      this.dispose(out);
      throw error;
    }
    return out;
  }

  /**
   * out (m×n) = op(A)·op(B) by our kernel, split by rows over the threads from
   * {@link PARALLEL_MIN_GEMM} multiply-adds. The kernel reads A as it is or transposed; a
   * transposed B is first transposed into scratch (one pass over it).
   */
  private gemm(out: WasmTensor, A: WasmTensor, B: WasmTensor, k: number, tA: boolean, tB: boolean) {
    const [m, n] = out.shape;
    const scratch = tB ? this.alloc(B.size * 4) : 0;
    try {
      if (tB) this.kernels.transpose(scratch, B.ptr, B.shape[0], B.shape[1]);
      const b = tB ? scratch : B.ptr;
      this.runRows(Job.gemm, [out.ptr, A.ptr, b, m, k, n, +tA], m * k * n, () =>
        this.kernels.gemmRows(out.ptr, A.ptr, b, m, k, n, +tA, 0, m, 0, n),
      );
    } finally {
      if (tB) this.free(scratch);
    }
  }

  /**
   * out = op(A)·op(B) by tfjs-backend-wasm's BatchMatMul (XNNPACK), on our blocks in place.
   *
   * The operands are registered with tfjs under an id of their own and stay registered: XNNPACK
   * packs B once per id (tfjs caches the packed operator under B's id), so a product by the same
   * B does not pay for packing again. Any in-place change bumps a tensor's `version`, and a
   * changed tensor is re-registered under a fresh id (unregistering the old one drops its
   * packing), so a cached packing never describes old values. The output and transposed copies
   * get ids for the call only. tfjs runs transposed operands through a naive loop (measured
   * ~1 GFLOP/s at 1024³ against ~30 untransposed), so a transposed operand is first transposed
   * into scratch by our kernel.
   */
  private tfjsMatmul(out: WasmTensor, A: WasmTensor, B: WasmTensor, tA: boolean, tB: boolean) {
    const { tfjs } = this.rt;
    const scratch: number[] = [];
    const ephemeral: number[] = [];
    const fresh = (size: number, ptr: number) => {
      const id = nextTfjsId++;
      if (nextTfjsId > 2 ** 31 - 8) nextTfjsId = 2 ** 30;
      tfjs.tfjs.registerTensor(id, size, ptr);
      return id;
    };
    const operand = (t: WasmTensor, transposed: boolean): [number, number, number] => {
      if (transposed) {
        const ptr = this.alloc(t.size * 4);
        scratch.push(ptr);
        this.kernels.transpose(ptr, t.ptr, t.shape[0], t.shape[1]);
        const id = fresh(t.size, ptr);
        ephemeral.push(id);
        return [id, t.shape[1], t.shape[0]];
      }
      if (t.tfjsId === 0 || t.tfjsVersion !== t.version) {
        this.unregister(t);
        t.tfjsId = fresh(t.size, t.ptr);
        t.tfjsVersion = t.version;
      }
      return [t.tfjsId, t.shape[0], t.shape[1]];
    };
    try {
      const [aId, ar, ac] = operand(A, tA);
      const [bId, br, bc] = operand(B, tB);
      const outId = fresh(out.size, out.ptr);
      ephemeral.push(outId);
      const s = this.shapePtr >>> 2;
      this.i32().set([1, ar, ac, 1, br, bc], s);
      this.rt.beforeGemm?.();
      tfjs._BatchMatMul(aId, this.shapePtr, 3, bId, this.shapePtr + 12, 3, false, false, outId);
    } finally {
      for (const id of ephemeral) tfjs.tfjs.disposeData(id);
      for (const ptr of scratch) this.free(ptr);
    }
  }

  /** Drops a tensor's tfjs id (and with it any packing XNNPACK cached for it). */
  private unregister(t: WasmTensor): void {
    if (t.tfjsId !== 0) {
      this.rt.tfjs.tfjs.disposeData(t.tfjsId);
      t.tfjsId = 0;
      t.tfjsVersion = -1;
    }
  }

  binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
    const A = this.get(a, `${op} a`);
    const B = this.get(b, `${op} b`);
    const kind = broadcastKind(op, A.shape, B.shape);
    const [r, c] = A.shape;
    const out = this.make([r, c]);
    applyHostBinary(op, kind, this.view(A), this.view(B), this.view(out), c);
    return out;
  }

  unary(op: UnaryOp, a: Tensor): Tensor {
    const A = this.get(a, op);
    const f = hostUnary(op);
    const out = this.make(A.shape);
    const o = this.view(out);
    const x = this.view(A);
    for (let i = 0; i < o.length; i++) o[i] = f(x[i] as number);
    return out;
  }

  private networkUnary(op: NetworkUnaryOp, a: Tensor): Tensor {
    const A = this.get(a, op);
    const f = hostNetworkUnary(op);
    const out = this.make(A.shape);
    const o = this.view(out);
    const x = this.view(A);
    for (let i = 0; i < o.length; i++) o[i] = f(x[i] as number);
    return out;
  }

  private max(a: Tensor, axis: Axis): Tensor {
    const A = this.get(a, "max");
    checkMaxAxis(axis);
    const [r, c] = A.shape;
    const out = this.make(axis === 0 ? [1, c] : [r, 1]);
    hostMax(this.view(A), r, c, axis, this.view(out));
    return out;
  }

  axpby(alpha: number, x: Tensor, beta: number, y: Tensor): Tensor {
    const X = this.get(x, "axpby x");
    const Y = this.get(y, "axpby y");
    checkSameShape("axpby", X.shape, Y.shape);
    const out = this.make(X.shape);
    this.runRows(
      Job.axpby,
      [out.ptr, X.ptr, Y.ptr, alpha, beta, ...X.shape],
      out.size,
      () => this.kernels.axpby(out.ptr, X.ptr, Y.ptr, alpha, beta, out.size),
      this.parallelMinElements,
    );
    return out;
  }

  softThreshold(a: Tensor, t: number): Tensor {
    checkThreshold(t);
    const A = this.get(a, "softThreshold");
    const out = this.make(A.shape);
    const o = this.view(out);
    const x = this.view(A);
    for (let i = 0; i < o.length; i++) {
      const v = x[i] as number;
      o[i] = v > t ? v - t : v < -t ? v + t : 0;
    }
    return out;
  }

  sum(a: Tensor, axis?: Axis): Tensor {
    const A = this.get(a, "sum");
    checkSumAxis(axis);
    const [r, c] = A.shape;
    const out = this.make(axis === undefined ? [1, 1] : axis === 0 ? [1, c] : [r, 1]);
    // Accumulated in float64 and rounded once on the store.
    if (axis === 0 && A.dtype === "float") {
      // A layer's bias gradient, every training step: the kernel's column sums, added in the
      // same order as the loop below (64 × 256: 4 µs against 66 in a loop over heap views).
      const acc = this.alloc(c * 8);
      this.kernels.sumRows(out.ptr, A.ptr, r, c, acc);
      this.free(acc);
      return out;
    }
    const x = this.view(A);
    const o = this.view(out);
    if (axis === undefined) {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += x[i] as number;
      o[0] = s;
    } else if (axis === 0) {
      const acc = new Float64Array(c);
      for (let i = 0; i < r; i++)
        for (let j = 0; j < c; j++) acc[j] = (acc[j] as number) + (x[i * c + j] as number);
      o.set(acc);
    } else {
      for (let i = 0; i < r; i++) {
        let s = 0;
        for (let j = 0; j < c; j++) s += x[i * c + j] as number;
        o[i] = s;
      }
    }
    return out;
  }

  gatherRows(a: Tensor, indices: Tensor, offset: number, count: number): Tensor {
    const A = this.get(a, "gatherRows source");
    const I = this.get(indices, "gatherRows indices");
    if (I.dtype !== "int32") throw new TypeError("gatherRows: indices must be int32");
    const [r, c] = A.shape;
    checkGatherRange(r, this.view(I), offset, count);
    const out = this.make([count, c], A.dtype);
    // Raw copies within the heap: exact for floats and ints alike.
    this.kernels.gatherRows(out.ptr, A.ptr, I.ptr, offset, count, c);
    return out;
  }

  assign(target: Tensor, source: Tensor): void {
    const T = this.get(target, "assign target", "none");
    const S = this.get(source, "assign source");
    checkAssign(T, S);
    this.get(target, "assign target", "write");
    this.runRows(
      Job.copy,
      [T.ptr, S.ptr, 0, 0, 0, ...S.shape],
      S.size,
      () => this.kernels.copy(T.ptr, S.ptr, S.size * 4),
      this.parallelMinElements,
    );
  }

  destroy(): void {
    if (this.destroyed) return;
    for (const p of this.duals) p.release();
    this.duals.clear();
    for (const t of this.live) {
      this.unregister(t);
      t.disposed = true;
    }
    this.live.clear();
    for (const raw of this.blocks.values()) this.rt.tfjs._free(raw);
    this.blocks.clear();
    this.destroyed = true;
  }

  // --- fused kernels --------------------------------------------------------------------------

  /**
   * relu(A·W + b): the product, then the bias and ReLU in one SIMD pass over it in place (one
   * f32 add and max(z, 0), as the composition `composeDense` rounds them).
   */
  private dense(a: Tensor, w: Tensor, b: Tensor, relu: boolean): Tensor {
    const A = this.float(a, "the layer's input");
    const W = this.float(w, "the layer's weight");
    const B = this.float(b, "the layer's bias");
    const [m] = A.shape;
    const n = W.shape[1];
    const Z = this.matmul(A, W) as WasmTensor;
    this.kernels.biasRelu(Z.ptr, B.ptr, m, n, +relu);
    return Z;
  }

  /**
   * dW = Aᵀ·G, db = Σ_rows G and, with `propagate`, dA = (G·Wᵀ) ⊙ 1[A > 0] with the mask applied
   * in place on the product: the composition's bits (`composeDenseBackward`) without the mask
   * tensor and the multiply's pass.
   */
  private denseBackward(a: Tensor, w: Tensor, g: Tensor, propagate: boolean): DenseGradient {
    const A = this.float(a, "the layer's input");
    const dW = this.matmul(A, g, true, false);
    const db = this.sum(g, 0);
    if (!propagate) return { dW, db };
    const dA = this.matmul(g, w, false, true) as WasmTensor;
    this.kernels.maskByStep(dA.ptr, A.ptr, dA.size);
    return { dW, db, dA };
  }

  private badRow(order: WasmTensor, offset: number, position: number, n: number): RangeError {
    const row = this.i32()[(order.ptr >>> 2) + offset + position];
    return new RangeError(`row index ${row} out of range [0, ${n})`);
  }

  private linearSgd(spec: LinearSgdSpec): LinearSgdProgram {
    const X = this.float(spec.X, "X");
    const y = this.float(spec.y, "y");
    const order = this.get(spec.order, "order");
    const w = this.float(spec.w, "w");
    const b = this.float(spec.b, "b");
    const [n, d] = X.shape;
    const L = w.shape[1];
    const yCols = y.shape[1];
    const l1 = spec.weightL1 ?? [];
    const hasL1 = l1.some((v) => v > 0);
    const tensors = [X, y, order, w, b];
    // Per step: cheap flag tests first; `get` only to build the message of a failure.
    const check = (offset: number, count: number, self?: DualSgd) => {
      if (!(offset >= 0 && count >= 1 && offset + count <= n)) {
        throw new RangeError(`linearSgd: rows ${offset}..${offset + count} outside [0, ${n}]`);
      }
      if (
        X.disposed ||
        y.disposed ||
        order.disposed ||
        w.disposed ||
        b.disposed ||
        this.destroyed
      ) {
        for (const t of tensors) this.get(t, "tensor", "none");
        throw new Error(`backend ${this.name} was destroyed`);
      }
      // The step rewrites w and b in place.
      w.version++;
      b.version++;
      if (this.duals.size > 0) {
        this.get(w, "w", "update", self);
        this.get(b, "b", "update", self);
      }
    };
    const k = this.kernels;
    const pool = this.pool;
    if (L === 1) {
      // The gradient, or a batch of up to 8 rows' residuals (sgdStep1's scratch).
      const g = this.alloc(Math.max(d, 8) * 4);
      const [p, dw, db] = [
        spec.weightPenalty[0],
        spec.weightDecay[0],
        spec.biasDecay[0],
      ] as number[];
      const t1 = hasL1 ? (l1[0] as number) : 0;
      // With threads: one gradient and one residual sum per part (16-byte aligned rows).
      const stride = Math.ceil(d / 4) * 16;
      const parts = pool ? this.alloc(pool.size * stride) : 0;
      const sums = pool ? this.alloc(pool.size * 4) : 0;
      let disposed = false;
      return {
        step: (offset, count, lr) => {
          if (disposed) throw new Error("linearSgd: the program was disposed");
          check(offset, count);
          if (pool && count * d >= this.parallelMinWork) {
            const bad = k.checkRows(order.ptr, offset, count, n);
            if (bad >= 0) throw this.badRow(order, offset, bad, n);
            const b0 = this.f32()[b.ptr >>> 2] as number;
            pool.run(Job.sgd1, [
              X.ptr,
              y.ptr,
              order.ptr,
              w.ptr,
              b0,
              parts,
              stride,
              sums,
              d,
              offset,
              count,
            ]);
            k.sgdFinish1(pool.address, lr, p as number, dw as number, db as number, lr * t1, b.ptr);
            return;
          }
          const bad = k.sgdStep1(
            X.ptr,
            y.ptr,
            order.ptr,
            w.ptr,
            b.ptr,
            g,
            n,
            d,
            offset,
            count,
            lr,
            p as number,
            dw as number,
            db as number,
            lr * t1,
          );
          if (bad >= 0) throw this.badRow(order, offset, bad, n);
        },
        dispose: () => {
          if (!disposed) {
            this.free(g);
            if (pool) {
              this.free(parts);
              this.free(sums);
            }
          }
          disposed = true;
        },
      };
    }
    if (!hasL1 && (this.dual === "always" || (this.dual === "auto" && 2 * n <= d))) {
      const program = new DualSgd(this, X, y, order, w, b, spec);
      this.duals.add(program);
      let disposed = false;
      return {
        step: (offset, count, lr) => {
          if (disposed) throw new Error("linearSgd: the program was disposed");
          check(offset, count, program);
          program.step(offset, count, lr);
        },
        dispose: () => {
          if (disposed) return;
          disposed = true;
          // w must hold its values once nobody else can produce them (unless all is freed).
          if (program.stale && !this.destroyed) program.materialize();
          this.duals.delete(program);
          program.release();
        },
      };
    }
    const r = this.alloc(n * L * 4);
    const g = this.alloc(d * L * 4);
    // With threads: one d×L gradient per part (part 0's is g's own size, 16-byte aligned).
    const strideL = Math.ceil(L / 4) * 16 * d;
    const parts = pool ? this.alloc(pool.size * strideL) : 0;
    const coef = this.alloc(4 * L * 4);
    const c = this.f32();
    const base = coef >>> 2;
    for (let l = 0; l < L; l++) {
      c[base + l] = spec.weightPenalty[l] as number;
      c[base + L + l] = spec.weightDecay[l] as number;
      c[base + 2 * L + l] = spec.biasDecay[l] as number;
      c[base + 3 * L + l] = (l1[l] ?? 0) as number;
    }
    let disposed = false;
    return {
      step: (offset, count, lr) => {
        if (disposed) throw new Error("linearSgd: the program was disposed");
        check(offset, count);
        if (pool && count * d * L >= this.parallelMinWork) {
          const bad = k.checkRows(order.ptr, offset, count, n);
          if (bad >= 0) throw this.badRow(order, offset, bad, n);
          pool.run(Job.sgdL, [
            X.ptr,
            y.ptr,
            yCols,
            order.ptr,
            w.ptr,
            b.ptr,
            r,
            parts,
            strideL,
            d,
            L,
            offset,
            count,
          ]);
          k.sgdFinishL(pool.address, coef, lr, +hasL1);
          return;
        }
        const bad = k.sgdStepL(
          X.ptr,
          y.ptr,
          yCols,
          order.ptr,
          w.ptr,
          b.ptr,
          r,
          g,
          coef,
          n,
          d,
          L,
          offset,
          count,
          lr,
          +hasL1,
        );
        if (bad >= 0) throw this.badRow(order, offset, bad, n);
      },
      dispose: () => {
        if (disposed) return;
        disposed = true;
        this.free(r);
        this.free(g);
        this.free(coef);
        if (pool) this.free(parts);
      },
    };
  }

  /**
   * The mean ½r² per column over the pool: each part sums its rows' squares in f64, then the
   * parts' sums are added in part order.
   */
  private parallelLoss(
    pool: ThreadPool,
    out: WasmTensor,
    X: WasmTensor,
    y: WasmTensor,
    w: WasmTensor,
    b: WasmTensor,
  ): void {
    const [n, d] = X.shape;
    const L = w.shape[1];
    const size = pool.size;
    // f64 sums (size·L) then f32 scratch rows (size·L).
    const scratch = this.alloc(size * L * 12);
    try {
      if (L === 1) {
        const b0 = this.f32()[b.ptr >>> 2] as number;
        pool.run(Job.squares1, [X.ptr, y.ptr, w.ptr, b0, d, n, scratch]);
        const sums = this.f64(scratch, size);
        let acc = 0;
        for (let p = 0; p < size; p++) acc += sums[p] as number;
        this.f32()[out.ptr >>> 2] = (0.5 * acc) / n;
      } else {
        pool.run(Job.squaresL, [
          X.ptr,
          y.ptr,
          y.shape[1],
          w.ptr,
          b.ptr,
          scratch + size * L * 8,
          scratch,
          d,
          L,
          n,
        ]);
        this.kernels.squaresFinishL(pool.address, out.ptr);
      }
    } finally {
      this.free(scratch);
    }
  }

  private linearLoss(X: Tensor, y: Tensor, w: Tensor, b: Tensor): Tensor {
    const [n, d] = X.shape;
    const L = w.shape[1];
    checkLinearShapes("linearLoss", X, y, w, b);
    const wt = this.get(w, "w", "none");
    for (const p of this.duals) {
      const Xt = this.get(X, "X", "none");
      if (p.w === wt && p.canEvaluate(Xt)) {
        const [Xr, yr, br] = [this.float(X, "X"), this.float(y, "y"), this.float(b, "b")];
        const out = this.make([1, L]);
        p.loss(out, Xr, yr, br);
        return out;
      }
    }
    const [Xd, yd, wd, bd] = [
      this.float(X, "X"),
      this.float(y, "y"),
      this.float(w, "w"),
      this.float(b, "b"),
    ];
    const out = this.make([1, L]);
    const pool = this.pool;
    if (pool && n * d * L >= this.parallelMinLoss) {
      this.parallelLoss(pool, out, Xd, yd, wd, bd);
    } else if (L === 1) {
      const value = this.kernels.loss1(
        Xd.ptr,
        yd.ptr,
        wd.ptr,
        this.f32()[bd.ptr >>> 2] as number,
        n,
        d,
      );
      this.f32()[out.ptr >>> 2] = value;
    } else {
      const scratch = this.alloc(L * 12);
      try {
        this.kernels.lossL(
          out.ptr,
          Xd.ptr,
          yd.ptr,
          yd.shape[1],
          wd.ptr,
          bd.ptr,
          scratch + L * 8,
          scratch,
          n,
          d,
          L,
        );
      } finally {
        this.free(scratch);
      }
    }
    return out;
  }
}

/**
 * The WebAssembly backend, float32: tensors live in one WebAssembly heap shared by
 * tfjs-backend-wasm (large matrix products, XNNPACK) and this package's own SIMD kernels (fused
 * SGD steps, losses, the dual form of λ grids). Rejects with a clear reason where WebAssembly
 * SIMD is missing.
 */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<Backend> {
  const { threads, note } = resolveThreads(options.threads);
  const rt = await loadRuntime({
    threads,
    ...(options.tfjsWasmPaths !== undefined ? { tfjsWasmPaths: options.tfjsWasmPaths } : {}),
    ...("webAssembly" in options ? { webAssembly: options.webAssembly } : {}),
  });
  return new WasmBackend(rt, options, note);
}

/** The thread count to start with, and the reason where it is one on a machine with more. */
function resolveThreads(requested: number | undefined): { threads: number; note?: string } {
  if (
    requested !== undefined &&
    !(Number.isInteger(requested) && requested >= 1 && requested <= MAX_THREADS)
  ) {
    throw new RangeError(
      `wasm: threads must be an integer from 1 to ${MAX_THREADS}, got ${requested}`,
    );
  }
  if (requested === 1) return { threads: 1 };
  const support = threadSupport();
  if (support.reason !== undefined) return { threads: 1, note: support.reason };
  return { threads: requested ?? support.threads };
}
