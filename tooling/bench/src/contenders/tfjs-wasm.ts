/**
 * tfjs used idiomatically on its WebAssembly backend (`@tensorflow/tfjs-backend-wasm`: XNNPACK,
 * SIMD, one thread in Node): the same code as `tfjs-cpu` (tf.train.sgd, the penalty in the loss,
 * autodiff), only the active backend differs. See `tfjs-cpu.ts`.
 */
import "@tensorflow/tfjs-backend-wasm";
import { version_wasm } from "@tensorflow/tfjs-backend-wasm";
import type { Contender } from "./index.js";
import { tfjsContender } from "./tfjs-cpu.js";

/** Versions for the report's machine section. */
export const TFJS_WASM_VERSIONS = { "tfjs-backend-wasm": version_wasm };

/** The tfjs baseline on tfjs' wasm backend. */
export function tfjsWasm(): Promise<Contender> {
  return tfjsContender("wasm");
}
