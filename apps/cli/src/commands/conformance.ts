/**
 * `wdecay conformance`: the property-based suite of @wdecay/conformance on one registered
 * backend, or on every one, each compared with the registry's float64 `cpu` backend. Every
 * failure is printed with the command that replays exactly it (its seed and fast-check path).
 */
import {
  ALL_PROPERTIES,
  type BackendReport,
  DEFAULT_NUM_RUNS,
  type PropertyResult,
  randomSeed,
  runConformance,
} from "@wdecay/conformance";
import type { Backend, Registry } from "@wdecay/core";
import type { Command } from "commander";
import { type CliContext, println } from "../context.js";
import { RuntimeError, UsageError } from "../errors.js";
import { parseCheckSeed, parseNumRuns, parseReplayPath } from "../options.js";
import { finiteOrNull } from "../render/numbers.js";
import { createProgress } from "../render/progress.js";
import { table } from "../render/table.js";
import { checkBackendName, selectBackend } from "../select-backend.js";

/** The --backend value that means every registered backend. */
export const ALL_BACKENDS = "all";
/** The registry name of the float64 reference every backend is compared with. */
export const REFERENCE_BACKEND = "cpu";
/** The widest a line of the table may be. */
const MAX_WIDTH = 120;
/** The most of a counterexample the human output shows (--json has it whole). */
const MAX_COUNTEREXAMPLE = 400;
/** The most of a failure message the human output shows. */
const MAX_FAILURE = 400;

/** Property ids in suite order. */
const PROPERTY_IDS: readonly string[] = ALL_PROPERTIES.map((p) => p.id);

interface ConformanceFlags {
  readonly backend: string;
  readonly numRuns: number;
  readonly seed?: number;
  readonly property?: string[];
  readonly replay?: string;
  readonly json?: boolean;
}

/** One backend's outcome: its report, or why it did not start. */
type Outcome =
  | { readonly name: string; readonly report: BackendReport }
  | {
      readonly name: string;
      readonly reason: string;
      /** "start": could not start here (not run); "suite": started but the suite broke. */
      readonly stage: "start" | "suite";
    };

/** --property, repeatable and comma-separated: accumulates known ids, rejecting the rest. */
export function collectPropertyIds(value: string, previous: string[] | undefined): string[] {
  const ids = value.split(",").map((id) => id.trim());
  if (ids.some((id) => id === "")) {
    throw new UsageError(
      `--property must be a property id or a comma-separated list of them (got ${JSON.stringify(value)})`,
    );
  }
  for (const id of ids) {
    if (!PROPERTY_IDS.includes(id)) {
      throw new UsageError(
        `--property ${JSON.stringify(id)} is not a property of the suite (ids: ${PROPERTY_IDS.join(", ")})`,
      );
    }
  }
  return [...(previous ?? []), ...ids];
}

/** The ids wrapped for the help text. */
function idList(indent: string, width: number): string {
  const lines: string[] = [];
  let line = "";
  for (const id of PROPERTY_IDS) {
    if (line !== "" && indent.length + line.length + 1 + id.length > width) {
      lines.push(indent + line);
      line = "";
    }
    line = line === "" ? id : `${line} ${id}`;
  }
  if (line !== "") lines.push(indent + line);
  return lines.join("\n");
}

export function registerConformance(program: Command, ctx: CliContext): Command {
  return program
    .command("conformance")
    .description(
      "Run the property-based conformance suite (@wdecay/conformance) on a registered backend, " +
        `or on every one: each property draws random inputs from a seed and compares the ` +
        `backend with the float64 \`${REFERENCE_BACKEND}\` backend, closed forms and the ` +
        "identities of IDENTITIES.md, within tolerances derived from the backend's precision. " +
        "Each failure is shown with its shrunk counterexample and the command that replays " +
        "exactly it. Exits 0 when every property passed on every backend, 1 otherwise.",
    )
    .option(
      "--backend <name>",
      `backend to check, or "${ALL_BACKENDS}" for every registered one that starts here (see \`wdecay backends\`)`,
      ALL_BACKENDS,
    )
    .option(
      "--num-runs <n>",
      "random inputs per property (costly properties get proportionally fewer)",
      parseNumRuns,
      DEFAULT_NUM_RUNS,
    )
    .option(
      "--seed <n>",
      "fast-check seed, 0 to 2147483647 (default: random, printed)",
      parseCheckSeed,
    )
    .option(
      "--property <ids>",
      "only these properties: an id, a comma-separated list, or the flag repeated (default: all)",
      collectPropertyIds,
    )
    .option(
      "--replay <path>",
      "replay one failure: the path it reported (needs --seed and one --property)",
      parseReplayPath,
    )
    .option("--json", "print one JSON object on stdout instead of the report")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  wdecay conformance                           every backend, a random seed\n" +
        "  wdecay conformance --backend cpu-f32 --seed 7 --num-runs 100\n" +
        "  wdecay conformance --property op-matmul,id-21 --json\n" +
        "  wdecay conformance --backend cpu-f32 --property op-sum --seed 7 --replay 3:0:1\n" +
        "                                               replay one reported failure\n" +
        `\nProperties (${PROPERTY_IDS.length}):\n${idList("  ", 80)}`,
    )
    .action((flags: ConformanceFlags) => runConformanceCommand(flags, ctx));
}

/** The float64 reference, or a runtime error saying why there is none. */
async function startReference(registry: Registry): Promise<Backend> {
  const name = REFERENCE_BACKEND;
  if (!registry.has(name)) {
    throw new RuntimeError(
      `the reference backend "${name}" is not registered; conformance compares every backend with it`,
    );
  }
  let reference: Backend;
  try {
    reference = await registry.get(name);
  } catch (error) {
    throw new RuntimeError(`the reference backend "${name}" could not start: ${reasonOf(error)}`, {
      cause: error,
    });
  }
  if (reference.precision !== "float64") {
    throw new RuntimeError(
      `the reference backend "${name}" must be float64, but it is ${reference.precision}`,
    );
  }
  return reference;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The command line that reproduces exactly this failure. */
export function replayCommand(
  backend: string,
  result: PropertyResult,
  seed: number,
  numRuns: number,
): string {
  const parts = ["pnpm wdecay conformance", "--backend", backend, "--property", result.id];
  parts.push("--seed", String(result.replay?.seed ?? seed));
  // A path picks the failing input itself, whatever the run count; without one (a leak found
  // after the runs) the same runs must be made again.
  if (result.replay?.path) parts.push("--replay", result.replay.path);
  else if (numRuns !== DEFAULT_NUM_RUNS) parts.push("--num-runs", String(numRuns));
  return parts.join(" ");
}

async function runConformanceCommand(flags: ConformanceFlags, ctx: CliContext): Promise<void> {
  const only = flags.property ? [...new Set(flags.property)] : undefined;
  if (flags.replay !== undefined) {
    if (flags.seed === undefined) {
      throw new UsageError("--replay needs --seed: the seed of the failure it replays");
    }
    if (only?.length !== 1) {
      throw new UsageError(
        "--replay needs exactly one --property: the one whose failure it replays",
      );
    }
  }
  const everyBackend = flags.backend === ALL_BACKENDS;
  if (!everyBackend) checkBackendName(ctx.registry, flags.backend);
  const reference = await startReference(ctx.registry);
  const names = everyBackend ? ctx.registry.names() : [flags.backend];
  const seed = flags.seed ?? randomSeed();
  const total = only?.length ?? PROPERTY_IDS.length;

  const outcomes: Outcome[] = [];
  for (const name of names) {
    const outcome = await checkBackend(name, everyBackend, flags, ctx, {
      reference,
      seed,
      total,
      ...(only ? { only } : {}),
    });
    outcomes.push(outcome);
    if (!flags.json) printOutcome(outcome, total, flags, ctx, outcomes.length > 1);
  }

  if (flags.json) {
    const json = outcomes.map((o) => outcomeJson(o, seed, flags.numRuns));
    println(ctx.stdout, JSON.stringify({ results: json }));
  }

  // Among all backends, one that cannot start here (no GPU, no SIMD) is reported and not run:
  // that says nothing about its correctness. One that could not run the suite did fail.
  const failed = outcomes.filter((o) => ("report" in o ? !o.report.passed : o.stage === "suite"));
  if (failed.length > 0) {
    const what = failed.map((o) =>
      "report" in o
        ? `${o.name} (${o.report.properties.filter((p) => !p.passed).length} of ${o.report.properties.length} properties failed)`
        : `${o.name} (the suite could not run)`,
    );
    throw new RuntimeError(`conformance failed: ${what.join(", ")}`);
  }
}

/** Starts one backend and runs the suite on it, with progress on stderr. */
async function checkBackend(
  name: string,
  everyBackend: boolean,
  flags: ConformanceFlags,
  ctx: CliContext,
  run: { reference: Backend; seed: number; total: number; only?: string[] },
): Promise<Outcome> {
  let backend: Backend;
  try {
    // A named backend that cannot start is the command's failure, as in the other commands;
    // among all of them, it is one failed backend.
    backend = everyBackend ? await ctx.registry.get(name) : await selectBackend(ctx.registry, name);
  } catch (error) {
    if (!everyBackend) throw error;
    const reason = `could not start: ${reasonOf(error)}`;
    if (!ctx.isTTY && !flags.json) println(ctx.stderr, `${name}: ${reason}`);
    return { name, reason, stage: "start" };
  }

  const bar = createProgress(run.total, ctx.isTTY && !flags.json, ctx.progressStream);
  const lineProgress = !ctx.isTTY && !flags.json;
  let done = 0;
  const onResult = (result: PropertyResult) => {
    done += 1;
    bar.update(done, `${name}: ${result.id}`);
    if (lineProgress) {
      const verdict = result.passed ? "pass" : "FAIL";
      println(ctx.stderr, `${name} [${done}/${run.total}] ${result.id}: ${verdict}`);
    }
  };
  try {
    const report = await runConformance(backend, {
      reference: run.reference,
      numRuns: flags.numRuns,
      seed: run.seed,
      onResult,
      ...(run.only ? { only: run.only } : {}),
      ...(flags.replay !== undefined ? { path: flags.replay } : {}),
    });
    return { name, report };
  } catch (error) {
    const reason = `the suite could not run: ${reasonOf(error)}`;
    if (!everyBackend) throw new RuntimeError(`backend "${name}": ${reason}`, { cause: error });
    return { name, reason, stage: "suite" };
  } finally {
    bar.stop();
  }
}

function outcomeJson(outcome: Outcome, seed: number, numRuns: number) {
  if (!("report" in outcome)) {
    return {
      backend: outcome.name,
      precision: null,
      seed,
      numRuns,
      // Not run is neither a pass nor a failure.
      passed: outcome.stage === "start" ? null : false,
      reason: outcome.reason,
      properties: [],
    };
  }
  const { report } = outcome;
  return {
    backend: outcome.name,
    precision: report.precision,
    seed: report.seed,
    numRuns: report.numRuns,
    passed: report.passed,
    reason: null,
    properties: report.properties.map((p) => ({
      id: p.id,
      name: p.name,
      source: p.source,
      passed: p.passed,
      runs: p.runs,
      maxError: finiteOrNull(p.maxError),
      tolerance: finiteOrNull(p.tolerance),
      counterexample: p.counterexample,
      failure: p.failure,
      replay: p.replay,
      replayCommand: p.passed ? null : replayCommand(outcome.name, p, report.seed, report.numRuns),
    })),
  };
}

/** An error or tolerance for people: 3 significant digits, 0 as 0. */
export function formatError(x: number): string {
  if (x === 0) return "0";
  return Number.isFinite(x) ? x.toExponential(2) : String(x);
}

/** Cuts text to `max` characters, marking the cut. */
function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** A long machine-made text on one line, cut with a note on where to find it whole. */
function excerpt(text: string, max: number): string {
  const flat = text.replace(/\s*\n\s*/g, " ");
  return flat.length <= max
    ? flat
    : `${flat.slice(0, max)}… (${flat.length} characters; --json prints it whole)`;
}

/** The table of one backend's results, its name column cut to keep lines ≤ MAX_WIDTH. */
function resultTable(properties: readonly PropertyResult[]): string[] {
  const columns = [
    { header: "property" },
    { header: "name" },
    { header: "runs", align: "right" },
    { header: "max error", align: "right" },
    { header: "tolerance", align: "right" },
    { header: "result" },
  ] as const;
  const cells = properties.map((p) => [
    p.id,
    p.name,
    String(p.runs),
    formatError(p.maxError),
    formatError(p.tolerance),
    p.passed ? "pass" : "FAIL",
  ]);
  const widthOf = (i: number) =>
    Math.max(columns[i]?.header.length ?? 0, ...cells.map((row) => row[i]?.length ?? 0));
  const others = [0, 2, 3, 4, 5].reduce((sum, i) => sum + widthOf(i), 0);
  const nameWidth = Math.max(16, MAX_WIDTH - others - 2 * (columns.length - 1));
  for (const row of cells) row[1] = truncate(row[1] as string, nameWidth);
  return table(columns, cells);
}

function printOutcome(
  outcome: Outcome,
  total: number,
  flags: ConformanceFlags,
  ctx: CliContext,
  separate: boolean,
): void {
  const out = (line = "") => println(ctx.stdout, line);
  if (separate) out();
  if (!("report" in outcome)) {
    out(
      outcome.stage === "start"
        ? `${outcome.name}: not run, ${outcome.reason}`
        : `${outcome.name}: FAIL, ${outcome.reason} (0/${total} properties passed)`,
    );
    return;
  }
  const { name, report } = outcome;
  const runs =
    flags.replay !== undefined
      ? `replaying path ${flags.replay}`
      : `${report.numRuns} runs per property (fewer for costly ones)`;
  out(`Conformance of ${name} (${report.precision}) against ${REFERENCE_BACKEND} (float64)`);
  out(`seed ${report.seed}, ${runs}`);
  out();
  for (const line of resultTable(report.properties)) out(line);
  const failures = report.properties.filter((p) => !p.passed);
  for (const p of failures) {
    out();
    out(`FAIL ${p.id}: ${p.name} (${p.source})`);
    out(`  failure: ${excerpt(p.failure ?? "property failed", MAX_FAILURE)}`);
    if (p.counterexample !== null) {
      out(`  counterexample: ${excerpt(p.counterexample, MAX_COUNTEREXAMPLE)}`);
    }
    out(`  replay: ${replayCommand(name, p, report.seed, report.numRuns)}`);
  }
  out();
  const passed = report.properties.length - failures.length;
  out(`${name}: ${passed}/${report.properties.length} properties passed`);
}
