/**
 * @wdecay/backend-wasm: a float32 WebAssembly backend. Importing it registers nothing; import
 * `@wdecay/backend-wasm/register` for that.
 */
export {
  createWasmBackend,
  PARALLEL_MIN_ELEMENTS,
  PARALLEL_MIN_GEMM,
  PARALLEL_MIN_LOSS,
  PARALLEL_MIN_WORK,
  type WasmBackendOptions,
} from "./backend.js";
export {
  hasWasmSimd,
  MAX_THREADS,
  type TfjsWasmPaths,
  type ThreadSupport,
  threadSupport,
  WasmUnavailableError,
} from "./runtime.js";
