/**
 * `pnpm bench:startup`: how long the `wdecay` command takes to start, as users install it (the
 * tarballs of every published package, `npm i -g` into a temporary prefix) and as developers
 * run it (`pnpm wdecay` from source), beside the floors it cannot go below: Node's own start
 * and pnpm's. Each command runs `--warmup` times untimed, then `--runs` times; the table gives
 * the median and the range of wall-clock times. Markdown on stdout (for BENCH.md's notes),
 * progress on stderr.
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { npmInstall, packPublished, WORKSPACE_ROOT } from "@wdecay/consumer";
import { summarize } from "./measure.js";

interface Timed {
  readonly label: string;
  readonly command: string;
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Wall-clock milliseconds of `argv` run `runs` times after `warmup` untimed runs. */
function time(
  label: string,
  argv: readonly string[],
  cwd: string,
  warmup: number,
  runs: number,
): Timed {
  const [file, ...args] = argv as [string, ...string[]];
  const once = () => {
    const start = process.hrtime.bigint();
    const result = spawnSync(file, args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0) {
      throw new Error(`${argv.join(" ")} exited ${result.status}: ${String(result.stderr).trim()}`);
    }
    return ms;
  };
  for (let i = 0; i < warmup; i++) once();
  const samples = Array.from({ length: runs }, once);
  process.stderr.write(`  ${label}: median ${summarize(samples).median.toFixed(0)} ms\n`);
  return {
    label,
    command: argv.join(" ").replaceAll(cwd, "…"),
    median: summarize(samples).median,
    min: Math.min(...samples),
    max: Math.max(...samples),
  };
}

/** pnpm as found on PATH, else through npx at the pinned version (slower: npx starts first). */
function pnpm(): string[] {
  const found = spawnSync("pnpm", ["--version"], { stdio: "ignore" });
  return found.status === 0 ? ["pnpm"] : ["npx", "-y", "pnpm@10.34.9"];
}

const { values } = parseArgs({
  options: { runs: { type: "string", default: "10" }, warmup: { type: "string", default: "2" } },
  strict: true,
});
const runs = Number(values.runs);
const warmup = Number(values.warmup);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(warmup) || warmup < 0) {
  process.stderr.write("bench:startup: --runs must be an integer ≥ 1 and --warmup ≥ 0\n");
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), "wdecay-startup-"));
try {
  process.stderr.write("packing the published packages and installing them with npm -g…\n");
  const prefix = join(work, "global");
  await npmInstall(prefix, await packPublished(join(work, "tarballs")), { global: true });
  const wdecay = join(prefix, "bin", "wdecay");
  const pm = pnpm();
  process.stderr.write(`timing (${warmup} warm-up, ${runs} timed runs each)…\n`);
  const rows = [
    time("Node's own start", [process.execPath, "-e", "0"], work, warmup, runs),
    time("installed `wdecay --version`", [wdecay, "--version"], work, warmup, runs),
    time("installed `wdecay --help`", [wdecay, "--help"], work, warmup, runs),
    time("pnpm's own start", [...pm, "--version"], WORKSPACE_ROOT, warmup, runs),
    time(
      "`pnpm wdecay --version` (source)",
      [...pm, "wdecay", "--version"],
      WORKSPACE_ROOT,
      warmup,
      runs,
    ),
    time(
      "`pnpm wdecay --help` (source)",
      [...pm, "wdecay", "--help"],
      WORKSPACE_ROOT,
      warmup,
      runs,
    ),
  ];
  const installed = rows[2] as Timed;
  const source = rows[5] as Timed;
  const lines = [
    `| what | command | median | range |`,
    `|---|---|---:|---:|`,
    ...rows.map(
      (r) =>
        `| ${r.label} | \`${r.command}\` | ${r.median.toFixed(0)} ms | ${r.min.toFixed(0)}–${r.max.toFixed(0)} ms |`,
    ),
    "",
    `\`pnpm wdecay --help\` / installed \`wdecay --help\`: ${(source.median / installed.median).toFixed(2)}×, ` +
      `of which pnpm's own start is ${(rows[3] as Timed).median.toFixed(0)} ms. ` +
      `Node ${process.version}, ${runs} runs after ${warmup} warm-up runs, ${new Date().toISOString()}.`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
