/**
 * @wdecay/backend-wasm: a float32 WebAssembly backend. Importing it registers nothing; import
 * `@wdecay/backend-wasm/register` for that.
 */
export { createWasmBackend, type WasmBackendOptions } from "./backend.js";
export { hasWasmSimd, type TfjsWasmPaths, WasmUnavailableError } from "./runtime.js";
