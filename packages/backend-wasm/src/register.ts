/**
 * Registers `wasm` in the default registry, above the cpu backends: where WebAssembly SIMD is
 * available it is the fastest CPU path, and where it is not, its factory rejects with the reason
 * and the registry falls back to cpu. The backend (and tfjs with it) is loaded only when the
 * registry starts it, so registering costs a command-line tool nothing at startup.
 */
import { registerBackend } from "@wdecay/core";

/** Priority of the wasm backend: above cpu (10). */
export const WASM_PRIORITY = 20;

registerBackend(
  "wasm",
  async () => (await import("./backend.js")).createWasmBackend(),
  WASM_PRIORITY,
);
