/**
 * Registers `wasm` in the default registry, above the cpu backends: where WebAssembly SIMD is
 * available it is the fastest CPU path, and where it is not, its factory rejects with the reason
 * and the registry falls back to cpu.
 */
import { registerBackend } from "@wdecay/core";
import { createWasmBackend } from "./backend.js";

/** Priority of the wasm backend: above cpu (10). */
export const WASM_PRIORITY = 20;

registerBackend("wasm", () => createWasmBackend(), WASM_PRIORITY);
