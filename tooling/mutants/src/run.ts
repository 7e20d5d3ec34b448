/**
 * Plants each mutant, alone, in a copy of the repository and runs the conformance suite on the
 * backends it names; a mutant is killed when at least one property fails on one of them.
 */
import { execFile, execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cacheDir } from "@wdecay/test-browser";
import type { Mutant, SuiteBackend } from "./mutant.js";
import type { Sandbox } from "./sandbox.js";

/** One suite run's outcome, as suite.ts prints it. */
export interface SuiteOutcome {
  readonly backend: SuiteBackend;
  /** Failed property ids; empty when the suite passed. */
  readonly failed: readonly string[];
  /** First failure messages, for the report. */
  readonly why: readonly string[];
  /** Set when the run ended without a report (a crash, a hang): what it printed last. */
  readonly crashed?: string;
}

export interface MutantOutcome {
  readonly mutant: Mutant;
  readonly killed: boolean;
  /** Property ids that failed, over every backend run. */
  readonly killedBy: readonly string[];
  readonly runs: readonly SuiteOutcome[];
  readonly seconds: number;
}

export interface RunSettings {
  /** The unmutated repository: its cpu backend is the reference. */
  readonly root: string;
  readonly seed: number;
  /** Runs per property; undefined for the suite's default. */
  readonly numRuns?: number;
  /** Limit for one suite run (a mutant that hangs a kernel is killed by it). */
  readonly timeoutMs: number;
  /** Only these properties (default: the whole suite). */
  readonly only?: readonly string[];
}

/** Runs the suite of the sandbox on one backend. */
export function runSuite(
  sandbox: Sandbox,
  backend: SuiteBackend,
  settings: RunSettings,
): Promise<SuiteOutcome> {
  const args = [
    "--conditions=@wdecay/source",
    "--import",
    "tsx",
    join("tooling", "mutants", "src", "suite.ts"),
    "--backend",
    backend,
    "--seed",
    String(settings.seed),
    "--reference-root",
    settings.root,
    ...(settings.numRuns ? ["--runs", String(settings.numRuns)] : []),
    ...(settings.only ? ["--only", settings.only.join(",")] : []),
  ];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      args,
      {
        cwd: sandbox.dir,
        timeout: settings.timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        // The test browser's SwiftShader, unpacked once in the real repository.
        env: { ...process.env, WDECAY_BROWSER_CACHE: cacheDir() },
      },
      (error, stdout, stderr) => {
        const line = stdout.trim().split("\n").pop() ?? "";
        try {
          const report = JSON.parse(line) as { failed: { id: string; failure: string | null }[] };
          resolve({
            backend,
            failed: report.failed.map((f) => f.id),
            why: report.failed.map((f) => `${f.id}: ${f.failure ?? ""}`),
          });
        } catch {
          const detail = (stderr || stdout || String(error)).trim().split("\n").slice(-3).join(" ");
          resolve({ backend, failed: [], why: [], crashed: detail.slice(0, 300) });
        }
      },
    );
  });
}

/** Whether a mutant's file is compiled before use (the AssemblyScript kernels). */
function needsKernelBuild(mutant: Mutant): boolean {
  return mutant.file.startsWith("packages/backend-wasm/assembly/");
}

function buildKernels(sandbox: Sandbox): void {
  execFileSync(process.execPath, ["packages/backend-wasm/scripts/build-kernels.mjs", "--force"], {
    cwd: sandbox.dir,
    stdio: "ignore",
  });
}

/** The edit a mutant makes, checked: its text must occur exactly once in its file. */
export function mutate(source: string, mutant: Mutant): string {
  const at = source.indexOf(mutant.find);
  if (at < 0) throw new Error(`${mutant.id}: its text is not in ${mutant.file}`);
  if (source.indexOf(mutant.find, at + 1) >= 0) {
    throw new Error(`${mutant.id}: its text occurs more than once in ${mutant.file}`);
  }
  if (mutant.find === mutant.replace) throw new Error(`${mutant.id}: the edit changes nothing`);
  return source.slice(0, at) + mutant.replace + source.slice(at + mutant.find.length);
}

/** Plants one mutant in the sandbox, runs its backends' suites, and takes it out again. */
export async function runMutant(
  sandbox: Sandbox,
  mutant: Mutant,
  settings: RunSettings,
): Promise<MutantOutcome> {
  const started = performance.now();
  const file = join(sandbox.dir, mutant.file);
  const original = readFileSync(file, "utf8");
  writeFileSync(file, mutate(original, mutant));
  const runs: SuiteOutcome[] = [];
  try {
    if (needsKernelBuild(mutant)) buildKernels(sandbox);
    for (const backend of mutant.backends) runs.push(await runSuite(sandbox, backend, settings));
  } finally {
    writeFileSync(file, original);
    if (needsKernelBuild(mutant)) buildKernels(sandbox);
  }
  const killedBy = [...new Set(runs.flatMap((r) => r.failed))];
  return {
    mutant,
    killed: killedBy.length > 0 || runs.some((r) => r.crashed !== undefined),
    killedBy,
    runs,
    seconds: (performance.now() - started) / 1000,
  };
}
