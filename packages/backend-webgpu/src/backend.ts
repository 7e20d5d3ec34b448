import type {
  Axis,
  Backend,
  BackendCapabilities,
  BinaryOp,
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
  broadcastKind,
  checkAssign,
  checkBinaryOp,
  checkGatherRange,
  checkHostData,
  checkLinearShapes,
  checkMaxAxis,
  checkSameShape,
  checkShape,
  checkSumAxis,
  checkThreshold,
  checkUnaryOp,
  describeShape,
  hostNetworkUnary,
  matmulDims,
} from "@wdecay/core";
import { BufferPool } from "./pool.js";
import {
  AXPBY,
  binaryKernel,
  GATHER,
  type KernelSource,
  LINEAR_LOSS,
  MATMUL,
  MATMUL_TILE,
  MATMUL_TILED,
  MAX_AXIS,
  networkUnaryKernel,
  SGD_HEADER_WORDS,
  SGD_RESIDUAL,
  SGD_UPDATE,
  SOFT_THRESHOLD,
  SUM_ALL,
  SUM_AXIS,
  unaryKernel,
} from "./wgsl.js";

// The spec's numeric flags, so that nothing depends on the GPUBufferUsage / GPUMapMode globals
// (Node's `webgpu` package only provides them after `Object.assign(globalThis, globals)`).
const USAGE = { MAP_READ: 1, COPY_SRC: 4, COPY_DST: 8, STORAGE: 128 } as const;
const MAP_READ = 1;

/** Bytes of the shared parameter buffer: 4096 slots of 256 bytes (one per op or SGD step). */
const ARENA_BYTES = 1 << 20;
/** Released buffers waiting for a submission before the pool forces one. */
const MAX_LIMBO = 512;

/** Options of {@link createWebGpuBackend}. */
export interface WebGpuBackendOptions {
  /**
   * Where adapters come from: `navigator.gpu` by default (browsers); in Node, the result of
   * `nodeGpu()` from `@wdecay/backend-webgpu/node` (Dawn).
   */
  readonly gpu?: GPU;
  /** A device to use instead of requesting one; the backend then does not destroy it. */
  readonly device?: GPUDevice;
  /** Passed to `requestAdapter`. */
  readonly powerPreference?: GPUPowerPreference;
  /** Registry name (`webgpu`). */
  readonly name?: string;
  /** Provide the fused kernels (default true); without them core composes from primitives. */
  readonly fused?: boolean;
  /**
   * Held for as long as the backend lives. Dawn in Node aborts the process if the object returned
   * by `create()` is garbage-collected while one of its devices is alive.
   */
  readonly keepAlive?: unknown;
}

/**
 * Counters of the work sent to the device, for tests and the bench: they count, rather than
 * estimate, how many submissions and device→host reads a training step costs.
 */
export interface WebGpuStats {
  /** `queue.submit` calls. */
  readonly submissions: number;
  /** Device→host reads (buffer maps), one per {@link Backend.read}. */
  readonly reads: number;
  /** Host→device writes of tensor data (`upload`, `write`). */
  readonly writes: number;
  /** Host→device writes of the parameter buffer: at most one per submission. */
  readonly paramWrites: number;
  /** Compute dispatches encoded. */
  readonly dispatches: number;
  /** Fused SGD steps encoded. */
  readonly steps: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  /** GPU buffers allocated (live tensors, scratch and pooled ones). */
  readonly buffers: number;
  /** Of those, the ones waiting in the pool. */
  readonly pooledBuffers: number;
}

/** Thrown by every call after the device was lost (driver reset, `device.destroy()`, …). */
export class WebGpuDeviceLostError extends Error {
  constructor(readonly reason: string) {
    super(`the WebGPU device was lost: ${reason}`);
    this.name = "WebGpuDeviceLostError";
  }
}

/** Thrown after the device reported a validation or out-of-memory error. */
export class WebGpuValidationError extends Error {
  constructor(message: string) {
    super(`WebGPU reported an error: ${message}`);
    this.name = "WebGpuValidationError";
  }
}

class GpuTensor implements Tensor {
  disposed = false;
  /** The submission generation of the last encoded command that touched this buffer. */
  gen = -1;
  /** Host copy of an int32 tensor: indices are validated on the host, synchronously. */
  ints: Int32Array | undefined;
  constructor(
    readonly shape: Shape,
    readonly dtype: DType,
    readonly buffer: GPUBuffer,
    readonly owner: WebGpuBackend,
  ) {}
  get length(): number {
    return this.shape[0] * this.shape[1];
  }
}

interface Compiled {
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

interface Slot {
  readonly offset: number;
  readonly size: number;
  readonly u32: Uint32Array;
  readonly f32: Float32Array;
  /** Word index of the slot's start in the views. */
  readonly at: number;
}

/**
 * Writes a host scalar as m·2^e (m a float32 in [1, 2] with the sign, e an int32) so that
 * kernels multiply by it as the float64 host would, even outside float32's range.
 */
function putScalar(s: Slot, at: number, value: number): void {
  const i32 = new Int32Array(s.u32.buffer);
  if (value === 0 || !Number.isFinite(value)) {
    s.f32[at] = value;
    i32[at + 1] = 0;
    return;
  }
  let e = Math.floor(Math.log2(Math.abs(value)));
  // log2 may be off by one next to a power of two: fix e so that |value|/2^e is in [1, 2).
  while (Math.abs(value) / 2 ** e >= 2) e++;
  while (Math.abs(value) / 2 ** e < 1) e--;
  s.f32[at] = value / 2 ** e;
  i32[at + 1] = e;
}

/**
 * Creates a WebGPU backend: requests an adapter and a device from `options.gpu` (or
 * `navigator.gpu`), or wraps `options.device`. Rejects with a clear reason when WebGPU or an
 * adapter is missing, so that a registry falls back to another backend.
 */
export async function createWebGpuBackend(
  options: WebGpuBackendOptions = {},
): Promise<WebGpuBackend> {
  if (options.device) return new WebGpuBackend(options.device, options, false, "caller's device");
  const gpu = options.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) {
    throw new Error(
      "WebGPU is not available here (no navigator.gpu); in Node pass { gpu: await nodeGpu() } " +
        "from @wdecay/backend-webgpu/node",
    );
  }
  const adapter = await gpu.requestAdapter(
    options.powerPreference ? { powerPreference: options.powerPreference } : undefined,
  );
  if (!adapter) throw new Error("WebGPU found no adapter (requestAdapter() returned null)");
  const limits = adapter.limits;
  // Large data sets need the adapter's full binding size, not the default 128 MiB.
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxStorageBuffersPerShaderStage: Math.min(8, limits.maxStorageBuffersPerShaderStage),
    },
  });
  const info = adapter.info;
  const description =
    [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(" ") || "unknown";
  return new WebGpuBackend(device, options, true, description, isSoftwareAdapter(adapter));
}

/**
 * Whether an adapter runs on the CPU: what WebGPU calls a fallback adapter (`info.
 * isFallbackAdapter`, `isFallbackAdapter` on older implementations), or a known software
 * rasterizer by name (SwiftShader, llvmpipe, lavapipe) where an implementation does not say.
 */
export function isSoftwareAdapter(adapter: GPUAdapter): boolean {
  const info = adapter.info as Partial<GPUAdapterInfo> | undefined;
  if (info?.isFallbackAdapter === true) return true;
  if ((adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true) return true;
  const named = [info?.vendor, info?.architecture, info?.device, info?.description].join(" ");
  return /swiftshader|llvmpipe|lavapipe/i.test(named);
}

/**
 * WGSL compute kernels behind the {@link Backend} interface, float32. Ops encode into one
 * command encoder and return at once; the encoder is submitted when a `read` needs results,
 * when `write` rewrites a buffer that encoded work still uses (once per epoch in training), or
 * when the parameter buffer fills. See the package README for the design.
 */
export class WebGpuBackend implements Backend {
  readonly name: string;
  readonly precision: Precision = "float32";
  readonly capabilities: BackendCapabilities & { readonly device: "gpu" };
  readonly fused: Partial<FusedKernels>;
  /** Invocations per workgroup, from the device's limits (256 on SwiftShader). */
  readonly workgroupSize: number;
  private readonly queue: GPUQueue;
  private readonly pool: BufferPool;
  private readonly staging: BufferPool;
  private readonly maxGroups: number;
  private readonly align: number;
  private readonly arena = new ArrayBuffer(ARENA_BYTES);
  private readonly arenaU32 = new Uint32Array(this.arena);
  private readonly arenaF32 = new Float32Array(this.arena);
  private readonly arenaGpu: GPUBuffer;
  private arenaUsed = 0;
  private encoder: GPUCommandEncoder | undefined;
  private gen = 0;
  private pendingFlush: Promise<void> | undefined;
  private readonly kernels = new Map<string, Compiled>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private live = 0;
  private destroyed = false;
  private lostReason: string | undefined;
  private errorMessage: string | undefined;
  private readonly lost: Promise<{ lost: string }>;
  private readonly counters = {
    submissions: 0,
    reads: 0,
    writes: 0,
    paramWrites: 0,
    dispatches: 0,
    steps: 0,
    bytesRead: 0,
    bytesWritten: 0,
  };
  /** Held only so that it outlives the device (see {@link WebGpuBackendOptions.keepAlive}). */
  readonly keepAlive: unknown;

  constructor(
    readonly device: GPUDevice,
    options: WebGpuBackendOptions,
    private readonly ownsDevice: boolean,
    /** The adapter, as it describes itself (`google swiftshader …` for the software one). */
    readonly adapter = "unknown",
    /**
     * Whether the adapter is a software one (SwiftShader, say): correct, but slower than the
     * CPU backends, so the registry entry takes it only when the user names `webgpu`.
     */
    readonly softwareAdapter = false,
  ) {
    this.name = options.name ?? "webgpu";
    this.keepAlive = options.keepAlive ?? options.gpu;
    this.queue = device.queue;
    const limits = device.limits;
    // A power of two (the reductions halve it), at most 256, within both workgroup limits.
    const maxWg = Math.min(
      256,
      limits.maxComputeInvocationsPerWorkgroup,
      limits.maxComputeWorkgroupSizeX,
    );
    this.workgroupSize = 2 ** Math.floor(Math.log2(maxWg));
    this.maxGroups = limits.maxComputeWorkgroupsPerDimension;
    this.align = Math.max(256, limits.minStorageBufferOffsetAlignment);
    const maxBytes = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
    this.capabilities = {
      device: "gpu",
      maxTensorElements: Math.floor(maxBytes / 4),
      // Where code paths switch beyond the usual sizes: products go to 16 × 16 tiles where
      // both output sides reach 16, the buffer pool's size classes turn from powers of two to
      // whole MiB past 1 MiB (2¹⁸ floats), and a dispatch past the per-dimension workgroup
      // limit becomes a 2-D grid.
      sizeBoundaries: [MATMUL_TILE, 2 ** 18, this.maxGroups * this.workgroupSize],
    };
    this.pool = new BufferPool(device, USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST);
    this.staging = new BufferPool(device, USAGE.MAP_READ | USAGE.COPY_DST);
    this.arenaGpu = device.createBuffer({
      label: "wdecay params",
      size: ARENA_BYTES,
      usage: USAGE.STORAGE | USAGE.COPY_DST,
    });
    this.lost = device.lost.then((info) => {
      const reason = this.destroyed
        ? "the backend was destroyed"
        : `${info.reason ?? "unknown"}${info.message ? `: ${info.message}` : ""}`;
      this.lostReason = reason;
      return { lost: reason };
    });
    const onError = (event: Event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.errorMessage ??= error?.message ?? String(error);
    };
    if (typeof device.addEventListener === "function") {
      device.addEventListener("uncapturederror", onError);
    } else {
      device.onuncapturederror = onError as (event: GPUUncapturedErrorEvent) => void;
    }
    this.fused =
      options.fused === false
        ? {}
        : {
            linearSgd: (spec) => this.linearSgd(spec),
            linearLoss: (X, y, w, b) => this.linearLoss(X, y, w, b),
          };
  }

  /** A snapshot of the work counters (see {@link WebGpuStats}). */
  stats(): WebGpuStats {
    return {
      ...this.counters,
      buffers: this.pool.allocated + this.staging.allocated,
      pooledBuffers: this.pool.pooled() + this.staging.pooled(),
    };
  }

  /** Submits encoded work now (ops otherwise submit lazily; see the class comment). */
  flush(): void {
    if (!this.encoder) return;
    if (this.arenaUsed > 0) {
      this.queue.writeBuffer(this.arenaGpu, 0, this.arena, 0, this.arenaUsed);
      this.counters.paramWrites++;
    }
    this.queue.submit([this.encoder.finish()]);
    this.counters.submissions++;
    this.encoder = undefined;
    this.arenaUsed = 0;
    this.gen++;
    this.pool.afterSubmit();
    this.staging.afterSubmit();
  }

  // ---------------------------------------------------------------- plumbing

  private check(): void {
    if (this.destroyed) throw new Error(`backend ${this.name} was destroyed`);
    if (this.lostReason !== undefined) throw new WebGpuDeviceLostError(this.lostReason);
    if (this.errorMessage !== undefined) throw new WebGpuValidationError(this.errorMessage);
  }

  private enc(): GPUCommandEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: "wdecay" });
    return this.encoder;
  }

  /** A parameter slot of `words` 32-bit words, in the buffer the next submission uploads. */
  private slot(words: number): Slot {
    const size = Math.ceil((words * 4) / this.align) * this.align;
    if (size > ARENA_BYTES) throw new RangeError(`too many parameters (${words} words)`);
    if (this.arenaUsed + size > ARENA_BYTES) this.flush();
    const offset = this.arenaUsed;
    this.arenaUsed += size;
    return { offset, size, u32: this.arenaU32, f32: this.arenaF32, at: offset / 4 };
  }

  private layout(inputs: number, outputs: number): GPUBindGroupLayout {
    const key = `${inputs}/${outputs}`;
    let layout = this.layouts.get(key);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = [
        {
          binding: 0,
          visibility: 4, // GPUShaderStage.COMPUTE
          buffer: { type: "read-only-storage", hasDynamicOffset: true },
        },
      ];
      for (let i = 0; i < inputs + outputs; i++) {
        entries.push({
          binding: i + 1,
          visibility: 4,
          buffer: { type: i < inputs ? "read-only-storage" : "storage" },
        });
      }
      layout = this.device.createBindGroupLayout({ entries });
      this.layouts.set(key, layout);
    }
    return layout;
  }

  private kernel(key: string, source: KernelSource): Compiled {
    let compiled = this.kernels.get(key);
    if (!compiled) {
      const layout = this.layout(source.inputs, source.outputs);
      const module = this.device.createShaderModule({
        label: key,
        code: source.code.replaceAll("__WG__", String(this.workgroupSize)),
      });
      const pipeline = this.device.createComputePipeline({
        label: key,
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module, entryPoint: "main" },
      });
      compiled = { pipeline, layout };
      this.kernels.set(key, compiled);
    }
    return compiled;
  }

  private bindGroup(k: Compiled, slotSize: number, buffers: readonly GPUBuffer[]): GPUBindGroup {
    return this.device.createBindGroup({
      layout: k.layout,
      entries: [
        { binding: 0, resource: { buffer: this.arenaGpu, size: slotSize } },
        ...buffers.map((buffer, i) => ({ binding: i + 1, resource: { buffer } })),
      ],
    });
  }

  /** Workgroup grid for `groups` workgroups: 2-D past the per-dimension limit. */
  private grid(groups: number): [number, number] {
    if (groups <= this.maxGroups) return [groups, 1];
    return [this.maxGroups, Math.ceil(groups / this.maxGroups)];
  }

  private dispatch(
    key: string,
    source: KernelSource,
    slot: Slot,
    tensors: readonly GpuTensor[],
    groups: number,
  ): void {
    const k = this.kernel(key, source);
    const group = this.bindGroup(
      k,
      slot.size,
      tensors.map((t) => t.buffer),
    );
    for (const t of tensors) t.gen = this.gen;
    const pass = this.enc().beginComputePass();
    pass.setPipeline(k.pipeline);
    pass.setBindGroup(0, group, [slot.offset]);
    pass.dispatchWorkgroups(...this.grid(groups));
    pass.end();
    this.counters.dispatches++;
  }

  private groupsFor(invocations: number): number {
    return Math.max(1, Math.ceil(invocations / this.workgroupSize));
  }

  private make(shape: Shape, dtype: DType = "float"): GpuTensor {
    this.check();
    checkShape(shape, this.capabilities.maxTensorElements);
    const [rows, cols] = shape;
    if (dtype !== "float" && dtype !== "int32") throw new TypeError(`unknown dtype ${dtype}`);
    // Released buffers are only reused after a submission; too many waiting forces one.
    if (this.pool.waiting() > MAX_LIMBO) this.flush();
    const buffer = this.pool.acquire(rows * cols * 4);
    this.live++;
    const t = new GpuTensor([rows, cols], dtype, buffer, this);
    if (dtype === "int32") t.ints = new Int32Array(rows * cols);
    return t;
  }

  private get(t: Tensor, what = "tensor"): GpuTensor {
    if (!(t instanceof GpuTensor) || t.owner !== this) {
      throw new TypeError(`${what} does not belong to backend ${this.name}`);
    }
    if (t.disposed) throw new Error(`${what} (${describeShape(t.shape)}) was already disposed`);
    return t;
  }

  private float(t: Tensor, what: string): GpuTensor {
    const g = this.get(t, what);
    if (g.dtype !== "float") throw new TypeError(`${what} must be a float tensor`);
    return g;
  }

  /** Resolves with the value, or rejects with a clear error if the device is lost first. */
  private async guard<T>(promise: Promise<T>): Promise<T> {
    promise.catch(() => {});
    const result = await Promise.race([promise.then((value) => ({ value })), this.lost]);
    if ("lost" in result) throw new WebGpuDeviceLostError(result.lost);
    return result.value;
  }

  /** Submits on the next microtask, so that reads issued together share one submission. */
  private flushSoon(): Promise<void> {
    this.pendingFlush ??= Promise.resolve().then(() => {
      this.pendingFlush = undefined;
      this.flush();
    });
    return this.pendingFlush;
  }

  private hostData(t: GpuTensor, data: ArrayLike<number>, op: string): Float32Array | Int32Array {
    checkHostData(op, data, t.shape, t.dtype);
    return t.dtype === "int32" ? Int32Array.from(data) : Float32Array.from(data);
  }

  private put(t: GpuTensor, values: Float32Array | Int32Array): void {
    this.queue.writeBuffer(t.buffer, 0, values.buffer, values.byteOffset, values.byteLength);
    if (values instanceof Int32Array) t.ints = values;
    this.counters.writes++;
    this.counters.bytesWritten += values.byteLength;
  }

  // ---------------------------------------------------------------- Backend

  upload(data: ArrayLike<number>, shape: Shape, dtype: DType = "float"): Tensor {
    const t = this.make(shape, dtype);
    try {
      // A fresh buffer has no encoded work pending on it: no submission needed.
      this.put(t, this.hostData(t, data, "upload"));
    } catch (error) {
      this.dispose(t);
      throw error;
    }
    return t;
  }

  write(target: Tensor, data: ArrayLike<number>): void {
    this.check();
    const t = this.get(target, "write target");
    const values = this.hostData(t, data, "write");
    // queue.writeBuffer runs before anything still in the encoder: submit that work first.
    if (t.gen === this.gen) this.flush();
    this.put(t, values);
  }

  async read(tensor: Tensor): Promise<Float64Array> {
    this.check();
    const t = this.get(tensor);
    const bytes = t.length * 4;
    const staging = this.staging.acquire(bytes);
    this.enc().copyBufferToBuffer(t.buffer, 0, staging, 0, bytes);
    t.gen = this.gen;
    await this.flushSoon();
    this.counters.reads++;
    this.counters.bytesRead += bytes;
    try {
      await this.guard(staging.mapAsync(MAP_READ, 0, bytes));
    } catch (error) {
      this.check();
      throw error;
    }
    const range = staging.getMappedRange(0, bytes);
    const out =
      t.dtype === "int32"
        ? Float64Array.from(new Int32Array(range))
        : Float64Array.from(new Float32Array(range));
    staging.unmap();
    this.staging.release(staging);
    // Errors are reported asynchronously; one raised by this work has arrived by now.
    this.check();
    return out;
  }

  dispose(tensor: Tensor): void {
    const t = this.get(tensor);
    t.disposed = true;
    this.live--;
    if (!this.destroyed) this.pool.release(t.buffer);
  }

  liveTensors(): number {
    return this.live;
  }

  zeros(shape: Shape, dtype: DType = "float"): Tensor {
    const t = this.make(shape, dtype);
    this.enc().clearBuffer(t.buffer, 0, t.length * 4);
    t.gen = this.gen;
    return t;
  }

  matmul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
    this.check();
    const A = this.float(a, "matmul a");
    const B = this.float(b, "matmul b");
    const ac = A.shape[1];
    const bc = B.shape[1];
    const { m, k, n } = matmulDims(A.shape, B.shape, transposeA, transposeB);
    const out = this.make([m, n]);
    const s = this.slot(7);
    s.u32.set(
      [m, n, k, transposeA ? 1 : ac, transposeA ? ac : 1, transposeB ? 1 : bc, transposeB ? bc : 1],
      s.at,
    );
    // Tiles pay off where both output sides fill one: a product with a thin side (a weight
    // column, a minibatch of one row) keeps the one-output-per-invocation kernel.
    if (this.workgroupSize === MATMUL_TILE * MATMUL_TILE && m >= MATMUL_TILE && n >= MATMUL_TILE) {
      const tiles = Math.ceil(m / MATMUL_TILE) * Math.ceil(n / MATMUL_TILE);
      this.dispatch("matmul-tiled", MATMUL_TILED, s, [A, B, out], tiles);
    } else {
      this.dispatch("matmul", MATMUL, s, [A, B, out], this.groupsFor(m * n));
    }
    return out;
  }

  binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
    this.check();
    checkBinaryOp(op);
    const A = this.float(a, `${op} a`);
    const B = this.float(b, `${op} b`);
    // One kernel for every kind: it reads b at row 0 where br = 1, at column 0 where bc = 1.
    broadcastKind(op, A.shape, B.shape);
    const [r, c] = A.shape;
    const [br, bc] = B.shape;
    const out = this.make([r, c]);
    const s = this.slot(4);
    s.u32.set([r * c, c, br, bc], s.at);
    this.dispatch(`binary-${op}`, binaryKernel(op), s, [A, B, out], this.groupsFor(r * c));
    return out;
  }

  readonly network: NetworkPrimitives = {
    unary: (op, a) => this.networkUnary(op, a),
    max: (a, axis) => this.max(a, axis),
  };

  private networkUnary(op: NetworkUnaryOp, a: Tensor): Tensor {
    this.check();
    hostNetworkUnary(op);
    const A = this.float(a, op);
    const out = this.make(A.shape);
    const s = this.slot(1);
    s.u32[s.at] = A.length;
    this.dispatch(`network-${op}`, networkUnaryKernel(op), s, [A, out], this.groupsFor(A.length));
    return out;
  }

  private max(a: Tensor, axis: Axis): Tensor {
    this.check();
    const A = this.float(a, "max");
    checkMaxAxis(axis);
    const [r, c] = A.shape;
    const out = this.make(axis === 0 ? [1, c] : [r, 1]);
    const s = this.slot(4);
    s.u32.set(axis === 0 ? [c, r, 1, c] : [r, c, c, 1], s.at);
    this.dispatch("max-axis", MAX_AXIS, s, [A, out], this.groupsFor(out.length));
    return out;
  }

  unary(op: UnaryOp, a: Tensor): Tensor {
    this.check();
    checkUnaryOp(op);
    const A = this.float(a, op);
    const out = this.make(A.shape);
    const s = this.slot(1);
    s.u32[s.at] = A.length;
    this.dispatch(`unary-${op}`, unaryKernel(op), s, [A, out], this.groupsFor(A.length));
    return out;
  }

  axpby(alpha: number, x: Tensor, beta: number, y: Tensor): Tensor {
    this.check();
    const X = this.float(x, "axpby x");
    const Y = this.float(y, "axpby y");
    checkSameShape("axpby", X.shape, Y.shape);
    const out = this.make(X.shape);
    const s = this.slot(5);
    s.u32[s.at] = X.length;
    putScalar(s, s.at + 1, alpha);
    putScalar(s, s.at + 3, beta);
    this.dispatch("axpby", AXPBY, s, [X, Y, out], this.groupsFor(X.length));
    return out;
  }

  softThreshold(a: Tensor, t: number): Tensor {
    this.check();
    checkThreshold(t);
    const A = this.float(a, "softThreshold");
    const out = this.make(A.shape);
    const s = this.slot(2);
    s.u32[s.at] = A.length;
    s.f32[s.at + 1] = t;
    this.dispatch("soft-threshold", SOFT_THRESHOLD, s, [A, out], this.groupsFor(A.length));
    return out;
  }

  sum(a: Tensor, axis?: Axis): Tensor {
    this.check();
    const A = this.float(a, "sum");
    checkSumAxis(axis);
    const [r, c] = A.shape;
    if (axis === undefined) {
      const out = this.make([1, 1]);
      const s = this.slot(1);
      s.u32[s.at] = r * c;
      this.dispatch("sum-all", SUM_ALL, s, [A, out], 1);
      return out;
    }
    const out = this.make(axis === 0 ? [1, c] : [r, 1]);
    const s = this.slot(4);
    // [outputs, terms, distance between outputs, distance between terms]
    s.u32.set(axis === 0 ? [c, r, 1, c] : [r, c, c, 1], s.at);
    this.dispatch("sum-axis", SUM_AXIS, s, [A, out], this.groupsFor(out.length));
    return out;
  }

  gatherRows(a: Tensor, indices: Tensor, offset: number, count: number): Tensor {
    this.check();
    const A = this.get(a, "gatherRows source");
    const I = this.get(indices, "gatherRows indices");
    if (I.dtype !== "int32") throw new TypeError("gatherRows: indices must be int32");
    const [r, c] = A.shape;
    const ints = I.ints as Int32Array;
    checkGatherRange(r, ints, offset, count);
    const out = this.make([count, c], A.dtype);
    if (A.ints && out.ints) {
      for (let t = 0; t < count; t++) {
        const row = ints[offset + t] as number;
        out.ints.set(A.ints.subarray(row * c, row * c + c), t * c);
      }
    }
    const s = this.slot(3);
    s.u32.set([count * c, c, offset], s.at);
    this.dispatch("gather", GATHER, s, [A, I, out], this.groupsFor(count * c));
    return out;
  }

  assign(target: Tensor, source: Tensor): void {
    this.check();
    const T = this.get(target, "assign target");
    const S = this.get(source, "assign source");
    checkAssign(T, S);
    if (T === S) return;
    this.enc().copyBufferToBuffer(S.buffer, 0, T.buffer, 0, T.length * 4);
    T.gen = this.gen;
    S.gen = this.gen;
    if (S.ints) T.ints = S.ints.slice();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.encoder = undefined;
    this.pool.trim();
    this.staging.trim();
    this.arenaGpu.destroy();
    if (this.ownsDevice) this.device.destroy();
  }

  // ---------------------------------------------------------------- fused kernels

  private linearLoss(X: Tensor, y: Tensor, w: Tensor, b: Tensor): Tensor {
    this.check();
    const tX = this.float(X, "X");
    const tY = this.float(y, "y");
    const tW = this.float(w, "w");
    const tB = this.float(b, "b");
    const [n, d] = tX.shape;
    const L = tW.shape[1];
    checkLinearShapes("linearLoss", tX, tY, tW, tB);
    const out = this.make([1, L]);
    const s = this.slot(5);
    s.u32.set([n, d, L, tY.shape[1]], s.at);
    s.f32[s.at + 4] = 0.5 / n;
    // One workgroup per column.
    this.dispatch("linear-loss", LINEAR_LOSS, s, [tX, tY, tW, tB, out], L);
    return out;
  }

  private linearSgd(spec: LinearSgdSpec): LinearSgdProgram {
    this.check();
    const X = this.float(spec.X, "X");
    const Y = this.float(spec.y, "y");
    const order = this.get(spec.order, "order");
    const w = this.float(spec.w, "w");
    const b = this.float(spec.b, "b");
    const [n, d] = X.shape;
    const L = w.shape[1];
    const yCols = Y.shape[1];
    const penalty = Float64Array.from(spec.weightPenalty);
    const decay = Float64Array.from(spec.weightDecay);
    const biasDecay = Float64Array.from(spec.biasDecay);
    const l1 = Float64Array.from(spec.weightL1 ?? new Array<number>(L).fill(0));
    // Residual scratch, allocated once: a step allocates nothing.
    const r = this.pool.acquire(n * L * 4, "wdecay sgd residuals");
    const words = SGD_HEADER_WORDS + 4 * L;
    const slotSize = Math.ceil((words * 4) / this.align) * this.align;
    const residual = this.kernel("sgd-residual", SGD_RESIDUAL);
    const update = this.kernel("sgd-update", SGD_UPDATE);
    // Bind groups made once: the parameters move by dynamic offset, the buffers never change.
    const residualGroup = this.bindGroup(residual, slotSize, [
      X.buffer,
      Y.buffer,
      order.buffer,
      w.buffer,
      b.buffer,
      r,
    ]);
    const updateGroup = this.bindGroup(update, slotSize, [
      X.buffer,
      order.buffer,
      r,
      w.buffer,
      b.buffer,
    ]);
    const tensors = [X, Y, order, w, b];
    let disposed = false;
    return {
      step: (offset, count, lr) => {
        this.check();
        if (disposed) throw new Error("linearSgd: the program was disposed");
        if (!(Number.isInteger(offset) && Number.isInteger(count) && offset >= 0 && count >= 1)) {
          throw new RangeError(`linearSgd: bad range offset ${offset}, count ${count}`);
        }
        if (offset + count > n) {
          throw new RangeError(`linearSgd: rows ${offset}..${offset + count} outside [0, ${n}]`);
        }
        for (const t of tensors) this.get(t);
        const ints = order.ints as Int32Array;
        for (let i = offset; i < offset + count; i++) {
          const row = ints[i] as number;
          if (row < 0 || row >= n) {
            throw new RangeError(`linearSgd: row index ${row} out of range [0, ${n})`);
          }
        }
        const s = this.slot(words);
        const at = s.at;
        s.u32.set([offset, count, d, L, yCols], at);
        s.f32[at + 5] = lr;
        s.f32[at + 6] = 1 / count;
        s.u32[at + 7] = 0;
        const base = at + SGD_HEADER_WORDS;
        for (let l = 0; l < L; l++) {
          s.f32[base + l] = 1 - lr * (decay[l] as number);
          s.f32[base + L + l] = 1 - lr * (biasDecay[l] as number);
          s.f32[base + 2 * L + l] = lr * (l1[l] as number);
          s.f32[base + 3 * L + l] = penalty[l] as number;
        }
        for (const t of tensors) t.gen = this.gen;
        // Both halves in one compute pass: WebGPU orders storage writes between dispatches.
        const pass = this.enc().beginComputePass();
        pass.setPipeline(residual.pipeline);
        pass.setBindGroup(0, residualGroup, [s.offset]);
        pass.dispatchWorkgroups(...this.grid(this.groupsFor(count * L)));
        pass.setPipeline(update.pipeline);
        pass.setBindGroup(0, updateGroup, [s.offset]);
        pass.dispatchWorkgroups(...this.grid(this.groupsFor((d + 1) * L)));
        pass.end();
        this.counters.dispatches += 2;
        this.counters.steps++;
      },
      dispose: () => {
        if (disposed) return;
        disposed = true;
        if (!this.destroyed) this.pool.release(r);
      },
    };
  }
}
