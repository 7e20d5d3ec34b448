/**
 * Loads the two WebAssembly modules the backend runs on and ties them to one heap:
 * tfjs-backend-wasm (XNNPACK matrix products, Emscripten's malloc) and this package's own
 * kernels (assembly/kernels.ts), which import tfjs' `WebAssembly.Memory` instead of having their
 * own. A tensor is one malloc'd block in that heap; our kernels and tfjs' read it in place.
 *
 * With one thread that is tfjs' plain SIMD build. With more, it is tfjs' threaded SIMD build,
 * whose heap is a shared memory: XNNPACK splits its products over its own pthreads, and our
 * kernels (their shared-memory build) run on a pool of workers on the same heap (threads.ts).
 * One runtime per thread count per process.
 */
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { engine } from "@tensorflow/tfjs-core";
import { KERNELS_SHARED_WASM_BASE64, KERNELS_WASM_BASE64 } from "../build/kernels.js";
import { TFJS_PTHREAD_WORKER } from "../build/tfjs-worker.js";
import { nodeBuiltin, ThreadPool } from "./threads.js";

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
  work(job: number, part: number): void;
  sgdFinish1(
    job: number,
    lr: number,
    penalty: number,
    decay: number,
    biasDecay: number,
    l1t: number,
    b: number,
  ): void;
  sgdFinishL(job: number, coef: number, lr: number, hasL1: number): void;
  squaresFinishL(job: number, out: number): void;
  checkRows(order: number, offset: number, count: number, n: number): number;
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
  /** Threads in all (1: no workers, tfjs' plain build); see {@link threadSupport}. */
  readonly threads?: number;
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
  /** Our kernels' workers (absent with one thread). */
  readonly pool?: ThreadPool;
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
  // One runtime per thread count per process: every backend instance allocates its own blocks
  // in it. (Each Emscripten module also hooks process events in Node, so one per backend would
  // pile up.)
  const threads = options.threads ?? 1;
  let runtime = runtimes.get(threads);
  if (runtime === undefined) {
    runtime = (threads > 1 ? startThreaded(api, threads, options.tfjsWasmPaths) : start(api)).catch(
      (error: unknown) => {
        runtimes.delete(threads);
        throw error;
      },
    );
    runtimes.set(threads, runtime);
  }
  return runtime;
}

const runtimes = new Map<number, Promise<Runtime>>();

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

/** How many threads the backend may use here, and why no more. */
export interface ThreadSupport {
  /** The most threads worth using: the machine's logical cores, at most {@link MAX_THREADS}. */
  readonly threads: number;
  /** Why threads cannot be used at all here (then `threads` is 1). */
  readonly reason?: string;
}

/**
 * At most 8 threads: tfjs-backend-wasm's threaded build starts 8 pthread workers and caps
 * XNNPACK's pool there.
 */
export const MAX_THREADS = 8;

/**
 * Whether this environment can run WebAssembly threads (a shared memory needs
 * `SharedArrayBuffer`, which browsers give only to cross-origin isolated pages), and the
 * machine's logical cores: `os.availableParallelism()` in Node, `navigator.hardwareConcurrency`
 * in browsers.
 */
export function threadSupport(): ThreadSupport {
  const g = globalThis as {
    SharedArrayBuffer?: unknown;
    crossOriginIsolated?: boolean;
    navigator?: { hardwareConcurrency?: number };
  };
  const os = nodeBuiltin<{ availableParallelism?: () => number; cpus(): unknown[] }>("node:os");
  const inNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process
    ?.versions?.node;
  if (inNode && os === undefined) {
    return { threads: 1, reason: "threads need Node ≥ 20.16 (process.getBuiltinModule)" };
  }
  if (g.crossOriginIsolated === false || typeof g.SharedArrayBuffer !== "function") {
    return {
      threads: 1,
      reason:
        "the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: " +
        "same-origin and Cross-Origin-Embedder-Policy: require-corp), so it has no " +
        "SharedArrayBuffer",
    };
  }
  const cores = os
    ? (os.availableParallelism?.() ?? os.cpus().length)
    : (g.navigator?.hardwareConcurrency ?? 1);
  return { threads: Math.max(1, Math.min(MAX_THREADS, cores)) };
}

/** The parts of tfjs' threaded Emscripten module used here, beyond the plain one's. */
interface ThreadedModule {
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  _register_tensor(id: number, size: number, offset: number): void;
  _dispose_data(id: number): void;
  _init_with_threads_count(threads: number): void;
  _get_threads_count(): number;
  _BatchMatMul: TfjsWasmModule["_BatchMatMul"];
  wasmMemory: WasmMemory;
  PThread: {
    runningWorkers: Array<{ unref?: () => void }>;
    unusedWorkers: Array<{ unref?: () => void }>;
  };
}

type Factory = (config: Record<string, unknown>) => Promise<ThreadedModule>;

const THREADED = "tfjs-backend-wasm-threaded-simd";

/**
 * tfjs' threaded SIMD build, started by hand (tfjs itself never picks it in Node) with `threads`
 * XNNPACK threads, then our kernels' shared build on its memory and our pool of `threads − 1`
 * workers.
 *
 * Emscripten needs three things located: the .wasm (read here and compiled once), the script a
 * pthread worker evaluates (the factory's own file in Node; in browsers a Blob of its source, as
 * tfjs does) and the worker's bootstrap, which tfjs ships as a string (written to a temporary
 * file in Node, whose workers start from paths; a Blob URL in browsers). tfjs sizes XNNPACK's
 * pool as half the cores Emscripten reports (for hyper-threads), capped by what it is asked
 * for: the reported count is set to 2·threads so the pool has exactly `threads`.
 */
async function startThreaded(
  api: WebAssemblyApi | undefined,
  threads: number,
  paths: TfjsWasmPaths | undefined,
): Promise<Runtime> {
  if (api === undefined) throw new WasmUnavailableError("WebAssembly is not available");
  // The bootstrap string came from a template literal: its "\n" escapes became newlines, which
  // tfjs escapes back the same way before it makes its Blob.
  const bootstrap = TFJS_PTHREAD_WORKER.replace(/\n/g, "\\n");
  const located = await locateThreaded(bootstrap, threads, paths);
  const factory = located.factory;
  const tfjsModule = await api.compile(located.wasm);
  // In Node, Emscripten's threaded build sets the global `Worker` to worker_threads' (for its
  // pthreads); other code takes a global Worker to mean a browser's (jax-js then starts threads
  // of its own, and fails). Its 8 pthread workers are made at start, so the global goes back.
  const globals = globalThis as { Worker?: unknown };
  const hadWorker = "Worker" in globals;
  const worker = globals.Worker;
  const wasm = api;
  let m: ThreadedModule;
  try {
    // Emscripten waits for `receive` forever when the instantiation fails: race the failure.
    let failed: (error: unknown) => void = () => {};
    const failure = new Promise<never>((_, reject) => {
      failed = reject;
    });
    m = await Promise.race([
      factory({
        locateFile: (path: string, prefix: string) =>
          path.endsWith(".worker.js") ? located.worker : prefix + path,
        mainScriptUrlOrBlob: located.mainScript,
        instantiateWasm: (
          info: { env: Record<string, unknown> },
          receive: (instance: object, module: object) => void,
        ) => {
          info.env.emscripten_num_logical_cores = () => 2 * threads;
          wasm
            .instantiate(tfjsModule, info)
            .then((instance) => receive(instance, tfjsModule), failed);
          return {};
        },
      }),
      failure,
    ]);
    m._init_with_threads_count(threads);
    if (m._get_threads_count() !== threads) {
      throw new WasmUnavailableError(
        `tfjs-backend-wasm's XNNPACK started ${m._get_threads_count()} threads of ${threads}`,
      );
    }
  } finally {
    if (hadWorker) globals.Worker = worker;
    else delete globals.Worker;
  }
  // Emscripten's pthread workers keep a Node process alive; an idle backend must not.
  for (const w of [...m.PThread.runningWorkers, ...m.PThread.unusedWorkers]) w.unref?.();
  const memory = m.wasmMemory;
  const kernelsModule = await api.compile(decodeBase64(KERNELS_SHARED_WASM_BASE64));
  const { exports } = await api.instantiate(kernelsModule, { env: { memory } });
  const kernels = exports as unknown as KernelExports;
  if (kernels.ready() !== 1) throw new WasmUnavailableError("the kernels module did not start");
  const pool = await ThreadPool.start(
    { memory, kernels, module: kernelsModule, malloc: (bytes) => m._malloc(bytes) },
    threads,
    threadSupport().threads,
  );
  const tfjs: TfjsWasmModule = {
    _malloc: (bytes) => m._malloc(bytes),
    _free: (ptr) => m._free(ptr),
    _BatchMatMul: (...args) => m._BatchMatMul(...args),
    tfjs: {
      registerTensor: (id, size, offset) => m._register_tensor(id, size, offset),
      disposeData: (id) => m._dispose_data(id),
    },
    asm: { memory },
  };
  return { kernels, tfjs, memory, initialHeapBytes: memory.buffer.byteLength, pool };
}

/**
 * The threaded build's pieces, in this environment: its factory, its .wasm, the pthread
 * worker's bootstrap and the script a pthread worker evaluates.
 *
 * Emscripten starts a pool of 8 pthread workers with the module (tfjs built it so), each a
 * JavaScript engine of its own: 0.6 s and 150 MB more for a Node command than one thread, for
 * XNNPACK's `threads − 1`. In Node the factory is therefore read from its file and evaluated
 * with its pool sized to that; in browsers it is tfjs' own, pool of 8 and all.
 */
async function locateThreaded(
  bootstrap: string,
  threads: number,
  paths: TfjsWasmPaths | undefined,
): Promise<{ factory: Factory; wasm: Uint8Array; worker: string; mainScript: unknown }> {
  const fs = nodeBuiltin<{
    readFileSync(path: string): Uint8Array;
    readFileSync(path: string, encoding: "utf8"): string;
    writeFileSync(path: string, data: string): void;
    renameSync(from: string, to: string): void;
    existsSync(path: string): boolean;
  }>("node:fs");
  const module = nodeBuiltin<{
    createRequire(from: string): { resolve(id: string): string };
  }>("node:module");
  if (fs && module) {
    const os = nodeBuiltin<{ tmpdir(): string }>("node:os");
    const require = module.createRequire(import.meta.url);
    const script = require.resolve(`@tensorflow/tfjs-backend-wasm/wasm-out/${THREADED}.js`);
    const wasm = fs.readFileSync(script.replace(/\.js$/, ".wasm"));
    const source = fs
      .readFileSync(script, "utf8")
      .replace("var pthreadPoolSize=8;", `var pthreadPoolSize=${threads - 1};`);
    // A CommonJS module's wrapper, by hand (the pthread workers still load the file itself).
    const cjs: { exports: unknown } = { exports: {} };
    new Function("module", "exports", "require", "__filename", "__dirname", source)(
      cjs,
      cjs.exports,
      module.createRequire(script),
      script,
      script.slice(0, script.lastIndexOf("/")),
    );
    // Named by its content, so processes share it and a changed tfjs gets its own.
    const worker = `${os?.tmpdir() ?? "/tmp"}/wdecay-${THREADED}-${hash(bootstrap)}.worker.cjs`;
    if (!fs.existsSync(worker)) {
      // Written whole, then renamed into place: a process starting meanwhile never reads half.
      const part = `${worker}.${Math.random().toString(36).slice(2)}`;
      fs.writeFileSync(part, bootstrap);
      fs.renameSync(part, worker);
    }
    return { factory: cjs.exports as Factory, wasm, worker, mainScript: script };
  }
  const imported = (await import(
    "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js"
  )) as unknown as { default: Factory };
  const factory = imported.default;
  const file = `${THREADED}.wasm`;
  const url =
    typeof paths === "string" ? paths + file : (paths?.[file as keyof typeof paths] ?? file);
  const response = await fetch(url);
  if (!response.ok) {
    throw new WasmUnavailableError(`could not load ${file} from ${url} (${response.status})`);
  }
  const wasm = new Uint8Array(await response.arrayBuffer());
  const worker = URL.createObjectURL(new Blob([bootstrap], { type: "application/javascript" }));
  const mainScript = new Blob([`var WasmBackendModuleThreadedSimd = ${factory.toString()}`], {
    type: "text/javascript",
  });
  return { factory, wasm, worker, mainScript };
}

/** FNV-1a of a string, hex (names the worker file by its content). */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16);
}
