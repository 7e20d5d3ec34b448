/**
 * A mutant: one realistic bug, written as an exact edit of one source file, with the backends
 * whose conformance runs must catch it. The catalogue (./catalogue) is kept apart from the
 * conformance suite's own planted bugs (packages/conformance/test/planted-bugs.ts): these are
 * edits of the real backends and of core, applied one at a time by `pnpm mutants`.
 */

/** The backends the mutants runner can run the suite on (see suite.ts). */
export type SuiteBackend = "cpu" | "cpu-f32" | "wasm" | "webgpu";

export interface Mutant {
  /** Stable id: AREA-WHAT, e.g. `cpu-matmul-drops-last-column`. */
  readonly id: string;
  /** The mistake, as a bug report would describe it. */
  readonly bug: string;
  /** The file, relative to the repository root. */
  readonly file: string;
  /** Text that occurs exactly once in the file… */
  readonly find: string;
  /** …and what it becomes. */
  readonly replace: string;
  /** The backends whose conformance runs must catch it (any one of them failing kills it). */
  readonly backends: readonly SuiteBackend[];
}
