/**
 * The λ conventions on the command line, shared by `fit`, `path`, `select` and `sweep`: the
 * --lambda-convention flag, its checks, and the conversion of a library's (λ, mixing) on the
 * rows actually fitted to the canonical penalty every solver here minimizes (core's
 * conventions.ts: sklearn's Ridge needs n, glmnet's elastic net sd(y)).
 */
import {
  type CanonicalPenalty,
  CONVENTION_IDS,
  type Dataset,
  LAMBDA_CONVENTIONS,
  type LambdaConvention,
  toCanonicalPenalty,
} from "@wdecay/core";
import { type Command, Option } from "commander";
import { UsageError } from "./errors.js";
import { type Penalty, parseLambdaConvention } from "./options.js";

/** Adds --lambda-convention (default canonical). */
export function addConventionOption(command: Command, what = "--lambda"): Command {
  return command.addOption(
    new Option(
      "--lambda-convention <name>",
      `how ${what} is meant, and the library whose estimator to reproduce (its feature ` +
        `standardization included, unless --standardize/--no-standardize): ${CONVENTION_IDS.join(", ")}`,
    )
      .argParser(parseLambdaConvention)
      .default(LAMBDA_CONVENTIONS.canonical, "canonical"),
  );
}

/** A usage error unless the convention weighs this penalty. */
export function checkConventionPenalty(convention: LambdaConvention, penalty: Penalty): void {
  if (convention.family !== "regression") {
    throw new UsageError(
      `--lambda-convention ${convention.id} is a classifier's (${convention.label}); ` +
        "it applies to fit --model logistic|softmax",
    );
  }
  if (!convention.kinds.includes(penalty)) {
    throw new UsageError(
      `--lambda-convention ${convention.id} does not apply to --penalty ${penalty} ` +
        `(${convention.label} weighs only ${convention.kinds.join(", ")} penalties)`,
    );
  }
}

/** The standard deviation of the labels, divisor n (glmnet's internal scale of y). */
export function labelSd(data: Dataset): number {
  const { y, n } = data;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += (y[i] as number) / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += ((y[i] as number) - mean) ** 2;
  return Math.sqrt(ss / n);
}

/** What a conversion on a training set used and gave. */
export interface Converted extends CanonicalPenalty {
  /** The canonical λ of a library λ of 1 (every conversion here is linear in λ). */
  readonly factor: number;
  /** The training rows and the labels' sd the conversion used. */
  readonly n: number;
  readonly ySd: number;
}

/**
 * The canonical penalty of the library's `value` with mixing `alpha` on `train`. A constant y
 * (sd 0) is fitted by the intercept at every λ, so any scale converts it; 1 is used.
 */
export function toCanonicalOn(
  value: number,
  alpha: number,
  convention: LambdaConvention,
  train: Dataset | { readonly n: number; readonly ySd: number },
): Converted {
  const sd = "ySd" in train ? train.ySd : labelSd(train);
  const options = { n: train.n, ySd: sd > 0 ? sd : 1 };
  const penalty = toCanonicalPenalty(value, alpha, convention, options);
  const factor = toCanonicalPenalty(1, alpha, convention, options).lambda;
  return { ...penalty, factor, n: train.n, ySd: options.ySd };
}
