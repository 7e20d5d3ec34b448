/**
 * `pnpm mutants`: plants every mutant of the catalogue, one at a time, in a copy of the
 * repository and runs the conformance suite, at its default settings and a pinned seed, on the
 * backends each names. Prints which properties kill each mutant and the score (killed / all).
 *
 *   pnpm mutants [--only ID,…] [--area cpu|wasm|webgpu|core] [--seed S] [--runs N] [--json]
 *                [--write FILE]
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CATALOGUE } from "./catalogue/index.js";
import type { SuiteBackend } from "./mutant.js";
import { type MutantOutcome, runMutant, runSuite } from "./run.js";
import { makeSandbox } from "./sandbox.js";

const USAGE = `usage: pnpm mutants [options]
  --only ID,…     these mutants only (default: the whole catalogue)
  --area NAME     the mutants whose id starts with NAME- (cpu, wasm, webgpu, core)
  --seed S        the conformance seed (default 1)
  --runs N        runs per property (default: the suite's default)
  --property IDS  run only these conformance properties (default: the whole suite)
  --json          one JSON object on stdout instead of the table
  --write FILE    also write the table (markdown) to FILE
  -h, --help      this text`;

function fail(message: string): never {
  process.stderr.write(`mutants: ${message}\n`);
  process.exit(2);
}

const OPTIONS = {
  only: { type: "string" },
  area: { type: "string" },
  seed: { type: "string" },
  runs: { type: "string" },
  property: { type: "string" },
  json: { type: "boolean" },
  write: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>["values"];
try {
  ({ values } = parseArgs({ options: OPTIONS, strict: true }));
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const seed = Number(values.seed ?? 1);
if (!Number.isInteger(seed) || seed < 0) fail(`--seed must be an integer ≥ 0, got ${values.seed}`);
const numRuns = values.runs === undefined ? undefined : Number(values.runs);
if (numRuns !== undefined && !(Number.isInteger(numRuns) && numRuns >= 1)) {
  fail(`--runs must be an integer ≥ 1, got ${values.runs}`);
}
const only = values.only?.split(",").map((s) => s.trim());
for (const id of only ?? []) {
  if (!CATALOGUE.some((m) => m.id === id)) fail(`--only: no mutant ${id}`);
}
const selected = CATALOGUE.filter(
  (m) => (!only || only.includes(m.id)) && (!values.area || m.id.startsWith(`${values.area}-`)),
);
if (selected.length === 0) fail("no mutant selected");

const root = fileURLToPath(new URL("../../..", import.meta.url));
const settings = {
  root,
  seed,
  timeoutMs: 600_000,
  ...(numRuns ? { numRuns } : {}),
  ...(values.property ? { only: values.property.split(",").map((s) => s.trim()) } : {}),
};
const log = (line: string) => process.stderr.write(`${line}\n`);

const sandbox = makeSandbox(root);
// Interrupted, the copy is removed all the same.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    sandbox.dispose();
    process.exit(130);
  });
}
const outcomes: MutantOutcome[] = [];
try {
  // Unmutated, every backend used must pass: otherwise every mutant would look killed.
  const backends = [...new Set(selected.flatMap((m) => m.backends))] as SuiteBackend[];
  for (const backend of backends) {
    const baseline = await runSuite(sandbox, backend, settings);
    if (baseline.crashed || baseline.failed.length > 0) {
      fail(
        `the unmutated ${backend} backend does not pass (${baseline.crashed ?? baseline.why.join("; ")})`,
      );
    }
    log(`baseline ${backend}: passes`);
  }
  for (const [i, mutant] of selected.entries()) {
    const outcome = await runMutant(sandbox, mutant, settings);
    outcomes.push(outcome);
    const crash = outcome.runs.find((r) => r.crashed)?.crashed;
    log(
      `[${i + 1}/${selected.length}] ${mutant.id}: ${
        outcome.killed
          ? `killed by ${outcome.killedBy.join(", ") || `a crash (${crash})`}`
          : "SURVIVED"
      } (${outcome.seconds.toFixed(1)} s)`,
    );
  }
} finally {
  sandbox.dispose();
}

const killed = outcomes.filter((o) => o.killed).length;
const score = killed / outcomes.length;
if (values.json) {
  process.stdout.write(
    `${JSON.stringify({
      seed,
      numRuns: numRuns ?? null,
      killed,
      total: outcomes.length,
      score,
      mutants: outcomes.map((o) => ({
        id: o.mutant.id,
        backends: o.mutant.backends,
        killed: o.killed,
        killedBy: o.killedBy,
        crashed: o.runs.filter((r) => r.crashed).map((r) => `${r.backend}: ${r.crashed}`),
        seconds: o.seconds,
      })),
    })}\n`,
  );
}
const table = [
  "| mutant | the bug | backends | killed by |",
  "|---|---|---|---|",
  ...outcomes.map(
    (o) =>
      `| \`${o.mutant.id}\` | ${o.mutant.bug} | ${o.mutant.backends.join(", ")} | ${
        o.killed ? o.killedBy.map((id) => `\`${id}\``).join(", ") || "a crash" : "**survived**"
      } |`,
  ),
  "",
  `${killed} of ${outcomes.length} killed (${(100 * score).toFixed(1)} %), seed ${seed}, ${
    numRuns ?? "default"
  } runs per property.`,
].join("\n");
if (!values.json) process.stdout.write(`${table}\n`);
if (values.write) {
  const title = `# Catalogue kill table\n\nWritten by \`pnpm mutants --write FILE\` on ${new Date().toISOString().slice(0, 10)}: each catalogued bug planted alone, the conformance suite run against the unmutated float64 cpu reference, the properties that failed listed.\n\n`;
  writeFileSync(values.write, `${title}${table}\n`);
}
