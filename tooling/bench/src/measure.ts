/**
 * Timing and its statistics. The machine is shared and noisy, so contenders are interleaved:
 * every repetition runs each of them once (rotating who goes first), and a burst of noise
 * lands on all of them rather than on whichever happened to be running. The median is the
 * figure to read; min and max show the spread.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Median, min and max of a sample, in its unit. */
export interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Median (mean of the two middle values for an even count), min and max. */
export function summarize(samples: readonly number[]): Stats {
  if (samples.length === 0) throw new RangeError("summarize: no samples");
  if (!samples.every(Number.isFinite)) throw new RangeError("summarize: a sample is not finite");
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
}

/** Something to time: `run` is called warm-up + runs times and must not change between calls. */
export interface Timed<R> {
  readonly name: string;
  run(): Promise<R>;
  /** Untimed, right before each run (e.g. selecting tfjs' active backend). */
  before?(): Promise<void>;
}

/** What one contender's repetitions gave. */
export interface Measurement<R> {
  readonly name: string;
  /** Milliseconds of each timed run, in order. */
  readonly samples: number[];
  readonly stats: Stats;
  /** The result of the last run. */
  readonly result: R;
  /** The results of the timed runs, in order (beside `samples`). */
  readonly results: R[];
  /** Every run, warm-ups included, returned an equal result (see `same`). */
  readonly repeatable: boolean;
}

export interface MeasureOptions<R> {
  readonly warmup: number;
  /**
   * After the `warmup` repetitions, a contender that has spent less than this many ms in its
   * warm-up runs keeps running alone, untimed, until it has (0: no minimum). A count alone does
   * not warm a run of a fraction of a millisecond: the chapter on wasm takes about 100 runs
   * (40 ms) before V8 has optimized the code around its kernels, and 5 warm-ups left the timed
   * runs at 1.5–2× their steady time.
   */
  readonly warmupMs?: number;
  readonly runs: number;
  /**
   * Force a full garbage collection before every run (off by default). It keeps one contender's
   * garbage (tfjs makes plenty) off another's clock, but it also costs the next run a re-warm:
   * measured here, the 64-λ grid took 42–61 ms after a forced collection against 16 ms without.
   */
  readonly forceGc?: boolean;
  /**
   * A contender that runs in another process times itself: its own clock leaves out the pipe
   * round trip, which is not the work (and is as long as the whole chapter run in C). Where this
   * gives a number for a result, that number is the run's time.
   */
  readonly ownMs?: (result: R) => number | undefined;
  /** Whether two runs' results count as the same (repeatability check). */
  readonly same: (a: R, b: R) => boolean;
  /** Called after each repetition with its times in ms (name → ms). */
  readonly onRepetition?: (
    rep: number,
    warmup: boolean,
    times: ReadonlyMap<string, number>,
  ) => void;
}

/**
 * Without --expose-gc there is no `gc`; V8 still lets a running process switch the flag on,
 * and a fresh context then carries the function. Made on first use: only `forceGc` needs it.
 */
const garbageCollector = (): (() => void) => {
  try {
    setFlagsFromString("--expose-gc");
    const gc: unknown = runInNewContext("gc");
    if (typeof gc === "function") return gc as () => void;
  } catch {
    // Fall through: timing without forced collections is still valid, only noisier.
  }
  return () => {};
};

/** Runs every entry round-robin, `warmup` untimed then `runs` timed repetitions. */
export async function measure<R>(
  entries: readonly Timed<R>[],
  options: MeasureOptions<R>,
): Promise<Measurement<R>[]> {
  const { warmup, runs } = options;
  const collectGarbage = options.forceGc ? garbageCollector() : () => {};
  if (!(Number.isInteger(warmup) && warmup >= 0)) throw new RangeError(`bad warm-up ${warmup}`);
  if (!(Number.isInteger(runs) && runs >= 1)) throw new RangeError(`bad run count ${runs}`);
  const samples = entries.map(() => [] as number[]);
  const results = entries.map(() => [] as R[]);
  const first: (R | undefined)[] = entries.map(() => undefined);
  const last: (R | undefined)[] = entries.map(() => undefined);
  const repeatable = entries.map(() => true);
  const warmedMs = entries.map(() => 0);
  const runOnce = async (i: number): Promise<{ result: R; ms: number }> => {
    const entry = entries[i] as Timed<R>;
    await entry.before?.();
    collectGarbage();
    const start = performance.now();
    const result = await entry.run();
    const elapsed = performance.now() - start;
    const before = first[i];
    if (before === undefined) first[i] = result;
    else if (!options.same(before, result)) repeatable[i] = false;
    last[i] = result;
    return { result, ms: options.ownMs?.(result) ?? elapsed };
  };
  for (let rep = 0; rep < warmup + runs; rep++) {
    const isWarmup = rep < warmup;
    if (rep === warmup) {
      for (let i = 0; i < entries.length; i++) {
        while ((warmedMs[i] as number) < (options.warmupMs ?? 0)) {
          warmedMs[i] = (warmedMs[i] as number) + (await runOnce(i)).ms;
        }
      }
    }
    const times = new Map<string, number>();
    for (let k = 0; k < entries.length; k++) {
      // Rotate the starting contender so none always runs right after the same neighbour.
      const i = (rep + k) % entries.length;
      const { result, ms } = await runOnce(i);
      times.set((entries[i] as Timed<R>).name, ms);
      if (isWarmup) warmedMs[i] = (warmedMs[i] as number) + ms;
      else {
        samples[i]?.push(ms);
        results[i]?.push(result);
      }
    }
    options.onRepetition?.(rep, isWarmup, times);
  }
  return entries.map((entry, i) => ({
    name: entry.name,
    samples: samples[i] as number[],
    stats: summarize(samples[i] as number[]),
    result: last[i] as R,
    results: results[i] as R[],
    repeatable: repeatable[i] as boolean,
  }));
}
