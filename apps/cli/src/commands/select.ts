/**
 * `wdecay select`: D2L §4.5's exercise 2, choosing λ on validation data, and cv.glmnet's job.
 * The fitted rows (all of a CSV by default) are cut into k folds (--folds, or the user's own
 * assignment, --foldid, as glmnet's foldid) or a hold-out part (--val-fraction) by core's
 * selectLambda, which fits every candidate λ (float64 on the host: ridge from one
 * eigendecomposition, the lasso and elastic net by coordinate descent along the grid), estimates
 * the validation mean squared error with its standard error as cv.glmnet does, and picks λ_min
 * or λ₁ₛₑ. With a test split, the refit models' test errors answer the exercise's question,
 * whether the chosen λ is really the best one.
 */
import { existsSync } from "node:fs";
import {
  CD_DEFAULT_MAX_ITER,
  CD_DEFAULT_TOL,
  type ClassificationMeasure,
  csvDataset,
  type Dataset,
  describeLambda,
  type LambdaConvention,
  type LambdaSelection,
  type LinearModel,
  type SelectionMethod,
  type SelectLambdaOptions,
  selectLambda,
} from "@wdecay/core";
import { type Command, Option } from "commander";
import { type CliContext, println } from "../context.js";
import {
  addDataOptions,
  checkDataFlags,
  type DataFlags,
  fitQuality,
  given,
  type LoadedData,
  loadData,
  type Scaling,
  standardizeFor,
} from "../data-source.js";
import { RuntimeError, UsageError } from "../errors.js";
import { readTextFile, writeFileAtomic } from "../io/files.js";
import { addConventionOption, checkConventionPenalty } from "../lambda-convention.js";
import {
  addDescentBudget,
  fail,
  type Penalty,
  parseAlpha,
  parseFolds,
  parseLambdaMinRatio,
  parseLambdaSpec,
  parseNLambda,
  parsePenalty,
  parseRule,
  parseValFraction,
  pathParser,
  penaltyAlpha,
  penaltyName,
  type Rule,
  svgPathParser,
} from "../options.js";
import { probeWritableFile } from "../output-files.js";
import { finiteOrNull, formatLoss } from "../render/numbers.js";
import { createProgress } from "../render/progress.js";
import { selectChartSvg } from "../render/svg.js";
import { table } from "../render/table.js";
import { lossChart } from "../render/terminal-chart.js";
import { parseMeasure, runClassifierSelect } from "./select-classifier.js";
import { formatLambda } from "./sweep.js";

/** glmnet's default grid size (`nlambda`). */
const DEFAULT_N_LAMBDA = 100;

export interface SelectFlags extends DataFlags {
  readonly stats?: string;
  readonly lambdas?: number[];
  readonly nLambda: number;
  readonly lambdaMinRatio?: number;
  readonly valFraction?: number;
  readonly folds?: number;
  readonly foldid?: string;
  readonly rule: Rule;
  readonly penalty: Penalty;
  readonly alpha?: number;
  readonly lambdaConvention: LambdaConvention;
  readonly tol?: number;
  readonly maxIter?: number;
  readonly plot?: string;
  readonly json?: boolean;
  readonly model: "linear" | "logistic" | "softmax";
  readonly measure?: ClassificationMeasure;
}

export function registerSelect(program: Command, ctx: CliContext): Command {
  const command = program
    .command("select")
    .description(
      "Choose the penalty strength λ by cross-validation (D2L §4.5, exercise 2; what " +
        "cv.glmnet does). The fitted rows (every row of a CSV unless --test-fraction holds some " +
        "out) are cut into k folds (--folds, or your own assignment with --foldid) or a " +
        "hold-out part (--val-fraction); every λ of the grid is fitted on the rest and scored " +
        "by its validation mean squared error mean (ŷ − y)² (twice the objective's ½ data " +
        "term), averaged over folds weighted by fold size, with a standard error, as cv.glmnet " +
        "does. λ_min has the least error; λ₁ₛₑ is the largest λ within one standard error of it. " +
        "The model is refit on every fitted row at the chosen λ. Features are standardized " +
        "within each training part when standardizing (as cv.glmnet does). Fits are float64 on " +
        "the host (ridge from one eigendecomposition, otherwise coordinate descent). With " +
        "--model logistic (a 0/1 target) it is cv.glmnet's binomial family, with --model softmax " +
        "(class indices) its multinomial family, scored by --measure.",
    )
    .addOption(
      new Option(
        "--lambdas <spec>",
        "candidate λ in --lambda-convention: a comma list (0.1,1,3) and/or log ranges " +
          "start:stop:count (1e-3:10:21) (default: glmnet's grid, --n-lambda values from λ_max " +
          "down to λ_max·--lambda-min-ratio)",
      ).argParser(parseLambdaSpec),
    )
    .option(
      "--n-lambda <n>",
      "size of the default grid (1 to 1000)",
      parseNLambda,
      DEFAULT_N_LAMBDA,
    )
    .option(
      "--lambda-min-ratio <r>",
      "smallest λ of the default grid as a share of λ_max, in (0, 1] (default: 1e-4 when the " +
        "rows outnumber the features, else 1e-2)",
      parseLambdaMinRatio,
    )
    .option("--folds <k>", "k-fold cross-validation, folds drawn by --seed", parseFolds)
    .option(
      "--foldid <file|column>",
      "cross-validation on your folds (glmnet's foldid): a column of --data, or a file with " +
        "one integer fold id per fitted row",
    )
    .option(
      "--val-fraction <f>",
      "hold out this share of the fitted rows for validation instead of folds",
      parseValFraction,
    )
    .option(
      "--rule <name>",
      "min: the λ of least validation error; 1se: the largest λ within one standard error of it",
      parseRule,
      "min" as Rule,
    )
    .option(
      "--model <name>",
      "linear (regression), logistic (a 0/1 target, cv.glmnet's binomial family) or softmax " +
        "(class indices 0, 1, …; cv.glmnet's multinomial family)",
      (value: string) => {
        if (value !== "linear" && value !== "logistic" && value !== "softmax")
          fail("--model", "linear, logistic or softmax", value);
        return value;
      },
      "linear",
    )
    .option(
      "--measure <name>",
      "with --model logistic or softmax: deviance (default), class (misclassification) or auc (logistic)",
      parseMeasure,
    )
    .option("--penalty <name>", "l2 (ridge), l1 (lasso) or elastic", parsePenalty, "l2" as Penalty)
    .option(
      "--alpha <a>",
      "with --penalty elastic (required): share of the L1 term, 0 (ridge) to 1 (lasso)",
      parseAlpha,
    );
  addConventionOption(command, "--lambdas");
  addDescentBudget(command, CD_DEFAULT_TOL, CD_DEFAULT_MAX_ITER);
  command.option(
    "--stats <file>",
    "select from a stats file (wdecay stats, merged) instead of the rows: its folds, features and standardization",
    pathParser("--stats"),
  );
  addDataOptions(command, {
    seedAlso: "also of the validation split or folds",
    standardizeDefault: "as --lambda-convention's library does; canonical: with --data",
  });
  return command
    .option(
      "--plot <file>",
      "write an SVG: validation MSE ±1 SE against λ, with λ_min and λ₁ₛₑ marked",
      svgPathParser("--plot"),
    )
    .option("--json", "print one JSON object on stdout instead of the report")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  wdecay select --folds 5                      ridge, 5-fold CV, the chapter's data\n" +
        "  wdecay select --val-fraction 0.25 --rule 1se --json\n" +
        "  wdecay select --folds 10 --lambdas 1e-4:10:31 --plot select.svg\n" +
        "  wdecay select --data house.csv --target price --penalty l1 --folds 5\n" +
        "  wdecay select --data house.csv --target price --penalty l1 --foldid fold \\\n" +
        "      --lambda-convention glmnet              cv.glmnet(x, y, foldid = fold)\n" +
        "  wdecay select --model logistic --data cells.csv --target malignant --folds 10 \\\n" +
        '      --penalty l1 --measure auc              cv.glmnet(x, y, family = "binomial", type.measure = "auc")\n' +
        "\nOn the chapter's exact data (d = 200 ≫ n = 20, true weights 0.01) the ridge curve is\n" +
        "nearly flat and falls all the way to the intercept-only model (5 folds, seed 42: MSE\n" +
        "0.0281 at λ = 0.001, 0.0267 at λ ≥ 1000), so λ_min is the largest candidate: 20 rows\n" +
        "cannot estimate 200 such weights better than 0. With more rows it is interior.",
    )
    .action((flags: SelectFlags, cmd: Command) => runSelect(flags, cmd, ctx));
}

type MethodKind = "holdout" | "kfold" | "foldid";

function checkFlags(flags: SelectFlags, command: Command): { kind: MethodKind; alpha: number } {
  const chosen = (["valFraction", "folds", "foldid"] as const).filter((k) => given(command, k));
  if (chosen.length !== 1) {
    throw new UsageError(
      chosen.length === 0
        ? "give --folds K (k-fold cross-validation), --foldid FILE|COLUMN (your folds) or --val-fraction F (a hold-out split)"
        : `${chosen.map((k) => `--${k === "valFraction" ? "val-fraction" : k}`).join(" and ")} cannot be used together: choose one way to hold rows out`,
    );
  }
  const alpha = penaltyAlpha(flags.penalty, flags.alpha);
  if (alpha === 1 && flags.lambdas?.some((l) => l === 0)) {
    throw new UsageError(
      "--lambdas must not hold 0 with the lasso (λ = 0 is unpenalized least squares): start the grid above 0",
    );
  }
  if (flags.lambdas !== undefined) {
    for (const key of ["nLambda", "lambdaMinRatio"] as const) {
      if (given(command, key)) {
        throw new UsageError(
          `--${key === "nLambda" ? "n-lambda" : "lambda-min-ratio"} shapes the default grid and cannot be used with --lambdas`,
        );
      }
    }
  }
  checkConventionPenalty(flags.lambdaConvention, flags.penalty);
  checkDataFlags(flags, command);
  if (flags.foldid !== undefined && flags.testFraction > 0) {
    throw new UsageError(
      "--foldid assigns a fold to every row: it cannot be used with --test-fraction (hold the test rows out of the file instead)",
    );
  }
  const kind: MethodKind =
    chosen[0] === "folds" ? "kfold" : chosen[0] === "foldid" ? "foldid" : "holdout";
  return { kind, alpha };
}

/**
 * Where --foldid's ids come from: an existing file, else a column of --data. For a column, the
 * features default to every column but the target and the fold column.
 */
async function foldSource(
  flags: SelectFlags,
): Promise<{ ids?: number[]; file?: string; column?: string; features?: string[] }> {
  const spec = flags.foldid as string;
  if (existsSync(spec) || flags.data === undefined) {
    const text = await readTextFile(spec, "--foldid");
    return { ids: parseFoldFile(text, spec), file: spec };
  }
  const dataText = await readTextFile(flags.data, "--data");
  let column: Dataset;
  let names: readonly string[];
  try {
    const parsed = csvDataset(dataText, { source: flags.data, target: spec });
    column = parsed.dataset;
    names = parsed.featureNames;
  } catch (error) {
    throw new UsageError(
      `--foldid ${JSON.stringify(spec)} is neither a file nor a column of --data "${flags.data}" (${(error as Error).message})`,
    );
  }
  const ids = Array.from(column.y);
  ids.forEach((id, i) => {
    if (!Number.isSafeInteger(id)) {
      throw new RuntimeError(
        `--data file "${flags.data}": column ${JSON.stringify(spec)} row ${i + 1}: fold id ${id} is not an integer`,
      );
    }
  });
  if (flags.features?.includes(spec)) {
    throw new UsageError(`--features lists ${JSON.stringify(spec)}, the --foldid column`);
  }
  const features = flags.features ?? names.filter((n) => n !== flags.target);
  return { ids, column: spec, features };
}

/** One integer per non-empty line (an optional first line that is not a number is a header). */
function parseFoldFile(text: string, file: string): number[] {
  const ids: number[] = [];
  const rows = text.split(/\r?\n/);
  rows.forEach((raw, k) => {
    const line = raw.trim();
    if (line === "") return;
    const value = Number(line);
    if (!(/^[+-]?\d+$/.test(line) && Number.isSafeInteger(value))) {
      if (k === 0 && ids.length === 0 && !/^[+-]?[\d.]/.test(line)) return; // a header
      throw new RuntimeError(
        `--foldid file "${file}":${k + 1}:1: expected an integer fold id, got ${JSON.stringify(line)}`,
      );
    }
    ids.push(value);
  });
  return ids;
}

async function runSelect(flags: SelectFlags, command: Command, ctx: CliContext): Promise<void> {
  if (flags.stats !== undefined) {
    if (flags.plot !== undefined) await probeWritableFile(flags.plot, "--plot");
    checkConventionPenalty(flags.lambdaConvention, flags.penalty);
    const alpha = penaltyAlpha(flags.penalty, flags.alpha);
    const { runSelectFromStats } = await import("./select-stats.js");
    return runSelectFromStats({ ...flags, stats: flags.stats }, command, alpha, ctx);
  }
  const { kind, alpha } = checkFlags(flags, command);
  if (flags.plot !== undefined) await probeWritableFile(flags.plot, "--plot");
  const convention = flags.lambdaConvention;
  const folds = kind === "foldid" ? await foldSource(flags) : undefined;
  const dataFlags = folds?.features ? { ...flags, features: folds.features } : flags;
  // Standardization happens inside each training part (core's selectLambda), as cv.glmnet does.
  const scaling = standardizeFor(flags, convention);
  const data = await loadData(dataFlags, { standardize: false, reason: scaling.reason });
  const train = data.fit.train;
  const method = methodFor(kind, flags, folds?.ids, train.n);
  if (flags.model !== "linear") {
    if (flags.plot !== undefined)
      throw new UsageError(
        `--plot draws regression curves only; --model ${flags.model} has none yet`,
      );
    runClassifierSelect({ ...flags, model: flags.model }, ctx, {
      data,
      method,
      alpha,
      scaling,
      how: describeMethod(method, flags),
      dataLine: dataLine(data, scaling),
    });
    return;
  }
  if (flags.measure !== undefined)
    throw new UsageError("--measure applies to --model logistic and softmax only");

  const K =
    method.kind === "kfold"
      ? method.folds
      : method.kind === "foldid"
        ? new Set(Array.from(method.foldid)).size
        : 1;
  const L = flags.lambdas?.length ?? flags.nLambda;
  const progress = createProgress(K * L + L, ctx.isTTY && !flags.json, ctx.progressStream);
  let selection: LambdaSelection;
  try {
    const grid = `${L} λ × ${K} fold(s) and the refit`;
    selection = selectLambda(train, {
      method,
      seed: flags.seed,
      ...selectionOptions(flags, alpha, scaling.standardize),
      onProgress: (done, total) =>
        progress.update(done, `${grid}: ${done} of ${total} fits`, total),
    });
  } catch (error) {
    const message = (error as Error).message;
    if (message.startsWith("λ = 0")) throw new UsageError(`--lambdas holds 0: ${message}`);
    if (/^foldid/.test(message)) throw new UsageError(`--foldid: ${message}`);
    throw new RuntimeError(`selecting λ failed: ${message}`, { cause: error });
  } finally {
    progress.stop();
  }
  const methodJson =
    method.kind === "kfold"
      ? { kind: "kfold", folds: method.folds }
      : method.kind === "foldid"
        ? { kind: "foldid", ...(folds?.column ? { column: folds.column } : { file: folds?.file }) }
        : { kind: "holdout", valFraction: method.valFraction };
  await reportSelection(selection, flags, alpha, ctx, {
    dataLine: dataLine(data, scaling),
    dataJson: data.json,
    featureNames: data.featureNames,
    target: data.target,
    toOriginal: data.toOriginal,
    test: data.fit.test,
    nTrain: train.n,
    methodJson,
    how: describeMethod(method, flags),
    scaling,
  });
}

/** What a selection's report says about where its data and folds came from. */
export interface SelectionContext {
  readonly dataLine: string;
  readonly dataJson: Record<string, unknown>;
  readonly featureNames: readonly string[];
  readonly target: string;
  /** The selection's models on the original feature scale. */
  readonly toOriginal: (model: LinearModel) => LinearModel;
  /** The test rows (none: n = 0). */
  readonly test: Dataset;
  readonly nTrain: number;
  readonly methodJson: Record<string, unknown>;
  /** How the rows were held out, for people. */
  readonly how: string;
  readonly scaling: Scaling;
}

/** The report of a selection of a linear model's λ: a table, a chart, an SVG, or JSON. */
export async function reportSelection(
  selection: LambdaSelection,
  flags: Pick<SelectFlags, "json" | "plot" | "penalty" | "rule" | "lambdaConvention">,
  alpha: number,
  ctx: CliContext,
  info: SelectionContext,
): Promise<void> {
  const convention = flags.lambdaConvention;
  const { scaling, how } = info;
  if (!selection.converged) {
    println(
      ctx.stderr,
      "wdecay: warning: coordinate descent did not converge for some λ (raise --max-iter or --tol); the curve uses the last iterates",
    );
  }

  const { test } = info;
  const testAtMin = fitQuality(selection.modelAtMin, test);
  const testAt1se = fitQuality(selection.modelAt1se, test);
  const model = info.toOriginal(selection.model);
  const methodJson = info.methodJson;

  if (flags.plot !== undefined) {
    const title = `Validation MSE against λ: ${penaltyName(flags.penalty, alpha)}, ${how}`;
    await writeFileAtomic(
      flags.plot,
      await selectChartSvg(title, selection.curve, selection),
      "--plot",
    );
  }

  if (flags.json) {
    const report = {
      method: methodJson,
      rule: selection.rule,
      penalty: flags.penalty,
      alpha,
      lambdaConvention: convention.id,
      loss: "mean squared error mean (ŷ − y)² (the objective's data term is half of it)",
      standardized: scaling.standardize,
      standardizedBecause: scaling.reason,
      data: info.dataJson,
      foldSizes: selection.foldSizes,
      curve: selection.curve.map((p) => ({
        lambda: p.lambda,
        mse: finiteOrNull(p.mean),
        se: finiteOrNull(p.se),
        foldMse: p.foldLosses.map(finiteOrNull),
      })),
      lambdaMin: selection.lambdaMin,
      lambda1se: selection.lambda1se,
      chosen: selection.chosen,
      ...(test.n > 0
        ? {
            testMseAtMin: finiteOrNull(testAtMin.mse),
            testMseAt1se: finiteOrNull(testAt1se.mse),
          }
        : {}),
      featureNames: info.featureNames,
      target: info.target,
      weights: Array.from(model.weights, finiteOrNull),
      bias: finiteOrNull(model.bias),
      converged: selection.converged,
      ...(flags.plot !== undefined ? { plot: flags.plot } : {}),
    };
    println(ctx.stdout, JSON.stringify(report));
    return;
  }

  const out = (line = "") => println(ctx.stdout, line);
  out(
    `Selected λ for ${penaltyName(flags.penalty, alpha)} by ${how}, rule ${flags.rule}, ` +
      `${selection.lambdas.length} candidates`,
  );
  out(info.dataLine);
  out(
    `validation loss: mean squared error, fold means weighted by fold size (${selection.foldSizes.join(", ")} rows), as cv.glmnet`,
  );
  out();
  const rows = selection.curve.map((p) => {
    const marks = [
      p.lambda === selection.lambdaMin ? "λ_min" : "",
      p.lambda === selection.lambda1se ? "λ₁ₛₑ" : "",
    ]
      .filter(Boolean)
      .join(", ");
    const chosen = p.lambda === selection.chosen ? " ←" : "";
    return [formatLambda(p.lambda), formatLoss(p.mean), formatLoss(p.se), `${marks}${chosen}`];
  });
  for (const line of table(
    [
      { header: `λ (${convention.id})`, align: "right" },
      { header: "validation MSE", align: "right" },
      { header: "std. error", align: "right" },
      { header: "" },
    ],
    rows,
  )) {
    out(line.trimEnd());
  }

  const positive = selection.curve.filter((p) => p.lambda > 0);
  if (positive.length > 1) {
    out();
    out("Validation MSE against λ, log scales   ─── validation");
    const history = positive.map((p) => ({
      epoch: Math.log10(p.lambda),
      trainLoss: Number.NaN,
      testLoss: p.mean,
    }));
    const chart = lossChart(`${flags.penalty}, ${positive.length} λ`, history, {
      width: 60,
      height: 10,
      xAxis: { name: "λ (log scale)", format: (x) => formatLambda(10 ** x) },
    });
    for (const line of chart) out(line.trimEnd());
  }
  out();
  out(`λ_min = ${formatLambda(selection.lambdaMin)}, λ₁ₛₑ = ${formatLambda(selection.lambda1se)}`);
  const grid = selection.lambdas;
  if (grid.length > 1 && selection.lambdaMin === grid[grid.length - 1]) {
    out(
      "note: λ_min is the largest candidate; the error may fall further: extend --lambdas upward",
    );
  } else if (grid.length > 1 && selection.lambdaMin === grid[0]) {
    out("note: λ_min is the smallest candidate; extend --lambdas downward to be sure");
  }
  out(
    `chosen (rule ${flags.rule}): ${describeLambda(selection.chosen, convention, { n: info.nTrain, alpha })}`,
  );
  if (test.n > 0) {
    out(
      `test MSE of the model refit on all fitted rows: at λ_min ${formatLoss(testAtMin.mse)}, ` +
        `at λ₁ₛₑ ${formatLoss(testAt1se.mse)}`,
    );
  }
  if (flags.plot !== undefined) {
    out();
    out(`SVG of the validation curve written to ${flags.plot}`);
  }
}

/** core's selection options from the flags: the grid, the penalty, the rule, the solver's budget. */
export function selectionOptions(
  flags: SelectFlags,
  alpha: number,
  standardize: boolean,
): Omit<SelectLambdaOptions, "method" | "seed"> {
  return {
    rule: flags.rule,
    ...(flags.lambdas === undefined
      ? {
          nLambda: flags.nLambda,
          ...(flags.lambdaMinRatio === undefined ? {} : { lambdaMinRatio: flags.lambdaMinRatio }),
        }
      : { lambdas: flags.lambdas }),
    penalty: flags.penalty,
    ...(flags.penalty === "elastic" ? { alpha } : {}),
    convention: flags.lambdaConvention,
    standardize,
    ...(flags.tol === undefined ? {} : { tol: flags.tol }),
    ...(flags.maxIter === undefined ? {} : { maxIter: flags.maxIter }),
  };
}

/** The data line of the report: the summary, with the scaling as cross-validation applies it. */
function dataLine(data: LoadedData, scaling: Scaling): string {
  const note = scaling.standardize
    ? `features standardized within each training part (divisor n, ${scaling.reason})`
    : `raw features (${scaling.reason})`;
  return `data: ${data.summary.replace(/; raw features \([^)]*\)$/, "")}; ${note}`;
}

/** How the rows were held out, for people. */
function describeMethod(method: SelectionMethod, flags: SelectFlags): string {
  if (method.kind === "kfold") return `${method.folds}-fold cross-validation (seed ${flags.seed})`;
  if (method.kind === "foldid") {
    return `cross-validation on the ${new Set(Array.from(method.foldid)).size} folds of --foldid ${flags.foldid}`;
  }
  return `a hold-out split of ${method.valFraction} of the fitted rows (seed ${flags.seed})`;
}

/** The selection method of the flags, checked against the number of fitted rows. */
function methodFor(
  kind: MethodKind,
  flags: SelectFlags,
  foldid: number[] | undefined,
  n: number,
): SelectionMethod {
  if (kind === "kfold") {
    const k = flags.folds as number;
    if (k > n) {
      throw new UsageError(
        `--folds must be at most the ${n} fitted rows, one per fold at least (got ${JSON.stringify(String(k))})`,
      );
    }
    return { kind: "kfold", folds: k };
  }
  if (kind === "foldid") {
    const ids = foldid as number[];
    if (ids.length !== n) {
      throw new UsageError(
        `--foldid ${flags.foldid} has ${ids.length} fold ids for ${n} fitted rows; give one per row`,
      );
    }
    if (new Set(ids).size < 2) {
      throw new UsageError(`--foldid ${flags.foldid} names fewer than 2 folds`);
    }
    return { kind: "foldid", foldid: ids };
  }
  const f = flags.valFraction as number;
  const nVal = Math.round(n * f);
  if (nVal < 2 || nVal >= n) {
    throw new UsageError(
      `--val-fraction ${f} of the ${n} fitted rows gives ${nVal} validation row(s) and ` +
        `${n - nVal} to fit; at least 2 must validate and 1 must fit`,
    );
  }
  return { kind: "holdout", valFraction: f };
}
