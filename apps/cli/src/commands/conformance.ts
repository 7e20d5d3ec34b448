/**
 * `wdecay conformance`: the property-based suite of @wdecay/conformance on one registered
 * backend, or on every one, each compared with the registry's float64 `cpu` backend. Every
 * failure is printed with the command that replays exactly it (its seed and fast-check path).
 */

import { readFileSync } from "node:fs";
import {
  ALL_PROPERTIES,
  type BackendReport,
  checkExpectations,
  DEEP_FACTOR,
  DEFAULT_NUM_RUNS,
  type Expectations,
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
  readonly numRuns?: number;
  readonly deep?: boolean;
  readonly expectations?: Expectations;
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

/** --expectations FILE: read, parsed and checked against the suite, or a usage error. */
export function parseExpectations(file: string): Expectations {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(`--expectations ${file}: cannot read it (${reasonOf(error)})`);
  }
  let parsed: Expectations;
  try {
    parsed = JSON.parse(text) as Expectations;
  } catch (error) {
    throw new UsageError(`--expectations ${file}: not JSON (${reasonOf(error)})`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new UsageError(`--expectations ${file}: must be an object with "skip" and "xfail"`);
  }
  const extra = Object.keys(parsed).filter((k) => k !== "skip" && k !== "xfail");
  if (extra.length > 0) {
    throw new UsageError(`--expectations ${file}: unknown key "${extra[0]}" (keys: skip, xfail)`);
  }
  try {
    checkExpectations(parsed);
  } catch (error) {
    throw new UsageError(`--expectations ${file}: ${reasonOf(error)}`);
  }
  return parsed;
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
      `random inputs per property, costly properties get proportionally fewer (default ${DEFAULT_NUM_RUNS}, ${DEFAULT_NUM_RUNS * DEEP_FACTOR} with --deep)`,
      parseNumRuns,
    )
    .option("--deep", `${DEEP_FACTOR}× the default runs: a nightly soak, not a CI gate`)
    .option(
      "--expectations <file>",
      'a JSON file of properties this backend skips or is known to fail, each with its reason: {"skip": {"ID": "why"}, "xfail": {"ID": "why"}}',
      parseExpectations,
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
        "  wdecay --import ./my-backend.js conformance --backend mine --expectations known.json\n" +
        "                                               a backend of your own, with its known gaps\n" +
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

/**
 * The command line that reproduces exactly this failure, as the user ran the command (`wdecay`
 * or `pnpm wdecay`, with the `--import` modules that registered the backend).
 */
export function replayCommand(
  invocation: string,
  backend: string,
  result: PropertyResult,
  seed: number,
  numRuns: number,
): string {
  const parts = [`${invocation} conformance`, "--backend", backend, "--property", result.id];
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
  const numRuns = flags.numRuns ?? DEFAULT_NUM_RUNS * (flags.deep ? DEEP_FACTOR : 1);
  const total = only?.length ?? PROPERTY_IDS.length;

  const outcomes: Outcome[] = [];
  for (const name of names) {
    const outcome = await checkBackend(name, everyBackend, flags, ctx, {
      reference,
      seed,
      numRuns,
      total,
      ...(only ? { only } : {}),
    });
    outcomes.push(outcome);
    if (!flags.json) printOutcome(outcome, total, flags, ctx, outcomes.length > 1);
  }

  if (flags.json) {
    const json = outcomes.map((o) => outcomeJson(o, seed, numRuns, ctx.invocation));
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
  run: { reference: Backend; seed: number; numRuns: number; total: number; only?: string[] },
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
      another: () => ctx.registry.startNew(name),
      numRuns: run.numRuns,
      seed: run.seed,
      ...(flags.expectations ? { expectations: flags.expectations } : {}),
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

function outcomeJson(outcome: Outcome, seed: number, numRuns: number, invocation: string) {
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
      ratio: finiteOrNull(errorRatio(p)),
      counterexample: p.counterexample,
      failure: p.failure,
      replay: p.replay,
      status: p.status,
      reason: p.reason,
      replayCommand:
        p.status === "failed"
          ? replayCommand(invocation, outcome.name, p, report.seed, report.numRuns)
          : null,
    })),
  };
}

/** max error / tolerance: how close to its tolerance the property came (≤ 1 passes). */
export function errorRatio(p: PropertyResult): number {
  if (p.maxError === 0) return 0;
  return p.tolerance > 0 ? p.maxError / p.tolerance : Number.POSITIVE_INFINITY;
}

/** Above this on the float64 reference itself, a property's tolerance is flagged as too tight. */
export const REFERENCE_FLAG = 0.5;

function formatRatio(r: number): string {
  if (r === 0) return "0";
  return Number.isFinite(r) ? r.toFixed(3) : "∞";
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

/** The result column: a failure in capitals, as is an expected failure that passed. */
const RESULT: Record<PropertyResult["status"], string> = {
  passed: "pass",
  failed: "FAIL",
  skipped: "skip",
  xfail: "xfail",
  xpass: "XPASS",
};

/** The table of one backend's results, its name column cut to keep lines ≤ MAX_WIDTH. */
function resultTable(properties: readonly PropertyResult[]): string[] {
  const columns = [
    { header: "property" },
    { header: "name" },
    { header: "runs", align: "right" },
    { header: "max error", align: "right" },
    { header: "tolerance", align: "right" },
    { header: "ratio", align: "right" },
    { header: "result" },
  ] as const;
  const cells = properties.map((p) => [
    p.id,
    p.name,
    String(p.runs),
    formatError(p.maxError),
    formatError(p.tolerance),
    formatRatio(errorRatio(p)),
    RESULT[p.status],
  ]);
  const widthOf = (i: number) =>
    Math.max(columns[i]?.header.length ?? 0, ...cells.map((row) => row[i]?.length ?? 0));
  const others = [0, 2, 3, 4, 5, 6].reduce((sum, i) => sum + widthOf(i), 0);
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
  // On the float64 reference itself a property should sit well inside its tolerance: one past
  // half of it is too tight a bound (or a reference that is off), and is flagged.
  if (name === REFERENCE_BACKEND) {
    const tight = report.properties.filter(
      (p) => p.status === "passed" && errorRatio(p) > REFERENCE_FLAG,
    );
    if (tight.length > 0) out();
    for (const p of tight) {
      out(
        `note ${p.id}: error/tolerance ${formatRatio(errorRatio(p))} on the reference itself (above ${REFERENCE_FLAG})`,
      );
    }
  }
  // Every property not checked, and every known failure, is listed with its reason.
  const noted = report.properties.filter((p) => p.status === "skipped" || p.status === "xfail");
  if (noted.length > 0) out();
  for (const p of noted) out(`${RESULT[p.status]} ${p.id}: ${p.reason}`);
  const failures = report.properties.filter((p) => !p.passed);
  for (const p of failures) {
    out();
    out(`${RESULT[p.status]} ${p.id}: ${p.name} (${p.source})`);
    out(`  failure: ${excerpt(p.failure ?? "property failed", MAX_FAILURE)}`);
    if (p.counterexample !== null) {
      out(`  counterexample: ${excerpt(p.counterexample, MAX_COUNTEREXAMPLE)}`);
    }
    if (p.status === "failed") {
      out(`  replay: ${replayCommand(ctx.invocation, name, p, report.seed, report.numRuns)}`);
    }
  }
  out();
  const count = (status: PropertyResult["status"]) =>
    report.properties.filter((p) => p.status === status).length;
  const notes = [
    count("skipped") > 0 ? `${count("skipped")} skipped` : "",
    count("xfail") > 0 ? `${count("xfail")} expected to fail` : "",
  ].filter(Boolean);
  out(
    `${name}: ${count("passed")}/${report.properties.length} properties passed${notes.length > 0 ? ` (${notes.join(", ")})` : ""}`,
  );
}
