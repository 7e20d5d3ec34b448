/**
 * `wdecay merge`: adds the stats files of shards of one data file (core's mergeStats: fold by
 * fold, the pairwise update, in shard order), refusing files of another data file, target,
 * feature list, fold rule or shard count, and a shard named twice. A merge of some shards is a
 * valid stats file too (merging in stages); `fit`, `path` and `select` refuse an incomplete one.
 */
import { mergeStats, parseStats, StatsFileError, serializeStats } from "@wdecay/core";
import type { Command } from "commander";
import { type CliContext, println } from "../context.js";
import { RuntimeError, UsageError } from "../errors.js";
import { readTextFile, writeFileAtomic } from "../io/files.js";

interface MergeFlags {
  readonly out: string;
  readonly json?: boolean;
}

export function registerMerge(program: Command, ctx: CliContext): Command {
  return program
    .command("merge")
    .description(
      "Add the stats files of shards of one data file (from `wdecay stats --shard`) into one, " +
        "fold by fold with a numerically stable pairwise update, in shard order whatever the " +
        "order named. Refuses files of another data file, target, features, fold rule or " +
        "shard count, and a shard given twice.",
    )
    .argument("<files...>", "stats files of shards")
    .requiredOption("--out <file>", "the merged stats file to write")
    .option("--json", "print one JSON object on stdout instead of the report")
    .addHelpText("after", "\nExample:\n  wdecay merge --out stats.json part-*.json\n")
    .action((files: string[], flags: MergeFlags) => runMerge(files, flags, ctx));
}

async function runMerge(files: string[], flags: MergeFlags, ctx: CliContext): Promise<void> {
  if (files.length === 0) throw new UsageError("merge needs at least one stats file");
  const parts = [];
  for (const file of files) {
    const text = await readTextFile(file, "stats");
    try {
      parts.push({ stats: parseStats(text, file), name: file });
    } catch (error) {
      if (error instanceof StatsFileError) throw new RuntimeError(error.message, { cause: error });
      throw error;
    }
  }
  let merged: ReturnType<typeof mergeStats>;
  try {
    merged = mergeStats(parts);
  } catch (error) {
    if (error instanceof StatsFileError) throw new RuntimeError(error.message, { cause: error });
    throw error;
  }
  await writeFileAtomic(flags.out, serializeStats(merged), "--out");
  const { count, covered } = merged.shards;
  const have = new Set(covered);
  const missing = Array.from({ length: count }, (_, s) => s).filter((s) => !have.has(s));
  let rows = 0;
  for (const m of merged.folds.values()) rows += m.n;
  if (flags.json) {
    println(
      ctx.stdout,
      JSON.stringify({
        out: flags.out,
        files: files.length,
        rows,
        shards: count,
        covered,
        missing,
      }),
    );
    return;
  }
  println(
    ctx.stdout,
    `merged ${files.length} file(s): ${rows} rows, shards ${covered.length} of ${count}` +
      (missing.length === 0
        ? " (complete)"
        : `; missing ${missing.slice(0, 8).join(", ")}${missing.length > 8 ? ", …" : ""}`),
  );
  println(ctx.stdout, `wrote ${flags.out}`);
}
