/**
 * Parsers for flag values, shared by the commands. Each throws a {@link UsageError} naming its
 * flag. Parsing is strict: the whole value must be a decimal number ("3abc", "", "0x10",
 * "Infinity" and "1e400" are rejected), where parseFloat would quietly read a prefix.
 */
import { METHODS, type Method } from "@wdecay/core";
import { UsageError } from "./errors.js";

/** A decimal literal: sign, digits with an optional fraction, optional exponent. */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The value as a finite number, or undefined if it is not a plain decimal literal. */
function strictNumber(value: string): number | undefined {
  if (!DECIMAL.test(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function fail(flag: string, requirement: string, value: string): never {
  throw new UsageError(`${flag} must be ${requirement} (got ${JSON.stringify(value)})`);
}

/** A parser of a number that satisfies `ok`, described by `requirement` in the error. */
function numberParser(flag: string, requirement: string, ok: (n: number) => boolean) {
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

/** The batch size against the training set size, once both are known. */
export function checkBatchSize(batchSize: number, nTrain: number): void {
  if (batchSize > nTrain) {
    throw new UsageError(
      `--batch-size must be an integer between 1 and --n-train (${nTrain}) (got ${JSON.stringify(String(batchSize))})`,
    );
  }
}
