/**
 * The page's compute worker: runs the jobs of work/jobs.ts off the main thread, so that training,
 * sweeps, solves and the conformance suite never freeze the page (issue 16, finding 1).
 */
import { JOBS, type JobName } from "./jobs.js";
import type { Control, FromWorker, JobContext, ToWorker } from "./protocol.js";

const post = (message: FromWorker) => postMessage(message);

/** Pause state shared by the (one) running job. */
let paused = false;
let steps = 0;
let release: (() => void) | undefined;

function control(action: Control): void {
  if (action === "pause") paused = true;
  if (action === "resume") paused = false;
  if (action === "step") {
    paused = true;
    steps += 1;
  }
  release?.();
  release = undefined;
}

async function gate(): Promise<void> {
  for (;;) {
    if (!paused) return;
    if (steps > 0) {
      steps -= 1;
      return;
    }
    await new Promise<void>((resolve) => {
      release = resolve;
    });
  }
}

addEventListener("message", async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === "control") return control(message.action);
  const { id } = message;
  paused = false;
  steps = 0;
  const context: JobContext<unknown> = {
    progress: (value) => post({ type: "progress", id, value }),
    gate,
  };
  try {
    const job = JOBS[message.job as JobName] as (
      args: unknown,
      context: JobContext<unknown>,
    ) => Promise<unknown>;
    if (!job) throw new Error(`no job named ${message.job}`);
    post({ type: "result", id, value: await job(message.args, context) });
  } catch (error) {
    post({ type: "error", id, message: error instanceof Error ? error.message : String(error) });
  }
});
