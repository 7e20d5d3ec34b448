/**
 * `wdecay fit --model logistic|softmax`: the linear classifiers with weight decay, solved
 * exactly on the host (core's logistic.ts): binary logistic regression (a 0/1 target column) and
 * softmax regression (class indices 0…K−1), L2 by Newton's method, L1 and elastic net by
 * glmnet's IRLS with coordinate descent (the multinomial family class by class, core's
 * multinomial.ts). λ is canonical or glmnet's (the binomial family's
 * objective is the canonical one), or scikit-learn's `LogisticRegression(C)` through `--C`
 * (λ = 1/(C·n)). Weights are reported on the original feature scale with the training (and
 * test) accuracy and mean log-loss.
 */
import {
  type Dataset,
  type LambdaConvention,
  type LinearModel,
  lambdaFromLogisticC,
  logisticElasticNet,
  logisticRegression,
  sigmoid,
  softmaxElasticNet,
  softmaxRegression,
} from "@wdecay/core";
import type { Command } from "commander";
import { type CliContext, println } from "../context.js";
import { flagOf, given, type LoadedData, loadData, standardizeFor } from "../data-source.js";
import { RuntimeError, UsageError } from "../errors.js";
import { penaltyAlpha, penaltyName } from "../options.js";
import { finiteOrNull, formatLoss } from "../render/numbers.js";
import { table } from "../render/table.js";
import type { FitFlags } from "./fit.js";

/** The classifiers `--model` names. */
export const CLASSIFIERS = ["logistic", "softmax"] as const;
export type Classifier = (typeof CLASSIFIERS)[number];

/** Flags of `fit` that only the linear model reads, by commander key. */
const LINEAR_ONLY = ["solver", "backend", "epochs", "lr", "batchSize", "exempt", "save"] as const;

/** Usage checks of a classifier fit, before anything is read. */
function checkFlags(flags: FitFlags, command: Command, model: Classifier): number {
  for (const key of LINEAR_ONLY) {
    if (given(command, key)) {
      throw new UsageError(
        key === "save"
          ? "--save writes linear models only; classifier model files are not there yet"
          : `${flagOf(key)} applies to --model linear only (the classifiers are solved exactly on the host)`,
      );
    }
  }
  if (flags.data === undefined) {
    throw new UsageError(
      `--model ${model} needs --data FILE --target COLUMN with the classes (the chapter's synthetic data are a regression)`,
    );
  }
  checkClassifierConvention(flags.lambdaConvention, model);
  if ((flags.lambda === undefined) === (flags.C === undefined)) {
    throw new UsageError(
      "give the penalty as --lambda L or, as scikit-learn's LogisticRegression, --C C",
    );
  }
  if (flags.C !== undefined && given(command, "lambdaConvention")) {
    throw new UsageError("--C is scikit-learn's convention already: drop --lambda-convention");
  }
  return penaltyAlpha(flags.penalty, flags.alpha);
}

/**
 * A usage error unless the convention is a classifier's (or the canonical λ, or glmnet's, whose
 * binomial and multinomial families are canonical): `--model logistic` takes sklearn-logistic
 * (λ given as C) or glmnet-binomial, `--model softmax` sklearn-logistic or glmnet-multinomial.
 */
export function checkClassifierConvention(convention: LambdaConvention, model: Classifier): void {
  const ok =
    convention.id === "canonical" ||
    convention.id === "glmnet" ||
    convention.id === "sklearn-logistic" ||
    convention.id === (model === "logistic" ? "glmnet-binomial" : "glmnet-multinomial");
  if (!ok) {
    const fits = model === "logistic" ? "glmnet-binomial" : "glmnet-multinomial";
    throw new UsageError(
      `--lambda-convention ${convention.id} is ${convention.family === "regression" ? "a regression library's" : "another model's"}; ` +
        `--model ${model} takes canonical, sklearn-logistic (--lambda is then C) or ${fits}`,
    );
  }
}

/** The labels as 0/1 (logistic) or class indices (softmax), or a runtime error naming the row. */
export function checkClassLabels(data: Dataset, model: Classifier, file: string): void {
  for (let i = 0; i < data.n; i++) {
    const v = data.y[i] as number;
    const ok = model === "logistic" ? v === 0 || v === 1 : Number.isInteger(v) && v >= 0;
    if (!ok) {
      throw new RuntimeError(
        `--data file "${file}": the target of data row ${i + 1} is ${v}; --model ${model} needs ` +
          (model === "logistic" ? "0 or 1" : "class indices 0, 1, 2, …"),
      );
    }
  }
}

/** Accuracy and mean log-loss of class probabilities `probs(i)` on a data set (NaN when empty). */
function quality(data: Dataset, probs: (i: number) => Float64Array) {
  if (data.n === 0) return { accuracy: Number.NaN, logLoss: Number.NaN };
  let right = 0;
  let loss = 0;
  for (let i = 0; i < data.n; i++) {
    const p = probs(i);
    const label = data.y[i] as number;
    let best = 0;
    for (let k = 1; k < p.length; k++) if ((p[k] as number) > (p[best] as number)) best = k;
    if (best === label) right++;
    loss -= Math.log(Math.max(p[label] ?? 0, 1e-300));
  }
  return { accuracy: right / data.n, logLoss: loss / data.n };
}

/** Class probabilities of row i under K linear score functions (K = 1: the binary logit). */
function probabilities(data: Dataset, models: readonly LinearModel[]) {
  const { X, d } = data;
  return (i: number): Float64Array => {
    const scores = models.map((m) => {
      let s = m.bias;
      for (let j = 0; j < d; j++) s += (X[i * d + j] as number) * (m.weights[j] as number);
      return s;
    });
    if (scores.length === 1) {
      const p1 = sigmoid(scores[0] as number);
      return Float64Array.of(1 - p1, p1);
    }
    const top = Math.max(...scores);
    const e = scores.map((s) => Math.exp(s - top));
    const sum = e.reduce((a, v) => a + v, 0);
    return Float64Array.from(e, (v) => v / sum);
  };
}

export async function runClassifierFit(
  flags: FitFlags,
  command: Command,
  ctx: CliContext,
  model: Classifier,
): Promise<void> {
  const alpha = checkFlags(flags, command, model);
  const sklearn = flags.C !== undefined;
  const scaling = standardizeFor(
    flags,
    sklearn
      ? { id: "sklearn-logistic", label: "scikit-learn LogisticRegression", standardize: false }
      : flags.lambdaConvention,
  );
  const data: LoadedData = await loadData(flags, scaling);
  const train = data.fit.train;
  checkClassLabels(train, model, flags.data as string);
  checkClassLabels(data.fit.test, model, flags.data as string);
  // --C is scikit-learn's convention; glmnet's binomial and multinomial objectives are the
  // canonical one (no y scaling in these families).
  const lambda = sklearn
    ? lambdaFromLogisticC(flags.C as number, train.n)
    : flags.lambdaConvention.toCanonical(flags.lambda as number, { n: train.n });

  let fitted: LinearModel[];
  let report: Record<string, unknown>;
  try {
    if (model === "softmax") {
      const fit =
        alpha === 0
          ? softmaxRegression(train, { lambda })
          : softmaxElasticNet(train, { lambda, alpha });
      const { d } = train;
      fitted = Array.from({ length: fit.classes }, (_, k) => ({
        weights: fit.weights.slice(k * d, (k + 1) * d),
        bias: fit.biases[k] as number,
      }));
      report =
        alpha === 0
          ? {
              name: "newton",
              iterations: fit.iterations,
              converged: fit.converged,
              gradientNorm: fit.gradientNorm,
            }
          : {
              name: "irls-cd",
              iterations: fit.iterations,
              converged: fit.converged,
              kkt: fit.gradientNorm,
            };
    } else if (alpha === 0) {
      const fit = logisticRegression(train, { lambda });
      fitted = [fit];
      report = {
        name: "newton",
        iterations: fit.iterations,
        converged: fit.converged,
        gradientNorm: fit.gradientNorm,
      };
    } else {
      const fit = logisticElasticNet(train, { lambda, alpha });
      fitted = [fit];
      report = {
        name: "irls-cd",
        iterations: fit.iterations,
        converged: fit.converged,
        kkt: fit.kkt,
      };
    }
  } catch (error) {
    if (error instanceof RangeError && /separable/.test(error.message)) {
      throw new UsageError(`--lambda 0: ${error.message}`);
    }
    throw error;
  }
  if (report.converged === false) {
    println(
      ctx.stderr,
      `wdecay: warning: the ${model} fit did not converge; the weights are the last iterate`,
    );
  }
  const original = fitted.map((m) => data.toOriginal(m));
  const trainQuality = quality(train, probabilities(train, fitted));
  const testQuality = quality(data.fit.test, probabilities(data.fit.test, fitted));
  const name = `${model} regression, ${penaltyName(flags.penalty, alpha)}`;
  const inverse = sklearn || flags.lambdaConvention.inverse;
  const C = sklearn ? flags.C : flags.lambda;
  const lambdaText = inverse
    ? `C = ${C} (scikit-learn LogisticRegression: λ = 1/(C·n) = ${lambda}, n = ${train.n})`
    : `λ = ${lambda} (${flags.lambdaConvention.id}: mean log-loss + λ[(1 − α)/2‖w‖² + α‖w‖₁])`;

  if (flags.json) {
    println(
      ctx.stdout,
      JSON.stringify({
        model,
        penalty: flags.penalty,
        alpha,
        lambda,
        ...(sklearn ? { C: flags.C } : { lambdaConvention: flags.lambdaConvention.id }),
        solver: report,
        data: data.json,
        featureNames: data.featureNames,
        target: data.target,
        classes: model === "logistic" ? 2 : fitted.length,
        // Logistic: one weight vector (the logit of class 1); softmax: one per class.
        weights: original.map((m) => Array.from(m.weights, finiteOrNull)),
        biases: original.map((m) => finiteOrNull(m.bias)),
        accuracy: {
          train: finiteOrNull(trainQuality.accuracy),
          test: finiteOrNull(testQuality.accuracy),
        },
        logLoss: {
          train: finiteOrNull(trainQuality.logLoss),
          test: finiteOrNull(testQuality.logLoss),
        },
      }),
    );
    return;
  }
  const out = (line = "") => println(ctx.stdout, line);
  out(
    `Fitted ${name} by ${report.name === "newton" ? "Newton's method" : "IRLS with coordinate descent"}`,
  );
  out(`data: ${data.summary}`);
  out(`penalty strength: ${lambdaText}`);
  out(`${report.iterations} iterations, ${report.converged ? "converged" : "NOT converged"}`);
  const line = (q: { accuracy: number; logLoss: number }) =>
    `accuracy ${(100 * q.accuracy).toFixed(2)}%, mean log-loss ${formatLoss(q.logLoss)}`;
  out(`train: ${line(trainQuality)}`);
  out(
    data.fit.test.n > 0
      ? `test: ${line(testQuality)}`
      : "test: none (every row was fitted on; --test-fraction F holds some out)",
  );
  out();
  out(
    "weights on the original feature scale" +
      (original.length > 1 ? " (one column per class):" : " (the logit of class 1):"),
  );
  const rows = data.featureNames.map((feature, j) => [
    feature,
    ...original.map((m) => Number((m.weights[j] as number).toPrecision(5)).toString()),
  ]);
  rows.push(["(bias)", ...original.map((m) => Number(m.bias.toPrecision(5)).toString())]);
  const headers = original.length > 1 ? original.map((_, k) => `class ${k}`) : ["weight"];
  for (const l of table(
    [{ header: "feature" }, ...headers.map((h) => ({ header: h, align: "right" as const }))],
    rows,
  )) {
    out(`  ${l}`);
  }
}
