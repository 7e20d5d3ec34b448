/**
 * Registers `webgpu` in the default registry, above the cpu backends: tried first, and when it
 * cannot start (no WebGPU, no adapter) the registry falls back with the reason it gives.
 */
import { registerBackend } from "@wdecay/core";
import { createWebGpuBackend, type WebGpuBackend } from "./backend.js";

/** Priority of `webgpu`: above cpu (10), so that a machine with a GPU uses it by default. */
export const WEBGPU_PRIORITY = 30;

async function start(): Promise<WebGpuBackend> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (gpu) return createWebGpuBackend({ gpu });
  if (typeof process !== "undefined" && process.versions?.node) {
    // Kept out of browser bundles' static graph: Dawn is Node only.
    const node = "./node.js";
    const { createNodeWebGpuBackend } = (await import(
      /* @vite-ignore */ node
    )) as typeof import("./node.js");
    return createNodeWebGpuBackend();
  }
  throw new Error("WebGPU is not available here (no navigator.gpu)");
}

registerBackend("webgpu", start, WEBGPU_PRIORITY);
