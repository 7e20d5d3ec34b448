/**
 * `--stats FILE` for `fit`, `path` and `select`: a stats file from `wdecay stats` (merged when
 * sharded) stands in for the data. The statistics fix the rows, features, target, folds and
 * standardization, so the flags that choose those are refused beside it rather than ignored.
 */
import {
  allRows,
  checkComplete,
  type Moments,
  parseStats,
  type StatsFile,
  StatsFileError,
} from "@wdecay/core";
import type { Command } from "commander";
import { flagOf, given, type Scaling } from "./data-source.js";
import { RuntimeError, UsageError } from "./errors.js";
import { readTextFile } from "./io/files.js";

/** A stats file, checked complete, with what a report says about it. */
export interface LoadedStats {
  readonly stats: StatsFile;
  /** The moments of every row. */
  readonly all: Moments;
  readonly scaling: Scaling;
  /** One line for people. */
  readonly summary: string;
  readonly json: Record<string, unknown>;
}

/** Flags that choose data, and so cannot go with --stats. */
const DATA_KEYS = [
  "data",
  "target",
  "features",
  "testFraction",
  "standardize",
  "nTrain",
  "nTest",
  "dims",
] as const;

/** Throws a usage error for any of `keys` (and the data flags) given beside --stats. */
export function refuseWithStats(command: Command, keys: readonly string[] = []): void {
  for (const key of [...DATA_KEYS, ...keys]) {
    if (given(command, key)) {
      throw new UsageError(
        `${flagOf(key)} cannot be used with --stats: the statistics fix the data, features, folds and standardization (choose them in wdecay stats)`,
      );
    }
  }
}

/** Reads and checks a stats file named by --stats. */
export async function loadStats(path: string): Promise<LoadedStats> {
  const text = await readTextFile(path, "--stats");
  let stats: StatsFile;
  try {
    stats = parseStats(text, path);
    checkComplete(stats, path);
  } catch (error) {
    if (error instanceof StatsFileError) throw new RuntimeError(error.message, { cause: error });
    throw error;
  }
  const all = allRows(stats);
  const rule = stats.foldRule;
  const folds =
    rule.kind === "hash"
      ? `${rule.folds} folds by row hash (seed ${rule.seed})`
      : rule.kind === "column"
        ? `folds from column ${JSON.stringify(rule.column)}`
        : "no folds";
  const scaling: Scaling = {
    standardize: stats.standardize,
    reason: stats.standardize ? "as wdecay stats recorded" : "--no-standardize in wdecay stats",
  };
  return {
    stats,
    all,
    scaling,
    summary:
      `${path}: statistics of ${stats.source.file} (${all.n} rows${stats.shards.count > 1 ? `, ${stats.shards.count} shards merged` : ""}), ` +
      `target ${JSON.stringify(stats.target)}, ${stats.features.length} features, ${folds}`,
    json: {
      source: "stats",
      stats: path,
      file: stats.source.file,
      rows: all.n,
      shards: stats.shards.count,
      target: stats.target,
      features: [...stats.features],
      foldRule: { ...rule },
      standardized: stats.standardize,
    },
  };
}
