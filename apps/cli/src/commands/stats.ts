/**
 * `wdecay stats`: one streaming pass over a data file, or one shard of it, into the float64
 * sufficient statistics of least squares per cross-validation fold (core's StatsAccumulator),
 * written as a stats file that `merge` adds to its sibling shards and `fit`, `path` and `select`
 * solve from with `--stats`, without reading the rows again. Memory is bounded by a chunk, a
 * block of rows and d² numbers per fold, whatever the file's size.
 */

import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import {
  DataFileError,
  FoldIdError,
  type FoldRule,
  StatsAccumulator,
  type StatsFile,
  serializeStats,
} from "@wdecay/core";
import { type Command, Option } from "commander";
import { type CliContext, println } from "../context.js";
import { RuntimeError, UsageError } from "../errors.js";
import { type DataStream, openDataStream, type Shard } from "../io/data-stream.js";
import { writeFileAtomic } from "../io/files.js";
import { integerAtLeast, parseFeatureList, parseSeed, pathParser } from "../options.js";
import { createProgress } from "../render/progress.js";
import { parseShard, shardFromEnvironment } from "../shard.js";
import { DEFAULT_SEED } from "./demo.js";

/** cv.glmnet's default fold count. */
const DEFAULT_FOLDS = 10;

interface StatsFlags {
  readonly data: string;
  readonly target: string;
  readonly features?: string[];
  readonly folds: number;
  readonly foldid?: string;
  readonly seed: number;
  readonly standardize: boolean;
  readonly shard?: Shard;
  readonly shards?: number;
  readonly out: string;
  readonly json?: boolean;
}

export function registerStats(program: Command, ctx: CliContext): Command {
  return program
    .command("stats")
    .description(
      "Read a CSV file (plain or gzip) or a Parquet file once, or one shard of it, into the float64 sufficient " +
        "statistics of least squares per cross-validation fold: row count, means, centered " +
        "XᵀX, Xᵀy and yᵀy, merged by a numerically stable pairwise update. Memory stays bounded " +
        "whatever the file's size. Shards of one file (--shard i/N, or --shards N with the index " +
        "from JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID or AWS_BATCH_JOB_ARRAY_INDEX) are byte " +
        "ranges of a CSV, row groups g ≡ i (mod N) of a Parquet file; `wdecay merge` adds their files, and `fit`, `path` and `select --stats FILE` " +
        "solve from the result without reading the rows again. A row's fold is decided by the " +
        "row alone (a seeded hash of its values, or --foldid COLUMN), so every shard agrees.",
    )
    .requiredOption(
      "--data <file>",
      "CSV file with a header row, plain or gzip",
      pathParser("--data"),
    )
    .requiredOption("--target <column>", "the column to predict")
    .option(
      "--features <names>",
      "comma-separated feature columns (default: every column but the target and --foldid)",
      parseFeatureList,
    )
    .option(
      "--folds <k>",
      "cross-validation folds, a row's fold a seeded hash of its values (2 to 1000)",
      integerAtLeast("--folds", 2),
      DEFAULT_FOLDS,
    )
    .option("--foldid <column>", "take each row's fold from this integer column instead")
    .option("--seed <n>", "seed of the fold hash", parseSeed, DEFAULT_SEED)
    .option(
      "--no-standardize",
      "fits from these statistics use the raw features (default: standardized, divisor n)",
    )
    .addOption(
      new Option("--shard <i/N>", "read shard i (from 0) of N byte ranges of the file").argParser(
        parseShard,
      ),
    )
    .addOption(
      new Option(
        "--shards <N>",
        "read one of N shards, its index from the engine's environment variable",
      ).argParser(integerAtLeast("--shards", 1)),
    )
    .requiredOption(
      "--out <file>",
      "the stats file to write; {index} in it becomes the shard index (part-{index}.json)",
    )
    .option("--json", "print one JSON object on stdout instead of the report")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  wdecay stats --data big.csv --target y --out stats.json\n" +
        "  wdecay stats --data big.csv --target y --shard 3/8 --out part-3.json\n" +
        "  JOB_COMPLETION_INDEX=3 wdecay stats --data big.csv --target y --shards 8 --out part-{index}.json\n" +
        "  wdecay merge --out stats.json part-*.json && wdecay select --stats stats.json\n",
    )
    .action((flags: StatsFlags, cmd: Command) => runStats(flags, cmd, ctx));
}

function shardOf(flags: StatsFlags): Shard {
  if (flags.shard !== undefined && flags.shards !== undefined) {
    throw new UsageError("--shard i/N and --shards N cannot be used together: give one");
  }
  if (flags.shard !== undefined) return flags.shard;
  if (flags.shards !== undefined) return shardFromEnvironment(flags.shards, process.env);
  return { index: 0, count: 1 };
}

function foldRuleOf(flags: StatsFlags, command: Command): FoldRule {
  if (flags.foldid !== undefined) {
    if (command.getOptionValueSource("folds") === "cli") {
      throw new UsageError("--folds and --foldid cannot be used together: choose one fold rule");
    }
    if (flags.features?.includes(flags.foldid)) {
      throw new UsageError(`--features lists ${JSON.stringify(flags.foldid)}, the --foldid column`);
    }
    return { kind: "column", column: flags.foldid };
  }
  if (flags.folds > 1000) throw new UsageError(`--folds must be at most 1000, got ${flags.folds}`);
  return { kind: "hash", folds: flags.folds, seed: flags.seed };
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 0)} MB`;
}

async function runStats(flags: StatsFlags, command: Command, ctx: CliContext): Promise<void> {
  const shard = shardOf(flags);
  const rule = foldRuleOf(flags, command);
  const out = flags.out.replaceAll("{index}", String(shard.index));
  if (out.trim() === "") throw new UsageError("--out must name a file");
  const started = performance.now();
  const extra = rule.kind === "column" ? [rule.column] : [];
  let data: DataStream;
  try {
    data = await openDataStream(
      flags.data,
      {
        target: flags.target,
        ...(flags.features ? { features: flags.features } : {}),
        extra,
      },
      shard,
    );
  } catch (error) {
    throw located(error);
  }
  // With --foldid the fold column is not a feature by default.
  const { columns } = data;
  const accumulator = new StatsAccumulator(columns.featureNames.length, rule);
  const progress = createProgress(
    Math.max(1, data.shardBytes),
    ctx.isTTY && !flags.json,
    ctx.progressStream,
  );
  let peak = process.memoryUsage.rss();
  try {
    const blocks = data.blocks({
      onProgress: (bytesRead) => {
        peak = Math.max(peak, process.memoryUsage.rss());
        progress.update(
          Math.min(bytesRead, data.shardBytes),
          `${megabytes(bytesRead)} of ${megabytes(data.shardBytes)}`,
        );
      },
    });
    for await (const block of blocks) {
      try {
        accumulator.add({ ...block, ...(extra.length > 0 ? { foldIds: block.extra } : {}) });
      } catch (error) {
        if (error instanceof FoldIdError) {
          const line = block.lines[error.row] as number;
          const column = columns.header.indexOf(extra[0] as string) + 1;
          throw new DataFileError(
            flags.data,
            line,
            column,
            `fold id ${block.extra[error.row]} is not an integer`,
            extra[0],
          );
        }
        throw error;
      }
    }
  } catch (error) {
    throw located(error);
  } finally {
    progress.stop();
  }
  const folds = accumulator.folds();
  const stats: StatsFile = {
    source: { file: flags.data, bytes: data.bytes, format: data.format },
    target: columns.targetName,
    features: columns.featureNames,
    foldRule: rule,
    standardize: flags.standardize,
    shards: { count: shard.count, covered: [shard.index] },
    folds,
  };
  // Each shard writes into a shared folder that may not exist yet (part-{index}.json).
  await mkdir(dirname(out), { recursive: true }).catch((error: Error) => {
    throw new RuntimeError(`cannot create the folder of --out file "${out}": ${error.message}`);
  });
  await writeFileAtomic(out, serializeStats(stats), "--out");
  peak = Math.max(peak, process.memoryUsage.rss());
  const seconds = (performance.now() - started) / 1000;
  const rows = accumulator.rows;
  const read = data.compressed ? data.bytes : data.shardBytes;
  if (flags.json) {
    println(
      ctx.stdout,
      JSON.stringify({
        data: flags.data,
        shard,
        rows,
        features: columns.featureNames.length,
        target: columns.targetName,
        foldRule: rule,
        foldRows: Object.fromEntries([...folds].map(([f, m]) => [f, m.n])),
        standardize: flags.standardize,
        bytesRead: read,
        seconds,
        peakRssBytes: peak,
        out,
      }),
    );
    return;
  }
  const what =
    shard.count > 1 ? `shard ${shard.index}/${shard.count} of ${flags.data}` : flags.data;
  println(
    ctx.stdout,
    `stats: ${what}: ${rows} rows, target ${JSON.stringify(columns.targetName)}, ${columns.featureNames.length} features`,
  );
  const foldText =
    rule.kind === "hash"
      ? `${rule.folds} folds by a hash of each row's values (seed ${rule.seed})`
      : rule.kind === "column"
        ? `folds from column ${JSON.stringify(rule.column)}`
        : "no folds";
  println(
    ctx.stdout,
    `${foldText}: ${[...folds].map(([f, m]) => `${f}: ${m.n}`).join(", ") || "no rows"}`,
  );
  println(
    ctx.stdout,
    `read ${megabytes(read)}${data.compressed ? " (gzip)" : ""} in ${seconds.toFixed(2)} s ` +
      `(${megabytes(read / Math.max(seconds, 1e-9))}/s), peak RSS ${megabytes(peak)}`,
  );
  println(
    ctx.stdout,
    `wrote ${out}${shard.count > 1 ? ` (merge the ${shard.count} shards with wdecay merge)` : ""}`,
  );
}

/** File errors as runtime errors: one line, file:line:column. */
function located(error: unknown): unknown {
  if (error instanceof DataFileError) return new RuntimeError(error.message, { cause: error });
  return error;
}
