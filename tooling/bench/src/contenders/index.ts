/**
 * What the harness times, and the list of everything it times. A contender is set up once per
 * process; per workload it prepares a trial (untimed: uploads, programs), whose `run` is the
 * timed part.
 */
import type { PreparedWorkload } from "../workloads.js";
import { handWritten } from "./hand-written.js";
import { nativeC } from "./native-c.js";
import { tfjsCpu } from "./tfjs-cpu.js";
import { tfjsWasm } from "./tfjs-wasm.js";
import { WDECAY_BACKENDS, wdecayContenders } from "./wdecay.js";

/** The name every ratio is taken against. */
export const REFERENCE = "hand-written";

export interface Contender {
  readonly name: string;
  /** `wdecay` for the project's backends, `baseline` for what they are measured against. */
  readonly group: "wdecay" | "baseline";
  readonly precision: "float64" | "float32";
  /** Prepares one workload (untimed); undefined where the contender skips it. */
  prepare(work: PreparedWorkload): Promise<Trial | undefined>;
  /** Releases what the contender holds for the whole process. */
  close(): Promise<void>;
}

/** A contender set up for one workload. */
export interface Trial {
  /** The timed part: one full training from w₀ and b = 0. Repeatable, same result each time. */
  run(): Promise<TrialResult>;
  /** Untimed, right before each timed run: puts the process in the state `run` needs. */
  before?(): Promise<void>;
  /** Frees what `prepare` made (untimed). */
  dispose(): void;
}

export interface TrialResult {
  /** ‖w‖₂ of the final weights: the sanity check that every contender did the same work. */
  readonly l2Norm: number;
  /** `matmul` mode: ms of the product alone, without the read (for GFLOP/s). */
  readonly opMs?: number;
  /** A contender in another process: the run's time by its own clock (see `measure`'s `ownMs`). */
  readonly ownMs?: number;
}

/** A `--contender` name that matches no contender (a usage error: exit status 2). */
export class UnknownContenderError extends Error {
  override readonly name = "UnknownContenderError";
}

/**
 * Every contender, wdecay backends first (see `WDECAY_BACKENDS` to add one), or only those
 * named in `only` and the reference; a name that matches none is an error.
 */
export async function createContenders(only?: readonly string[]): Promise<Contender[]> {
  const wanted = (name: string) => only === undefined || name === REFERENCE || only.includes(name);
  const known = [
    ...WDECAY_BACKENDS.map((b) => b.name),
    REFERENCE,
    "native-c",
    "tfjs-cpu",
    "tfjs-wasm",
  ];
  const unknown = only?.find((name) => !known.includes(name));
  if (unknown !== undefined) {
    throw new UnknownContenderError(
      `unknown contender '${unknown}' (choose from ${known.join(", ")})`,
    );
  }
  const native = wanted("native-c") ? await nativeC() : undefined;
  return [
    ...(await wdecayContenders(WDECAY_BACKENDS.filter((b) => wanted(b.name)))),
    handWritten(),
    ...(native ? [native] : []),
    ...(wanted("tfjs-cpu") ? [await tfjsCpu()] : []),
    ...(wanted("tfjs-wasm") ? [await tfjsWasm()] : []),
  ];
}
