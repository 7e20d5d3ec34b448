/**
 * The vitest adapter: a backend package's conformance test is one call.
 *
 * ```ts
 * import { describeConformance } from "@wdecay/conformance/vitest";
 * import { createCpuBackend } from "@wdecay/backend-cpu";
 * describeConformance("my-backend", () => createMyBackend(), { reference: () => createCpuBackend() });
 * ```
 *
 * `WDECAY_CONFORMANCE_RUNS` and `WDECAY_CONFORMANCE_SEED` override the run count and seed, so a
 * longer run, or the replay of a failure, needs no code change.
 */

import type { Backend } from "@wdecay/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_PROPERTIES } from "./properties/index.js";
import {
  type BackendSource,
  DEFAULT_NUM_RUNS,
  randomSeed,
  release,
  runProperty,
  start,
} from "./runner.js";

export interface DescribeOptions {
  /** The float64 reference backend or its factory, e.g. `() => createCpuBackend()`. */
  readonly reference: BackendSource;
  /** Runs per property (default: $WDECAY_CONFORMANCE_RUNS or 25). */
  readonly numRuns?: number;
  /** fast-check seed (default: $WDECAY_CONFORMANCE_SEED or random, printed on failure). */
  readonly seed?: number;
  /** Per-property time limit in ms (default 60 000). */
  readonly timeout?: number;
}

function fromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

/** Declares one vitest test per property of the suite, on one backend instance. */
export function describeConformance(
  name: string,
  source: BackendSource,
  options: DescribeOptions,
): void {
  const numRuns = options.numRuns ?? fromEnv("WDECAY_CONFORMANCE_RUNS") ?? DEFAULT_NUM_RUNS;
  const seed = options.seed ?? fromEnv("WDECAY_CONFORMANCE_SEED") ?? randomSeed();
  describe(`conformance: ${name} (seed ${seed})`, () => {
    let backend: Backend;
    let reference: Backend;
    beforeAll(async () => {
      backend = await start(source);
      reference = await start(options.reference);
    });
    afterAll(() => {
      if (reference) release(options.reference, reference);
      if (backend) release(source, backend);
    });
    for (const property of ALL_PROPERTIES) {
      it(
        `${property.id}: ${property.name}`,
        async () => {
          const r = await runProperty({ backend, reference }, property, { numRuns, seed });
          const detail = r.passed
            ? ""
            : `${r.failure}\ncounterexample: ${r.counterexample}\nreplay: WDECAY_CONFORMANCE_SEED=${r.replay?.seed ?? seed} ` +
              `(or: wdecay conformance --backend ${backend.name} --property ${r.id} --seed ${r.replay?.seed ?? seed}` +
              `${r.replay?.path ? ` --replay ${r.replay.path}` : ""})`;
          expect(r.passed, detail).toBe(true);
        },
        options.timeout ?? 60_000,
      );
    }
  });
}
