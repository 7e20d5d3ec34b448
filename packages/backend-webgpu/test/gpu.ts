/**
 * The adapter the tests run on. On Linux: SwiftShader, from `@wdecay/test-browser` (npm; no
 * system package), or the driver `VK_ICD_FILENAMES` names (a real GPU's, to test on it);
 * elsewhere the system's adapter (Metal, D3D12). No adapter is a failure of every GPU test file
 * with a one-line reason, never a skip.
 */
import { swiftShaderIcd } from "@wdecay/test-browser";
import {
  createWebGpuBackend,
  type WebGpuBackend,
  type WebGpuBackendOptions,
} from "../src/index.js";
import { adapterHint, nodeGpu } from "../src/node.js";

async function testGpu(): Promise<GPU> {
  const found =
    process.platform === "linux"
      ? await nodeGpu({ software: true, icd: await swiftShaderIcd() })
      : await nodeGpu();
  if (!(await found.requestAdapter())) {
    throw new Error(`the WebGPU tests found no adapter (${adapterHint()})`);
  }
  return found;
}

/** Dawn's GPU object, with an adapter. */
export const gpu: GPU = await testGpu();

/** A backend on the test adapter. */
export function makeBackend(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
  return createWebGpuBackend({ gpu, ...options });
}
