/**
 * The backend's own worker threads. Each one instantiates the kernels module (its shared-memory
 * build) on the same `WebAssembly.Memory` as the main thread, then waits for jobs: a job is a
 * block in that heap holding the kernel to run and its arguments (see "Threads" in
 * assembly/kernels.ts). The main thread writes a job, wakes the workers, runs part 0 itself and
 * waits until every worker has run its part; a `…Finish` kernel then adds the parts' partial
 * sums in part order. Every job is split into as many parts as the pool has threads, at offsets
 * that depend only on its sizes, so results depend on the thread count and never on timing.
 *
 * Waking a sleeping thread takes tens of microseconds, more than a small step's whole work, so
 * an idle worker first spins for a while (`SPINS`): back-to-back training steps find it awake.
 * The main thread spins as long while it waits for the others, then sleeps where it may (a
 * browser's main thread may not block, and keeps spinning).
 */
import type { KernelExports, WasmMemory } from "./runtime.js";

/** Control words of a job block (Int32 indices). */
const GEN = 0;
const DONE = 1;
const OP = 2;
const PARTS = 3;
const FAILED = 4;
/** Workers that have started and wait for jobs (each adds 1, see WORKER_SOURCE). */
const READY = 5;
/** Byte offset of the f64 arguments in a job block, and how many there may be. */
const ARGS = 64;
const MAX_ARGS = 24;
/** Bytes of a job block. */
const JOB_BYTES = ARGS + 8 * MAX_ARGS;

/** The jobs `work` runs (the `OP_…` constants of assembly/kernels.ts). */
export const Job = {
  sgd1: 1,
  squares1: 2,
  sgdL: 3,
  squaresL: 4,
  gemm: 5,
  gram: 6,
  xw64: 7,
  materialize: 8,
  axpby: 9,
  copy: 10,
  gemmK: 12,
} as const;

/**
 * Spins of an idle worker before it sleeps: a few hundred microseconds, where training steps come
 * microseconds apart. With more threads than cores a spinning thread takes a core from a working
 * one, so there they sleep at once.
 */
const SPINS = 200_000;
const OVERSUBSCRIBED_SPINS = 100;
/** The main thread gives up on a job after this long: a worker that died never answers. */
const STALL_MS = 60_000;

/**
 * The worker's program, as source (workers start from a string: no file to locate and nothing
 * for a bundler to resolve). Node runs it with `eval: true`; browsers from a Blob URL.
 */
const WORKER_SOURCE = `"use strict";
const node = typeof process === "object" && !!(process.versions && process.versions.node);
const port = node ? require("node:worker_threads").parentPort : self;
const start = ({ module, memory, job, index, spins }) => {
  const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const ctl = new Int32Array(memory.buffer, job, 16);
  let gen = Atomics.load(ctl, ${GEN});
  // Counted in the shared block, not only by message: a caller in a synchronous loop never
  // reads its messages, and sees this at its next job.
  Atomics.add(ctl, ${READY}, 1);
  port.postMessage("ready");
  for (;;) {
    let spin = 0;
    while (Atomics.load(ctl, ${GEN}) === gen) {
      if (++spin > spins) {
        Atomics.wait(ctl, ${GEN}, gen);
        spin = 0;
      }
    }
    gen = Atomics.load(ctl, ${GEN});
    try {
      kernels.work(job, index);
    } catch {
      Atomics.store(ctl, ${FAILED}, 1);
    }
    Atomics.add(ctl, ${DONE}, 1);
    Atomics.notify(ctl, ${DONE});
  }
};
if (node) port.once("message", start);
else port.onmessage = (event) => start(event.data);
`;

/** What a pool needs of the runtime it runs in. */
export interface PoolHost {
  readonly memory: WasmMemory;
  readonly kernels: KernelExports;
  /** The kernels module compiled (its shared-memory build), for the workers to instantiate. */
  readonly module: object;
  malloc(bytes: number): number;
}

/** The parts of Node's and browsers' Worker the pool uses. */
interface AnyWorker {
  postMessage(message: unknown): void;
  terminate(): unknown;
}

/**
 * Threads that run the kernels' jobs together with the calling thread.
 *
 * The workers start with the first job, in the background: until every one has counted itself
 * ready in the job block (and wherever one fails to start) the calling thread runs all the parts
 * itself, one after the other. The count is in shared memory, so a caller that never yields to
 * its event loop (a synchronous training loop) still gets its workers a few jobs later. The parts and the order their sums are added in are the same either way, so the
 * results are too; only the time differs. A page or a command whose problems are all small
 * never starts a worker.
 */
export class ThreadPool {
  /** Threads in all, the calling one included: every job is split into this many parts. */
  readonly size: number;
  private readonly host: PoolHost;
  private readonly job: number;
  private readonly ctl: Int32Array;
  private readonly args: Float64Array;
  private readonly workers: AnyWorker[] = [];
  /**
   * Spins of a worker before it sleeps, and of the calling thread before it sleeps until the
   * workers are done (where it may). The caller's wait is a part's imbalance, shorter than a
   * wake-up would take.
   */
  private readonly spins: number;
  private ready = false;
  private failed = false;
  private starting: Promise<void> | undefined;

  /** `cores`: the machine's, which decide whether an idle thread spins before it sleeps. */
  constructor(host: PoolHost, size: number, cores: number) {
    this.host = host;
    this.size = size;
    this.spins = size <= cores ? SPINS : OVERSUBSCRIBED_SPINS;
    const job = host.malloc(JOB_BYTES);
    if (job === 0) throw new RangeError("wasm: out of memory for the thread pool's job block");
    this.job = job;
    // Views of a shared buffer stay valid when the memory grows (it is never detached).
    this.ctl = new Int32Array(host.memory.buffer, job, 16);
    this.args = new Float64Array(host.memory.buffer, job + ARGS, MAX_ARGS);
    new Uint8Array(host.memory.buffer, job, JOB_BYTES).fill(0);
  }

  /**
   * Starts the workers (once) and resolves when all are ready; rejects where one could not
   * start (the pool then keeps running every part on the calling thread).
   */
  start(): Promise<void> {
    this.starting ??= (async () => {
      const { module, memory } = this.host;
      try {
        await Promise.all(
          Array.from({ length: this.size - 1 }, (_, i) =>
            spawn({ module, memory, job: this.job, index: i + 1, spins: this.spins }).then((w) =>
              this.workers.push(w),
            ),
          ),
        );
      } catch (error) {
        this.failed = true;
        for (const w of this.workers) w.terminate();
        this.workers.length = 0;
        throw error;
      }
      this.ready = true;
    })();
    return this.starting;
  }

  /** Whether the workers run their parts (else the calling thread runs all of them). */
  get running(): boolean {
    return this.ready;
  }

  /** The job block's address (its `…Finish` kernel reads it). */
  get address(): number {
    return this.job;
  }

  /** Runs `op` with `args`, every part, and returns when all are done. */
  run(op: number, args: readonly number[]): void {
    const { ctl } = this;
    this.args.set(args);
    Atomics.store(ctl, OP, op);
    Atomics.store(ctl, PARTS, this.size);
    if (!this.ready) {
      if (this.starting === undefined) this.start().catch(() => {});
      // Every worker counted itself ready, and none failed to start (that ends the start).
      this.ready = Atomics.load(ctl, READY) === this.size - 1 && !this.failed;
    }
    if (!this.ready) {
      // Not started (or not yet ready, or failed): the same parts, one after the other.
      for (let part = 0; part < this.size; part++) this.host.kernels.work(this.job, part);
      return;
    }
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, FAILED, 0);
    Atomics.add(ctl, GEN, 1);
    Atomics.notify(ctl, GEN);
    let failure: unknown;
    try {
      this.host.kernels.work(this.job, 0);
    } catch (error) {
      failure = error;
    }
    // Wait for the others even when part 0 failed: the job block is theirs until they are done.
    const others = this.size - 1;
    let spin = 0;
    let since = 0;
    for (let done = Atomics.load(ctl, DONE); done < others; done = Atomics.load(ctl, DONE)) {
      if (++spin < this.spins) continue;
      // Sleep until a worker reports (1 ms at most, to check for a stall), where this thread
      // may block; a browser's main thread may not, and goes on spinning.
      if (canBlock) Atomics.wait(ctl, DONE, done, 1);
      if (spin % 1024 === 0 || canBlock) {
        const now = Date.now();
        since ||= now;
        if (now - since > STALL_MS) throw new Error("wasm: a worker thread stopped answering");
      }
    }
    if (failure !== undefined) throw failure;
    if (Atomics.load(ctl, FAILED) !== 0)
      throw new Error("wasm: a kernel failed in a worker thread");
  }
}

/**
 * Whether this thread may block in `Atomics.wait`: Node's threads and browsers' workers may, a
 * browser's main thread may not.
 */
const canBlock =
  typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node ===
    "string" ||
  typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined";

interface NodeWorkerThreads {
  Worker: new (
    source: string,
    options: { eval: true },
  ) => AnyWorker & {
    once(event: "message" | "error", listener: (value: unknown) => void): void;
    unref(): void;
  };
}

/** Node's built-in module `name`, without an import a browser bundle would have to resolve. */
export function nodeBuiltin<T>(name: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.(name) as T | undefined;
}

/** Starts one worker with `init` and resolves once it reports ready. */
function spawn(init: Record<string, unknown>): Promise<AnyWorker> {
  const threads = nodeBuiltin<NodeWorkerThreads>("node:worker_threads");
  if (threads) {
    const worker = new threads.Worker(WORKER_SOURCE, { eval: true });
    // An idle pool must not keep the process alive.
    worker.unref();
    return new Promise((resolve, reject) => {
      worker.once("message", () => resolve(worker));
      worker.once("error", reject);
      worker.postMessage(init);
    });
  }
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
  const BrowserWorker = (
    globalThis as unknown as {
      Worker: new (
        url: string,
      ) => AnyWorker & {
        onmessage: ((e: unknown) => void) | null;
        onerror: ((e: { message?: string }) => void) | null;
      };
    }
  ).Worker;
  const worker = new BrowserWorker(url);
  return new Promise((resolve, reject) => {
    worker.onmessage = () => {
      URL.revokeObjectURL(url);
      resolve(worker);
    };
    worker.onerror = (e) => reject(new Error(`a worker thread did not start: ${e.message ?? e}`));
    worker.postMessage(init);
  });
}
