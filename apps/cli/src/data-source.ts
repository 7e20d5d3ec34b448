/**
 * Where a command's data come from, shared by `fit`, `path`, `select`, `sweep` and `posterior`:
 * the chapter's synthetic data (eq. 4.5.4, sized by --n-train, --n-test and --dims, from --seed)
 * when no --data is given, or a CSV file (--data FILE --target COL [--features a,b,c]), all of
 * whose rows are fitted on unless --test-fraction holds some out (a command may default to a
 * split), with its features standardized on the fitted rows or not, as --standardize,
 * --no-standardize or the command's λ convention says.
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
import { checkSyntheticMemory } from "./memory.js";
import {
  parseDims,
  parseFeatureList,
  parseNTest,
  parseNTrain,
  parseSeed,
  parseTestFraction,
  pathParser,
} from "./options.js";

/** The share of a CSV's rows `sweep` and `posterior` hold out for testing by default. */
export const DEFAULT_TEST_FRACTION = 0.2;

/** The flags {@link addDataOptions} defines, as commander hands them to the action. */
export interface DataFlags {
  readonly data?: string;
  readonly target?: string;
  readonly features?: string[];
  readonly testFraction: number;
  /** True with --standardize, false with --no-standardize, undefined for the default. */
  readonly standardize?: boolean;
  readonly seed: number;
  readonly nTrain: number;
  readonly nTest: number;
  readonly dims: number;
}

/** How a command sets up the data options. */
export interface DataOptionsSpec {
  /** What else --seed seeds in this command (training's initial weights…). */
  readonly seedAlso?: string;
  /** The default --test-fraction: 0 (fit on every row) unless the command needs a test set. */
  readonly testFraction?: number;
  /** What --standardize defaults to, for the help text. */
  readonly standardizeDefault?: string;
}

/**
 * The data options, with the same names and defaults as `wdecay train`'s where they overlap.
 */
export function addDataOptions(command: Command, spec: DataOptionsSpec = {}): Command {
  const { seedAlso, testFraction = 0 } = spec;
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
      "with --data: share of rows held out for testing, split by --seed, in [0, 1); 0 fits " +
        "on every row",
      parseTestFraction,
      testFraction,
    )
    .option(
      "--standardize",
      "fit on features standardized on the fitted rows (mean 0, sd 1 with divisor n); weights " +
        `are reported on the original scale either way (default: ${spec.standardizeDefault ?? "with --data"})`,
    )
    .option("--no-standardize", "fit on the raw features")
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

/** The flag a commander key stands for, as --help spells it (`nTrain` is `--n-train`). */
export function flagOf(key: string): string {
  if (key === "standardize") return "--standardize/--no-standardize";
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * Rejects data flags that do not go together, before anything is read: a synthetic-data size
 * with --data, a CSV option without it, and --data without --target.
 */
export function checkDataFlags(flags: DataFlags, command: Command): void {
  if (flags.data === undefined) {
    for (const key of ["target", "features", "testFraction"]) {
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

/** Whether to standardize, and why, as the command resolved it (see {@link standardizeFor}). */
export interface Scaling {
  readonly standardize: boolean;
  /** Why, for people: "--standardize", "as glmnet does by default"… */
  readonly reason: string;
}

/**
 * The standardization a command uses: the flag when given, else the λ convention's library
 * default (glmnet standardizes, scikit-learn does not), else wdecay's own: standardize a CSV,
 * not the chapter's synthetic data (whose features are already on one scale).
 */
export function standardizeFor(
  flags: DataFlags,
  convention?: { readonly id: string; readonly label: string; readonly standardize: boolean },
): Scaling {
  if (flags.standardize !== undefined) {
    return {
      standardize: flags.standardize,
      reason: flags.standardize ? "--standardize" : "--no-standardize",
    };
  }
  if (convention !== undefined && convention.id !== "canonical") {
    return {
      standardize: convention.standardize,
      reason: `as ${convention.label} does by default`,
    };
  }
  const csv = flags.data !== undefined;
  return {
    standardize: csv,
    reason: csv ? "wdecay's default for a CSV" : "the chapter's features share one scale",
  };
}

/** A data set with no rows: the test set when every row is fitted on. */
function emptyLike(data: Dataset): Dataset {
  return { X: new Float64Array(0), y: new Float64Array(0), n: 0, d: data.d };
}

/** The split, standardized on its training rows when asked, and what to say about it. */
function scaled(
  split: DataSplit,
  featureNames: readonly string[],
  scaling: Scaling,
  where: string,
): { fit: DataSplit; standardizer?: Standardizer; dropped: string[]; note: string } {
  if (!scaling.standardize) {
    return { fit: split, dropped: [], note: `raw features (not standardized, ${scaling.reason})` };
  }
  let s: Standardizer;
  try {
    s = fitStandardizer(split.train, { constant: "drop", featureNames });
  } catch (error) {
    if (error instanceof StandardizeError) {
      throw new RuntimeError(`${where}: ${error.message} (in the ${split.train.n} fitted rows)`, {
        cause: error,
      });
    }
    throw error;
  }
  const fit = {
    train: standardize(split.train, s),
    test: split.test.n > 0 ? standardize(split.test, s) : emptyLike(standardize(split.train, s)),
  };
  const dropped = featureNames.filter((_, j) => s.std[j] === 0);
  return {
    fit,
    standardizer: s,
    dropped,
    note:
      `features standardized on the fitted rows (divisor n, ${scaling.reason}); ` +
      "‖w‖ is of the standardized weights, which the penalty acts on" +
      (dropped.length > 0 ? `; constant, weight 0: ${dropped.join(", ")}` : ""),
  };
}

function toOriginalWith(s: Standardizer | undefined) {
  return (model: LinearModel): LinearModel =>
    s ? toOriginalScale(model, s) : { weights: Float64Array.from(model.weights), bias: model.bias };
}

function syntheticData(flags: DataFlags, scaling: Scaling): LoadedData {
  checkSyntheticMemory(flags.nTrain + flags.nTest, flags.dims);
  const split = syntheticSplit(flags.seed, flags);
  const featureNames = Array.from({ length: flags.dims }, (_, j) => `x${j + 1}`);
  const { fit, standardizer, dropped, note } = scaled(
    split,
    featureNames,
    scaling,
    "the synthetic data",
  );
  return {
    kind: "synthetic",
    original: split,
    fit,
    featureNames,
    target: "y",
    ...(standardizer ? { standardizer } : {}),
    normScale: standardizer ? "standardized" : "original",
    dropped,
    summary:
      `synthetic (D2L §4.5: y = 0.05 + Σ 0.01·xᵢ + ε), n-train ${flags.nTrain}, ` +
      `n-test ${flags.nTest}, dims ${flags.dims}, seed ${flags.seed}; ${note}`,
    json: {
      source: "synthetic",
      nTrain: flags.nTrain,
      nTest: flags.nTest,
      dims: flags.dims,
      seed: flags.seed,
      standardized: standardizer !== undefined,
      standardizedBecause: scaling.reason,
      normScale: standardizer ? "standardized" : "original",
    },
    toOriginal: toOriginalWith(standardizer),
  };
}

async function csvData(
  flags: DataFlags & { data: string; target: string },
  scaling: Scaling,
): Promise<LoadedData> {
  const text = await readTextFile(flags.data, "--data");
  // A DataFileError says file:line:column; main prints it as the one line of a runtime error.
  const table = csvDataset(text, {
    source: flags.data,
    target: flags.target,
    ...(flags.features ? { features: flags.features } : {}),
  });
  let split: DataSplit;
  if (flags.testFraction === 0) {
    split = { train: table.dataset, test: emptyLike(table.dataset) };
  } else {
    try {
      split = trainTestSplit(table.dataset, { testFraction: flags.testFraction, seed: flags.seed });
    } catch (error) {
      // The fraction is fine on its own but not for this many rows.
      throw new UsageError(`--test-fraction ${flags.testFraction}: ${(error as Error).message}`);
    }
  }
  const { featureNames, targetName } = table;
  const { fit, standardizer, dropped, note } = scaled(
    split,
    featureNames,
    scaling,
    `--data file "${flags.data}"`,
  );
  const rows =
    split.test.n === 0
      ? `all ${split.train.n} rows fitted (no test split; --test-fraction F holds some out)`
      : `${split.train.n} train / ${split.test.n} test rows (test fraction ${flags.testFraction}, seed ${flags.seed})`;
  return {
    kind: "csv",
    original: split,
    fit,
    featureNames,
    target: targetName,
    ...(standardizer ? { standardizer } : {}),
    normScale: standardizer ? "standardized" : "original",
    dropped,
    summary: `${flags.data}: target ${JSON.stringify(targetName)}, ${featureNames.length} features; ${rows}; ${note}`,
    json: {
      source: "csv",
      file: flags.data,
      target: targetName,
      features: featureNames,
      standardized: standardizer !== undefined,
      standardizedBecause: scaling.reason,
      normScale: standardizer ? "standardized" : "original",
      droppedConstant: dropped,
      nTrain: split.train.n,
      nTest: split.test.n,
      testFraction: flags.testFraction,
      seed: flags.seed,
    },
    toOriginal: toOriginalWith(standardizer),
  };
}

/**
 * The data the flags ask for, standardized as `scaling` says (see {@link standardizeFor}). Call
 * {@link checkDataFlags} first, with the other usage checks, so that a bad flag costs nothing.
 * File problems are runtime errors naming --data.
 */
export function loadData(
  flags: DataFlags,
  scaling: Scaling = standardizeFor(flags),
): Promise<LoadedData> {
  if (flags.data === undefined) return Promise.resolve(syntheticData(flags, scaling));
  return csvData({ ...flags, data: flags.data, target: flags.target ?? "" }, scaling);
}

/** How well a model fits a data set: the mean squared error and R² = 1 − SSE/SST. */
export interface FitQuality {
  /** `mean (ŷ − y)²`, what scikit-learn's `mean_squared_error` and glmnet report. */
  readonly mse: number;
  /** scikit-learn's `r2_score`: 1 − Σ(ŷ − y)²/Σ(y − ȳ)² (NaN for a constant y, as sklearn's 0/0). */
  readonly r2: number;
}

/** {@link FitQuality} of `model` on `data` (NaN for both on a set without rows). */
export function fitQuality(model: LinearModel, data: Dataset): FitQuality {
  const { X, y, n, d } = data;
  if (n === 0) return { mse: Number.NaN, r2: Number.NaN };
  let sse = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += (y[i] as number) / n;
  let sst = 0;
  for (let i = 0; i < n; i++) {
    let r = model.bias - (y[i] as number);
    for (let j = 0; j < d; j++) r += (model.weights[j] as number) * (X[i * d + j] as number);
    sse += r * r;
    sst += ((y[i] as number) - mean) ** 2;
  }
  return { mse: sse / n, r2: sst > 0 ? 1 - sse / sst : Number.NaN };
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
