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
import type * as TfjsBackendWasm from "@tensorflow/tfjs-backend-wasm";
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
  transpose(out: number, A: number, rows: number, cols: number): void;
  gram(
    out: number,
    X1: number,
    X2: number,
    n: number,
    d: number,
    row: number,
    lo: number,
    hi: number,
  ): void;
  xw64(out: number, X: number, d: number, W0: number, L: number, lo: number, hi: number): void;
  widen(W0: number, w: number, count: number): void;
  narrow(out: number, src: number, count: number): void;
  gatherRows(out: number, X: number, order: number, offset: number, count: number, d: number): void;
  copy(out: number, src: number, bytes: number): void;
  sumRows(out: number, x: number, rows: number, cols: number, acc: number): void;
  gemmRows(
    C: number,
    A: number,
    B: number,
    m: number,
    k: number,
    n: number,
    tA: number,
    lo: number,
    hi: number,
    jlo: number,
    jhi: number,
  ): void;
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
    lo: number,
    hi: number,
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
export type TfjsWasmPaths = Parameters<typeof TfjsBackendWasm.setWasmPaths>[0];

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
  /** Called before each XNNPACK product: starts XNNPACK's threads the first time. */
  readonly beforeGemm?: () => void;
}

/** Thrown by `createWasmBackend` where the backend cannot run, with the reason. */
export class WasmUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WasmUnavailableError";
  }
}

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
  // One runtime per thread count per process: every backend instance allocates its own blocks
  // in it. (Each Emscripten module also hooks process events in Node, so one per backend would
  // pile up.)
  const threads = options.threads ?? 1;
  let runtime = runtimes.get(threads);
  if (runtime === undefined) {
    runtime = withoutEmscriptenHandlers(() =>
      threads > 1
        ? startThreaded(api, threads, options.tfjsWasmPaths)
        : start(api, options.tfjsWasmPaths),
    ).catch((error: unknown) => {
      runtimes.delete(threads);
      throw error;
    });
    runtimes.set(threads, runtime);
  }
  return runtime;
}

const runtimes = new Map<number, Promise<Runtime>>();

type ProcessEvent = "uncaughtException" | "unhandledRejection";

/**
 * Runs `begin` (a module's start), then takes back the `uncaughtException` and
 * `unhandledRejection` listeners Emscripten's Node glue added meanwhile. They rethrow from inside
 * the module's source, which is one line: any later uncaught error of the whole process then
 * printed that line, tens of kilobytes of minified code, above its own message. Without them
 * Node reports errors as it always does. Only listeners that do nothing but rethrow (the
 * Emscripten ones, recognized by their source) are removed, never one a program added.
 */
async function withoutEmscriptenHandlers<T>(begin: () => Promise<T>): Promise<T> {
  const proc = (
    globalThis as {
      process?: {
        listeners?(event: ProcessEvent): ((...args: unknown[]) => void)[];
        removeListener(event: ProcessEvent, listener: (...args: unknown[]) => void): void;
      };
    }
  ).process;
  if (typeof proc?.listeners !== "function") return begin();
  const events: ProcessEvent[] = ["uncaughtException", "unhandledRejection"];
  const before = events.map((event) => new Set(proc.listeners?.(event)));
  try {
    return await begin();
  } finally {
    events.forEach((event, i) => {
      for (const listener of proc.listeners?.(event) ?? []) {
        if (!before[i]?.has(listener) && RETHROW.test(String(listener))) {
          proc.removeListener(event, listener);
        }
      }
    });
  }
}

/** `function(ex){if(!(ex instanceof ExitStatus)){throw ex}}` and `function(reason){throw reason}`. */
const RETHROW =
  /^function\s*\((\w+)\)\s*\{\s*(if\s*\(!\(\1 instanceof ExitStatus\)\)\s*\{\s*)?throw \1\s*\}?\s*\}$/;

/**
 * tfjs' plain SIMD build (its Emscripten module, started here rather than through tfjs-core's
 * engine: tfjs would pick its threaded build in a cross-origin isolated page, and the backend
 * would change tfjs' global settings), then our kernels on its memory.
 */
async function start(api: WebAssemblyApi | undefined, paths: TfjsWasmPaths | undefined) {
  if (api === undefined) throw new WasmUnavailableError("WebAssembly is not available");
  const imported = (await import(
    "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.js"
  )) as unknown as { default: (config: Record<string, unknown>) => Promise<PlainModule> };
  let m: PlainModule;
  try {
    m = await imported.default({
      locateFile: (path: string, prefix: string) =>
        path.endsWith(".wasm") ? tfjsWasmUrl(PLAIN_SIMD_WASM, paths, prefix) : prefix + path,
    });
  } catch (error) {
    const reason =
      error instanceof Error
        ? error.message
        : String((error as { message?: string })?.message ?? error);
    throw new WasmUnavailableError(`tfjs-backend-wasm did not start: ${reason}`);
  }
  m._init();
  const memory = m.asm?.memory;
  if (!(memory instanceof api.Memory)) {
    throw new WasmUnavailableError("tfjs-backend-wasm does not expose its WebAssembly memory");
  }
  const module = await api.compile(decodeBase64(KERNELS_WASM_BASE64));
  const { exports } = await api.instantiate(module, { env: { memory } });
  const kernels = exports as unknown as KernelExports;
  if (kernels.ready() !== 1) throw new WasmUnavailableError("the kernels module did not start");
  return { kernels, tfjs: cApi(m, memory), memory, initialHeapBytes: memory.buffer.byteLength };
}

/** The C functions of tfjs' Emscripten modules the backend calls. */
interface EmscriptenTfjs {
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  _register_tensor(id: number, size: number, offset: number): void;
  _dispose_data(id: number): void;
  _BatchMatMul: TfjsWasmModule["_BatchMatMul"];
}

interface PlainModule extends EmscriptenTfjs {
  _init(): void;
  asm?: { memory?: WasmMemory };
}

const PLAIN_SIMD_WASM = "tfjs-backend-wasm-simd.wasm";

/** A tfjs .wasm file's URL: from `paths` as `setWasmPaths` takes them, else beside its script. */
function tfjsWasmUrl(file: string, paths: TfjsWasmPaths | undefined, prefix: string): string {
  if (typeof paths === "string") return paths + file;
  return paths?.[file as keyof typeof paths] ?? prefix + file;
}

/** The backend's view of a tfjs Emscripten module. */
function cApi(m: EmscriptenTfjs, memory: WasmMemory): TfjsWasmModule {
  return {
    _malloc: (bytes) => m._malloc(bytes),
    _free: (ptr) => m._free(ptr),
    _BatchMatMul: (...args) => m._BatchMatMul(...args),
    tfjs: {
      registerTensor: (id, size, offset) => m._register_tensor(id, size, offset),
      disposeData: (id) => m._dispose_data(id),
    },
    asm: { memory },
  };
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
  const inNode = isNode();
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
interface ThreadedModule extends EmscriptenTfjs {
  _init_with_threads_count(threads: number): void;
  _get_threads_count(): number;
  wasmMemory: WasmMemory;
  PThread: {
    runningWorkers: Array<{ unref?: () => void }>;
    unusedWorkers: Array<{ unref?: () => void }>;
    allocateUnusedWorker(): void;
    loadWasmModuleToWorker(worker: object, loaded: () => void): void;
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
  // A Node worker inherits the process's `execArgv`, where `--input-type` (a `node -e` script's
  // module type) stops a worker started from a file, as Emscripten's pthreads are: while the
  // glue runs, the `Worker` it sets is seen through a class that leaves that option out.
  if (isNode()) interceptWorker(globals);
  try {
    // Emscripten waits for `receive` forever when the instantiation fails: race the failure.
    let failed: (error: unknown) => void = () => {};
    const failure = new Promise<never>((_, reject) => {
      failed = reject;
    });
    m = await Promise.race([
      factory({
        locateFile: (path: string, prefix: string) =>
          path.endsWith(".worker.js") ? located.worker() : prefix + path,
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
    // XNNPACK on one thread until its first product (see `beforeGemm`).
    m._init_with_threads_count(1);
  } finally {
    if (hadWorker) {
      Object.defineProperty(globals, "Worker", {
        value: worker,
        writable: true,
        configurable: true,
        enumerable: false,
      });
    } else {
      delete globals.Worker;
    }
  }
  // Emscripten's pthread workers keep a Node process alive; an idle backend must not.
  const unref = () => {
    for (const w of [...m.PThread.runningWorkers, ...m.PThread.unusedWorkers]) w.unref?.();
  };
  unref();
  // XNNPACK's threads start with the first product that needs them, not with the backend: a
  // page whose problems are all small never has them (their start and their spinning while
  // they wait for work cost its main thread time on a 2-core machine). The pool they replace
  // has no thread of its own; its few bytes stay.
  let gemmThreads = 1;
  // In browsers XNNPACK's pthread workers are made and loaded in the background at the first
  // product; products run on one thread until they are ready (XNNPACK splits a product into
  // tiles, each summed whole by one thread: the bits do not depend on the thread count).
  let pthreads: "none" | "loading" | "ready" = located.lazyPthreads ? "none" : "ready";
  const loadPthreads = () => {
    pthreads = "loading";
    let left = threads - 1;
    for (let i = 0; i < threads - 1; i++) m.PThread.allocateUnusedWorker();
    for (const w of m.PThread.unusedWorkers.slice(-(threads - 1))) {
      m.PThread.loadWasmModuleToWorker(w, () => {
        if (--left === 0) pthreads = "ready";
      });
    }
  };
  const beforeGemm = () => {
    if (gemmThreads === threads) return;
    if (pthreads !== "ready") {
      if (pthreads === "none") loadPthreads();
      return;
    }
    gemmThreads = threads;
    m._init_with_threads_count(threads);
    unref();
    if (m._get_threads_count() !== threads) {
      throw new WasmUnavailableError(
        `tfjs-backend-wasm's XNNPACK started ${m._get_threads_count()} threads of ${threads}`,
      );
    }
  };
  const memory = m.wasmMemory;
  const kernelsModule = await api.compile(decodeBase64(KERNELS_SHARED_WASM_BASE64));
  const { exports } = await api.instantiate(kernelsModule, { env: { memory } });
  const kernels = exports as unknown as KernelExports;
  if (kernels.ready() !== 1) throw new WasmUnavailableError("the kernels module did not start");
  const pool = new ThreadPool(
    { memory, kernels, module: kernelsModule, malloc: (bytes) => m._malloc(bytes) },
    threads,
    threadSupport().threads,
  );
  return {
    kernels,
    tfjs: cApi(m, memory),
    memory,
    initialHeapBytes: memory.buffer.byteLength,
    pool,
    beforeGemm,
  };
}

/** See {@link locateThreaded}. */
interface Located {
  readonly factory: Factory;
  readonly wasm: Uint8Array;
  /** The script of each pthread worker Emscripten makes, in order. */
  readonly worker: () => string;
  readonly mainScript: unknown;
  /** Whether XNNPACK's pthread workers are still to be made (browsers) or came with the pool. */
  readonly lazyPthreads: boolean;
}

/**
 * The threaded build's pieces, in this environment: its factory, its .wasm, the pthread
 * worker's bootstrap and the script a pthread worker evaluates.
 *
 * Emscripten starts a pool of 8 pthread workers with the module (tfjs built it so), each a
 * JavaScript engine of its own: 0.6 s and 150 MB more for a Node command than one thread, for
 * XNNPACK's `threads − 1`. So the factory is evaluated from its source with its pool sized to
 * that: in Node from its file, in browsers from the function tfjs' bundle holds.
 */
async function locateThreaded(
  bootstrap: string,
  threads: number,
  paths: TfjsWasmPaths | undefined,
): Promise<Located> {
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
    const source = sizePool(fs.readFileSync(script, "utf8"), threads);
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
    return {
      factory: cjs.exports as Factory,
      wasm,
      worker: () => worker,
      mainScript: script,
      lazyPthreads: false,
    };
  }
  const imported = (await import(
    "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js"
  )) as unknown as { default: Factory };
  const original = imported.default;
  // The same pool size by the factory's own source, where the page allows `new Function` (a
  // strict Content-Security-Policy does not: then the pool of 8 stays).
  let factory = original;
  // Emscripten must start with a pool (it waits for the pool to load before it resolves; an
  // empty one never loads): one worker where the source could be resized, else its 8. Those
  // are idle ones that only say they loaded; XNNPACK's real ones come later (`lazyPthreads`),
  // and it takes them, since it pops the last ones made.
  let idle = POOL_SIZE;
  try {
    const source = original.toString();
    const patched = sizePool(source, 2);
    if (patched !== source) {
      factory = new Function(`return (${patched});`)() as Factory;
      idle = 1;
    }
  } catch {
    // A strict Content-Security-Policy forbids `new Function`: the 8 idle ones, then.
  }
  const file = `${THREADED}.wasm`;
  const url = tfjsWasmUrl(file, paths, "");
  const response = await fetch(url);
  if (!response.ok) {
    throw new WasmUnavailableError(`could not load ${file} from ${url} (${response.status})`);
  }
  const wasm = new Uint8Array(await response.arrayBuffer());
  const real = URL.createObjectURL(new Blob([bootstrap], { type: "application/javascript" }));
  const idleUrl =
    idle > 0 ? URL.createObjectURL(new Blob([IDLE_PTHREAD], { type: "text/javascript" })) : real;
  let made = 0;
  const worker = () => (made++ < idle ? idleUrl : real);
  const mainScript = new Blob([`var WasmBackendModuleThreadedSimd = ${original.toString()}`], {
    type: "text/javascript",
  });
  return { factory, wasm, worker, mainScript, lazyPthreads: true };
}

/** The pthread workers tfjs' threaded build starts with. */
const POOL_SIZE = 8;

/** A pthread worker that only tells Emscripten it loaded (one XNNPACK will never take). */
const IDLE_PTHREAD = `onmessage = (e) => { if (e.data && e.data.cmd === "load") postMessage({ cmd: "loaded" }); };`;

/**
 * The factory's source with its pthread pool sized to XNNPACK's `threads − 1` threads: the `=8`
 * that starts `initMainThread`, as Emscripten wrote it (`var pthreadPoolSize=8;while(…)`) or as
 * a minifier rewrote it (`for(var e=8;e--;)`). Unchanged where neither is found.
 */
function sizePool(source: string, threads: number): string {
  const at = source.indexOf("initMainThread:function(){");
  if (at < 0) return source;
  const head = source.slice(at, at + 80);
  const sized = head.replace(
    /^(initMainThread:function\(\)\{(?:for\()?var \w+=)8;/,
    `$1${threads - 1};`,
  );
  return sized === head ? source : source.slice(0, at) + sized + source.slice(at + 80);
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

function isNode(): boolean {
  return (
    typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions
      ?.node === "string"
  );
}

/** The process's `execArgv` without `--input-type` (allowed only for a `-e` script). */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i] as string;
    if (arg.startsWith("--input-type=")) continue;
    if (arg === "--input-type") {
      i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}

/**
 * Makes `globalThis.Worker` an accessor: what code assigns to it is kept, and what code reads
 * is that class with {@link workerExecArgv} as its default `execArgv`. The caller restores the
 * plain property afterwards.
 */
function interceptWorker(globals: { Worker?: unknown }): void {
  let assigned: unknown = globals.Worker;
  let wrapped: unknown;
  let wrappedFrom: unknown;
  Object.defineProperty(globals, "Worker", {
    configurable: true,
    enumerable: false,
    get() {
      if (typeof assigned !== "function") return assigned;
      if (wrappedFrom !== assigned) {
        const Base = assigned as new (url: unknown, options?: Record<string, unknown>) => object;
        wrapped = class extends Base {
          constructor(url: unknown, options?: Record<string, unknown>) {
            super(url, { execArgv: workerExecArgv(process.execArgv), ...options });
          }
        };
        wrappedFrom = assigned;
      }
      return wrapped;
    },
    set(value: unknown) {
      assigned = value;
    },
  });
}
