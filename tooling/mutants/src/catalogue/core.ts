import type { Mutant } from "../mutant.js";

export const CORE_MUTANTS: readonly Mutant[] = [];
