import type { Mutant } from "../mutant.js";

export const WASM_MUTANTS: readonly Mutant[] = [];
