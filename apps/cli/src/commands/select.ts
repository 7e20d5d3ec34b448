/**
 * `wdecay select`: D2L §4.5's exercise 2, choosing λ on validation data. The training split is
 * cut into a hold-out validation part (--val-fraction) or k folds (--folds) by core's
 * selectLambda, which fits every candidate λ (float64, on the host: ridge in closed form, the
 * lasso and elastic net by coordinate descent along the grid), estimates the validation loss with
 * its standard error, and picks λ_min or λ₁ₛₑ. The test split is never looked at while choosing;
 * afterwards the test loss of the refit model at both λ answers the exercise's question, whether
 * the chosen λ is really the best one.
 */
import {
  type Dataset,
  describeLambda,
  type LambdaSelection,
  type LinearModel,
  regularizationPath,
  ridgeClosedForm,
  type SelectionMethod,
  selectLambda,
} from "@wdecay/core";
import { type Command, Option } from "commander";
import { type CliContext, println } from "../context.js";
import {
  addDataOptions,
  checkDataFlags,
  type DataFlags,
  given,
  halfMse,
  loadData,
} from "../data-source.js";
import { RuntimeError, UsageError } from "../errors.js";
import { writeFileAtomic } from "../io/files.js";
import {
  type Penalty,
  parseAlpha,
  parseFolds,
  parseLambdaSpec,
  parsePenalty,
  parseRule,
  parseValFraction,
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
import { formatLambda } from "./sweep.js";

/** The default grid: 21 values log-spaced from 1e-3 to 10, five per decade (no λ = 0, which the
 * lasso refuses and which has no unique ridge fit when the features outnumber the rows). */
export const DEFAULT_SELECT_LAMBDAS = "1e-3:10:21";

interface SelectFlags extends DataFlags {
  readonly lambdas: number[];
  readonly valFraction?: number;
  readonly folds?: number;
  readonly rule: Rule;
  readonly penalty: Penalty;
  readonly alpha?: number;
  readonly plot?: string;
  readonly json?: boolean;
}

export function registerSelect(program: Command, ctx: CliContext): Command {
  const command = program
    .command("select")
    .description(
      "Choose the penalty strength λ on validation data (D2L §4.5, exercise 2). The training " +
        "split is cut into a validation part (--val-fraction) or k folds (--folds); every λ of " +
        "the grid is fitted on the rest and scored by its validation loss mean ½(ŷ − y)², with a " +
        "standard error. λ_min has the least validation loss; λ₁ₛₑ is the largest λ within one " +
        "standard error of it. The model is refit on the whole training split at the chosen λ; " +
        "the test split is only used afterwards, to report the test loss at both λ. λ is " +
        "canonical: J = mean ½(ŷ − y)² + λ[(1 − α)/2‖w‖² + α‖w‖₁]. Fits are float64 on the " +
        "host (ridge in closed form, otherwise coordinate descent).",
    )
    .addOption(
      new Option(
        "--lambdas <spec>",
        "candidate λ: a comma list (0.1,1,3) and/or log ranges start:stop:count (1e-3:10:21)",
      )
        .argParser(parseLambdaSpec)
        .default(parseLambdaSpec(DEFAULT_SELECT_LAMBDAS), DEFAULT_SELECT_LAMBDAS),
    )
    .option(
      "--val-fraction <f>",
      "hold out this share of the training rows for validation (this or --folds)",
      parseValFraction,
    )
    .option(
      "--folds <k>",
      "k-fold cross-validation on the training rows (this or --val-fraction)",
      parseFolds,
    )
    .option(
      "--rule <name>",
      "min: the λ of least validation loss; 1se: the largest λ within one standard error of it",
      parseRule,
      "min" as Rule,
    )
    .option("--penalty <name>", "l2 (ridge), l1 (lasso) or elastic", parsePenalty, "l2" as Penalty)
    .option(
      "--alpha <a>",
      "with --penalty elastic (required): share of the L1 term, 0 (ridge) to 1 (lasso)",
      parseAlpha,
    );
  addDataOptions(command, "also of the validation split or folds");
  return command
    .option(
      "--plot <file>",
      "write an SVG: validation loss ±1 SE against λ, with λ_min and λ₁ₛₑ marked",
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
        "\nOn the chapter's exact data (σ = 0.01, d = 200 ≫ n = 20) λ_min often sits at the\n" +
        "smallest λ of the grid: the ridge curve is flat there (its λ → 0 limit, the minimum-norm\n" +
        "interpolant, is already regularized). With noisier data it is interior.",
    )
    .action((flags: SelectFlags, cmd: Command) => runSelect(flags, cmd, ctx));
}

function checkFlags(
  flags: SelectFlags,
  command: Command,
): { method: SelectionMethod; alpha: number } {
  const byFraction = given(command, "valFraction");
  const byFolds = given(command, "folds");
  if (byFraction === byFolds) {
    throw new UsageError(
      byFraction
        ? "--val-fraction and --folds cannot be used together: choose a hold-out split or k-fold cross-validation"
        : "give --val-fraction F (a hold-out split) or --folds K (k-fold cross-validation)",
    );
  }
  const alpha = penaltyAlpha(flags.penalty, flags.alpha);
  if (alpha === 1 && flags.lambdas.some((l) => l === 0)) {
    throw new UsageError(
      "--lambdas must not hold 0 with the lasso (λ = 0 is unpenalized least squares): start the grid above 0",
    );
  }
  checkDataFlags(flags, command);
  const method: SelectionMethod = byFolds
    ? { kind: "kfold", folds: flags.folds as number }
    : { kind: "holdout", valFraction: flags.valFraction as number };
  return { method, alpha };
}

/** The checks of selectLambda that depend on the number of training rows, as usage errors. */
function checkAgainstRows(method: SelectionMethod, n: number): void {
  if (method.kind === "kfold" && method.folds > n) {
    throw new UsageError(
      `--folds must be at most the ${n} training rows, one per fold at least (got ${JSON.stringify(String(method.folds))})`,
    );
  }
  if (method.kind === "holdout") {
    const nVal = Math.round(n * method.valFraction);
    if (nVal < 2 || nVal >= n) {
      throw new UsageError(
        `--val-fraction ${method.valFraction} of the ${n} training rows gives ${nVal} validation ` +
          `row(s) and ${n - nVal} to fit; at least 2 must validate and 1 must fit`,
      );
    }
  }
}

/** The refit on the whole training set at `lambda`, as selectLambda refits its chosen λ. */
function refitAt(
  selection: LambdaSelection,
  train: Dataset,
  lambda: number,
  penalty: Penalty,
  alpha: number,
): LinearModel {
  if (lambda === selection.chosen) return selection.model;
  if (penalty === "l2") return ridgeClosedForm(train, lambda);
  const above = selection.lambdas.filter((l) => l >= lambda);
  const path = regularizationPath(train, { alpha, lambdas: above });
  return { weights: path.weights[0] as Float64Array, bias: path.biases[0] as number };
}

/** selectLambda over the flags' grid, reporting each fit (λ × fold, then the refit). */
function runSelection(
  train: Dataset,
  flags: SelectFlags,
  method: SelectionMethod,
  alpha: number,
  onProgress: (done: number, total: number) => void,
): LambdaSelection {
  return selectLambda(train, {
    method,
    seed: flags.seed,
    rule: flags.rule,
    lambdas: flags.lambdas,
    penalty: flags.penalty,
    ...(flags.penalty === "elastic" ? { alpha } : {}),
    onProgress,
  });
}

async function runSelect(flags: SelectFlags, command: Command, ctx: CliContext): Promise<void> {
  const { method, alpha } = checkFlags(flags, command);
  if (flags.plot !== undefined) await probeWritableFile(flags.plot, "--plot");
  const data = await loadData(flags);
  const train = data.fit.train;
  checkAgainstRows(method, train.n);

  const folds = method.kind === "kfold" ? method.folds : 1;
  const progress = createProgress(
    folds * flags.lambdas.length + 1,
    ctx.isTTY && !flags.json,
    ctx.progressStream,
  );
  let selection: LambdaSelection;
  try {
    const grid = `${flags.lambdas.length} λ × ${folds} fold(s) and the refit`;
    selection = runSelection(train, flags, method, alpha, (done, total) =>
      progress.update(done, `${grid}: ${done} of ${total} fits`, total),
    );
  } catch (error) {
    const message = (error as Error).message;
    if (message.startsWith("λ = 0")) throw new UsageError(`--lambdas holds 0: ${message}`);
    throw new RuntimeError(`selecting λ failed: ${message}`, { cause: error });
  } finally {
    progress.stop();
  }
  if (!selection.converged) {
    println(
      ctx.stderr,
      "wdecay: warning: coordinate descent did not converge for some λ; the curve uses the last iterates",
    );
  }

  const atMin = refitAt(selection, train, selection.lambdaMin, flags.penalty, alpha);
  const at1se = refitAt(selection, train, selection.lambda1se, flags.penalty, alpha);
  const testLossAtMin = halfMse(atMin, data.fit.test);
  const testLossAt1se = halfMse(at1se, data.fit.test);
  const model = data.toOriginal(selection.model);
  const methodJson =
    method.kind === "kfold"
      ? { kind: "kfold", folds: method.folds }
      : { kind: "holdout", valFraction: method.valFraction };

  if (flags.plot !== undefined) {
    const how =
      method.kind === "kfold" ? `${method.folds}-fold CV` : `hold-out ${method.valFraction}`;
    const title = `Validation loss against λ: ${penaltyName(flags.penalty, alpha)}, ${how}, seed ${flags.seed}`;
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
      lambdaConvention: "canonical",
      data: data.json,
      curve: selection.curve.map((p) => ({
        lambda: p.lambda,
        mean: finiteOrNull(p.mean),
        se: finiteOrNull(p.se),
      })),
      lambdaMin: selection.lambdaMin,
      lambda1se: selection.lambda1se,
      chosen: selection.chosen,
      testLossAtMin: finiteOrNull(testLossAtMin),
      testLossAt1se: finiteOrNull(testLossAt1se),
      featureNames: data.featureNames,
      target: data.target,
      weights: Array.from(model.weights, finiteOrNull),
      bias: finiteOrNull(model.bias),
      converged: selection.converged,
      ...(flags.plot !== undefined ? { plot: flags.plot } : {}),
    };
    println(ctx.stdout, JSON.stringify(report));
    return;
  }

  const out = (line = "") => println(ctx.stdout, line);
  const how =
    method.kind === "kfold"
      ? `${method.folds}-fold cross-validation`
      : `a hold-out split of ${method.valFraction} of the training rows`;
  out(
    `Selected λ for ${penaltyName(flags.penalty, alpha)} by ${how} (seed ${flags.seed}), ` +
      `rule ${flags.rule}, ${selection.lambdas.length} candidates`,
  );
  out(`data: ${data.summary}`);
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
      { header: "λ (canonical)", align: "right" },
      { header: "validation loss", align: "right" },
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
    out("Validation loss against λ, log scales   ─── validation");
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
    out("note: λ_min is the largest candidate; the loss may fall further: extend --lambdas upward");
  } else if (grid.length > 1 && selection.lambdaMin === grid[0]) {
    out("note: λ_min is the smallest candidate; extend --lambdas downward to be sure");
  }
  out(`chosen (rule ${flags.rule}): ${describeLambda(selection.chosen, "canonical")}`);
  out(
    `test loss of the model refit on all training rows: at λ_min ${formatLoss(testLossAtMin)}, ` +
      `at λ₁ₛₑ ${formatLoss(testLossAt1se)}`,
  );
  if (flags.plot !== undefined) {
    out();
    out(`SVG of the validation curve written to ${flags.plot}`);
  }
}
