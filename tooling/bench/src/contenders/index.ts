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
import { wdecayContenders } from "./wdecay.js";

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

/** Every contender, wdecay backends first; see `WDECAY_BACKENDS` to add one. */
export async function createContenders(): Promise<Contender[]> {
  const native = await nativeC();
  return [
    ...(await wdecayContenders()),
    handWritten(),
    ...(native ? [native] : []),
    await tfjsCpu(),
    await tfjsWasm(),
  ];
}
