/**
 * Where a command's data come from, shared by `sweep`, `path` and `fit`: the chapter's synthetic
 * data (eq. 4.5.4, sized by --n-train, --n-test and --dims, from --seed) when no --data is given,
 * or a CSV file (--data FILE --target COL [--features a,b,c]) split into train and test rows by
 * --seed, with its features standardized on the training rows unless --no-standardize.
 *
 * Models are fitted on `fit` (standardized features when a CSV is standardized) and reported
 * on the original feature scale through {@link LoadedData.toOriginal}, so that a weight is in
 * units of the target per unit of its column, and the saved model predicts from raw columns.
 */
import {
  CHAPTER,
  csvDataset,
  type DataSplit,
  type Dataset,
  fitStandardizer,
  type LinearModel,
  StandardizeError,
  type Standardizer,
  standardize,
  syntheticSplit,
  toOriginalScale,
  trainTestSplit,
} from "@wdecay/core";
import type { Command } from "commander";
import { DEFAULT_SEED } from "./commands/demo.js";
import { RuntimeError, UsageError } from "./errors.js";
import { readTextFile } from "./io/files.js";
import {
  parseDims,
  parseFeatureList,
  parseNTest,
  parseNTrain,
  parseSeed,
  parseTestFraction,
  pathParser,
} from "./options.js";

/** The default share of a CSV's rows held out for testing. */
export const DEFAULT_TEST_FRACTION = 0.2;

/** The flags {@link addDataOptions} defines, as commander hands them to the action. */
export interface DataFlags {
  readonly data?: string;
  readonly target?: string;
  readonly features?: string[];
  readonly testFraction: number;
  /** False with --no-standardize. */
  readonly standardize: boolean;
  readonly seed: number;
  readonly nTrain: number;
  readonly nTest: number;
  readonly dims: number;
}

/**
 * The data options, with the same names and defaults as `wdecay train`'s where they overlap.
 * `seedAlso` says what else --seed seeds in this command (training's initial weights…).
 */
export function addDataOptions(command: Command, seedAlso?: string): Command {
  return command
    .option(
      "--data <file>",
      "CSV file with a header row (default: the chapter's synthetic data)",
      pathParser("--data"),
    )
    .option("--target <column>", "with --data: the column to predict (required)")
    .option(
      "--features <names>",
      "with --data: comma-separated feature columns (default: every column but the target)",
      parseFeatureList,
    )
    .option(
      "--test-fraction <f>",
      "with --data: share of rows held out for testing, split by --seed",
      parseTestFraction,
      DEFAULT_TEST_FRACTION,
    )
    .option(
      "--no-standardize",
      "with --data: fit on the raw features (by default they are standardized on the " +
        "training rows; weights are reported on the original scale either way)",
    )
    .option("--n-train <n>", "synthetic data: training examples", parseNTrain, CHAPTER.nTrain)
    .option("--n-test <n>", "synthetic data: test examples", parseNTest, CHAPTER.nTest)
    .option("--dims <n>", "synthetic data: features d", parseDims, CHAPTER.dims)
    .option(
      "--seed <n>",
      `seed of the synthetic data, or of the CSV's train/test split${seedAlso ? `; ${seedAlso}` : ""}`,
      parseSeed,
      DEFAULT_SEED,
    );
}

/** Whether the user gave `key`'s flag, rather than commander filling in its default. */
export function given(command: Command, key: string): boolean {
  const source = command.getOptionValueSource(key);
  return source !== undefined && source !== "default" && source !== "implied";
}

/** The flag a key stands for, as --help spells it. */
function flagOf(key: string): string {
  if (key === "standardize") return "--no-standardize";
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * Rejects data flags that do not go together, before anything is read: a synthetic-data size
 * with --data, a CSV option without it, and --data without --target.
 */
export function checkDataFlags(flags: DataFlags, command: Command): void {
  if (flags.data === undefined) {
    for (const key of ["target", "features", "testFraction", "standardize"]) {
      if (given(command, key)) {
        throw new UsageError(`${flagOf(key)} applies only with --data FILE (a CSV file)`);
      }
    }
    return;
  }
  for (const key of ["nTrain", "nTest", "dims"]) {
    if (given(command, key)) {
      throw new UsageError(
        `${flagOf(key)} sizes the synthetic data and cannot be used with --data (the file's rows and columns decide)`,
      );
    }
  }
  if (flags.target === undefined || flags.target.trim() === "") {
    throw new UsageError("--target is required with --data: name the column to predict");
  }
}

/** The data a command fits on and reports about. */
export interface LoadedData {
  readonly kind: "synthetic" | "csv";
  /** Train and test sets on the original scale of the features. */
  readonly original: DataSplit;
  /** What models are fitted on: standardized kept features, or {@link original}. */
  readonly fit: DataSplit;
  /** The name of every original feature (x1…xd for synthetic data). */
  readonly featureNames: readonly string[];
  readonly target: string;
  /** The training rows' standardization, when the features were standardized. */
  readonly standardizer?: Standardizer;
  /**
   * Where the penalty acts, and so what the reported norms ‖w‖ measure: the standardized
   * weights when the features were standardized, else the weights on the original scale.
   */
  readonly normScale: "original" | "standardized";
  /** Constant training columns left out of the fit (their weight is 0). */
  readonly dropped: readonly string[];
  /** One line for people. */
  readonly summary: string;
  /** The same for --json. */
  readonly json: Record<string, unknown>;
  /** A model fitted on {@link fit}, on the original feature scale. */
  toOriginal(model: LinearModel): LinearModel;
}

function syntheticData(flags: DataFlags): LoadedData {
  const split = syntheticSplit(flags.seed, flags);
  const featureNames = Array.from({ length: flags.dims }, (_, j) => `x${j + 1}`);
  return {
    kind: "synthetic",
    original: split,
    fit: split,
    featureNames,
    target: "y",
    normScale: "original",
    dropped: [],
    summary:
      `synthetic (D2L §4.5: y = 0.05 + Σ 0.01·xᵢ + ε), n-train ${flags.nTrain}, ` +
      `n-test ${flags.nTest}, dims ${flags.dims}, seed ${flags.seed}`,
    json: {
      source: "synthetic",
      nTrain: flags.nTrain,
      nTest: flags.nTest,
      dims: flags.dims,
      seed: flags.seed,
    },
    toOriginal: (model) => ({ weights: Float64Array.from(model.weights), bias: model.bias }),
  };
}

async function csvData(flags: DataFlags & { data: string; target: string }): Promise<LoadedData> {
  const text = await readTextFile(flags.data, "--data");
  // A DataFileError says file:line:column; main prints it as the one line of a runtime error.
  const table = csvDataset(text, {
    source: flags.data,
    target: flags.target,
    ...(flags.features ? { features: flags.features } : {}),
  });
  let split: DataSplit;
  try {
    split = trainTestSplit(table.dataset, { testFraction: flags.testFraction, seed: flags.seed });
  } catch (error) {
    // The fraction is fine on its own but not for this many rows.
    throw new UsageError(`--test-fraction ${flags.testFraction}: ${(error as Error).message}`);
  }
  const { featureNames, targetName } = table;
  let standardizer: Standardizer | undefined;
  let fit = split;
  if (flags.standardize) {
    try {
      standardizer = fitStandardizer(split.train, { constant: "drop", featureNames });
    } catch (error) {
      if (error instanceof StandardizeError) {
        throw new RuntimeError(
          `--data file "${flags.data}": ${error.message} (in the ${split.train.n} training rows)`,
          { cause: error },
        );
      }
      throw error;
    }
    fit = {
      train: standardize(split.train, standardizer),
      test: standardize(split.test, standardizer),
    };
  }
  const s = standardizer;
  const dropped = s ? featureNames.filter((_, j) => s.std[j] === 0) : [];
  const scaling = s ? "standardized on the training rows" : "raw (not standardized)";
  return {
    kind: "csv",
    original: split,
    fit,
    featureNames,
    target: targetName,
    ...(s ? { standardizer: s } : {}),
    normScale: s ? "standardized" : "original",
    dropped,
    summary:
      `${flags.data}: target ${JSON.stringify(targetName)}, ${featureNames.length} features ` +
      `${scaling}; ${split.train.n} train / ${split.test.n} test rows (test fraction ` +
      `${flags.testFraction}, seed ${flags.seed})` +
      (s ? "; ‖w‖ is of the standardized weights, which the penalty acts on" : "") +
      (dropped.length > 0 ? `; constant in training, weight 0: ${dropped.join(", ")}` : ""),
    json: {
      source: "csv",
      file: flags.data,
      target: targetName,
      features: featureNames,
      standardized: s !== undefined,
      normScale: s ? "standardized" : "original",
      droppedConstant: dropped,
      nTrain: split.train.n,
      nTest: split.test.n,
      testFraction: flags.testFraction,
      seed: flags.seed,
    },
    toOriginal: (model) =>
      s
        ? toOriginalScale(model, s)
        : { weights: Float64Array.from(model.weights), bias: model.bias },
  };
}

/**
 * The data the flags ask for. Call {@link checkDataFlags} first, with the other usage checks,
 * so that a bad flag costs nothing. File problems are runtime errors naming --data.
 */
export function loadData(flags: DataFlags): Promise<LoadedData> {
  if (flags.data === undefined) return Promise.resolve(syntheticData(flags));
  return csvData({ ...flags, data: flags.data, target: flags.target ?? "" });
}

/** The canonical data loss, mean ½(ŷ − y)², of a model on a data set (host, float64). */
export function halfMse(model: LinearModel, data: Dataset): number {
  const { X, y, n, d } = data;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let r = model.bias - (y[i] as number);
    for (let j = 0; j < d; j++) r += (model.weights[j] as number) * (X[i * d + j] as number);
    sum += r * r;
  }
  return sum / (2 * n);
}

/** ‖w‖₁. */
export function l1Norm(w: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < w.length; j++) s += Math.abs(w[j] as number);
  return s;
}

/** How many weights are not exactly zero. */
export function nonzeros(w: ArrayLike<number>): number {
  let count = 0;
  for (let j = 0; j < w.length; j++) if ((w[j] as number) !== 0) count++;
  return count;
}

/**
 * The per-feature mask of `--exempt NAMES` on the columns the model is fitted on: 0 for the
 * named features (no penalty or decay), 1 for the others. Names are those of the data
 * (x1…xd for synthetic data); a constant column dropped by standardization has no weight to
 * exempt and is skipped.
 */
export function exemptMask(
  data: Pick<LoadedData, "featureNames" | "standardizer">,
  names: readonly string[],
): Float64Array {
  const known = new Set(data.featureNames);
  for (const name of names) {
    if (!known.has(name)) {
      const list = data.featureNames.slice(0, 8).join(", ");
      const more = data.featureNames.length > 8 ? ", …" : "";
      throw new UsageError(
        `--exempt names ${JSON.stringify(name)}, which is not a feature (features: ${list}${more})`,
      );
    }
  }
  const exempt = new Set(names);
  const columns = data.standardizer
    ? Array.from(data.standardizer.kept, (j) => data.featureNames[j] as string)
    : data.featureNames;
  return Float64Array.from(columns, (name) => (exempt.has(name) ? 0 : 1));
}
