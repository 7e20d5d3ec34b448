/**
 * Registers `webgpu` in the default registry, above the cpu backends: tried first, and when it
 * cannot start (no WebGPU, no adapter) the registry falls back with the reason it gives. On a
 * software adapter (SwiftShader: what a machine without a GPU offers) it runs only when named:
 * correct, but slower than the wasm and cpu backends, so never a default choice. The backend is
 * loaded only when the registry starts it.
 */
import { registerBackend, type StartRequest } from "@wdecay/core";
import type { WebGpuBackend } from "./backend.js";

/** Priority of `webgpu`: above cpu (10), so that a machine with a GPU uses it by default. */
export const WEBGPU_PRIORITY = 30;

async function create(): Promise<WebGpuBackend> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (gpu) return (await import("./backend.js")).createWebGpuBackend({ gpu });
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

async function start({ named }: StartRequest): Promise<WebGpuBackend> {
  const backend = await create();
  if (!named && backend.softwareAdapter) {
    const adapter = backend.adapter;
    backend.destroy();
    throw new Error(
      `its adapter (${adapter}) is a software one, slower than the CPU backends; used only when asked for by name (wdecay --backend webgpu)`,
    );
  }
  return backend;
}

registerBackend("webgpu", start, WEBGPU_PRIORITY);
