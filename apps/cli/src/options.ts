/**
 * Parsers for flag values, shared by the commands. Each throws a {@link UsageError} naming its
 * flag. Parsing is strict: the whole value must be a decimal number ("3abc", "", "0x10",
 * "Infinity" and "1e400" are rejected), where parseFloat would quietly read a prefix.
 */

import {
  CONVENTION_IDS,
  type LambdaConvention,
  METHODS,
  type Method,
  parseConvention,
} from "@wdecay/core";
import type { Command } from "commander";
import { UsageError } from "./errors.js";

/** A decimal literal: sign, digits with an optional fraction, optional exponent. */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The value as a finite number, or undefined if it is not a plain decimal literal. */
export function strictNumber(value: string): number | undefined {
  if (!DECIMAL.test(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** Throws the usage error of a flag whose value does not meet `requirement`. */
export function fail(flag: string, requirement: string, value: string): never {
  throw new UsageError(`${flag} must be ${requirement} (got ${JSON.stringify(value)})`);
}

/** A parser of a number that satisfies `ok`, described by `requirement` in the error. */
export function numberParser(flag: string, requirement: string, ok: (n: number) => boolean) {
  return (value: string): number => {
    const n = strictNumber(value);
    if (n === undefined || !ok(n)) fail(flag, requirement, value);
    return n;
  };
}

/** An integer ≥ `min`, no larger than the largest safe integer. */
export function integerAtLeast(flag: string, min: number): (value: string) => number {
  return numberParser(flag, `an integer ≥ ${min}`, (n) => Number.isSafeInteger(n) && n >= min);
}

/** A finite number ≥ 0 (λ). */
export const parseLambda = numberParser("--lambda", "a number ≥ 0", (n) => n >= 0);

/** A finite number > 0 (the learning rate). */
export const parseLr = numberParser("--lr", "a number > 0", (n) => n > 0);

/** A seed: core's random streams take a non-negative safe integer. */
export const parseSeed = numberParser(
  "--seed",
  `an integer between 0 and ${Number.MAX_SAFE_INTEGER}`,
  (n) => Number.isSafeInteger(n) && n >= 0,
);

/** The largest fast-check seed: its seeds are 32-bit signed integers. */
export const MAX_CHECK_SEED = 2 ** 31 - 1;

/** A conformance seed: fast-check's, an integer in [0, 2³¹ − 1]. */
export const parseCheckSeed = numberParser(
  "--seed",
  `an integer between 0 and ${MAX_CHECK_SEED}`,
  (n) => Number.isSafeInteger(n) && n >= 0 && n <= MAX_CHECK_SEED,
);

/** A fast-check replay path as a failure reports it: run indices joined by colons ("3:0:1"). */
export function parseReplayPath(value: string): string {
  if (!/^\d+(?::\d+)*$/.test(value)) {
    fail("--replay", "a path of colon-separated integers as a failure reports it", value);
  }
  return value;
}

export const parseNumRuns = integerAtLeast("--num-runs", 1);
export const parseEpochs = integerAtLeast("--epochs", 1);
export const parseBatchSize = integerAtLeast("--batch-size", 1);
export const parseNTrain = integerAtLeast("--n-train", 1);
export const parseNTest = integerAtLeast("--n-test", 1);
export const parseDims = integerAtLeast("--dims", 1);
export const parseEvalEvery = integerAtLeast("--eval-every", 1);

/** `scratch` or `concise`. */
export function parseMethod(value: string): Method {
  const method = METHODS.find((m) => m === value);
  if (!method) fail("--method", METHODS.join(" or "), value);
  return method;
}

/** A path: anything but the empty string, which would silently mean the current directory. */
export function pathParser(flag: string): (value: string) => string {
  return (value) => {
    if (value === "") fail(flag, "a path", value);
    return value;
  };
}

/**
 * A parser of a chart path: the charts are SVG, so the path must end in .svg (a chart written
 * as SVG into x.png would not open as the PNG its name promises).
 */
export function svgPathParser(flag: string): (value: string) => string {
  return (value) => {
    if (!/\.svg$/i.test(value)) fail(flag, "a path ending in .svg (the charts are SVG)", value);
    return value;
  };
}

/** The batch size against the training set size, once both are known. */
export function checkBatchSize(batchSize: number, nTrain: number): void {
  if (batchSize > nTrain) {
    throw new UsageError(
      `--batch-size must be an integer between 1 and --n-train (${nTrain}) (got ${JSON.stringify(String(batchSize))})`,
    );
  }
}

/** The most λ values one --lambdas may hold: each is a weight column trained at once. */
export const MAX_LAMBDAS = 1000;

/** A plain, finite decimal ≥ 0 inside a --lambdas spec, or a one-line error naming the flag. */
function specNumber(token: string, spec: string): number {
  const n = strictNumber(token.trim());
  if (n === undefined) {
    throw new UsageError(
      `--lambdas must hold numbers ≥ 0 or log ranges start:stop:count, and ${JSON.stringify(token)} is not a number (got ${JSON.stringify(spec)})`,
    );
  }
  if (n < 0) {
    throw new UsageError(
      `--lambdas values must be ≥ 0, and ${JSON.stringify(token)} is negative (got ${JSON.stringify(spec)})`,
    );
  }
  return n;
}

/** `count` values log-spaced from `start` to `stop` (both included, exactly). */
function logSpaced(start: number, stop: number, count: number): number[] {
  if (count === 1) return [start];
  // In base 10, so that decades come out exact: 1:100:3 is 1, 10, 100, not 10.000000000000002.
  const a = Math.log10(start);
  const b = Math.log10(stop);
  return Array.from({ length: count }, (_, k) =>
    k === 0 ? start : k === count - 1 ? stop : 10 ** (a + ((b - a) * k) / (count - 1)),
  );
}

/**
 * A λ grid: comma-separated items, each a number ≥ 0 (`0,0.1,1,3`) or a log range
 * `start:stop:count` of `count` values log-spaced from start to stop, both included
 * (`1e-3:10:20`; start > 0, stop ≥ start). Items may be mixed (`0,1e-3:10:9`). Returns the
 * values sorted ascending without duplicates, at most {@link MAX_LAMBDAS} of them.
 */
export function parseLambdaSpec(spec: string): number[] {
  const shown = JSON.stringify(spec);
  const values: number[] = [];
  for (const item of spec.split(",")) {
    const trimmed = item.trim();
    if (trimmed === "") {
      throw new UsageError(
        `--lambdas must be a comma-separated list of numbers ≥ 0 or a log range start:stop:count, with no empty item (got ${shown})`,
      );
    }
    const parts = trimmed.split(":");
    if (parts.length === 1) {
      values.push(specNumber(trimmed, spec));
    } else if (parts.length === 3) {
      const [startText, stopText, countText] = parts as [string, string, string];
      const start = specNumber(startText, spec);
      const stop = specNumber(stopText, spec);
      const count = strictNumber(countText.trim());
      if (count === undefined || !Number.isSafeInteger(count) || count < 1) {
        throw new UsageError(
          `--lambdas log range ${JSON.stringify(trimmed)} needs a count that is an integer ≥ 1 (got ${shown})`,
        );
      }
      if (start <= 0) {
        throw new UsageError(
          `--lambdas log range ${JSON.stringify(trimmed)} needs start > 0, since it is log-spaced; list 0 separately, as in "0,${trimmed.replace(/^[^:]*/, "1e-3")}" (got ${shown})`,
        );
      }
      if (start > stop) {
        throw new UsageError(
          `--lambdas log range ${JSON.stringify(trimmed)} has start > stop; write it as start:stop:count with start ≤ stop (got ${shown})`,
        );
      }
      if (count > MAX_LAMBDAS) {
        throw new UsageError(
          `--lambdas may hold at most ${MAX_LAMBDAS} values, and ${JSON.stringify(trimmed)} alone has ${count} (got ${shown})`,
        );
      }
      values.push(...logSpaced(start, stop, count));
    } else {
      throw new UsageError(
        `--lambdas item ${JSON.stringify(trimmed)} is neither a number nor a log range start:stop:count (got ${shown})`,
      );
    }
    if (values.length > MAX_LAMBDAS) {
      throw new UsageError(
        `--lambdas may hold at most ${MAX_LAMBDAS} values, got ${values.length} or more (got ${shown})`,
      );
    }
  }
  return [...new Set(values)].sort((p, q) => p - q);
}

/** Penalties of the elastic-net family, as flags spell them. */
export const PENALTIES = ["l2", "l1", "elastic"] as const;
export type Penalty = (typeof PENALTIES)[number];

/** `l2`, `l1` or `elastic`. */
export function parsePenalty(value: string): Penalty {
  const penalty = PENALTIES.find((p) => p === value);
  if (!penalty) fail("--penalty", `${PENALTIES.join(", ")} (ridge, lasso, elastic net)`, value);
  return penalty;
}

/** The elastic-net mixing α ∈ [0, 1]: the share of the L1 term. */
export const parseAlpha = numberParser(
  "--alpha",
  "a number between 0 and 1",
  (n) => n >= 0 && n <= 1,
);

/** The solvers `wdecay fit` offers. */
export const SOLVERS = ["closed", "sgd", "cd", "prox"] as const;
export type Solver = (typeof SOLVERS)[number];

export function parseSolver(value: string): Solver {
  const solver = SOLVERS.find((s) => s === value);
  if (!solver) fail("--solver", SOLVERS.join(", "), value);
  return solver;
}

/** A λ convention's name (see core's conventions.ts), case-insensitive. */
export function parseLambdaConvention(value: string): LambdaConvention {
  try {
    return parseConvention(value);
  } catch {
    fail("--lambda-convention", `one of ${CONVENTION_IDS.join(", ")}`, value);
  }
}

/** The share of rows held out for testing, in (0, 1). */
export const parseTestFraction = numberParser(
  "--test-fraction",
  "a number ≥ 0 and below 1 (0 fits on every row)",
  (n) => n >= 0 && n < 1,
);

/** An iterative solver's tolerance (what it measures is the solver's; see `--help`). */
export const parseTol = numberParser("--tol", "a number > 0", (n) => n > 0 && Number.isFinite(n));

/** An iterative solver's iteration budget. */
export const parseMaxIter = integerAtLeast("--max-iter", 1);

/** --tol and --max-iter of coordinate descent along a grid (`path`, `select`). */
export function addDescentBudget(command: Command, tol: number, maxIter: number): Command {
  return command
    .option(
      "--tol <t>",
      `coordinate descent's tolerance on the relative KKT residual (default ${tol})`,
      parseTol,
    )
    .option(
      "--max-iter <n>",
      `coordinate descent's pass budget per λ (default ${maxIter})`,
      parseMaxIter,
    );
}

/** Column names, comma-separated: none empty, none twice. */
export function parseFeatureList(value: string): string[] {
  const names = value.split(",").map((name) => name.trim());
  if (names.some((name) => name === "")) {
    fail("--features", "a comma-separated list of column names, none empty", value);
  }
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) {
    throw new UsageError(
      `--features names the column ${JSON.stringify(twice)} twice (got ${JSON.stringify(value)})`,
    );
  }
  return names;
}

/** Grid sizes of a regularization path. */
export const parseNLambda = numberParser(
  "--n-lambda",
  `an integer between 1 and ${MAX_LAMBDAS}`,
  (n) => Number.isSafeInteger(n) && n >= 1 && n <= MAX_LAMBDAS,
);

/** λ_min/λ_max of a path's grid, in (0, 1]. */
export const parseLambdaMinRatio = numberParser(
  "--lambda-min-ratio",
  "a number > 0 and ≤ 1",
  (n) => n > 0 && n <= 1,
);

/** The batch size against a training set that came from a file (no --n-train to name). */
export function checkBatchSizeForRows(batchSize: number, rows: number): void {
  if (batchSize > rows) {
    throw new UsageError(
      `--batch-size must be an integer between 1 and the training set's ${rows} rows (got ${JSON.stringify(String(batchSize))})`,
    );
  }
}

/**
 * The mixing α a penalty means: 1 for l1, 0 for l2, and --alpha for elastic, where it is
 * required; --alpha with l1 or l2 is refused rather than silently ignored.
 */
export function penaltyAlpha(penalty: Penalty, alpha: number | undefined): number {
  if (penalty === "elastic") {
    if (alpha === undefined) {
      throw new UsageError(
        "--alpha is required with --penalty elastic: the share of the L1 term, between 0 (ridge) and 1 (lasso)",
      );
    }
    return alpha;
  }
  if (alpha !== undefined) {
    throw new UsageError(
      `--alpha applies only to --penalty elastic (--penalty ${penalty} means α = ${penalty === "l1" ? 1 : 0})`,
    );
  }
  return penalty === "l1" ? 1 : 0;
}

/**
 * The penalty settings core's train and trainGrid take: `alpha` only with elastic, where core
 * requires it (and refuses it otherwise).
 */
export function trainPenalty(
  penalty: Penalty,
  alpha: number,
): { penalty: Penalty } | { penalty: Penalty; alpha: number } {
  return penalty === "elastic" ? { penalty, alpha } : { penalty };
}

/** A penalty's name for people. */
export function penaltyName(penalty: Penalty, alpha: number): string {
  if (penalty === "l1") return "lasso (L1)";
  if (penalty === "l2") return "ridge (L2)";
  return `elastic net (α = ${alpha})`;
}

/** The folds of k-fold cross-validation: an integer ≥ 2 (one fold validates, the rest fit). */
export const parseFolds = integerAtLeast("--folds", 2);

/** The share of the training rows held out for validation, in (0, 1). */
export const parseValFraction = numberParser(
  "--val-fraction",
  "a number between 0 and 1, both excluded",
  (n) => n > 0 && n < 1,
);

/** How `wdecay select` picks λ from its validation curve. */
export const RULES = ["min", "1se"] as const;
export type Rule = (typeof RULES)[number];

/** `min` (least validation loss) or `1se` (the one-standard-error rule). */
export function parseRule(value: string): Rule {
  const rule = RULES.find((r) => r === value);
  if (!rule)
    fail("--rule", `${RULES.join(" or ")} (least validation loss, one-standard-error rule)`, value);
  return rule;
}
