/** The whole catalogue, area by area. */
import type { Mutant } from "../mutant.js";
import { CORE_MUTANTS } from "./core.js";
import { CPU_MUTANTS } from "./cpu.js";
import { NETWORK_MUTANTS } from "./networks.js";
import { WASM_MUTANTS } from "./wasm.js";
import { WEBGPU_MUTANTS } from "./webgpu.js";

export const CATALOGUE: readonly Mutant[] = [
  ...CPU_MUTANTS,
  ...WASM_MUTANTS,
  ...WEBGPU_MUTANTS,
  ...CORE_MUTANTS,
  ...NETWORK_MUTANTS,
];
