/**
 * The adapter the tests run on: a real GPU if the machine has one, else SwiftShader (the vitest
 * config points Vulkan at it). Outside CI a machine without any adapter skips the GPU tests with
 * a printed reason; with CI=true that is a failure, so CI cannot pass without running them.
 */
import {
  createWebGpuBackend,
  type WebGpuBackend,
  type WebGpuBackendOptions,
} from "../src/index.js";
import { adapterHint, nodeGpu } from "../src/node.js";

async function probe(): Promise<{ gpu: GPU; adapter: GPUAdapter } | { reason: string }> {
  try {
    const gpu = await nodeGpu({ software: true });
    const adapter = await gpu.requestAdapter();
    if (adapter) return { gpu, adapter };
    return { reason: `no WebGPU adapter (${adapterHint()})` };
  } catch (error) {
    return { reason: error instanceof Error ? error.message : String(error) };
  }
}

const found = await probe();
const inCi = process.env.CI === "true" || process.env.CI === "1";
if ("reason" in found) {
  if (inCi) throw new Error(`CI=true but WebGPU cannot run: ${found.reason}`);
  console.warn(`skipping the WebGPU tests: ${found.reason}`);
}

/** Dawn's GPU object, or undefined when the tests are skipped. */
export const gpu: GPU | undefined = "gpu" in found ? found.gpu : undefined;
/** Whether the GPU tests skip (only possible outside CI). */
export const noGpu = gpu === undefined;

/** A backend on the test adapter. */
export function makeBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  return createWebGpuBackend({ gpu: gpu as GPU, ...options });
}
