/**
 * Which shard of the data this process reads. The engine that runs the shards is an existing
 * one, never wdecay: Kubernetes Indexed Jobs, Slurm job arrays and AWS Batch array jobs each hand
 * every worker its index in an environment variable; `--shards N` reads it, `--shard i/N` takes
 * it from the command line.
 */

import { UsageError } from "./errors.js";
import type { Shard } from "./io/data-stream.js";

/** The index variables of the engines, in the order they are looked for. */
export const SHARD_INDEX_VARIABLES = [
  { name: "JOB_COMPLETION_INDEX", engine: "a Kubernetes Indexed Job" },
  { name: "SLURM_ARRAY_TASK_ID", engine: "a Slurm job array" },
  { name: "AWS_BATCH_JOB_ARRAY_INDEX", engine: "an AWS Batch array job" },
] as const;

/** `--shard i/N`: shard i (0-based) of N. */
export function parseShard(value: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || !Number.isSafeInteger(count) || count < 1 || count > 1_000_000 || index >= count) {
    throw new UsageError(
      `--shard must be i/N with 0 ≤ i < N ≤ 1000000 (shard i of N, counted from 0), got ${JSON.stringify(value)}`,
    );
  }
  return { index, count };
}

/** `--shards N`: the shard count, with the index from the engine's environment variable. */
export function shardFromEnvironment(count: number, env: NodeJS.ProcessEnv): Shard {
  const set = SHARD_INDEX_VARIABLES.filter((v) => env[v.name] !== undefined && env[v.name] !== "");
  if (set.length === 0) {
    throw new UsageError(
      `--shards ${count} takes this worker's index from ${SHARD_INDEX_VARIABLES.map((v) => `${v.name} (${v.engine})`).join(", ")}; none is set (give it with --shard i/${count})`,
    );
  }
  const values = new Set(set.map((v) => env[v.name]));
  if (values.size > 1) {
    throw new UsageError(
      `the shard index variables disagree: ${set.map((v) => `${v.name}=${env[v.name]}`).join(", ")}`,
    );
  }
  const first = set[0] as (typeof SHARD_INDEX_VARIABLES)[number];
  const raw = env[first.name] as string;
  const index = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(index) || index >= count) {
    throw new UsageError(
      `${first.name}=${JSON.stringify(raw)} is not a shard index in [0, ${count - 1}] for --shards ${count}` +
        (first.name === "SLURM_ARRAY_TASK_ID"
          ? ` (submit the array as --array=0-${count - 1})`
          : ""),
    );
  }
  return { index, count };
}
