/**
 * The main thread's side of a compute worker: `run` posts a job and resolves with its result,
 * passing progress on; `cancel` terminates the worker, so even a job in the middle of one long
 * synchronous solve stops at once (the next run starts a fresh worker).
 */
import type { JobArgs, JobName, JobProgress, JobResult } from "./jobs.js";
import type { Control, FromWorker, ToWorker } from "./protocol.js";

/** The rejection of a cancelled or superseded run. */
export function isCancel(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

interface Pending {
  readonly id: number;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly onProgress: ((value: unknown) => void) | undefined;
}

/** One worker and its one job at a time. */
export class Runner {
  private worker: Worker | undefined;
  private pending: Pending | undefined;
  private ids = 0;

  /** Whether a job is running. */
  get busy(): boolean {
    return this.pending !== undefined;
  }

  /** Runs `job` in the worker; a run still going is cancelled first (the newest run wins). */
  run<K extends JobName>(
    job: K,
    args: JobArgs<K>,
    onProgress?: (value: JobProgress<K>) => void,
  ): Promise<JobResult<K>> {
    this.cancel("superseded by a newer run");
    const worker = this.start();
    const id = ++this.ids;
    return new Promise<JobResult<K>>((resolve, reject) => {
      this.pending = {
        id,
        resolve: resolve as (value: unknown) => void,
        reject,
        onProgress: onProgress as ((value: unknown) => void) | undefined,
      };
      worker.postMessage({ type: "run", id, job, args } satisfies ToWorker);
    });
  }

  /** Pauses, resumes or steps the running job (one that trains epoch by epoch). */
  control(action: Control): void {
    if (this.pending && this.worker) {
      this.worker.postMessage({ type: "control", id: this.pending.id, action } satisfies ToWorker);
    }
  }

  /** Stops the running job, if any: its run rejects with an AbortError. */
  cancel(reason = "cancelled"): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    this.worker?.terminate();
    this.worker = undefined;
    pending.reject(new DOMException(reason, "AbortError"));
  }

  /** Stops the worker for good (a later run starts a new one). */
  dispose(): void {
    this.cancel("the runner was disposed");
    this.worker?.terminate();
    this.worker = undefined;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL("./worker.ts", import.meta.url), {
      type: "module",
      name: "wdecay compute",
    });
    worker.addEventListener("message", (event: MessageEvent<FromWorker>) => {
      const message = event.data;
      const pending = this.pending;
      if (!pending || pending.id !== message.id) return;
      if (message.type === "progress") {
        pending.onProgress?.(message.value);
        return;
      }
      this.pending = undefined;
      if (message.type === "result") pending.resolve(message.value);
      else pending.reject(new Error(message.message));
    });
    // A worker that cannot start (its script failed to load or threw at the top level).
    worker.addEventListener("error", (event) => {
      event.preventDefault();
      const pending = this.pending;
      this.pending = undefined;
      this.worker?.terminate();
      this.worker = undefined;
      pending?.reject(new Error(`the compute worker failed: ${event.message || "could not load"}`));
    });
    this.worker = worker;
    return worker;
  }
}
