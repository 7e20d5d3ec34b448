/**
 * Registers `wasm` in the default registry, above the cpu backends: where WebAssembly SIMD is
 * available it is the fastest CPU path, and where it is not, its factory rejects with the reason
 * and the registry falls back to cpu. The backend (and tfjs with it) is loaded only when the
 * registry starts it, so registering costs a command-line tool nothing at startup.
 *
 * Its thread count is `$WDECAY_THREADS` where that is set (the CLI's `--threads N` sets it),
 * else the backend's default (the machine's cores).
 */
import { registerBackend } from "@wdecay/core";

/** Priority of the wasm backend: above cpu (10). */
export const WASM_PRIORITY = 20;

/** `$WDECAY_THREADS` as a thread count, undefined where it is unset or empty. */
export function threadsFromEnv(): number | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env;
  const text = env?.WDECAY_THREADS?.trim();
  if (text === undefined || text === "") return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1) {
    throw new RangeError(`WDECAY_THREADS must be a whole number of threads ≥ 1, got '${text}'`);
  }
  return n;
}

registerBackend(
  "wasm",
  async () => {
    const threads = threadsFromEnv();
    return (await import("./backend.js")).createWasmBackend(
      threads !== undefined ? { threads } : {},
    );
  },
  WASM_PRIORITY,
);
