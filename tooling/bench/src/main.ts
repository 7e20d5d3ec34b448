/**
 * `pnpm bench`: times every contender on every selected workload in one process and prints a
 * markdown table per workload (or one JSON object with --json). Progress goes to stderr so
 * stdout stays clean for pipes.
 */
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Contender, Trial, TrialResult } from "./contenders/index.js";
import { measure, summarize } from "./measure.js";
import {
  type BenchReport,
  benchFile,
  type ContenderResult,
  GOAL,
  GRID_GOAL,
  machineInfo,
  reportMarkdown,
  TOLERANCE,
  WASM_GOAL,
  type WorkloadResult,
} from "./report.js";
import {
  describeWorkload,
  matmulFlops,
  prepareWorkload,
  WORKLOAD_NAMES,
  WORKLOADS,
  type WorkloadName,
} from "./workloads.js";

const PNPM = "npx -y pnpm@10.34.9";

/**
 * Each contender's least warm-up time per workload (`--warmup-ms`): enough for V8 to optimize
 * a sub-millisecond run (measure.ts); the slow contenders' counted warm-ups already take longer.
 */
const WARMUP_MS = 250;

const USAGE = `usage: ${PNPM} bench [options]
  --workload NAME   ${WORKLOAD_NAMES.join(" | ")} | tabular | mlp | logistic; repeat it or give a
                    comma list (default: all; tabular times fit, path and select on a
                    100,000 × 50 CSV; mlp trains a 784 → 256 → 10 network and logistic a
                    784 → 10 softmax regression against tfjs and jax-js)
  --runs N          timed runs per contender (default: per workload, ${WORKLOAD_NAMES.map((n) => `${n} ${WORKLOADS[n].runs}`).join(", ")})
  --warmup N        untimed warm-up runs first (default: ${WORKLOAD_NAMES.map((n) => `${n} ${WORKLOADS[n].warmup}`).join(", ")})
  --warmup-ms MS    then more, alone, until each contender has warmed up this long (default
                    ${WARMUP_MS}; 0: the count alone)
  --contender LIST  only these contenders (comma list of names as the tables print them, e.g.
                    wasm,wasm-1t; the hand-written reference always runs)
  --gc              force a garbage collection before every timed run (off: it slows the
                    next run's JIT-compiled code, see BENCH.md)
  --json            print one JSON object on stdout instead of markdown
  --write FILE      also write the markdown report with the machine it ran on (e.g. BENCH.md)
  -h, --help        this text`;

/** A bad command line: reported in one line, exit status 2. */
class UsageError extends Error {}

interface CliOptions {
  readonly workloads: readonly WorkloadName[];
  /** Whether to run the toolkit workload (see tabular.ts) after the contenders'. */
  readonly tabular: boolean;
  /** Whether to run the network workloads (see mlp.ts) after those. */
  readonly mlp: boolean;
  readonly logistic: boolean;
  readonly json: boolean;
  readonly gc: boolean;
  readonly runs: number | undefined;
  readonly warmup: number | undefined;
  readonly warmupMs: number;
  readonly write: string | undefined;
  /** Only these contenders (undefined: all). */
  readonly contenders: readonly string[] | undefined;
  readonly help: boolean;
}

function count(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${flag} must be an integer ≥ ${min}, got '${value}'`);
  }
  return n;
}

const FLAGS = {
  workload: { type: "string", multiple: true },
  contender: { type: "string", multiple: true },
  json: { type: "boolean" },
  gc: { type: "boolean" },
  runs: { type: "string" },
  warmup: { type: "string" },
  "warmup-ms": { type: "string" },
  write: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Parses the command line; throws {@link UsageError} on anything it does not understand. */
export function parseCli(argv: readonly string[]): CliOptions {
  // `pnpm bench -- --json` may hand the separator through; it means nothing here.
  const args = argv[0] === "--" ? argv.slice(1) : [...argv];
  let values: ReturnType<typeof parseArgs<{ options: typeof FLAGS }>>["values"];
  try {
    ({ values } = parseArgs({ args, options: FLAGS, strict: true, allowPositionals: false }));
  } catch (error) {
    // Node's messages can run on with advice about positionals; the first sentence is the point.
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError((message.split(/\. |\n/)[0] ?? message).replace(/\.$/, ""));
  }
  const workloads: WorkloadName[] = [];
  let tabular = false;
  let mlp = false;
  let logistic = false;
  for (const name of (values.workload ?? []).flatMap((v) => v.split(","))) {
    const trimmed = name.trim();
    if (trimmed === "mlp") {
      mlp = true;
      continue;
    }
    if (trimmed === "logistic") {
      logistic = true;
      continue;
    }
    if (trimmed === "tabular") {
      tabular = true;
      continue;
    }
    if (!(WORKLOAD_NAMES as readonly string[]).includes(trimmed)) {
      throw new UsageError(
        `unknown workload '${trimmed}' (choose from ${WORKLOAD_NAMES.join(", ")}, tabular, mlp, logistic)`,
      );
    }
    if (!workloads.includes(trimmed as WorkloadName)) workloads.push(trimmed as WorkloadName);
  }
  if (values.write === "") throw new UsageError("--write needs a file name");
  const none = workloads.length === 0 && !tabular && !mlp && !logistic;
  return {
    workloads: none ? [...WORKLOAD_NAMES] : workloads,
    tabular: none || tabular,
    mlp: none || mlp,
    logistic: none || logistic,
    json: values.json ?? false,
    gc: values.gc ?? false,
    runs: count("runs", values.runs, 1),
    warmup: count("warmup", values.warmup, 0),
    warmupMs: count("warmup-ms", values["warmup-ms"], 0) ?? WARMUP_MS,
    write: values.write,
    contenders: values.contender?.flatMap((v) => v.split(",").map((c) => c.trim())),
    help: values.help ?? false,
  };
}

function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function relativeDiff(x: number, reference: number): number {
  if (x === reference) return 0;
  return Math.abs(x - reference) / Math.abs(reference);
}

async function run(argv: readonly string[], options: CliOptions): Promise<number> {
  const tabular = async () => {
    const sections: string[] = [];
    if (options.tabular) {
      const { runTabular } = await import("./tabular.js");
      sections.push(runTabular(progress, options.runs));
    }
    if (options.mlp || options.logistic) {
      const { LOGISTIC, MLP, runMlp } = await import("./mlp.js");
      const only = options.contenders;
      if (options.mlp) sections.push(await runMlp(progress, options.runs, MLP, only));
      if (options.logistic) sections.push(await runMlp(progress, options.runs, LOGISTIC, only));
    }
    return sections.length > 0 ? sections.join("\n") : undefined;
  };
  if (options.workloads.length === 0) {
    const section = (await tabular()) as string;
    process.stdout.write(
      options.json ? `${JSON.stringify({ tabular: section })}\n` : `${section}\n`,
    );
    return 0;
  }
  const started = performance.now();
  // Loaded only now, so that --help and a bad flag answer at once, without starting tfjs.
  const { createContenders, REFERENCE } = await import("./contenders/index.js");
  const { TFJS_VERSIONS } = await import("./contenders/tfjs-cpu.js");
  const { TFJS_WASM_VERSIONS } = await import("./contenders/tfjs-wasm.js");
  const { nativeCompiler } = await import("./contenders/native-c.js");
  const compiler = nativeCompiler();
  const machine = machineInfo({
    ...TFJS_VERSIONS,
    ...TFJS_WASM_VERSIONS,
    ...(compiler ? { "C compiler": compiler } : {}),
    "wasm threads": String((await import("@wdecay/backend-wasm")).threadSupport().threads),
  });
  const contenders = await createContenders(options.contenders);
  const workloads: WorkloadResult[] = [];
  try {
    for (const name of options.workloads) {
      const workload = WORKLOADS[name];
      const warmup = options.warmup ?? workload.warmup;
      const runs = options.runs ?? workload.runs;
      progress(`[${name}] drawing data (${describeWorkload(workload)})`);
      const prepared = prepareWorkload(workload);
      const trials: { name: string; contender: Contender; trial: Trial }[] = [];
      try {
        for (const c of contenders) {
          const trial = await c.prepare(prepared);
          if (trial) trials.push({ name: c.name, contender: c, trial });
        }
        const measured = await measure(
          trials.map(({ name, trial }) => ({
            name,
            run: () => trial.run(),
            ...(trial.before ? { before: () => (trial.before as () => Promise<void>)() } : {}),
          })),
          {
            warmup,
            warmupMs: options.warmupMs,
            runs,
            forceGc: options.gc,
            same: (a: TrialResult, b: TrialResult) => Object.is(a.l2Norm, b.l2Norm),
            ownMs: (r: TrialResult) => r.ownMs,
            onRepetition: (rep, isWarmup, times) => {
              const label = isWarmup
                ? `warm-up ${rep + 1}/${warmup}`
                : `run ${rep - warmup + 1}/${runs}`;
              const parts = [...times].map(([n, t]) => `${n} ${t.toFixed(1)} ms`);
              progress(`[${name}] ${label}: ${parts.join(" · ")}`);
            },
          },
        );
        const reference = measured.find((m) => m.name === REFERENCE);
        if (!reference) throw new Error(`no ${REFERENCE} contender to compare with`);
        const results: ContenderResult[] = measured.map((m, i) => {
          const contender = trials[i]?.contender;
          if (!contender) throw new Error("contender list changed while measuring");
          const l2RelDiff = relativeDiff(m.result.l2Norm, reference.result.l2Norm);
          const opMs = m.results.map((r) => r.opMs);
          const op = opMs.every((x): x is number => x !== undefined)
            ? summarize(opMs).median
            : undefined;
          return {
            name: m.name,
            group: contender.group,
            precision: contender.precision,
            samplesMs: m.samples,
            medianMs: m.stats.median,
            minMs: m.stats.min,
            maxMs: m.stats.max,
            ratioToReference: m.stats.median / reference.stats.median,
            l2Norm: m.result.l2Norm,
            l2RelDiff,
            agrees: l2RelDiff <= TOLERANCE[contender.precision],
            repeatable: m.repeatable,
            ...(op !== undefined && workload.mode === "matmul"
              ? { opMedianMs: op, gflops: matmulFlops(workload) / (op * 1e6) }
              : {}),
          };
        });
        workloads.push({
          workload,
          description: describeWorkload(workload),
          warmup,
          warmupMs: options.warmupMs,
          runs,
          results,
        });
      } finally {
        for (const { trial } of trials) trial.dispose();
      }
    }
  } finally {
    for (const c of contenders) await c.close();
  }

  const report: BenchReport = {
    command: [`${PNPM} bench`, ...argv].join(" "),
    reference: REFERENCE,
    goal: GOAL,
    gridGoal: GRID_GOAL,
    wasmGoal: WASM_GOAL,
    tolerance: TOLERANCE,
    machine,
    workloads,
    totalSeconds: (performance.now() - started) / 1000,
  };
  const section = await tabular();
  process.stdout.write(
    options.json
      ? `${JSON.stringify(section === undefined ? report : { ...report, tabular: section }, null, 2)}\n`
      : `${reportMarkdown(report)}\n${section === undefined ? "" : `\n${section}\n`}`,
  );
  if (options.write !== undefined) {
    // Resolved against where the user typed the command (pnpm runs scripts from the root).
    const file = resolve(process.env.INIT_CWD ?? process.cwd(), options.write);
    const previous = await readFile(file, "utf8").catch(() => undefined);
    await writeFile(file, benchFile(report, previous));
    progress(`wrote ${file}`);
  }
  const disagreeing = workloads.flatMap((w) =>
    w.results.filter((r) => !r.agrees).map((r) => `${w.workload.name}/${r.name}`),
  );
  if (disagreeing.length > 0) {
    progress(`bench: final ‖w‖ disagrees with ${REFERENCE}: ${disagreeing.join(", ")}`);
    return 1;
  }
  return 0;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let options: CliOptions;
  try {
    options = parseCli(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bench: ${error.message} (see --help)\n`);
    process.exitCode = 2;
    return;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  try {
    process.exitCode = await run(argv, options);
  } catch (error) {
    // A --contender that names nothing is known only once the contenders' modules are loaded.
    if (!(error instanceof Error && error.name === "UnknownContenderError")) throw error;
    process.stderr.write(`bench: ${error.message} (see --help)\n`);
    process.exitCode = 2;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
