/**
 * `wdecay path`: the regularization path of the lasso, ridge or the elastic net on the training
 * data, by core's regularizationPath (coordinate descent with warm starts down a log-spaced grid
 * from λ_max, glmnet's way; the closed form for ridge). Shows λ_max, how sparsity, the norms and
 * the losses change along the path, and draws the coefficients against λ.
 */
import {
  CD_DEFAULT_MAX_ITER,
  CD_DEFAULT_TOL,
  type LambdaConvention,
  type LinearModel,
  l2Norm,
  type Moments,
  meanSquaredErrorOf,
  momentsOf,
  PATH_MIN_ALPHA,
  type PathOptions,
  pathFromMoments,
  type RegularizationPath,
  regularizationPath,
  standardizedMoments,
  usesCovarianceUpdates,
} from "@wdecay/core";
import { type Command, Option } from "commander";
import { type CliContext, println } from "../context.js";
import {
  addDataOptions,
  checkDataFlags,
  type DataFlags,
  type FitQuality,
  fitQuality,
  given,
  type LoadedData,
  l1Norm,
  loadData,
  nonzeros,
  standardizeFor,
} from "../data-source.js";
import { UsageError } from "../errors.js";
import { writeFileAtomic } from "../io/files.js";
import {
  addConventionOption,
  checkConventionPenalty,
  toCanonicalOn,
} from "../lambda-convention.js";
import {
  addDescentBudget,
  type Penalty,
  parseAlpha,
  parseLambdaMinRatio,
  parseLambdaSpec,
  parseNLambda,
  parsePenalty,
  pathParser,
  penaltyAlpha,
  penaltyName,
  svgPathParser,
} from "../options.js";
import { probeWritableFile } from "../output-files.js";
import { finiteOrNull, formatLoss, formatNorm } from "../render/numbers.js";
import { PATH_CHART_MAX_LINES, pathChartSvg } from "../render/svg.js";
import { table } from "../render/table.js";
import { type LoadedStats, loadStats, refuseWithStats } from "../stats-source.js";
import { formatLambda } from "./sweep.js";

/** How many rows of the path the human output shows (--json has them all). */
const SHOWN_ROWS = 12;

interface PathFlags extends DataFlags {
  readonly stats?: string;
  readonly penalty: Penalty;
  readonly alpha?: number;
  readonly nLambda: number;
  readonly lambdaMinRatio?: number;
  readonly lambdas?: number[];
  readonly lambdaConvention: LambdaConvention;
  readonly tol?: number;
  readonly maxIter?: number;
  readonly plot?: string;
  readonly json?: boolean;
}

export function registerPath(program: Command, ctx: CliContext): Command {
  const command = program
    .command("path")
    .description(
      "Fit the lasso, ridge or the elastic net on the fitted rows (every row of a CSV unless " +
        "--test-fraction holds some out) at every λ of a grid log-spaced from λ_max (the " +
        "smallest λ at which every weight is 0) down to λ_max·ratio, or at the λ of --lambdas, " +
        "each fit warm-started from the previous one (coordinate descent with covariance " +
        "updates and strong-rule screening, as glmnet; ridge from one eigendecomposition). λ is " +
        "in --lambda-convention (canonical: J = mean ½(ŷ − y)² + λ[(1 − α)/2‖w‖² + α‖w‖₁]). " +
        "Coefficients are reported on the original feature scale; the norms are of the " +
        "weights the penalty acts on (standardized, when the features are).",
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
    )
    .addOption(
      new Option(
        "--lambdas <spec>",
        "fit at these λ (in --lambda-convention) instead of the grid: a comma list and/or log " +
          "ranges start:stop:count",
      ).argParser(parseLambdaSpec),
    );
  addConventionOption(command, "λ");
  addDescentBudget(command, CD_DEFAULT_TOL, CD_DEFAULT_MAX_ITER);
  addDataOptions(command, {
    standardizeDefault: "as --lambda-convention's library does; canonical: with --data",
  });
  command.option(
    "--stats <file>",
    "compute the path from a stats file (wdecay stats, merged) instead of the rows",
    pathParser("--stats"),
  );
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
        "  wdecay path --data house.csv --target price --lambda-min-ratio 1e-3\n" +
        "  wdecay path --data house.csv --target price --penalty elastic --alpha 0.5 \\\n" +
        "      --lambda-convention glmnet --lambdas 10,1,0.1   glmnet(x, y, alpha = 0.5, lambda = …)",
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

/**
 * What the path is computed from: the rows (a CSV or the synthetic data), or a stats file's
 * moments of every row. Fits are on the scale the penalty acts on (standardized features when
 * standardizing); `toOriginal` maps them back.
 */
interface PathInput {
  readonly n: number;
  readonly d: number;
  /** sd(y) with divisor n, for conventions that scale λ by it. */
  readonly ySd: number;
  readonly featureNames: readonly string[];
  readonly summary: string;
  readonly json: Record<string, unknown>;
  readonly normScale: "original" | "standardized";
  /** Where the SVG says the data came from. */
  readonly plotSource: string;
  readonly hasTest: boolean;
  path(options: PathOptions): RegularizationPath;
  toOriginal(model: LinearModel): LinearModel;
  trainQuality(fitted: LinearModel): FitQuality;
  testQuality(fitted: LinearModel): FitQuality;
}

function mseQuality(m: Moments, fitted: LinearModel): FitQuality {
  const mse = meanSquaredErrorOf(m, fitted.weights, fitted.bias);
  return { mse, r2: m.syy > 0 ? 1 - mse / (m.syy / m.n) : Number.NaN };
}

function rowsInput(data: LoadedData, flags: PathFlags): PathInput {
  const rows = data.fit.train;
  // The training error of every λ from the rows' moments when the path used them (d ≤ n):
  // O(d²) per λ instead of O(nd), the report's main cost on tall data.
  const moments = usesCovarianceUpdates(rows.n, rows.d) ? momentsOf(rows) : undefined;
  let mean = 0;
  for (let i = 0; i < rows.n; i++) mean += (rows.y[i] as number) / rows.n;
  let ss = 0;
  for (let i = 0; i < rows.n; i++) ss += ((rows.y[i] as number) - mean) ** 2;
  return {
    n: rows.n,
    d: rows.d,
    ySd: Math.sqrt(ss / rows.n),
    featureNames: data.featureNames,
    summary: data.summary,
    json: data.json,
    normScale: data.normScale,
    plotSource: data.kind === "synthetic" ? "the chapter's synthetic data" : `data: ${flags.data}`,
    hasTest: data.fit.test.n > 0,
    path: (options) => regularizationPath(rows, options),
    toOriginal: data.toOriginal,
    trainQuality: (fitted) => (moments ? mseQuality(moments, fitted) : fitQuality(fitted, rows)),
    testQuality: (fitted) => fitQuality(fitted, data.fit.test),
  };
}

function statsInput(loaded: LoadedStats, file: string): PathInput {
  const { all, scaling, stats } = loaded;
  const scaled = scaling.standardize ? standardizedMoments(all) : undefined;
  const fitOn = scaled ? scaled.moments : all;
  return {
    n: all.n,
    d: all.d,
    ySd: Math.sqrt(all.syy / all.n),
    featureNames: stats.features,
    summary: loaded.summary,
    json: loaded.json,
    normScale: scaled ? "standardized" : "original",
    plotSource: `statistics: ${file}`,
    hasTest: false,
    path: (options) => pathFromMoments(fitOn, options),
    toOriginal: (model) =>
      scaled
        ? {
            weights: model.weights.map((w, j) => w / (scaled.scale[j] as number)),
            bias: model.bias,
          }
        : model,
    trainQuality: (fitted) => mseQuality(fitOn, fitted),
    testQuality: () => ({ mse: Number.NaN, r2: Number.NaN }),
  };
}

/** Each fit of the path on the original feature scale, with its norms and losses. */
function summarize(path: RegularizationPath, data: PathInput, factor: number) {
  return Array.from(path.lambdas, (canonical, k) => {
    const fitted = { weights: path.weights[k] as Float64Array, bias: path.biases[k] as number };
    const original = data.toOriginal(fitted);
    const train = data.trainQuality(fitted);
    const test = data.testQuality(fitted);
    return {
      lambda: canonical / factor,
      canonical,
      weights: original.weights,
      bias: original.bias,
      nonzeros: nonzeros(original.weights),
      // Norms of the weights the penalty acts on (standardized ones when the features were).
      l1Norm: l1Norm(fitted.weights),
      l2Norm: l2Norm(fitted.weights),
      trainMse: train.mse,
      trainR2: train.r2,
      testMse: test.mse,
      converged: path.converged[k] as boolean,
      kkt: path.kkt[k] as number,
    };
  });
}

async function runPath(flags: PathFlags, command: Command, ctx: CliContext): Promise<void> {
  checkDataFlags(flags, command);
  const alpha = penaltyAlpha(flags.penalty, flags.alpha);
  const convention = flags.lambdaConvention;
  checkConventionPenalty(convention, flags.penalty);
  if (flags.lambdas !== undefined) {
    for (const key of ["nLambda", "lambdaMinRatio"] as const) {
      if (given(command, key)) {
        throw new UsageError(
          `--${key === "nLambda" ? "n-lambda" : "lambda-min-ratio"} shapes the default grid and cannot be used with --lambdas`,
        );
      }
    }
    if (alpha === 1 && flags.lambdas.includes(0)) {
      throw new UsageError(
        "--lambdas must not hold 0 with the lasso (λ = 0 is unpenalized least squares)",
      );
    }
  }
  if (flags.plot !== undefined) await probeWritableFile(flags.plot, "--plot");
  let data: PathInput;
  if (flags.stats !== undefined) {
    refuseWithStats(command);
    data = statsInput(await loadStats(flags.stats), flags.stats);
  } else {
    data = rowsInput(await loadData(flags, standardizeFor(flags, convention)), flags);
  }
  // Every conversion is linear in λ: the library's grid is the canonical one over `factor`.
  const { factor, alpha: canonicalAlpha } = toCanonicalOn(1, alpha, convention, data);

  let path: RegularizationPath;
  try {
    path = data.path({
      alpha: canonicalAlpha,
      nLambda: flags.nLambda,
      ...(flags.lambdaMinRatio !== undefined ? { lambdaMinRatio: flags.lambdaMinRatio } : {}),
      ...(flags.lambdas !== undefined ? { lambdas: flags.lambdas.map((l) => l * factor) } : {}),
      ...(flags.tol !== undefined ? { tol: flags.tol } : {}),
      ...(flags.maxIter !== undefined ? { maxIter: flags.maxIter } : {}),
    });
  } catch (error) {
    if (/no unique solution/.test((error as Error).message)) {
      throw new UsageError(`--lambdas holds 0: ${(error as Error).message}`);
    }
    throw error;
  }
  const fits = summarize(path, data, factor);
  const name = penaltyName(flags.penalty, alpha);
  const ratio = flags.lambdaMinRatio ?? (data.n > data.d ? 1e-4 : 1e-2);
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
        lambdas: Float64Array.from(fits, (f) => f.lambda),
        weights: fits.map((f) => f.weights),
        featureNames: data.featureNames,
      },
      data.plotSource,
    );
    await writeFileAtomic(flags.plot, svg, "--plot");
  }

  const unconverged = fits.filter((f) => !f.converged).map((f) => f.lambda);
  if (flags.json) {
    const report = {
      penalty: flags.penalty,
      alpha,
      lambdaConvention: convention.id,
      lambdaMax: path.lambdaMax / factor,
      ...(flags.lambdas === undefined ? { lambdaMinRatio: ratio } : {}),
      canonicalAlpha,
      canonicalLambdaMax: path.lambdaMax,
      data: data.json,
      featureNames: data.featureNames,
      lambdas: fits.map((f) => f.lambda),
      canonicalLambdas: fits.map((f) => f.canonical),
      weights: fits.map((f) => Array.from(f.weights, finiteOrNull)),
      biases: fits.map((f) => finiteOrNull(f.bias)),
      nonzeros: fits.map((f) => f.nonzeros),
      normScale: data.normScale,
      l1Norms: fits.map((f) => finiteOrNull(f.l1Norm)),
      l2Norms: fits.map((f) => finiteOrNull(f.l2Norm)),
      trainMse: fits.map((f) => finiteOrNull(f.trainMse)),
      trainR2: fits.map((f) => finiteOrNull(f.trainR2)),
      ...(data.hasTest ? { testMse: fits.map((f) => finiteOrNull(f.testMse)) } : {}),
      converged: fits.map((f) => f.converged),
      kkt: fits.map((f) => f.kkt),
      ...(flags.plot !== undefined ? { plot: flags.plot } : {}),
    };
    println(ctx.stdout, JSON.stringify(report));
    return;
  }

  const out = (line = "") => println(ctx.stdout, line);
  const { hasTest } = data;
  out(`Regularization path, ${name}, on ${hasTest ? "the training rows" : "every row"}`);
  out(`data: ${data.summary}`);
  out(`λ_max = ${formatNorm(path.lambdaMax / factor)} (${convention.id}; ${lmaxNote})`);
  if (convention.id !== "canonical") {
    out(
      `canonical λ = ${convention.id} λ × ${factor}` +
        (canonicalAlpha !== alpha ? `, canonical α = ${canonicalAlpha} (glmnet's y scaling)` : ""),
    );
  }
  const shown = spreadIndices(fits.length, SHOWN_ROWS);
  out(
    (flags.lambdas === undefined
      ? `${fits.length} λ log-spaced from λ_max down to λ_max·${ratio}`
      : `${fits.length} λ from --lambdas`) +
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
      formatLoss(f.trainMse),
      Number.isFinite(f.trainR2) ? f.trainR2.toFixed(4) : "–",
      ...(hasTest ? [formatLoss(f.testMse)] : []),
    ];
  });
  for (const line of table(
    [
      { header: `λ (${convention.id})`, align: "right" },
      { header: "nonzeros", align: "right" },
      { header: "‖w‖₁", align: "right" },
      { header: "‖w‖₂", align: "right" },
      { header: "train MSE", align: "right" },
      { header: "train R²", align: "right" },
      ...(hasTest ? [{ header: "test MSE", align: "right" as const }] : []),
    ],
    rows,
  )) {
    out(line);
  }
  if (hasTest) {
    const best = fits.reduce((a, f) => (f.testMse < a.testMse ? f : a));
    out(
      `lowest test MSE: λ = ${formatLambda(best.lambda)} (${formatLoss(best.testMse)}, ` +
        `${best.nonzeros} nonzero weights)`,
    );
  } else {
    out(
      "no test rows: `wdecay select` chooses λ by cross-validation; --test-fraction F holds rows out",
    );
  }
  if (unconverged.length > 0) {
    println(
      ctx.stderr,
      `wdecay: warning: coordinate descent did not converge at ${unconverged.length} λ ` +
        `(smallest ${formatLambda(Math.min(...unconverged))}); those weights are the last iterate: raise --max-iter or --tol`,
    );
  }
  if (flags.plot !== undefined) {
    out();
    out(`SVG coefficient path written to ${flags.plot}`);
  }
}
