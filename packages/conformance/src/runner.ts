/**
 * Runs the suite on a backend with fast-check and reports, per property, the runs made, the
 * worst error seen beside its tolerance, and for a failure the shrunk counterexample with the
 * seed and path that replay exactly that failure.
 */
import type { Backend, BackendFactory, Precision } from "@wdecay/core";
import fc from "fast-check";
import { ALL_PROPERTIES } from "./properties/index.js";
import type { ConformanceProperty, PropertyContext } from "./property.js";
import { Meter } from "./tolerance.js";

/** Default runs per property: enough to meet every edge shape, small enough for CI. */
export const DEFAULT_NUM_RUNS = 25;

export interface RunOptions {
  /**
   * The float64 reference backend, or a factory for it: the cpu backend
   * (`() => createCpuBackend()` from `@wdecay/backend-cpu`) unless you have reason otherwise.
   */
  readonly reference: BackendSource;
  /** Runs per property before its cost divides them (default {@link DEFAULT_NUM_RUNS}). */
  readonly numRuns?: number;
  /** fast-check seed (default: drawn at random and reported, so any failure can be replayed). */
  readonly seed?: number;
  /** Only these property ids (default: all). */
  readonly only?: readonly string[];
  /** Replays one failure: the `path` a failed result reported (needs `seed` and one property). */
  readonly path?: string;
  /**
   * Shrink a failing input to a small counterexample (default true). Off, a property stops at
   * its first failing input: what a mutation run wants, where only whether it fails matters.
   */
  readonly shrink?: boolean;
  /** The properties to run (default: the whole suite). */
  readonly properties?: readonly ConformanceProperty<never>[];
  /** Called after each property. */
  readonly onResult?: (result: PropertyResult) => void;
}

/** The outcome of one property on one backend. */
export interface PropertyResult {
  readonly id: string;
  readonly name: string;
  readonly source: string;
  readonly passed: boolean;
  readonly runs: number;
  /** The error of the worst comparison seen (the one closest to or past its tolerance). */
  readonly maxError: number;
  /** The tolerance that comparison was held to. */
  readonly tolerance: number;
  /** The shrunk failing input, as fast-check prints it; null when the property passed. */
  readonly counterexample: string | null;
  /** What failed: the comparison or the error thrown. */
  readonly failure: string | null;
  /** Seed and path that replay exactly this failure. */
  readonly replay: { readonly seed: number; readonly path: string } | null;
}

/** Every property's outcome on one backend. */
export interface BackendReport {
  readonly backend: string;
  readonly precision: Precision;
  readonly seed: number;
  readonly numRuns: number;
  readonly passed: boolean;
  readonly properties: PropertyResult[];
}

/** Draws a seed when none is given; fast-check seeds are 32-bit integers. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x7fffffff);
}

/** Runs one property on a started backend. */
export async function runProperty(
  ctx: PropertyContext,
  property: ConformanceProperty<never>,
  options: { numRuns: number; seed: number; path?: string; shrink?: boolean },
): Promise<PropertyResult> {
  const runs = Math.max(1, Math.ceil(options.numRuns / (property.cost ?? 1)));
  const overall = new Meter();
  // What made the last failing run fail; shrinking ends on the smallest counterexample, so
  // this describes the one reported. Passing runs during shrinking leave it alone.
  let lastFailure: string | undefined;
  const liveBefore = ctx.backend.liveTensors();
  const details = await fc.check(
    fc.asyncProperty(property.arbitrary as fc.Arbitrary<never>, async (input) => {
      const meter = new Meter();
      const live = ctx.backend.liveTensors();
      try {
        await property.check(ctx, input, meter);
      } catch (error) {
        lastFailure = `threw: ${error instanceof Error ? error.message : String(error)}`;
        throw error;
      }
      // Counted per run, so that a leak is a failing input that shrinks and replays like any other.
      const leaked = ctx.backend.liveTensors() - live;
      meter.holds(leaked === 0, `${leaked} tensor(s) left live by the backend`);
      overall.record(meter.worst, meter.failure ?? "");
      if (!meter.passed) lastFailure = meter.failure ?? "a comparison failed";
      return meter.passed;
    }),
    {
      numRuns: runs,
      seed: options.seed,
      ...(options.path !== undefined ? { path: options.path, endOnFailure: true } : {}),
      ...(options.shrink === false ? { endOnFailure: true } : {}),
    },
  );
  let passed = !details.failed;
  let failure: string | null = null;
  if (details.failed) {
    failure = lastFailure ?? "property failed";
  } else {
    const leaked = ctx.backend.liveTensors() - liveBefore;
    if (leaked !== 0) {
      passed = false;
      failure = `${leaked} tensor(s) left live by the backend`;
    }
  }
  return {
    id: property.id,
    name: property.name,
    source: property.source,
    passed,
    runs: details.numRuns,
    maxError: overall.worst.error,
    tolerance: overall.worst.tolerance,
    counterexample: details.counterexample ? fc.stringify(details.counterexample) : null,
    failure,
    replay: details.failed ? { seed: details.seed, path: details.counterexamplePath ?? "" } : null,
  };
}

/** A backend, or a factory that makes one (made and destroyed by the run). */
export type BackendSource = Backend | BackendFactory;

/** The backend of a source, started if the source is a factory (as named: it was asked for). */
export async function start(source: BackendSource): Promise<Backend> {
  return typeof source === "function" ? await source({ named: true }) : source;
}

/** Destroys a backend the run made itself; one passed in belongs to the caller. */
export function release(source: BackendSource, backend: Backend): void {
  if (typeof source === "function") backend.destroy();
}

/**
 * Runs the suite on a backend: every property (or `only` those), each with fresh random inputs
 * from the seed. Resolves with the report; it does not throw when properties fail.
 */
export async function runConformance(
  source: BackendSource,
  options: RunOptions,
): Promise<BackendReport> {
  const numRuns = options.numRuns ?? DEFAULT_NUM_RUNS;
  if (!(Number.isInteger(numRuns) && numRuns >= 1)) {
    throw new RangeError(`numRuns must be an integer ≥ 1, got ${numRuns}`);
  }
  const seed = options.seed ?? randomSeed();
  const all = options.properties ?? ALL_PROPERTIES;
  const selected = options.only ? all.filter((p) => options.only?.includes(p.id)) : all;
  if (options.only) {
    const unknown = options.only.filter((id) => !all.some((p) => p.id === id));
    if (unknown.length > 0) throw new RangeError(`unknown property id(s): ${unknown.join(", ")}`);
  }
  if (options.path !== undefined && selected.length !== 1) {
    throw new RangeError("replaying a path needs exactly one property (`only`)");
  }
  const backend = await start(source);
  const reference = await start(options.reference).catch((error: unknown) => {
    release(source, backend);
    throw error;
  });
  if (reference.precision !== "float64") {
    release(source, backend);
    release(options.reference, reference);
    throw new RangeError(
      `the reference backend must be float64, ${reference.name} is ${reference.precision}`,
    );
  }
  const properties: PropertyResult[] = [];
  try {
    for (const property of selected) {
      const result = await runProperty({ backend, reference }, property, {
        numRuns,
        seed,
        ...(options.path !== undefined ? { path: options.path } : {}),
        ...(options.shrink !== undefined ? { shrink: options.shrink } : {}),
      });
      properties.push(result);
      options.onResult?.(result);
    }
  } finally {
    release(options.reference, reference);
    release(source, backend);
  }
  return {
    backend: backend.name,
    precision: backend.precision,
    seed,
    numRuns,
    passed: properties.every((p) => p.passed),
    properties,
  };
}
