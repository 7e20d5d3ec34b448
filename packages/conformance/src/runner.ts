/**
 * Runs the suite on a backend with fast-check and reports, per property, the runs made, the
 * worst error seen beside its tolerance, and for a failure the shrunk counterexample with the
 * seed and path that replay exactly that failure.
 */
import type { Backend, BackendFactory, Precision } from "@wdecay/core";
import fc from "fast-check";
import { ALL_PROPERTIES } from "./properties/index.js";
import type { ConformanceProperty, PropertyContext } from "./property.js";
import { type Measurement, Meter } from "./tolerance.js";

/** Default runs per property: enough to meet every edge shape, small enough for CI. */
export const DEFAULT_NUM_RUNS = 25;

/** How many times the default runs `deep` makes: a nightly soak, not a CI gate. */
export const DEEP_FACTOR = 20;

/**
 * A backend's own list of properties it does not run (`skip`) and of known failures (`xfail`),
 * each with its reason, as a JSON file holds it (`wdecay conformance --expectations FILE`). A
 * skip or an expected failure is listed in every report; an expected failure that passes fails
 * the run (XPASS), so that the entry of a fixed bug is removed.
 */
export interface Expectations {
  readonly skip?: Readonly<Record<string, string>>;
  readonly xfail?: Readonly<Record<string, string>>;
}

export interface RunOptions {
  /**
   * Starts another instance of the backend under test, for the properties that must destroy
   * one (`api-destroy`), when the backend is given as an instance (a registry's `startNew`, say).
   * Given a factory, the run uses the factory.
   */
  readonly another?: () => Promise<Backend>;
  /**
   * The float64 reference backend, or a factory for it: the cpu backend
   * (`() => createCpuBackend()` from `@wdecay/backend-cpu`) unless you have reason otherwise.
   */
  readonly reference: BackendSource;
  /**
   * Runs per property before its cost divides them (default {@link DEFAULT_NUM_RUNS}, or
   * {@link DEEP_FACTOR} times it with `deep`).
   */
  readonly numRuns?: number;
  /** Many more runs by default (see {@link DEEP_FACTOR}): for nightly jobs. */
  readonly deep?: boolean;
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
  /** Skipped and expected-to-fail properties of this backend (see {@link Expectations}). */
  readonly expectations?: Expectations;
  /** The properties to run (default: the whole suite). */
  readonly properties?: readonly ConformanceProperty<never>[];
  /** Called after each property. */
  readonly onResult?: (result: PropertyResult) => void;
}

/**
 * What became of a property: `passed`; `failed`; `skipped` (it does not apply to the backend, or
 * its expectations skip it; `reason` says why); `xfail` (failed, as its expectations say it
 * does); `xpass` (passed although expected to fail: a failure of the run).
 */
export type PropertyStatus = "passed" | "failed" | "skipped" | "xfail" | "xpass";

/** The outcome of one property on one backend. */
export interface PropertyResult {
  readonly id: string;
  readonly name: string;
  readonly source: string;
  readonly status: PropertyStatus;
  /** Whether the run may pass with it: `passed`, `skipped` or `xfail`. */
  readonly passed: boolean;
  /** Why it was skipped, or why it is expected to fail; null otherwise. */
  readonly reason: string | null;
  readonly runs: number;
  /**
   * The error of the worst comparison seen (the one closest to or past its tolerance): of the
   * failing input when the property failed, else over every run.
   */
  readonly maxError: number;
  /** The tolerance that comparison was held to. */
  readonly tolerance: number;
  /** The shrunk failing input, as fast-check prints it; null when the property passed. */
  readonly counterexample: string | null;
  /** What failed: the comparison (with its error/tolerance ratio) or the error thrown. */
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
  /** No property failed and no expected failure passed. */
  readonly passed: boolean;
  readonly properties: PropertyResult[];
}

/** Draws a seed when none is given; fast-check seeds are 32-bit integers. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x7fffffff);
}

/**
 * Checks expectations against the suite: every id must be a property, every reason non-empty,
 * and no property both skipped and expected to fail.
 *
 * @throws RangeError naming the first bad entry
 */
export function checkExpectations(
  expectations: Expectations,
  properties: readonly ConformanceProperty<never>[] = ALL_PROPERTIES,
): void {
  for (const kind of ["skip", "xfail"] as const) {
    const entries = expectations[kind] ?? {};
    if (typeof entries !== "object" || Array.isArray(entries)) {
      throw new RangeError(`expectations.${kind} must map property ids to reasons`);
    }
    for (const [id, reason] of Object.entries(entries)) {
      if (!properties.some((p) => p.id === id)) {
        throw new RangeError(`expectations.${kind}: "${id}" is not a property of the suite`);
      }
      if (typeof reason !== "string" || reason.trim() === "") {
        throw new RangeError(`expectations.${kind}["${id}"] needs a reason`);
      }
    }
  }
  for (const id of Object.keys(expectations.skip ?? {})) {
    if (expectations.xfail && id in expectations.xfail) {
      throw new RangeError(`expectations: "${id}" is both skipped and expected to fail`);
    }
  }
}

/**
 * How long a run of the suite may keep its thread before it lets queued events in. A backend's
 * kernels are synchronous and its reads resolve as microtasks, so without a pause a whole
 * property (or file of them) holds the event loop: vitest's worker then cannot answer its own
 * RPC ("Timeout calling onTaskUpdate", seen on a loaded 2-core machine after 60 s), timers such
 * as a test's timeout cannot fire, and a page running the suite cannot paint. 50 ms is the
 * browsers' long-task threshold.
 */
const MAX_HOLD_MS = 50;
let heldSince = Date.now();

/** Yields one macrotask turn if the thread has been held for more than {@link MAX_HOLD_MS}. */
async function letEventsIn(): Promise<void> {
  if (Date.now() - heldSince < MAX_HOLD_MS) return;
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  heldSince = Date.now();
}

/** Runs one property on a started backend. */
export async function runProperty(
  ctx: PropertyContext,
  property: ConformanceProperty<never>,
  options: {
    numRuns: number;
    seed: number;
    path?: string;
    shrink?: boolean;
    expectations?: Expectations;
  },
): Promise<PropertyResult> {
  const base = { id: property.id, name: property.name, source: property.source };
  const skip = options.expectations?.skip?.[property.id] ?? property.requires?.(ctx.backend, ctx);
  if (skip !== undefined) {
    return {
      ...base,
      status: "skipped",
      passed: true,
      reason: skip,
      runs: 0,
      maxError: 0,
      tolerance: 0,
      counterexample: null,
      failure: null,
      replay: null,
    };
  }
  const runs = Math.max(1, Math.ceil(options.numRuns / (property.cost ?? 1)));
  const overall = new Meter();
  // What made the last failing run fail, and its worst comparison: shrinking ends on the
  // smallest counterexample, so these describe the one reported. Passing runs during shrinking
  // leave them alone.
  let lastFailure: string | undefined;
  let failingWorst: Measurement | undefined;
  const liveBefore = ctx.backend.liveTensors();
  const details = await fc.check(
    fc.asyncProperty(property.arbitrary as fc.Arbitrary<never>, async (input) => {
      await letEventsIn();
      const meter = new Meter();
      const live = ctx.backend.liveTensors();
      try {
        await property.check(ctx, input, meter);
      } catch (error) {
        lastFailure = `threw: ${error instanceof Error ? error.message : String(error)}`;
        failingWorst = meter.worst;
        throw error;
      }
      // Counted per run, so that a leak is a failing input that shrinks and replays like any other.
      const leaked = ctx.backend.liveTensors() - live;
      meter.holds(leaked === 0, `${leaked} tensor(s) left live by the backend`);
      overall.record(meter.worst, meter.failure ?? "");
      if (!meter.passed) {
        lastFailure = meter.failure ?? "a comparison failed";
        failingWorst = meter.worst;
      }
      return meter.passed;
    }),
    {
      numRuns: runs,
      seed: options.seed,
      ...(options.path !== undefined ? { path: options.path, endOnFailure: true } : {}),
      ...(options.shrink === false ? { endOnFailure: true } : {}),
    },
  );
  let failed = details.failed;
  let failure: string | null = null;
  if (details.failed) {
    failure = lastFailure ?? "property failed";
  } else {
    const leaked = ctx.backend.liveTensors() - liveBefore;
    if (leaked !== 0) {
      failed = true;
      failure = `${leaked} tensor(s) left live by the backend`;
    }
  }
  const worst = details.failed && failingWorst ? failingWorst : overall.worst;
  const xfail = options.expectations?.xfail?.[property.id];
  const status: PropertyStatus =
    xfail === undefined ? (failed ? "failed" : "passed") : failed ? "xfail" : "xpass";
  return {
    ...base,
    status,
    passed: status !== "failed" && status !== "xpass",
    reason: xfail ?? null,
    runs: details.numRuns,
    maxError: worst.error,
    tolerance: worst.tolerance,
    counterexample: details.counterexample ? fc.stringify(details.counterexample) : null,
    failure: status === "xpass" ? `expected to fail (${xfail}), but every run passed` : failure,
    replay: details.failed ? { seed: details.seed, path: details.counterexamplePath ?? "" } : null,
  };
}

/** A backend, or a factory that makes one (made and destroyed by the run). */
export type BackendSource = Backend | BackendFactory;

/** The backend of a source, started if the source is a factory (as named: it was asked for). */
export async function start(source: BackendSource): Promise<Backend> {
  return typeof source === "function" ? await source({ named: true }) : source;
}

/** The context the properties get: the started backends, and a way to start another. */
export function contextOf(
  source: BackendSource,
  backend: Backend,
  reference: Backend,
  another?: () => Promise<Backend>,
): PropertyContext {
  if (typeof source === "function") {
    return { backend, reference, another: async () => await source({ named: true }) };
  }
  return another ? { backend, reference, another } : { backend, reference };
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
  const numRuns = options.numRuns ?? DEFAULT_NUM_RUNS * (options.deep ? DEEP_FACTOR : 1);
  if (!(Number.isInteger(numRuns) && numRuns >= 1)) {
    throw new RangeError(`numRuns must be an integer ≥ 1, got ${numRuns}`);
  }
  if (options.expectations) checkExpectations(options.expectations, options.properties);
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
      const result = await runProperty(
        contextOf(source, backend, reference, options.another),
        property,
        {
          numRuns,
          seed,
          ...(options.path !== undefined ? { path: options.path } : {}),
          ...(options.shrink !== undefined ? { shrink: options.shrink } : {}),
          ...(options.expectations ? { expectations: options.expectations } : {}),
        },
      );
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
