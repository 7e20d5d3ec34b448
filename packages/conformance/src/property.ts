import type { Backend } from "@wdecay/core";
import type fc from "fast-check";
import type { Meter } from "./tolerance.js";

/** What a property's check gets besides its random input. */
export interface PropertyContext {
  /** The backend under test. */
  readonly backend: Backend;
  /** The float64 cpu backend, the reference every backend is compared with (identity 21). */
  readonly reference: Backend;
  /**
   * Starts another instance of the backend under test, for a property that must destroy one;
   * absent when the suite was given an instance rather than a factory. The property destroys
   * what it starts.
   */
  readonly another?: () => Promise<Backend>;
}

/**
 * One named property of the suite. `check` compares the backend with a float64 truth (a naive
 * host computation, a closed form, the reference backend) through the meter, which holds each
 * comparison to a tolerance from the tolerance policy.
 */
export interface ConformanceProperty<T = unknown> {
  /**
   * Stable id: `id-N` for identity N of IDENTITIES.md, `op-NAME` for a primitive, `fused-NAME`
   * for a fused kernel, `conv-NAME` for another library's λ convention (its core `ConventionId`),
   * `api-NAME` for the Backend contract, `size-NAME` for a size tier, `state-NAME` for a
   * stateful sequence, `ref-NAME` for a reference answer checked on its own, `calib-NAME` for
   * the precision calibration.
   */
  readonly id: string;
  readonly name: string;
  /** Where it comes from: "IDENTITIES.md 5", "primitive matmul", "fused linearSgd"… */
  readonly source: string;
  /** Relative cost of one run; the runner gives it ⌈numRuns / cost⌉ runs (1). */
  readonly cost?: number;
  /**
   * Why this backend cannot be checked by the property (it lacks the fused kernel the property
   * is about, say), or undefined when it can. A property that does not apply is reported as
   * skipped with this reason, never as a pass.
   */
  readonly requires?: (backend: Backend, ctx: PropertyContext) => string | undefined;
  readonly arbitrary: fc.Arbitrary<T>;
  check(ctx: PropertyContext, input: T, meter: Meter): Promise<void>;
}

/** Declares a property with its input type checked against its arbitrary. */
export function defineProperty<T>(property: ConformanceProperty<T>): ConformanceProperty<T> {
  return property;
}
