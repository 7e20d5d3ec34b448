/**
 * `pnpm bench:streaming`: issue 15's measurements of data past one machine's memory.
 *
 *   pnpm bench:streaming [--rows 10000000] [--cols 100] [--dir DIR] [--keep]
 *
 * 1. Writes DIR/big.csv (and DIR/big.parquet) with make-big-data.ts unless they exist (they are
 *    never committed: 10 M × 100 is about 10 GB of CSV).
 * 2. Reads the CSV with the parser alone (core's CsvRowStream, no statistics): what the reader
 *    reaches on its own.
 * 3. Runs `wdecay stats` on it as users do (a separate process, the CLI from source), with its
 *    wall time, MB/s, rows/s and peak RSS (the kernel's high-water mark, VmHWM, sampled from
 *    /proc while it runs, and the process's own report), then `wdecay select --stats` on the
 *    result, timed.
 * 4. On 100,000 × 50 rows with a fold column: `select` in memory (`--data --foldid fold`)
 *    against `stats` + `select --stats` on the same folds, each timed, and whether they pick the
 *    same λ.
 * Markdown on stdout for BENCH.md, progress on stderr. Timings are of one run each: these are
 * seconds-long, I/O-bound runs on a shared machine; compare within one run only.
 */
import { spawn } from "node:child_process";
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  CsvRowStream,
  csvHeaderOfBytes,
  feedCsvRows,
  parseStats,
  Rng,
  resolveCsvColumns,
  selectLambdaFromMoments,
} from "@wdecay/core";
import { makeBigData } from "./make-big-data.js";

const ROOT = new URL("../../../", import.meta.url).pathname;

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "10000000" },
    cols: { type: "string", default: "100" },
    dir: { type: "string", default: join(tmpdir(), "wdecay-bench-streaming") },
    keep: { type: "boolean", default: false },
    parquet: { type: "boolean", default: true },
  },
});
const rows = Number(values.rows);
const cols = Number(values.cols);
const dir = values.dir as string;
mkdirSync(dir, { recursive: true });

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

interface Run {
  readonly seconds: number;
  /** Peak resident memory (VmHWM) in bytes, sampled from /proc; NaN where there is none. */
  readonly peakRss: number;
  readonly stdout: string;
}

/** Runs `wdecay ARGS` from source, as `pnpm wdecay` does, timing it and sampling its VmHWM. */
function wdecay(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(
      process.execPath,
      ["--conditions=@wdecay/source", "--import", "tsx", "apps/cli/src/bin.ts", ...args],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    let peak = Number.NaN;
    const sample = () => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
        const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
        if (Number.isFinite(kb)) peak = Number.isNaN(peak) ? kb * 1024 : Math.max(peak, kb * 1024);
      } catch {
        // Gone, or no /proc: the process's own report stands.
      }
    };
    const timer = setInterval(sample, 50);
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(timer);
      const seconds = (performance.now() - start) / 1000;
      if (code !== 0)
        reject(new Error(`wdecay ${args.join(" ")} exited ${code}: ${stderr.trim()}`));
      else resolve({ seconds, peakRss: peak, stdout });
    });
  });
}

/** The parser alone over a CSV file: MB/s and rows/s. */
async function parseOnly(path: string): Promise<{ seconds: number; rows: number }> {
  const start = performance.now();
  const head = new Uint8Array(1 << 20);
  const fd = openSync(path, "r");
  const got = readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  const header = csvHeaderOfBytes(head.subarray(0, got), path, false);
  if (header === undefined) throw new Error(`${path}: no header in its first MiB`);
  const columns = resolveCsvColumns(header.header, header.line, { source: path, target: "y" });
  const stream = new CsvRowStream({
    source: path,
    columns,
    firstLine: header.nextLine,
    onBlock() {},
  });
  await feedCsvRows(
    createReadStream(path, { start: header.byteEnd, highWaterMark: 4 << 20 }),
    stream,
  );
  return { seconds: (performance.now() - start) / 1000, rows: stream.rows };
}

/** n × d rows, y linear in the first ten features plus noise, and a fold column (i mod K). */
function writeFoldCsv(path: string, n: number, d: number, folds: number): void {
  const rng = new Rng(7);
  const lines = [[...Array.from({ length: d }, (_, j) => `x${j + 1}`), "y", "fold"].join(",")];
  for (let i = 0; i < n; i++) {
    const x = Array.from({ length: d }, () => rng.normal());
    const y = 3 + x.slice(0, 10).reduce((s, v, j) => s + (j + 1) * 0.1 * v, 0) + 2 * rng.normal();
    lines.push([...x.map((v) => v.toFixed(6)), y.toFixed(6), String(i % folds)].join(","));
  }
  writeFileSync(path, `${lines.join("\n")}\n`);
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
const rate = (bytes: number, s: number) => `${(bytes / 1e6 / s).toFixed(1)} MB/s`;
const perSecond = (n: number, s: number) => `${(n / s / 1e6).toFixed(2)} M rows/s`;

async function main(): Promise<void> {
  const csv = join(dir, "big.csv");
  const parquet = join(dir, "big.parquet");
  if (!existsSync(csv) || (values.parquet && !existsSync(parquet))) {
    log(`writing ${rows} × ${cols} to ${dir} …`);
    const t = performance.now();
    await makeBigData({
      rows,
      cols,
      seed: 42,
      rowGroup: 100_000,
      type: "float64",
      codec: "SNAPPY",
      csv,
      ...(values.parquet ? { parquet } : {}),
      progress: (done) => log(`  ${done} rows`),
    });
    log(`  done in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  }
  const bytes = statSync(csv).size;
  const out: string[] = [];
  out.push(`### Streaming statistics (\`pnpm bench:streaming --rows ${rows} --cols ${cols}\`)`, "");
  out.push(
    `CSV ${mb(bytes)}${values.parquet ? `, Parquet ${mb(statSync(parquet).size)}` : ""}; ${rows} rows × ${cols} features + y.`,
    "",
  );
  out.push(
    "| what | wall time | throughput | rows/s | peak RSS |",
    "| --- | --- | --- | --- | --- |",
  );

  log("parser alone …");
  const parsed = await parseOnly(csv);
  out.push(
    `| CsvRowStream alone (no statistics), in this process | ${parsed.seconds.toFixed(1)} s | ${rate(bytes, parsed.seconds)} | ${perSecond(parsed.rows, parsed.seconds)} | — |`,
  );

  const statsFile = join(dir, "big-stats.json");
  log("wdecay stats on the CSV …");
  const stats = await wdecay([
    "stats",
    "--data",
    csv,
    "--target",
    "y",
    "--folds",
    "10",
    "--out",
    statsFile,
    "--json",
  ]);
  const report = JSON.parse(stats.stdout) as {
    seconds: number;
    peakRssBytes: number;
    rows: number;
  };
  out.push(
    `| \`wdecay stats\` CSV, 10 folds (process wall; its own timer ${report.seconds.toFixed(1)} s) | ${stats.seconds.toFixed(1)} s | ${rate(bytes, stats.seconds)} | ${perSecond(report.rows, stats.seconds)} | ${mb(stats.peakRss)} (self-reported ${mb(report.peakRssBytes)}) |`,
  );
  if (values.parquet) {
    log("wdecay stats on the Parquet file …");
    try {
      const pq = await wdecay([
        "stats",
        "--data",
        parquet,
        "--target",
        "y",
        "--folds",
        "10",
        "--out",
        join(dir, "big-stats-pq.json"),
        "--json",
      ]);
      const r = JSON.parse(pq.stdout) as { rows: number };
      const pqBytes = statSync(parquet).size;
      out.push(
        `| \`wdecay stats\` Parquet, 10 folds | ${pq.seconds.toFixed(1)} s | ${rate(pqBytes, pq.seconds)} | ${perSecond(r.rows, pq.seconds)} | ${mb(pq.peakRss)} |`,
      );
    } catch (error) {
      out.push(
        `| \`wdecay stats\` Parquet | failed: ${(error as Error).message.split("\n")[0]} | | | |`,
      );
    }
  }
  log("wdecay select --stats …");
  const select = await wdecay(["select", "--stats", statsFile, "--penalty", "l1", "--json"]);
  out.push(
    `| \`wdecay select --stats\` (lasso, 100 λ × 10 folds + refit) | ${select.seconds.toFixed(2)} s | — | — | ${mb(select.peakRss)} |`,
  );
  out.push("");

  // 100,000 × 50 with a fold column: in memory against the statistics, same folds.
  const small = join(dir, "d100k.csv");
  if (!existsSync(small)) writeFoldCsv(small, 100_000, 50, 5);
  log("100,000 × 50: select in memory …");
  const memory = await wdecay([
    "select",
    "--data",
    small,
    "--target",
    "y",
    "--foldid",
    "fold",
    "--penalty",
    "l1",
    "--json",
  ]);
  log("100,000 × 50: stats + select --stats …");
  const smallStats = join(dir, "d100k-stats.json");
  const s1 = await wdecay([
    "stats",
    "--data",
    small,
    "--target",
    "y",
    "--foldid",
    "fold",
    "--out",
    smallStats,
    "--json",
  ]);
  const s2 = await wdecay(["select", "--stats", smallStats, "--penalty", "l1", "--json"]);
  const noop = await wdecay(["--version"]);
  // The selection's own time, in this process: read and check the file, then select.
  const t0 = performance.now();
  const loaded = parseStats(readFileSync(smallStats, "utf8"), smallStats);
  const parsedAt = performance.now();
  selectLambdaFromMoments([...loaded.folds.values()], { penalty: "l1", standardize: true });
  const selectMs = performance.now() - parsedAt;
  const parseMs = parsedAt - t0;
  const a = JSON.parse(memory.stdout) as {
    lambdaMin: number;
    lambda1se: number;
    curve: { lambda: number }[];
  };
  const b = JSON.parse(s2.stdout) as typeof a;
  const index = (r: typeof a, l: number) => r.curve.findIndex((p) => p.lambda === l);
  const same =
    index(a, a.lambdaMin) === index(b, b.lambdaMin) &&
    index(a, a.lambda1se) === index(b, b.lambda1se);
  out.push(
    "| 100,000 × 50, lasso, 5 folds from a column | wall time | peak RSS |",
    "| --- | --- | --- |",
  );
  out.push(
    `| \`select --data --foldid fold\` (in memory) | ${memory.seconds.toFixed(2)} s | ${mb(memory.peakRss)} |`,
  );
  out.push(
    `| \`stats --foldid fold\` (one pass) | ${s1.seconds.toFixed(2)} s | ${mb(s1.peakRss)} |`,
  );
  out.push(`| \`select --stats\` | ${s2.seconds.toFixed(2)} s | ${mb(s2.peakRss)} |`);
  out.push(
    `| \`wdecay --version\` (the start-up floor of every row above) | ${noop.seconds.toFixed(2)} s | ${mb(noop.peakRss)} |`,
  );
  out.push(
    `| in this process: parseStats ${parseMs.toFixed(0)} ms, then selectLambdaFromMoments (lasso, 100 λ × 5 folds + refit) | ${(selectMs / 1000).toFixed(3)} s | — |`,
  );
  out.push("");
  out.push(
    `Same grid point chosen: ${same ? "yes" : "NO"} (λ_min ${a.lambdaMin} in memory, ${b.lambdaMin} from the statistics; λ₁ₛₑ ${a.lambda1se}, ${b.lambda1se}).`,
  );
  process.stdout.write(`${out.join("\n")}\n`);
  if (!values.keep) rmSync(join(dir, "big-stats.json"), { force: true });
}

await main();
