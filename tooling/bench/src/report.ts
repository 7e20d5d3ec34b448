/**
 * The bench's results as data (the `--json` object) and as markdown (the terminal output and
 * BENCH.md). Both come from one {@link BenchReport}, so they cannot disagree.
 */

import os from "node:os";
import { PARALLEL_MIN_GEMM, PARALLEL_MIN_LOSS, PARALLEL_MIN_WORK } from "@wdecay/backend-wasm";
import type { Workload } from "./workloads.js";

/** Where the numbers came from; timings mean little without it. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly totalMemoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly versions: Readonly<Record<string, string>>;
  /** 1, 5 and 15 minute load averages when the bench started: the machine is shared. */
  readonly loadAverage: readonly number[];
  readonly date: string;
}

export function machineInfo(versions: Readonly<Record<string, string>>): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    versions,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    date: new Date().toISOString(),
  };
}

/** One contender on one workload. */
export interface ContenderResult {
  readonly name: string;
  readonly group: "wdecay" | "baseline";
  readonly precision: "float64" | "float32";
  /** Timed runs in ms, in the order they ran. */
  readonly samplesMs: readonly number[];
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** This median over the reference's median, same process, same repetitions. */
  readonly ratioToReference: number;
  readonly l2Norm: number;
  /** |‖w‖ − ‖w‖_reference| / ‖w‖_reference. */
  readonly l2RelDiff: number;
  /** Whether l2RelDiff is within the tolerance of this contender's precision. */
  readonly agrees: boolean;
  /** Every run (warm-ups included) gave the same ‖w‖. */
  readonly repeatable: boolean;
  /** `matmul` workloads: median ms of the product alone (no read), and its GFLOP/s. */
  readonly opMedianMs?: number;
  readonly gflops?: number;
}

export interface WorkloadResult {
  readonly workload: Workload;
  readonly description: string;
  readonly warmup: number;
  /** The least warm-up time per contender (ms), beside the count. */
  readonly warmupMs: number;
  readonly runs: number;
  readonly results: readonly ContenderResult[];
}

/** The goal the report checks: this contender within this factor of the reference. */
export const GOAL = { contender: "cpu", maxRatio: 1.5, alsoAgainst: "tfjs-cpu" } as const;

/** The λ-grid goal: the grid workload's median at most this factor of the one-λ workload's. */
export const GRID_GOAL = { grid: "grid64", single: "chapter", maxRatio: 10 } as const;

/**
 * The wasm backend's goals: at least `minSpeedup`× faster than the reference on `workloads`
 * (same run), a `matmul` product of at least `minGflops` through the backend, and the grid goal.
 */
export const WASM_GOAL = {
  contender: "wasm",
  minSpeedup: 3,
  workloads: ["chapter", "big1", "big2"],
  matmul: "matmul1024",
  minGflops: 30,
  alsoAgainst: "tfjs-wasm",
} as const;

/** Per wdecay backend: grid median / one-λ median, same run (empty unless both workloads ran). */
export function gridRatios(
  report: Pick<BenchReport, "workloads" | "gridGoal">,
): { name: string; singleMs: number; gridMs: number; ratio: number }[] {
  const grid = report.workloads.find((w) => w.workload.name === report.gridGoal.grid);
  const single = report.workloads.find((w) => w.workload.name === report.gridGoal.single);
  if (!grid || !single) return [];
  return grid.results.flatMap((g) => {
    const s = find(single, g.name);
    return g.group === "wdecay" && s
      ? [{ name: g.name, singleMs: s.medianMs, gridMs: g.medianMs, ratio: g.medianMs / s.medianMs }]
      : [];
  });
}

/**
 * How far a contender's ‖w‖ may drift from the float64 hand-written loop's. float64 contenders
 * do the same arithmetic and must agree to rounding; float32 ones accumulate float32 rounding
 * over every step.
 */
export const TOLERANCE: Readonly<Record<"float64" | "float32", number>> = {
  float64: 1e-9,
  float32: 1e-3,
};

export interface BenchReport {
  readonly command: string;
  readonly reference: string;
  readonly goal: typeof GOAL;
  readonly gridGoal: typeof GRID_GOAL;
  readonly wasmGoal: typeof WASM_GOAL;
  readonly tolerance: typeof TOLERANCE;
  readonly machine: MachineInfo;
  readonly workloads: readonly WorkloadResult[];
  /** Wall time of the whole bench, data generation included. */
  readonly totalSeconds: number;
}

function ms(x: number): string {
  return x.toFixed(x < 10 ? 3 : x < 100 ? 2 : 1);
}

function ratio(x: number): string {
  if (!Number.isFinite(x)) return "–";
  // Two significant digits below 1, so that 0.021× does not print as 0.02×.
  return `${x < 1 ? x.toPrecision(2) : x.toFixed(2)}×`;
}

function relDiff(x: number): string {
  return x === 0 ? "0" : x.toExponential(1);
}

function find(w: WorkloadResult, name: string): ContenderResult | undefined {
  return w.results.find((r) => r.name === name);
}

/** The goal's figures for one workload (undefined where a contender is missing). */
export function goalRatios(w: WorkloadResult): { toReference?: number; toOther?: number } {
  const cpu = find(w, GOAL.contender);
  const other = find(w, GOAL.alsoAgainst);
  if (!cpu) return {};
  return {
    toReference: cpu.ratioToReference,
    ...(other ? { toOther: cpu.medianMs / other.medianMs } : {}),
  };
}

/** One workload's table. */
export function workloadMarkdown(w: WorkloadResult, reference: string): string {
  const lines = [
    `### ${w.workload.name}: ${w.workload.title}`,
    "",
    `${w.description}. ${w.warmup} warm-up runs${w.warmupMs > 0 ? ` (then more, until each contender has warmed up ${w.warmupMs} ms)` : ""} + ${w.runs} timed runs per contender, interleaved round-robin; times in ms.`,
    "",
    `| contender | precision | median | min | max | median / ${reference} | final ‖w‖ | rel. diff of ‖w‖ |`,
    "|---|---|--:|--:|--:|--:|--:|--:|",
  ];
  for (const r of w.results) {
    const flags = `${r.agrees ? "" : " ⚠"}${r.repeatable ? "" : " (varies run to run)"}`;
    lines.push(
      `| ${r.name} | ${r.precision} | ${ms(r.medianMs)} | ${ms(r.minMs)} | ${ms(r.maxMs)} | ${ratio(r.ratioToReference)} | ${r.l2Norm.toPrecision(10)} | ${relDiff(r.l2RelDiff)}${flags} |`,
    );
  }
  return lines.join("\n");
}

/** The goal table across workloads. */
export function goalMarkdown(report: BenchReport): string {
  const { contender, maxRatio, alsoAgainst } = report.goal;
  const lines = [
    `| workload | ${contender} / ${report.reference} | within ${maxRatio}× | ${contender} / ${alsoAgainst} |`,
    "|---|--:|:-:|--:|",
  ];
  for (const w of report.workloads) {
    if (w.workload.mode === "matmul") continue;
    const g = goalRatios(w);
    const ok = g.toReference === undefined ? "–" : g.toReference <= maxRatio ? "yes" : "**no**";
    lines.push(
      `| ${w.workload.name} | ${ratio(g.toReference ?? Number.NaN)} | ${ok} | ${ratio(g.toOther ?? Number.NaN)} |`,
    );
  }
  const { maxRatio: gridMax, grid, single } = report.gridGoal;
  const cpuGrid = gridRatios(report).find((r) => r.name === contender);
  if (cpuGrid) {
    lines.push(
      `| 64-λ grid ≤ ${gridMax}× one λ (${grid} / ${single}, ${contender}) | ${ratio(cpuGrid.ratio)} | ${cpuGrid.ratio <= gridMax ? "yes" : "**no**"} | – |`,
    );
  }
  return lines.join("\n");
}

/** The wasm backend's goal table (empty when it did not run). */
export function wasmGoalMarkdown(report: BenchReport): string {
  const goal = report.wasmGoal;
  const lines: string[] = [];
  for (const name of goal.workloads) {
    const w = report.workloads.find((x) => x.workload.name === name);
    const r = w && find(w, goal.contender);
    if (!w || !r) continue;
    const other = find(w, goal.alsoAgainst);
    const speedup = 1 / r.ratioToReference;
    lines.push(
      `| ${name} | ${ms(r.medianMs)} ms | ${speedup.toFixed(2)}× | ${speedup >= goal.minSpeedup ? "yes" : "**no**"} | ${other ? `${(other.medianMs / r.medianMs).toFixed(1)}×` : "–"} |`,
    );
  }
  const mm = report.workloads.find((x) => x.workload.name === goal.matmul);
  const mr = mm && find(mm, goal.contender);
  if (mr?.gflops !== undefined) {
    lines.push(
      `| ${goal.matmul}: GFLOP/s through the backend (≥ ${goal.minGflops}) | ${ms(mr.opMedianMs ?? Number.NaN)} ms | ${mr.gflops.toFixed(1)} GFLOP/s | ${mr.gflops >= goal.minGflops ? "yes" : "**no**"} | – |`,
    );
  }
  const grid = gridRatios(report).find((r) => r.name === goal.contender);
  if (grid) {
    const { maxRatio, grid: g, single } = report.gridGoal;
    lines.push(
      `| 64-λ grid ≤ ${maxRatio}× one λ (${g} / ${single}) | ${ms(grid.gridMs)} ms | ${ratio(grid.ratio)} | ${grid.ratio <= maxRatio ? "yes" : "**no**"} | – |`,
    );
  }
  if (lines.length === 0) return "";
  return [
    `The ${goal.contender} backend (float32) at least ${goal.minSpeedup}× faster than the ${report.reference} loop (float64) on ${goal.workloads.join(", ")}, a 1024³ product through it at ≥ ${goal.minGflops} GFLOP/s, and its 64-λ grid at most ${report.gridGoal.maxRatio}× its one-λ run, all in this run. The last column is how many times faster it is than ${goal.alsoAgainst} (tfjs used idiomatically on its WebAssembly backend).`,
    "",
    `| goal | ${goal.contender} | figure | met | ${goal.alsoAgainst} / ${goal.contender} |`,
    "|---|--:|--:|:-:|--:|",
    ...lines,
    "",
  ].join("\n");
}

/** Issue 17: wasm on its threads at most this fraction of its one-thread time, on these. */
export const THREADS_GOAL = 0.6;
const THREADS_WORKLOADS = ["big1", "big2"];

/** wasm (its threads) against wasm-1t (one thread), per workload of this run. */
export function threadsMarkdown(report: BenchReport): string {
  const lines: string[] = [];
  for (const w of report.workloads) {
    const t = find(w, "wasm");
    const one = find(w, "wasm-1t");
    if (!t || !one) continue;
    const x = t.medianMs / one.medianMs;
    const goal = THREADS_WORKLOADS.includes(w.workload.name)
      ? x <= THREADS_GOAL
        ? `yes (≤ ${THREADS_GOAL}×)`
        : `**no** (≤ ${THREADS_GOAL}×)`
      : "–";
    lines.push(
      `| ${w.workload.name} | ${ms(one.medianMs)} ms | ${ms(t.medianMs)} ms | ${ratio(x)} | ${goal} |`,
    );
  }
  if (lines.length === 0) return "";
  const threads = report.machine.versions["wasm threads"] ?? "its default";
  return [
    "## Threads",
    "",
    `The wasm backend on ${threads} threads (the machine's cores, its default) against the same backend held to one (\`createWasmBackend({ threads: 1 })\`, \`wasm-1t\`), in this run. Steps under ${PARALLEL_MIN_WORK} multiply-adds, losses under ${PARALLEL_MIN_LOSS} and products under ${PARALLEL_MIN_GEMM} stay on one thread, so the chapter's small problem runs the same code on both.`,
    "",
    "| workload | wasm-1t | wasm | wasm / wasm-1t | goal |",
    "|---|--:|--:|--:|:-:|",
    ...lines,
    "",
  ].join("\n");
}

/** The native C loop's contender name (contenders/native-c.ts) and the chapter's bound to it. */
export const NATIVE = { contender: "native-c", against: "wasm", workload: "chapter", maxRatio: 2 };

/**
 * How far the wasm backend is from the same loop compiled natively (one thread, float32), per
 * workload of this run; empty when no C compiler was found.
 */
export function nativeMarkdown(report: BenchReport): string {
  const lines: string[] = [];
  for (const w of report.workloads) {
    const c = find(w, NATIVE.contender);
    const r = find(w, NATIVE.against);
    if (!c || !r) continue;
    const x = r.medianMs / c.medianMs;
    const goal =
      w.workload.name === NATIVE.workload
        ? x <= NATIVE.maxRatio
          ? `yes (≤ ${NATIVE.maxRatio}×)`
          : `**no** (≤ ${NATIVE.maxRatio}×)`
        : "–";
    lines.push(
      `| ${w.workload.name} | ${ms(c.medianMs)} ms | ${ms(r.medianMs)} ms | ${ratio(x)} | ${goal} |`,
    );
  }
  if (lines.length === 0) return "";
  return [
    `## Against native code`,
    "",
    `The same SGD loop in C (\`tooling/bench/native/sgd.c\`, float32, one thread, built by the bench with ${report.machine.versions["C compiler"] ?? "the machine's C compiler"}), timed by its own clock in a child process, against the ${NATIVE.against} backend in this run.`,
    "",
    `| workload | ${NATIVE.contender} | ${NATIVE.against} | ${NATIVE.against} / ${NATIVE.contender} | goal |`,
    "|---|--:|--:|--:|:-:|",
    ...lines,
    "",
  ].join("\n");
}

/** GFLOP/s of every contender on the `matmul` workloads. */
export function matmulMarkdown(report: BenchReport): string {
  const blocks = report.workloads.filter((w) => w.workload.mode === "matmul");
  return blocks
    .map((w) =>
      [
        `Matrix product \`${w.workload.name}\`: GFLOP/s of the product alone (median over the timed runs; the table below also times the read of C).`,
        "",
        "| contender | precision | product median (ms) | GFLOP/s |",
        "|---|---|--:|--:|",
        ...w.results.map(
          (r) =>
            `| ${r.name} | ${r.precision} | ${ms(r.opMedianMs ?? Number.NaN)} | ${r.gflops?.toFixed(2) ?? "–"} |`,
        ),
        "",
      ].join("\n"),
    )
    .join("\n");
}

/** The λ-grid table: each wdecay backend's grid median over its own one-λ median, same run. */
export function gridMarkdown(report: BenchReport): string {
  const { grid, single, maxRatio } = report.gridGoal;
  const rows = gridRatios(report);
  if (rows.length === 0) return "";
  return [
    `64-λ grid in one pass (\`${grid}\`, core \`trainGrid()\`) against one λ (\`${single}\`, core \`train()\`), medians of this run; the goal is ≤ ${maxRatio}×. The baselines skip this ratio: the hand-written loop runs ${grid} as 64 separate runs (its row in the ${grid} table, for context) and the tfjs baselines skip ${grid}.`,
    "",
    `| backend | ${single} median (ms) | ${grid} median (ms) | ${grid} / ${single} | ≤ ${maxRatio}× |`,
    "|---|--:|--:|--:|:-:|",
    ...rows.map(
      (r) =>
        `| ${r.name} | ${ms(r.singleMs)} | ${ms(r.gridMs)} | ${ratio(r.ratio)} | ${r.ratio <= maxRatio ? "yes" : "**no**"} |`,
    ),
    "",
  ].join("\n");
}

function machineMarkdown(m: MachineInfo): string {
  const versions = Object.entries(m.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  return [
    "| | |",
    "|---|---|",
    `| CPU | ${m.cpuModel}, ${m.cores} cores (os.cpus()) |`,
    `| memory | ${m.totalMemoryGiB} GiB |`,
    `| OS | ${m.os} |`,
    `| Node.js | ${m.node} |`,
    `| libraries | ${versions} |`,
    `| load average at start (1/5/15 min) | ${m.loadAverage.join(" / ")} |`,
    `| date | ${m.date} |`,
  ].join("\n");
}

/** Everything but the hand-kept notes: what the terminal shows and `--write` writes. */
export function reportMarkdown(report: BenchReport): string {
  const { tolerance } = report;
  return [
    "# wdecay benchmarks",
    "",
    `Reproduce from the repository root: \`${report.command}\` (the whole bench took ${Math.round(report.totalSeconds)} s).`,
    "",
    "## Machine",
    "",
    machineMarkdown(report.machine),
    "",
    "## Goal",
    "",
    `The ${report.goal.contender} backend (float64) within ${report.goal.maxRatio}× of the ${report.reference} loop's median on every workload; its ratio to ${report.goal.alsoAgainst} for context.`,
    "",
    goalMarkdown(report),
    "",
    wasmGoalMarkdown(report),
    nativeMarkdown(report),
    threadsMarkdown(report),
    gridMarkdown(report),
    matmulMarkdown(report),
    "## Workloads",
    "",
    `Every contender trains on the same data (core's \`syntheticSplit\`), from the same w₀ (\`initialWeights\`) in the same minibatch order (\`MinibatchSchedule\`), seed ${report.workloads[0]?.workload.seed ?? "–"}. The last column compares each final ‖w‖ with the ${report.reference} loop's: float64 contenders must agree within ${tolerance.float64}, float32 ones within ${tolerance.float32} (⚠ marks a miss).`,
    "",
    ...report.workloads.flatMap((w) => [workloadMarkdown(w, report.reference), ""]),
  ].join("\n");
}

/** Marks where generated text ends; what follows it in an existing BENCH.md is kept. */
export const NOTES_MARKER =
  "<!-- Notes below this line are written by hand and kept when `--write` regenerates the file. -->";

/** The file `--write` writes: the report, then the notes of the file it replaces, if any. */
export function benchFile(report: BenchReport, previous: string | undefined): string {
  const at = previous?.indexOf(NOTES_MARKER) ?? -1;
  const notes = previous !== undefined && at >= 0 ? previous.slice(at) : `${NOTES_MARKER}\n`;
  return `${reportMarkdown(report)}\n${notes}`;
}
