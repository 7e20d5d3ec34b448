/**
 * The vitest adapter: a backend package's conformance test is one call.
 *
 * ```ts
 * import { describeConformance } from "@wdecay/conformance/vitest";
 * import { createCpuBackend } from "@wdecay/backend-cpu";
 * describeConformance("my-backend", () => createMyBackend(), { reference: () => createCpuBackend() });
 * ```
 *
 * Environment variables change a run without a code change (options given in code win):
 * `WDECAY_CONFORMANCE_RUNS` (runs per property), `WDECAY_CONFORMANCE_SEED` (the seed),
 * `WDECAY_CONFORMANCE_DEEP=1` (many more runs), `WDECAY_CONFORMANCE_ONLY` (comma-separated
 * property ids), `WDECAY_CONFORMANCE_PATH` (replays one failure's path; with one property and
 * its seed), `WDECAY_CONFORMANCE_EXPECTATIONS` (a JSON file of skips and expected failures).
 * A failing test prints the exact command line that replays it with this runner.
 */

import { readFileSync } from "node:fs";
import { relative } from "node:path";
import type { Backend } from "@wdecay/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_PROPERTIES } from "./properties/index.js";
import {
  type BackendSource,
  checkExpectations,
  contextOf,
  DEEP_FACTOR,
  DEFAULT_NUM_RUNS,
  type Expectations,
  randomSeed,
  release,
  runProperty,
  start,
} from "./runner.js";

export interface DescribeOptions {
  /** The float64 reference backend or its factory, e.g. `() => createCpuBackend()`. */
  readonly reference: BackendSource;
  /** Runs per property (default: $WDECAY_CONFORMANCE_RUNS or 25, 500 with deep). */
  readonly numRuns?: number;
  /** fast-check seed (default: $WDECAY_CONFORMANCE_SEED or random, printed on failure). */
  readonly seed?: number;
  /** Skips and expected failures (default: the file $WDECAY_CONFORMANCE_EXPECTATIONS names). */
  readonly expectations?: Expectations;
  /** Per-property time limit in ms (default 60 000; ×20 with deep). */
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

function expectationsFromEnv(): Expectations | undefined {
  const file = process.env.WDECAY_CONFORMANCE_EXPECTATIONS;
  if (!file) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Expectations;
  } catch (error) {
    throw new RangeError(
      `WDECAY_CONFORMANCE_EXPECTATIONS=${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** The shell line that reruns exactly one failure of this test file with vitest. */
function replayLine(testFile: string | undefined, id: string, seed: number, path: string): string {
  const file = testFile ? relative(process.cwd(), testFile) : "<this test file>";
  const env = [
    `WDECAY_CONFORMANCE_SEED=${seed}`,
    `WDECAY_CONFORMANCE_ONLY=${id}`,
    ...(path ? [`WDECAY_CONFORMANCE_PATH=${path}`] : []),
  ];
  return `${env.join(" ")} npx vitest run ${file} -t "${id}"`;
}

/** Declares one vitest test per property of the suite, on one backend instance. */
export function describeConformance(
  name: string,
  source: BackendSource,
  options: DescribeOptions,
): void {
  const deep = process.env.WDECAY_CONFORMANCE_DEEP === "1";
  const numRuns =
    options.numRuns ??
    fromEnv("WDECAY_CONFORMANCE_RUNS") ??
    DEFAULT_NUM_RUNS * (deep ? DEEP_FACTOR : 1);
  const seed = options.seed ?? fromEnv("WDECAY_CONFORMANCE_SEED") ?? randomSeed();
  const path = process.env.WDECAY_CONFORMANCE_PATH || undefined;
  const only = process.env.WDECAY_CONFORMANCE_ONLY?.split(",").map((s) => s.trim());
  const expectations = options.expectations ?? expectationsFromEnv();
  if (expectations) checkExpectations(expectations);
  for (const id of only ?? []) {
    if (!ALL_PROPERTIES.some((p) => p.id === id)) {
      throw new RangeError(`WDECAY_CONFORMANCE_ONLY: "${id}" is not a property of the suite`);
    }
  }
  if (path && only?.length !== 1) {
    throw new RangeError(
      "WDECAY_CONFORMANCE_PATH replays one failure: set WDECAY_CONFORMANCE_ONLY to its property",
    );
  }
  const properties = only ? ALL_PROPERTIES.filter((p) => only.includes(p.id)) : ALL_PROPERTIES;
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
    for (const property of properties) {
      it(
        `${property.id}: ${property.name}`,
        async ({ annotate }) => {
          const r = await runProperty(contextOf(source, backend, reference), property, {
            numRuns,
            seed,
            ...(path ? { path } : {}),
            ...(expectations ? { expectations } : {}),
          });
          // A property that does not apply, or an expected failure, passes with a note saying so.
          if (r.status === "skipped") await annotate(`skipped: ${r.reason}`, "notice");
          if (r.status === "xfail") await annotate(`xfail (expected): ${r.reason}`, "notice");
          const detail = r.passed
            ? ""
            : `${r.failure}\ncounterexample: ${r.counterexample}\nreplay: ${replayLine(
                expect.getState().testPath,
                r.id,
                r.replay?.seed ?? seed,
                r.replay?.path ?? "",
              )}`;
          expect(r.passed, detail).toBe(true);
        },
        (options.timeout ?? 60_000) * (deep ? DEEP_FACTOR : 1),
      );
    }
  });
}
