/**
 * The messages between a page and its compute worker (work/worker.ts). A page posts one job at a
 * time to a worker; the worker answers with progress messages and then one result or error.
 * Cancelling terminates the worker (work/runner.ts), so a job never has to poll for it, even in
 * the middle of one long synchronous solve.
 */

/** Pauses, resumes or single-steps a job that trains epoch by epoch (JobContext.gate). */
export type Control = "pause" | "resume" | "step";

export type ToWorker =
  | { readonly type: "run"; readonly id: number; readonly job: string; readonly args: unknown }
  | { readonly type: "control"; readonly id: number; readonly action: Control };

export type FromWorker =
  | { readonly type: "progress"; readonly id: number; readonly value: unknown }
  | { readonly type: "result"; readonly id: number; readonly value: unknown }
  | { readonly type: "error"; readonly id: number; readonly message: string };

/** What a job may do besides computing: report progress, and wait while the reader pauses. */
export interface JobContext<P> {
  progress(value: P): void;
  /** Resolves at once while running; while paused, when resumed or stepped (one epoch per step). */
  gate(): Promise<void>;
}
