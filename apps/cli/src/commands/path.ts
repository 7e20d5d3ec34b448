/**
 * `wdecay path`: the regularization path of the lasso, ridge or the elastic net on the training
 * data, by core's regularizationPath (coordinate descent with warm starts down a log-spaced grid
 * from λ_max, glmnet's way; the closed form for ridge). Shows λ_max, how sparsity, the norms and
 * the losses change along the path, and draws the coefficients against λ.
 */
import { l2Norm, PATH_MIN_ALPHA, type RegularizationPath, regularizationPath } from "@wdecay/core";
import type { Command } from "commander";
import { type CliContext, println } from "../context.js";
import {
  addDataOptions,
  checkDataFlags,
  type DataFlags,
  halfMse,
  type LoadedData,
  l1Norm,
  loadData,
  nonzeros,
} from "../data-source.js";
import { writeFileAtomic } from "../io/files.js";
import {
  type Penalty,
  parseAlpha,
  parseLambdaMinRatio,
  parseNLambda,
  parsePenalty,
  penaltyAlpha,
  penaltyName,
  svgPathParser,
} from "../options.js";
import { probeWritableFile } from "../output-files.js";
import { finiteOrNull, formatLoss, formatNorm } from "../render/numbers.js";
import { PATH_CHART_MAX_LINES, pathChartSvg } from "../render/svg.js";
import { table } from "../render/table.js";
import { formatLambda } from "./sweep.js";

/** How many rows of the path the human output shows (--json has them all). */
const SHOWN_ROWS = 12;

interface PathFlags extends DataFlags {
  readonly penalty: Penalty;
  readonly alpha?: number;
  readonly nLambda: number;
  readonly lambdaMinRatio?: number;
  readonly plot?: string;
  readonly json?: boolean;
}

export function registerPath(program: Command, ctx: CliContext): Command {
  const command = program
    .command("path")
    .description(
      "Fit the lasso, ridge or the elastic net on the training data at every λ of a grid " +
        "log-spaced from λ_max (the smallest λ at which every weight is 0) down to " +
        "λ_max·ratio, each fit warm-started from the previous one (coordinate descent, as " +
        "glmnet; ridge by its closed form). λ is canonical: J = mean ½(ŷ − y)² + " +
        "λ[(1 − α)/2‖w‖² + α‖w‖₁]. Coefficients are reported on the original feature scale; " +
        "the norms are of the weights the penalty acts on (standardized, for a standardized CSV).",
    )
    .option("--penalty <name>", "l1 (lasso), l2 (ridge) or elastic", parsePenalty, "l1" as Penalty)
    .option(
      "--alpha <a>",
      "with --penalty elastic (required): share of the L1 term, 0 (ridge) to 1 (lasso)",
      parseAlpha,
    )
    .option("--n-lambda <n>", "number of λ on the grid (1 to 1000)", parseNLambda, 100)
    .option(
      "--lambda-min-ratio <r>",
      "smallest λ of the grid as a share of λ_max, in (0, 1] (default: 1e-4 when the " +
        "training rows outnumber the features, else 1e-2)",
      parseLambdaMinRatio,
    );
  addDataOptions(command);
  return command
    .option(
      "--plot <file>",
      `write an SVG of the coefficients against λ (the ${PATH_CHART_MAX_LINES} largest when there are more)`,
      svgPathParser("--plot"),
    )
    .option("--json", "print one JSON object on stdout instead of the report")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  wdecay path                                  the lasso path on the chapter's data\n" +
        "  wdecay path --penalty elastic --alpha 0.5 --plot path.svg\n" +
        "  wdecay path --penalty l2 --n-lambda 20 --json\n" +
        "  wdecay path --data house.csv --target price --lambda-min-ratio 1e-3",
    )
    .action((flags: PathFlags, cmd: Command) => runPath(flags, cmd, ctx));
}

/** `count` row indices spread evenly over `total`, first and last included. */
export function spreadIndices(total: number, count: number): number[] {
  if (total <= count) return Array.from({ length: total }, (_, i) => i);
  const picked = new Set<number>();
  for (let k = 0; k < count; k++) picked.add(Math.round((k * (total - 1)) / (count - 1)));
  return [...picked].sort((p, q) => p - q);
}

/** Each fit of the path on the original feature scale, with its norms and losses. */
function summarize(path: RegularizationPath, data: LoadedData) {
  return Array.from(path.lambdas, (lambda, k) => {
    const fitted = { weights: path.weights[k] as Float64Array, bias: path.biases[k] as number };
    const original = data.toOriginal(fitted);
    return {
      lambda,
      weights: original.weights,
      bias: original.bias,
      nonzeros: nonzeros(original.weights),
      // Norms of the weights the penalty acts on (standardized ones when the features were).
      l1Norm: l1Norm(fitted.weights),
      l2Norm: l2Norm(fitted.weights),
      trainLoss: halfMse(fitted, data.fit.train),
      testLoss: halfMse(fitted, data.fit.test),
      converged: path.converged[k] as boolean,
    };
  });
}

async function runPath(flags: PathFlags, command: Command, ctx: CliContext): Promise<void> {
  checkDataFlags(flags, command);
  const alpha = penaltyAlpha(flags.penalty, flags.alpha);
  if (flags.plot !== undefined) await probeWritableFile(flags.plot, "--plot");
  const data = await loadData(flags);

  const path = regularizationPath(data.fit.train, {
    alpha,
    nLambda: flags.nLambda,
    ...(flags.lambdaMinRatio !== undefined ? { lambdaMinRatio: flags.lambdaMinRatio } : {}),
  });
  const fits = summarize(path, data);
  const name = penaltyName(flags.penalty, alpha);
  const ratio = flags.lambdaMinRatio ?? (data.fit.train.n > data.fit.train.d ? 1e-4 : 1e-2);
  // For α below PATH_MIN_ALPHA (ridge) no finite λ zeroes w: the grid starts where an elastic
  // net with that α would, and says so.
  const anchored = alpha < PATH_MIN_ALPHA;
  const lmaxNote = anchored
    ? `the grid's start: λ_max of α = ${PATH_MIN_ALPHA}, since no finite λ zeroes ridge weights`
    : "the smallest λ at which every weight is 0";

  if (flags.plot !== undefined) {
    const svg = await pathChartSvg(
      `Coefficient path, ${name}`,
      {
        lambdas: path.lambdas,
        weights: fits.map((f) => f.weights),
        featureNames: data.featureNames,
      },
      data.kind === "synthetic" ? "the chapter's synthetic data" : `data: ${flags.data}`,
    );
    await writeFileAtomic(flags.plot, svg, "--plot");
  }

  const unconverged = fits.filter((f) => !f.converged).map((f) => f.lambda);
  if (flags.json) {
    const report = {
      penalty: flags.penalty,
      alpha,
      lambdaConvention: "canonical",
      lambdaMax: path.lambdaMax,
      lambdaMinRatio: ratio,
      data: data.json,
      featureNames: data.featureNames,
      lambdas: fits.map((f) => f.lambda),
      weights: fits.map((f) => Array.from(f.weights, finiteOrNull)),
      biases: fits.map((f) => finiteOrNull(f.bias)),
      nonzeros: fits.map((f) => f.nonzeros),
      normScale: data.normScale,
      l1Norms: fits.map((f) => finiteOrNull(f.l1Norm)),
      l2Norms: fits.map((f) => finiteOrNull(f.l2Norm)),
      trainLosses: fits.map((f) => finiteOrNull(f.trainLoss)),
      testLosses: fits.map((f) => finiteOrNull(f.testLoss)),
      converged: fits.map((f) => f.converged),
      ...(flags.plot !== undefined ? { plot: flags.plot } : {}),
    };
    println(ctx.stdout, JSON.stringify(report));
    return;
  }

  const out = (line = "") => println(ctx.stdout, line);
  out(`Regularization path, ${name}, on the training rows`);
  out(`data: ${data.summary}`);
  out(`λ_max = ${formatNorm(path.lambdaMax)} (canonical; ${lmaxNote})`);
  const shown = spreadIndices(fits.length, SHOWN_ROWS);
  out(
    `${fits.length} λ log-spaced from λ_max down to λ_max·${ratio}` +
      (shown.length < fits.length ? `; ${shown.length} shown (--json for all):` : ":"),
  );
  out();
  const d = data.featureNames.length;
  const rows = shown.map((k) => {
    const f = fits[k] as (typeof fits)[number];
    return [
      formatLambda(f.lambda),
      `${f.nonzeros} of ${d}`,
      formatNorm(f.l1Norm),
      formatNorm(f.l2Norm),
      formatLoss(f.trainLoss),
      formatLoss(f.testLoss),
    ];
  });
  for (const line of table(
    [
      { header: "λ (canonical)", align: "right" },
      { header: "nonzeros", align: "right" },
      { header: "‖w‖₁", align: "right" },
      { header: "‖w‖₂", align: "right" },
      { header: "train loss", align: "right" },
      { header: "test loss", align: "right" },
    ],
    rows,
  )) {
    out(line);
  }
  const best = fits.reduce((a, f) => (f.testLoss < a.testLoss ? f : a));
  out(
    `lowest test loss: λ = ${formatLambda(best.lambda)} (${formatLoss(best.testLoss)}, ` +
      `${best.nonzeros} nonzero weights)`,
  );
  if (unconverged.length > 0) {
    println(
      ctx.stderr,
      `wdecay: warning: coordinate descent did not converge at ${unconverged.length} λ ` +
        `(smallest ${formatLambda(Math.min(...unconverged))}); those weights are the last iterate`,
    );
  }
  if (flags.plot !== undefined) {
    out();
    out(`SVG coefficient path written to ${flags.plot}`);
  }
}
