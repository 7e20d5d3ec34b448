/**
 * Loads the two WebAssembly modules the backend runs on and ties them to one heap:
 * tfjs-backend-wasm (XNNPACK matrix products, Emscripten's malloc) and this package's own
 * kernels (assembly/kernels.ts), which import tfjs' `WebAssembly.Memory` instead of having their
 * own. A tensor is one malloc'd block in that heap; our kernels and tfjs' read it in place.
 */
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { engine } from "@tensorflow/tfjs-core";
import { KERNELS_WASM_BASE64 } from "../build/kernels.js";

/** The exports of assembly/kernels.ts (pointers are byte offsets into the shared heap). */
export interface KernelExports {
  sgdStep1(
    X: number,
    y: number,
    order: number,
    w: number,
    b: number,
    g: number,
    n: number,
    d: number,
    offset: number,
    count: number,
    lr: number,
    penalty: number,
    decay: number,
    biasDecay: number,
    l1t: number,
  ): number;
  sgdStepL(
    X: number,
    y: number,
    yCols: number,
    order: number,
    w: number,
    b: number,
    r: number,
    g: number,
    coef: number,
    n: number,
    d: number,
    L: number,
    offset: number,
    count: number,
    lr: number,
    hasL1: number,
  ): number;
  loss1(X: number, y: number, w: number, b: number, n: number, d: number): number;
  lossL(
    out: number,
    X: number,
    y: number,
    yCols: number,
    w: number,
    b: number,
    z: number,
    acc: number,
    n: number,
    d: number,
    L: number,
  ): void;
  matmul(
    out: number,
    A: number,
    ar: number,
    ac: number,
    B: number,
    br: number,
    bc: number,
    tA: number,
    tB: number,
  ): void;
  transpose(out: number, A: number, rows: number, cols: number): void;
  gram(out: number, X1: number, m: number, X2: number, n: number, d: number, row: number): void;
  xw64(out: number, X: number, m: number, d: number, W0: number, L: number): void;
  widen(W0: number, w: number, count: number): void;
  axpby(out: number, x: number, y: number, alpha: number, beta: number, count: number): void;
  biasRelu(z: number, b: number, rows: number, cols: number, relu: number): void;
  maskByStep(g: number, a: number, count: number): void;
  materialize(
    w: number,
    X: number,
    n: number,
    d: number,
    W0: number,
    s: number,
    A: number,
    L: number,
    tmp: number,
  ): void;
  dualStep(
    order: number,
    offset: number,
    count: number,
    K: number,
    P: number,
    A: number,
    s: number,
    b: number,
    y: number,
    yCols: number,
    coef: number,
    r: number,
    n: number,
    L: number,
    lr: number,
  ): number;
  dualLoss(
    out: number,
    G: number,
    Pe: number,
    A: number,
    s: number,
    b: number,
    y: number,
    yCols: number,
    ne: number,
    n: number,
    L: number,
    r: number,
    acc: number,
  ): void;
  ready(): number;
}

/** The heap: a `WebAssembly.Memory` (typed here: the repository's types have no DOM lib). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

/** The parts of the `WebAssembly` namespace the backend uses. */
export interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<{ exports: object }>;
  Memory: abstract new (...args: never[]) => WasmMemory;
}

/** The global `WebAssembly`, where there is one. */
function globalWebAssembly(): WebAssemblyApi | undefined {
  return (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
}

/** The parts of tfjs-backend-wasm's Emscripten module the backend uses. */
interface TfjsWasmModule {
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  _BatchMatMul(
    aId: number,
    aShape: number,
    aRank: number,
    bId: number,
    bShape: number,
    bRank: number,
    transposeA: boolean,
    transposeB: boolean,
    outId: number,
  ): void;
  tfjs: {
    registerTensor(id: number, size: number, offset: number): void;
    disposeData(id: number): void;
  };
  asm: { memory: WasmMemory };
}

/**
 * A minimal module that uses one SIMD instruction (from wasm-feature-detect): engines without
 * WebAssembly SIMD reject it.
 */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15,
  253, 98, 11,
]);

/** Whether this engine runs WebAssembly with the fixed-width SIMD proposal. */
export function hasWasmSimd(wasm: Pick<WebAssemblyApi, "validate"> | undefined): boolean {
  try {
    return wasm?.validate(SIMD_PROBE) === true;
  } catch {
    return false;
  }
}

function decodeBase64(text: string): Uint8Array {
  // atob exists in browsers and Node ≥ 16; no Buffer, so bundles need no polyfill.
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Where tfjs-backend-wasm's .wasm files are served from, as `setWasmPaths` takes it. */
export type TfjsWasmPaths = Parameters<typeof setWasmPaths>[0];

/** Options of {@link loadRuntime}. */
export interface RuntimeOptions {
  readonly tfjsWasmPaths?: TfjsWasmPaths;
  /** The WebAssembly namespace to check for SIMD (tests pass one without it). */
  readonly webAssembly?: Pick<WebAssemblyApi, "validate"> | undefined;
}

/** Both modules on one heap. */
export interface Runtime {
  readonly kernels: KernelExports;
  readonly tfjs: TfjsWasmModule;
  readonly memory: WasmMemory;
  /** The heap's size when the runtime started, in bytes: the first tensor past it makes it grow. */
  readonly initialHeapBytes: number;
}

/** Thrown by `createWasmBackend` where the backend cannot run, with the reason. */
export class WasmUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WasmUnavailableError";
  }
}

let pathsSet = false;

/**
 * Checks for SIMD, then starts (once per process) a private tfjs-backend-wasm instance and our
 * kernels on its memory.
 */
export async function loadRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const api = globalWebAssembly();
  const wasm = "webAssembly" in options ? options.webAssembly : api;
  if (wasm === undefined) {
    throw new WasmUnavailableError("WebAssembly is not available in this JavaScript engine");
  }
  if (!hasWasmSimd(wasm)) {
    throw new WasmUnavailableError(
      "WebAssembly SIMD is not supported by this engine (needs Chrome/Edge ≥ 91, Firefox ≥ 89, Safari ≥ 16.4 or Node ≥ 16.4); use the cpu backend",
    );
  }
  if (options.tfjsWasmPaths !== undefined && !pathsSet) {
    setWasmPaths(options.tfjsWasmPaths);
    pathsSet = true;
  }
  // One runtime per process: every backend instance allocates its own blocks in it. (Each
  // Emscripten module also hooks process events in Node, so one per backend would pile up.)
  shared ??= start(api).catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  return shared;
}

let shared: Promise<Runtime> | undefined;

async function start(api: WebAssemblyApi | undefined): Promise<Runtime> {
  // The factory tfjs-backend-wasm registered with tfjs-core: calling it makes a fresh, private
  // BackendWasm (its own Emscripten module), so tfjs' global backend choice is left alone and
  // other tfjs users in the process (tf.setBackend("wasm")) do not share our heap.
  const factory = engine().findBackendFactory("wasm");
  if (!factory) throw new WasmUnavailableError("tfjs-backend-wasm did not register its backend");
  let instance: { wasm: unknown };
  try {
    instance = (await factory()) as unknown as { wasm: unknown };
  } catch (error) {
    const reason =
      error instanceof Error
        ? error.message
        : String((error as { message?: string })?.message ?? error);
    throw new WasmUnavailableError(`tfjs-backend-wasm did not start: ${reason}`);
  }
  const tfjs = instance.wasm as TfjsWasmModule;
  const memory = tfjs.asm?.memory;
  if (api === undefined || !(memory instanceof api.Memory)) {
    throw new WasmUnavailableError("tfjs-backend-wasm does not expose its WebAssembly memory");
  }
  const module = await api.compile(decodeBase64(KERNELS_WASM_BASE64));
  const { exports } = await api.instantiate(module, { env: { memory } });
  const kernels = exports as unknown as KernelExports;
  if (kernels.ready() !== 1) throw new WasmUnavailableError("the kernels module did not start");
  return { kernels, tfjs, memory, initialHeapBytes: memory.buffer.byteLength };
}
