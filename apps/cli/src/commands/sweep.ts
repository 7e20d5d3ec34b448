/**
 * `wdecay sweep`: D2L §4.5's exercise 1, how the train and test loss and ‖w‖ depend on λ. Every
 * λ of the grid is trained in ONE pass by core's trainGrid (the weights of all λ are one d×L
 * matrix on the backend; each column equals a separate `train` at its λ up to rounding), then
 * shown as a table, a terminal chart and optionally an SVG.
 */
import {
  CHAPTER,
  type LambdaConvention,
  type Method,
  type TrainResult,
  trainGrid,
} from "@wdecay/core";
import { type Command, Option } from "commander";
import { type CliContext, println } from "../context.js";
import {
  addDataOptions,
  checkDataFlags,
  type DataFlags,
  DEFAULT_TEST_FRACTION,
  exemptMask,
  flagOf,
  given,
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
  addOptimizerOptions,
  describeOptimizer,
  type OptimizerFlags,
  optimizerFromFlags,
} from "../optimizer-options.js";
import {
  checkBatchSize,
  checkBatchSizeForRows,
  type Penalty,
  parseAlpha,
  parseBatchSize,
  parseEpochs,
  parseLambdaSpec,
  parseLr,
  parseMethod,
  parsePenalty,
  penaltyAlpha,
  penaltyName,
  svgPathParser,
  trainPenalty,
} from "../options.js";
import { probeWritableFile } from "../output-files.js";
import {
  diverged,
  divergenceHint,
  divergenceWarning,
  finiteOrNull,
  formatLoss,
  formatNorm,
  type StepSettings,
} from "../render/numbers.js";
import { createProgress } from "../render/progress.js";
import { type SweepPoint, sweepChartSvg } from "../render/svg.js";
import { table } from "../render/table.js";
import { LEGEND, lossChart } from "../render/terminal-chart.js";
import { checkBackendName, selectBackend } from "../select-backend.js";
import { NETWORK_LAMBDAS, type NetworkSweepFlags, runNetworkSweep } from "./sweep-network.js";
import { addNetworkOptions, NETWORK_MODEL_FLAGS, type TrainModel } from "./train-network.js";

/** The default grid: λ = 0 (no decay), then 9 values from 0.001 to 10, half a decade apart. */
export const DEFAULT_LAMBDAS = "0,1e-3:10:9";

interface SweepFlags extends DataFlags, OptimizerFlags {
  readonly model: TrainModel;
  readonly lambdas: number[];
  readonly penalty: Penalty;
  readonly alpha?: number;
  readonly lambdaConvention: LambdaConvention;
  readonly method: Method;
  readonly epochs: number;
  readonly lr: number;
  readonly batchSize: number;
  readonly backend?: string;
  readonly plot?: string;
  readonly json?: boolean;
}

/** A λ for people: up to 4 significant digits, no float noise. */
export function formatLambda(x: number): string {
  return String(Number(x.toPrecision(4)));
}

export function registerSweep(program: Command, ctx: CliContext): Command {
  const command = program
    .command("sweep")
    .description(
      "Train one linear model per λ of a grid, all in a single pass on one backend (the " +
        "weights of every λ form one matrix, so each minibatch is gathered once for the whole " +
        "grid), and show how the train and test loss and ‖w‖ depend on λ: D2L §4.5, exercise 1. " +
        "λ is in the canonical convention, J = mean ½(ŷ − y)² + (λ/2)‖w‖², or with --penalty l1 or " +
        "elastic J = mean ½(ŷ − y)² + λ[(1 − α)/2‖w‖² + α‖w‖₁] (proximal SGD). Without --data the " +
        "data are the chapter's. ‖w‖ is of the weights the penalty acts on (the standardized ones " +
        "when a CSV's features are standardized). --model mlp, softmax or logistic sweeps a " +
        "network or linear classifier instead, one training per λ (the MNIST digits, or a CSV " +
        "file's class column, with the settings and defaults of `train --model`), λ being the " +
        "decay of every weight matrix (biases exempt unless the group flags say otherwise; " +
        `default grid ${NETWORK_LAMBDAS}).`,
    );
  addNetworkOptions(
    command,
    "linear (regression, every λ in one pass), softmax, logistic (two --digits) or mlp",
  );
  command
    .addOption(
      new Option(
        "--lambdas <spec>",
        "λ values: a comma list (0,0.1,1,3) and/or log ranges start:stop:count, count values " +
          "log-spaced from start to stop, both included (1e-3:10:20); at most 1000",
      )
        .argParser(parseLambdaSpec)
        .default(parseLambdaSpec(DEFAULT_LAMBDAS), DEFAULT_LAMBDAS),
    )
    .option(
      "--penalty <name>",
      "l2 (weight decay), l1 (lasso, proximal SGD) or elastic",
      parsePenalty,
      "l2" as Penalty,
    )
    .option(
      "--alpha <a>",
      "with --penalty elastic (required): share of the L1 term, 0 (l2) to 1 (l1)",
      parseAlpha,
    );
  addConventionOption(command, "--lambdas");
  command
    .option(
      "--method <name>",
      "scratch: penalty (λ/2)‖w‖² in the loss; concise: decay in the optimizer",
      parseMethod,
      "scratch" as Method,
    )
    .option("--epochs <n>", "passes over the training set", parseEpochs, CHAPTER.epochs)
    .option("--lr <number>", "learning rate (> 0)", parseLr, CHAPTER.lr)
    .option(
      "--batch-size <n>",
      "minibatch size (1 to the training set size)",
      parseBatchSize,
      CHAPTER.batchSize,
    );
  addDataOptions(command, {
    seedAlso: "also of the initial weights and minibatch order",
    testFraction: DEFAULT_TEST_FRACTION,
  });
  command
    .option(
      "--backend <name>",
      "backend to run on (default: the best available; see `wdecay backends`)",
    )
    .option(
      "--plot <file>",
      "write an SVG: train and test loss against λ, and ‖w‖ below, on log scales",
      svgPathParser("--plot"),
    )
    .option("--json", "print one JSON object on stdout instead of the report")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  wdecay sweep                                 λ = 0 and 1e-3 … 10, the chapter's data\n" +
        "  wdecay sweep --lambdas 0,0.1,1,3 --json      four λ, as JSON\n" +
        "  wdecay sweep --lambdas 1e-3:10:20 --plot sweep.svg\n" +
        "                                               20 log-spaced λ, with an SVG chart\n" +
        "  wdecay sweep --penalty l1 --lambdas 1e-3:1:7 --json\n" +
        "                                               the lasso by proximal SGD, as JSON\n" +
        "  wdecay sweep --data house.csv --target price --lambdas 0,1e-2:1:5 --lr 0.01",
    );
  addOptimizerOptions(command);
  return command.action((flags: SweepFlags, cmd: Command) =>
    flags.model === "linear"
      ? runSweep(flags, cmd, ctx)
      : runNetworkSweep(flags as unknown as NetworkSweepFlags, cmd, ctx),
  );
}

/** The step settings at one λ of the sweep, for the divergence rule (see numbers.ts). */
function sweepSteps(flags: SweepFlags, alpha: number, lambda: number): StepSettings {
  return {
    lr: flags.lr,
    l2: lambda * (1 - alpha),
    plainSgd: (flags.optimizer ?? "sgd") === "sgd",
  };
}

async function runSweep(flags: SweepFlags, command: Command, ctx: CliContext): Promise<void> {
  for (const key of NETWORK_MODEL_FLAGS) {
    if (given(command, key)) {
      throw new UsageError(
        `${flagOf(key)} applies to the networks (--model mlp, softmax or logistic), not to --model linear`,
      );
    }
  }
  checkDataFlags(flags, command);
  const stated = penaltyAlpha(flags.penalty, flags.alpha);
  const convention = flags.lambdaConvention;
  checkConventionPenalty(convention, flags.penalty);
  if (flags.data === undefined) checkBatchSize(flags.batchSize, flags.nTrain);
  checkBackendName(ctx.registry, flags.backend);
  if (flags.plot !== undefined) await probeWritableFile(flags.plot, "--plot");
  const data = await loadData(flags, standardizeFor(flags, convention));
  checkBatchSizeForRows(flags.batchSize, data.fit.train.n);
  // --lambdas in the convention: every conversion is linear in λ (factor), and may move α.
  const { factor, alpha } = toCanonicalOn(1, stated, convention, data.fit.train);
  const totalSteps = flags.epochs * Math.ceil(data.fit.train.n / flags.batchSize);
  const mask = flags.exempt === undefined ? undefined : exemptMask(data, flags.exempt);
  const optimizer = optimizerFromFlags(flags, totalSteps, mask);
  const backend = await selectBackend(ctx.registry, flags.backend);

  const settings = {
    method: flags.method,
    epochs: flags.epochs,
    lr: flags.lr,
    batchSize: flags.batchSize,
    seed: flags.seed,
  };
  const progress = createProgress(flags.epochs, ctx.isTTY && !flags.json, ctx.progressStream);
  let results: TrainResult[];
  try {
    results = await trainGrid(backend, data.fit, {
      ...settings,
      lambdas: flags.lambdas.map((l) => l * factor),
      ...trainPenalty(flags.penalty, alpha),
      ...optimizer,
      // Only the final losses are reported: evaluate once, after the last epoch.
      evalEvery: flags.epochs,
      onEpoch: (epoch, epochs) =>
        progress.update(epoch, `${flags.lambdas.length} λ, epoch ${epoch} of ${epochs}`),
    });
  } finally {
    progress.stop();
  }
  const points: (SweepPoint & { diverged: boolean; canonical: number })[] = results.map((r, l) => ({
    lambda: flags.lambdas[l] as number,
    canonical: r.lambda,
    trainLoss: r.trainLoss,
    testLoss: r.testLoss,
    // The norm the penalty acts on: of the standardized weights when the features were.
    l2Norm: r.l2Norm,
    diverged: diverged(r, sweepSteps(flags, alpha, r.lambda)),
  }));

  const title = `Loss and ‖w‖ against λ: ${flags.method}, ${backend.name}, seed ${flags.seed}`;
  if (flags.plot !== undefined) {
    await writeFileAtomic(flags.plot, await sweepChartSvg(title, points), "--plot");
  }

  if (flags.json) {
    const report = {
      backend: backend.name,
      precision: backend.precision,
      lambdaConvention: convention.id,
      penalty: flags.penalty,
      alpha: stated,
      ...(convention.id === "canonical" ? {} : { canonicalAlpha: alpha }),
      settings,
      ...(optimizer.optimizer || optimizer.paramGroups
        ? { optimizer: describeOptimizer(flags) }
        : {}),
      data: data.json,
      runs: points.map((p, l) => ({
        lambda: p.lambda,
        ...(convention.id === "canonical" ? {} : { canonicalLambda: p.canonical }),
        trainLoss: finiteOrNull(p.trainLoss),
        testLoss: finiteOrNull(p.testLoss),
        l2Norm: finiteOrNull(p.l2Norm),
        nonzeros: nonzeros((results[l] as TrainResult).weights),
        diverged: p.diverged,
      })),
      ...(flags.plot !== undefined ? { plot: flags.plot } : {}),
    };
    println(ctx.stdout, JSON.stringify(report));
    return;
  }
  printReport(ctx, flags, { stated, canonical: alpha }, backend, data.summary, points);
}

function printReport(
  ctx: CliContext,
  flags: SweepFlags,
  mixing: { readonly stated: number; readonly canonical: number },
  backend: { name: string; precision: string },
  dataSummary: string,
  points: readonly (SweepPoint & { diverged: boolean; canonical: number })[],
): void {
  const out = (line = "") => println(ctx.stdout, line);
  out(
    `Swept ${points.length} λ in one pass on ${backend.name} (${backend.precision}): ` +
      `method ${flags.method}, epochs ${flags.epochs}, lr ${flags.lr}, ` +
      `batch size ${flags.batchSize}, seed ${flags.seed}`,
  );
  const alpha = mixing.canonical;
  out(
    `penalty ${flags.penalty}, α ${mixing.stated}: ${penaltyName(flags.penalty, mixing.stated)}` +
      (mixing.stated !== alpha ? ` (canonical α ${alpha}, glmnet's y scaling)` : ""),
  );
  out(`data: ${dataSummary}`);
  out();
  const rows = points.map((p) => [
    formatLambda(p.lambda),
    formatLoss(p.trainLoss),
    formatLoss(p.testLoss),
    formatNorm(p.l2Norm),
  ]);
  for (const line of table(
    [
      { header: `λ (${flags.lambdaConvention.id})`, align: "right" },
      { header: "train loss", align: "right" },
      { header: "test loss", align: "right" },
      { header: "‖w‖", align: "right" },
    ],
    rows,
  )) {
    out(line);
  }
  const finite = points.filter((p) => Number.isFinite(p.testLoss));
  const best = finite.reduce<SweepPoint | undefined>(
    (a, p) => (a === undefined || p.testLoss < a.testLoss ? p : a),
    undefined,
  );
  if (best)
    out(`lowest test loss: λ = ${formatLambda(best.lambda)} (${formatLoss(best.testLoss)})`);
  for (const p of points) {
    if (p.diverged) {
      println(
        ctx.stderr,
        divergenceWarning(
          `training at λ = ${formatLambda(p.lambda)}`,
          divergenceHint(sweepSteps(flags, alpha, p.canonical)),
        ),
      );
    }
  }

  printLambdaChart(out, `${flags.method}, ${points.length} λ`, points, "‖w‖");
  if (flags.plot !== undefined) {
    out();
    out(`SVG of loss and ‖w‖ against λ written to ${flags.plot}`);
  }
}

/**
 * The terminal chart of train and test loss against λ, and a line for λ = 0. The chart plots
 * log10 λ on x, so a log-spaced grid is evenly spread.
 */
export function printLambdaChart(
  out: (line?: string) => void,
  title: string,
  points: readonly SweepPoint[],
  normName: string,
): void {
  const positive = points.filter((p) => p.lambda > 0);
  out();
  if (positive.length > 0) {
    out(`Loss against λ, log scales   ${LEGEND}`);
    const history = positive.map((p) => ({
      epoch: Math.log10(p.lambda),
      trainLoss: p.trainLoss,
      testLoss: p.testLoss,
    }));
    const chart = lossChart(title, history, {
      width: 60,
      height: 12,
      xAxis: { name: "λ (log scale)", format: (x) => formatLambda(10 ** x) },
    });
    for (const line of chart) out(line.trimEnd());
  }
  const zero = points.find((p) => p.lambda === 0);
  if (zero) {
    out(
      `λ = 0 is not on a log axis: train ${formatLoss(zero.trainLoss)}, ` +
        `test ${formatLoss(zero.testLoss)}, ${normName} ${formatNorm(zero.l2Norm)}`,
    );
  }
}
