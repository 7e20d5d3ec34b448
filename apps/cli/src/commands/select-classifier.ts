/**
 * `wdecay select --model logistic`: cv.glmnet's binomial cross-validation (core's
 * crossValidateLogistic): glmnet's λ grid from all rows, the logistic elastic net's path on each
 * training part (standardized within it unless --no-standardize), held-out rows scored by the
 * binomial deviance, the misclassification rate or the AUC (--measure), fold means weighted by
 * fold size, λ_min and λ₁ₛₑ by glmnet's rules, and the refit on every row.
 */
import {
  type ClassificationMeasure,
  crossValidateLogistic,
  type SelectionMethod,
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
  deviance: "binomial deviance",
  class: "misclassification rate",
  auc: "AUC (larger is better)",
};

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
  // The grid and the λ reported are canonical λ, which glmnet's binomial family shares.
  if (convention !== "canonical" && convention !== "glmnet" && convention !== "glmnet-binomial") {
    throw new UsageError(
      `--lambda-convention ${convention}: select --model logistic reports canonical λ, which glmnet's binomial family shares (canonical, glmnet-binomial)`,
    );
  }
  const train = data.fit.train;
  checkClassLabels(train, "logistic", flags.data as string);
  const measure = flags.measure ?? "deviance";
  let selection: ReturnType<ReturnType<typeof crossValidateLogistic>["select"]>;
  try {
    selection = crossValidateLogistic(train, {
      alpha,
      method,
      seed: flags.seed,
      ...(flags.lambdas === undefined
        ? {
            nLambda: flags.nLambda,
            ...(flags.lambdaMinRatio === undefined ? {} : { lambdaMinRatio: flags.lambdaMinRatio }),
          }
        : { lambdas: flags.lambdas }),
      standardize: scaling.standardize,
      ...(flags.tol === undefined ? {} : { tol: flags.tol }),
      ...(flags.maxIter === undefined ? {} : { maxIter: flags.maxIter }),
    }).select(measure, flags.rule);
  } catch (error) {
    throw new RuntimeError(`selecting λ failed: ${(error as Error).message}`, { cause: error });
  }
  if (!selection.converged) {
    println(
      ctx.stderr,
      "wdecay: warning: some fits did not converge; the curve uses the last iterates",
    );
  }
  const model = selection.model;
  if (flags.json) {
    println(
      ctx.stdout,
      JSON.stringify({
        model: "logistic",
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
        weights: Array.from(model.weights, finiteOrNull),
        bias: finiteOrNull(model.bias),
        converged: selection.converged,
      }),
    );
    return;
  }
  const out = (line = "") => println(ctx.stdout, line);
  out(
    `Selected λ for logistic regression, ${penaltyName(flags.penalty, alpha)}, by ${how}, rule ` +
      `${flags.rule}, ${selection.lambdas.length} candidates`,
  );
  out(run.dataLine);
  out(
    `measure: ${MEASURE_NAMES[measure]}, fold means weighted by fold size (${selection.foldSizes.join(", ")} rows), as cv.glmnet`,
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
  const nonzero = Array.from(model.weights).filter((w) => w !== 0).length;
  out(
    `refit on all ${train.n} rows at λ = ${formatLambda(selection.chosen)}: ${nonzero} of ${model.weights.length} weights nonzero`,
  );
}
