/**
 * `wdecay select --model logistic|softmax`: cv.glmnet's cross-validation of the linear
 * classifiers. Logistic (core's crossValidateLogistic): the binomial family, glmnet's λ grid
 * from all rows and the logistic elastic net's path on each training part; softmax (core's
 * crossValidateSoftmax): the multinomial family, weight decay by Newton's method or the elastic
 * net by its IRLS path, at glmnet's multinomial grid. Features are standardized within each training part
 * unless --no-standardize; held-out rows are scored by the deviance, the misclassification rate
 * or (two classes) the AUC (--measure), fold means weighted by fold size, λ_min and λ₁ₛₑ by
 * glmnet's rules, and the model is refit on every row.
 */
import {
  type ClassificationMeasure,
  crossValidateLogistic,
  crossValidateSoftmax,
  type SelectionMethod,
  type SelectionRule,
  type ValidationPoint,
} from "@wdecay/core";
import { type CliContext, println } from "../context.js";
import type { LoadedData, Scaling } from "../data-source.js";
import { RuntimeError, UsageError } from "../errors.js";
import { fail, penaltyName } from "../options.js";
import { finiteOrNull, formatLoss } from "../render/numbers.js";
import { table } from "../render/table.js";
import { checkClassLabels } from "./fit-classifier.js";
import { formatLambda } from "./sweep.js";

export const MEASURES: readonly ClassificationMeasure[] = ["deviance", "class", "auc"];

export function parseMeasure(value: string): ClassificationMeasure {
  if (!(MEASURES as readonly string[]).includes(value))
    fail("--measure", MEASURES.join(", "), value);
  return value as ClassificationMeasure;
}

const MEASURE_NAMES: Record<ClassificationMeasure, string> = {
  deviance: "deviance",
  class: "misclassification rate",
  auc: "AUC (larger is better)",
};

/** What both classifiers' cross-validations give the report. */
interface ClassifierSelection {
  readonly lambdas: number[];
  readonly curve: ValidationPoint[];
  readonly foldSizes: number[];
  readonly lambdaMin: number;
  readonly lambda1se: number;
  readonly chosen: number;
  readonly converged: boolean;
  /** The refit's fields of the JSON report. */
  readonly json: Record<string, unknown>;
  /** The refit's line of the text report. */
  readonly refitLine: string;
}

export interface ClassifierSelectFlags {
  readonly lambdas?: number[];
  readonly nLambda: number;
  readonly lambdaMinRatio?: number;
  readonly rule: "min" | "1se";
  readonly penalty: "l1" | "l2" | "elastic";
  readonly measure?: ClassificationMeasure;
  readonly tol?: number;
  readonly maxIter?: number;
  readonly seed: number;
  readonly data?: string;
  readonly json?: boolean;
  readonly lambdaConvention: { readonly id: string };
  readonly model: "logistic" | "softmax";
}

export function runClassifierSelect(
  flags: ClassifierSelectFlags,
  ctx: CliContext,
  run: {
    data: LoadedData;
    method: SelectionMethod;
    alpha: number;
    scaling: Scaling;
    how: string;
    dataLine: string;
  },
): void {
  const { data, method, alpha, scaling, how } = run;
  const convention = flags.lambdaConvention.id;
  const softmax = flags.model === "softmax";
  const family = softmax ? "glmnet-multinomial" : "glmnet-binomial";
  // The grid and the λ reported are canonical λ, which glmnet's family shares.
  if (convention !== "canonical" && convention !== "glmnet" && convention !== family) {
    throw new UsageError(
      `--lambda-convention ${convention}: select --model ${flags.model} reports canonical λ, which glmnet's ${softmax ? "multinomial" : "binomial"} family shares (canonical, ${family})`,
    );
  }
  const measure = flags.measure ?? "deviance";
  if (softmax && measure === "auc") {
    throw new UsageError(
      "--measure auc is defined for two classes: use deviance or class with --model softmax",
    );
  }
  const train = data.fit.train;
  checkClassLabels(train, softmax ? "softmax" : "logistic", flags.data as string);
  const grid =
    flags.lambdas === undefined
      ? {
          nLambda: flags.nLambda,
          ...(flags.lambdaMinRatio === undefined ? {} : { lambdaMinRatio: flags.lambdaMinRatio }),
        }
      : { lambdas: flags.lambdas };
  const solver = {
    standardize: scaling.standardize,
    ...(flags.tol === undefined ? {} : { tol: flags.tol }),
    ...(flags.maxIter === undefined ? {} : { maxIter: flags.maxIter }),
  };
  let selection: ClassifierSelection;
  try {
    selection = softmax
      ? softmaxSelection(
          train,
          method,
          flags.seed,
          alpha,
          { ...grid, ...solver },
          measure,
          flags.rule,
        )
      : logisticSelection(
          train,
          method,
          flags.seed,
          alpha,
          { ...grid, ...solver },
          measure,
          flags.rule,
        );
  } catch (error) {
    throw new RuntimeError(`selecting λ failed: ${(error as Error).message}`, { cause: error });
  }
  if (!selection.converged) {
    println(
      ctx.stderr,
      "wdecay: warning: some fits did not converge; the curve uses the last iterates",
    );
  }
  if (flags.json) {
    println(
      ctx.stdout,
      JSON.stringify({
        model: flags.model,
        measure,
        method,
        rule: flags.rule,
        penalty: flags.penalty,
        alpha,
        lambdaConvention: convention,
        standardized: scaling.standardize,
        data: data.json,
        foldSizes: selection.foldSizes,
        curve: selection.curve.map((p) => ({
          lambda: p.lambda,
          mean: finiteOrNull(p.mean),
          se: finiteOrNull(p.se),
          folds: p.foldLosses.map(finiteOrNull),
        })),
        lambdaMin: selection.lambdaMin,
        lambda1se: selection.lambda1se,
        chosen: selection.chosen,
        featureNames: data.featureNames,
        ...selection.json,
        converged: selection.converged,
      }),
    );
    return;
  }
  const out = (line = "") => println(ctx.stdout, line);
  out(
    `Selected λ for ${softmax ? "softmax" : "logistic"} regression, ${penaltyName(flags.penalty, alpha)}, by ${how}, rule ` +
      `${flags.rule}, ${selection.lambdas.length} candidates`,
  );
  out(run.dataLine);
  out(
    `measure: ${measure === "deviance" ? (softmax ? "multinomial " : "binomial ") : ""}${MEASURE_NAMES[measure]}, fold means weighted by fold size (${selection.foldSizes.join(", ")} rows), as cv.glmnet`,
  );
  out();
  const rows = selection.curve.map((p) => [
    formatLambda(p.lambda),
    measure === "deviance" ? formatLoss(p.mean) : p.mean.toFixed(4),
    measure === "deviance" ? formatLoss(p.se) : p.se.toFixed(4),
    [
      p.lambda === selection.lambdaMin ? "λ_min" : "",
      p.lambda === selection.lambda1se ? "λ₁ₛₑ" : "",
    ]
      .filter(Boolean)
      .join(", ") + (p.lambda === selection.chosen ? " ←" : ""),
  ]);
  for (const line of table(
    [
      { header: `λ (${convention})`, align: "right" },
      { header: measure, align: "right" },
      { header: "std. error", align: "right" },
      { header: "" },
    ],
    rows,
  )) {
    out(line.trimEnd());
  }
  out();
  out(`λ_min = ${formatLambda(selection.lambdaMin)}, λ₁ₛₑ = ${formatLambda(selection.lambda1se)}`);
  out(
    `refit on all ${train.n} rows at λ = ${formatLambda(selection.chosen)}: ${selection.refitLine}`,
  );
}

type Grid = { nLambda?: number; lambdaMinRatio?: number; lambdas?: number[] };
type Solver = { standardize: boolean; tol?: number; maxIter?: number };

function logisticSelection(
  train: LoadedData["fit"]["train"],
  method: SelectionMethod,
  seed: number,
  alpha: number,
  options: Grid & Solver,
  measure: ClassificationMeasure,
  rule: SelectionRule,
): ClassifierSelection {
  const sel = crossValidateLogistic(train, { alpha, method, seed, ...options }).select(
    measure,
    rule,
  );
  const { weights, bias } = sel.model;
  const nonzero = Array.from(weights).filter((w) => w !== 0).length;
  return {
    ...sel,
    json: { weights: Array.from(weights, finiteOrNull), bias: finiteOrNull(bias) },
    refitLine: `${nonzero} of ${weights.length} weights nonzero`,
  };
}

function softmaxSelection(
  train: LoadedData["fit"]["train"],
  method: SelectionMethod,
  seed: number,
  alpha: number,
  options: Grid & Solver,
  measure: ClassificationMeasure,
  rule: SelectionRule,
): ClassifierSelection {
  const sel = crossValidateSoftmax(train, { alpha, method, seed, ...options }).select(
    measure,
    rule,
  );
  const { weights, biases, classes } = sel.model;
  const d = weights.length / classes;
  const rows = Array.from({ length: classes }, (_, k) =>
    Array.from(weights.subarray(k * d, (k + 1) * d), finiteOrNull),
  );
  const norm = Math.hypot(...weights);
  const nonzero = Array.from(weights).filter((w) => w !== 0).length;
  return {
    ...sel,
    json: { classes, weights: rows, biases: Array.from(biases, finiteOrNull) },
    refitLine: `${classes} classes, ${nonzero} of ${weights.length} weights nonzero, ‖W‖_F = ${norm.toPrecision(4)}`,
  };
}
