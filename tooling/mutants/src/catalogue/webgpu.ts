import type { Mutant } from "../mutant.js";

export const WEBGPU_MUTANTS: readonly Mutant[] = [];
