/**
 * The figures the performance page charts, read at build time from the repository's BENCH.md
 * (vite.config.ts inlines them as `virtual:wdecay/bench`), so that the page follows the file
 * whenever `pnpm bench --write BENCH.md` rewrites it. The build fails, naming what is missing,
 * when a workload or backend the page needs is not there: a page that silently charted nothing
 * would be worse than no build.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { splitRow } from "./src/markdown.js";

/** BENCH.md at the repository root. */
export const BENCH_PATH = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "BENCH.md");

/** The workloads the page charts, in BENCH.md's order, and what it calls each. */
export const BENCH_WORKLOADS = [
  { id: "chapter", label: "one λ, 20 × 200" },
  { id: "grid64", label: "64 λ in one pass" },
  { id: "big1", label: "10,000 × 1,000" },
  { id: "big2", label: "100,000 × 100" },
] as const;

/** The backends the page charts; every workload must have a median for each. */
export const BENCH_BACKENDS = ["cpu", "cpu-f32", "wasm", "webgpu"] as const;

export type BenchWorkloadId = (typeof BENCH_WORKLOADS)[number]["id"];
export type BenchBackend = (typeof BENCH_BACKENDS)[number];

export interface BenchWorkload {
  readonly id: BenchWorkloadId;
  readonly label: string;
  /** The heading of its section in BENCH.md (what it times). */
  readonly heading: string;
  /** Median milliseconds of one run, per contender (backends and baselines alike). */
  readonly medians: Readonly<Record<string, number>>;
}

export interface BenchFigures {
  /** The machine table's CPU line, e.g. "AMD EPYC, 2 cores (os.cpus())". */
  readonly cpu: string;
  /** When the run started (the machine table's date, ISO). */
  readonly date: string;
  /** The backends every workload has a median for ({@link BENCH_BACKENDS}). */
  readonly backends: readonly BenchBackend[];
  readonly workloads: readonly BenchWorkload[];
}

/** The first Markdown table at or after line `from`: its header and rows. */
function tableAfter(lines: readonly string[], from: number): { head: string[]; rows: string[][] } {
  let i = from;
  while (i < lines.length && !/^\s*\|/.test(lines[i] as string)) {
    if (i > from && /^#{1,6}\s/.test(lines[i] as string)) break;
    i++;
  }
  if (!/^\s*\|/.test(lines[i] ?? "")) return { head: [], rows: [] };
  const head = splitRow(lines[i] as string);
  const rows: string[][] = [];
  for (i += 2; i < lines.length && /^\s*\|/.test(lines[i] as string); i++) {
    rows.push(splitRow(lines[i] as string));
  }
  return { head, rows };
}

/** Milliseconds from a median cell: "3.554" (the workload tables' unit), "184 ms", "1.84 s". */
function milliseconds(cell: string): number {
  const m = /^([\d,]+(?:\.\d+)?)\s*(ms|s)?$/.exec(cell);
  if (!m) return Number.NaN;
  const value = Number((m[1] as string).replace(/,/g, ""));
  return m[2] === "s" ? value * 1000 : value;
}

/** The figures of a BENCH.md text; throws, listing everything missing, if any is. */
export function parseBench(markdown: string): BenchFigures {
  const lines = markdown.replace(/\r\n/g, "\n").split("\n");
  const problems: string[] = [];
  const machine = (key: string) => {
    const row = lines.find((l) => new RegExp(`^\\|\\s*${key}\\s*\\|`).test(l));
    const value = row ? (splitRow(row)[1] ?? "") : "";
    if (value === "") problems.push(`the machine table's "${key}" row`);
    return value;
  };
  const cpu = machine("CPU");
  const date = machine("date");
  const workloads: BenchWorkload[] = [];
  for (const { id, label } of BENCH_WORKLOADS) {
    const at = lines.findIndex((l) => new RegExp(`^###\\s+${id}:`).test(l));
    if (at < 0) {
      problems.push(`a "### ${id}: …" section`);
      continue;
    }
    const { head, rows } = tableAfter(lines, at + 1);
    const who = head.indexOf("contender");
    const median = head.indexOf("median");
    if (who < 0 || median < 0) {
      problems.push(`a table with "contender" and "median" columns under "### ${id}"`);
      continue;
    }
    const medians: Record<string, number> = {};
    for (const row of rows) {
      const ms = milliseconds(row[median] ?? "");
      if (Number.isFinite(ms) && ms > 0) medians[row[who] as string] = ms;
    }
    for (const backend of BENCH_BACKENDS) {
      if (medians[backend] === undefined) problems.push(`the ${backend} median of ${id}`);
    }
    workloads.push({
      id,
      label,
      heading: (lines[at] as string).replace(/^###\s+/, ""),
      medians,
    });
  }
  if (problems.length > 0) {
    throw new Error(
      `BENCH.md lacks figures the performance page charts:\n  ${problems.join("\n  ")}`,
    );
  }
  return { cpu, date, backends: BENCH_BACKENDS, workloads };
}

/** The figures of the repository's BENCH.md. */
export function benchFigures(path = BENCH_PATH): BenchFigures {
  return parseBench(readFileSync(path, "utf8"));
}
