/**
 * The page of the Chromium smoke test: trains the chapter on the page's own WebGPU
 * (navigator.gpu) and leaves the result on `window.__wdecay` for the test to collect.
 */
import { runChapter } from "@wdecay/core";
import { createWebGpuBackend } from "../../src/index.js";

interface PageResult {
  readonly ok: boolean;
  readonly error?: string;
  readonly norms?: number[];
  readonly testLosses?: number[];
  readonly stats?: unknown;
  readonly workgroupSize?: number;
  readonly live?: number;
}

const target = globalThis as unknown as { __wdecay?: PageResult };

async function main(): Promise<PageResult> {
  const backend = await createWebGpuBackend();
  backend.device.pushErrorScope("validation");
  const runs = await runChapter(backend, { seed: 42 });
  const error = await backend.device.popErrorScope();
  if (error) throw new Error(`GPU validation error: ${error.message}`);
  const result: PageResult = {
    ok: true,
    norms: runs.map((r) => r.l2Norm),
    testLosses: runs.map((r) => r.testLoss),
    stats: backend.stats(),
    workgroupSize: backend.workgroupSize,
    live: backend.liveTensors(),
  };
  backend.destroy();
  return result;
}

main().then(
  (result) => {
    target.__wdecay = result;
  },
  (error: unknown) => {
    target.__wdecay = {
      ok: false,
      error: error instanceof Error ? `${error.message}\n${error.stack}` : String(error),
    };
  },
);
