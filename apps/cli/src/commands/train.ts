/**
 * `wdecay train`: one training run with every setting of the chapter on a flag, on synthetic
 * data from core's syntheticSplit, trained by core's train. The defaults are the chapter's
 * (the run `train(lambd=3)`), so `wdecay train` alone reproduces one of the demo's four runs.
 */
import {
  CHAPTER,
  type HistoryPoint,
  l2Norm,
  type Method,
  type MultiOutputResult,
  syntheticSplit,
  type TrainResult,
  train,
  trainMultiOutput,
} from "@wdecay/core";
import type { Command } from "commander";
import { type CliContext, println } from "../context.js";
import { exemptMask, flagOf, given, nonzeros } from "../data-source.js";
import { UsageError } from "../errors.js";
import { checkSyntheticMemory } from "../memory.js";
import {
  addOptimizerOptions,
  describeOptimizer,
  type OptimizerFlags,
  optimizerFromFlags,
} from "../optimizer-options.js";
import {
  checkBatchSize,
  integerAtLeast,
  type Penalty,
  parseAlpha,
  parseBatchSize,
  parseDims,
  parseEpochs,
  parseEvalEvery,
  parseFeatureList,
  parseLambda,
  parseLr,
  parseMethod,
  parseNTest,
  parseNTrain,
  parsePenalty,
  parseSeed,
  parseTestFraction,
  pathParser,
  penaltyAlpha,
  penaltyName,
  svgPathParser,
  trainPenalty,
} from "../options.js";
import { probeWritableFile, writeOutput } from "../output-files.js";
import {
  diverged,
  divergenceHint,
  divergenceWarning,
  finiteOrNull,
  formatLoss,
  formatNorm,
  historyJson,
  type StepSettings,
  unstableDecay,
  unstableDecayWarning,
} from "../render/numbers.js";
import { createProgress } from "../render/progress.js";
import { lossChartSvg } from "../render/svg.js";
import { LEGEND, lossChart } from "../render/terminal-chart.js";
import { checkBackendName, selectBackend } from "../select-backend.js";
import { DEFAULT_SEED } from "./demo.js";
import {
  addNetworkOptions,
  NETWORK_MODEL_FLAGS,
  type NetworkTrainFlags,
  runNetworkTrain,
  type TrainModel,
} from "./train-network.js";
import type { StreamTrainFlags } from "./train-stream.js";

interface TrainFlags extends OptimizerFlags {
  readonly model: TrainModel;
  readonly hidden?: number[];
  readonly digits?: number[];
  readonly group?: NetworkTrainFlags["group"];
  readonly decayAll?: boolean;
  readonly method: Method;
  readonly outputs: number;
  readonly lambda: number;
  readonly penalty: Penalty;
  readonly alpha?: number;
  readonly epochs: number;
  readonly lr: number;
  readonly batchSize: number;
  readonly nTrain: number;
  readonly nTest: number;
  readonly dims: number;
  readonly seed: number;
  readonly evalEvery: number;
  readonly backend?: string;
  readonly plot?: string;
  readonly json?: boolean;
}

export function registerTrain(program: Command, ctx: CliContext): Command {
  const command = program
    .command("train")
    .description(
      "Train one linear regression with weight decay by minibatch SGD on synthetic data " +
        "(y = 0.05 + Σ 0.01·xᵢ + ε) and report ‖w‖ and the train and test loss. The defaults " +
        "are the chapter's run with λ = 3. --penalty l1 or elastic replaces weight decay by the " +
        "lasso or the elastic net, J = mean ½(ŷ − y)² + λ[(1 − α)/2‖w‖² + α‖w‖₁], the L1 part " +
        "applied as a soft-threshold after each step (exact zeros). --outputs k trains k " +
        "target columns at once (output l has true weights 0.01·(l + 1)) with the Frobenius " +
        "penalty (λ/2)‖W‖²_F (exercise 4). --optimizer and the schedule flags train through " +
        "core's optimizers (momentum, Adam, AdamW) instead of plain SGD. --model mlp, softmax " +
        "or logistic trains a network or linear classifier on the MNIST digits instead, with " +
        "weight decay on every weight matrix and none on the biases unless the group flags say " +
        "otherwise (defaults for networks: λ 0.003, 30 epochs, lr 0.1, batch size 25, " +
        "n-train 500, n-test 2000, --hidden 256).",
    );
  addNetworkOptions(
    command,
    "linear (the chapter's regression), softmax (multiclass), logistic (two --digits) or mlp",
  );
  command
    .option(
      "--data <file>",
      "a CSV file with a header row: for a classifier, instead of the MNIST digits; for the " +
        "linear model, streamed from disk each epoch in --window rows (any size, plain or gzip)",
      pathParser("--data"),
    )
    .option(
      "--window <rows>",
      "linear model with --data: rows per window, shuffled within it each epoch (65536)",
      integerAtLeast("--window", 1),
      65536,
    )
    .option(
      "--target <column>",
      "with --data: the class column (0/1 for logistic, 0, 1, 2, … for softmax and mlp)",
    )
    .option(
      "--features <names>",
      "with --data: comma-separated feature columns (default: every column but the target)",
      parseFeatureList,
    )
    .option(
      "--test-fraction <f>",
      "with --data: share of rows held out for testing, split by --seed, in (0, 1) (0.2)",
      parseTestFraction,
    )
    .option(
      "--standardize",
      "with --data: standardize the features on the training rows (the default for a CSV)",
    )
    .option("--no-standardize", "with --data: train on the raw features")
    .option(
      "--method <name>",
      "scratch: penalty (λ/2)‖w‖² in the loss; concise: decay in the optimizer",
      parseMethod,
      "scratch" as Method,
    )
    .option("--lambda <number>", "weight decay λ (≥ 0)", parseLambda, 3)
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
    )
    .option("--epochs <n>", "passes over the training set", parseEpochs, CHAPTER.epochs)
    .option("--lr <number>", "learning rate (> 0)", parseLr, CHAPTER.lr)
    .option(
      "--batch-size <n>",
      "minibatch size (1 to --n-train)",
      parseBatchSize,
      CHAPTER.batchSize,
    )
    .option("--n-train <n>", "training examples", parseNTrain, CHAPTER.nTrain)
    .option("--n-test <n>", "test examples", parseNTest, CHAPTER.nTest)
    .option("--dims <n>", "features d", parseDims, CHAPTER.dims)
    .option(
      "--outputs <k>",
      "target columns k: multi-output regression with the Frobenius penalty on W (d×k)",
      integerAtLeast("--outputs", 1),
      1,
    )
    .option(
      "--seed <n>",
      "seed of the data, initial weights and minibatch order",
      parseSeed,
      DEFAULT_SEED,
    )
    .option(
      "--eval-every <n>",
      "evaluate the losses every n epochs (and after the last)",
      parseEvalEvery,
      CHAPTER.evalEvery,
    )
    .option(
      "--backend <name>",
      "backend to run on (default: the best available; see `wdecay backends`)",
    )
    .option("--plot <file>", "write the loss curves to this SVG file", svgPathParser("--plot"))
    .option("--json", "print one JSON object on stdout instead of the report");
  addOptimizerOptions(command);
  return command.action((flags: TrainFlags) =>
    flags.model === "linear"
      ? runTrain(flags, command, ctx)
      : runNetworkTrain(flags as NetworkTrainFlags, command, ctx),
  );
}

/** Flags of `train` that only the networks read, by commander key. */
const NETWORK_ONLY = [
  ...NETWORK_MODEL_FLAGS,
  "data",
  "target",
  "features",
  "testFraction",
  "standardize",
] as const;

async function runTrain(flags: TrainFlags, command: Command, ctx: CliContext): Promise<void> {
  const file = (flags as { data?: string }).data;
  if (file !== undefined) {
    const { runStreamTrain } = await import("./train-stream.js");
    const stream = flags as unknown as StreamTrainFlags;
    return runStreamTrain(
      { ...stream, data: file },
      penaltyAlpha(flags.penalty, flags.alpha),
      command,
      ctx,
    );
  }
  if (given(command, "window")) {
    throw new UsageError("--window applies to streaming training: give --data FILE --target COL");
  }
  for (const key of NETWORK_ONLY) {
    if (given(command, key)) {
      throw new UsageError(
        `${flagOf(key)} applies to the networks (--model mlp, softmax or logistic); ` +
          "train --model linear runs the chapter's synthetic data (fit, path and select take --data)",
      );
    }
  }
  const alpha = penaltyAlpha(flags.penalty, flags.alpha);
  checkBatchSize(flags.batchSize, flags.nTrain);
  const totalSteps = flags.epochs * Math.ceil(flags.nTrain / flags.batchSize);
  const mask =
    flags.exempt === undefined
      ? undefined
      : exemptMask(
          { featureNames: Array.from({ length: flags.dims }, (_, j) => `x${j + 1}`) },
          flags.exempt,
        );
  const optimizer = optimizerFromFlags(flags, totalSteps, mask);
  checkBackendName(ctx.registry, flags.backend);
  if (flags.plot !== undefined) await probeWritableFile(flags.plot, "--plot");
  const backend = await selectBackend(ctx.registry, flags.backend);

  const settings = {
    method: flags.method,
    lambda: flags.lambda,
    epochs: flags.epochs,
    lr: flags.lr,
    batchSize: flags.batchSize,
    nTrain: flags.nTrain,
    nTest: flags.nTest,
    dims: flags.dims,
    seed: flags.seed,
    evalEvery: flags.evalEvery,
  };
  checkSyntheticMemory(flags.nTrain + flags.nTest, flags.dims, flags.outputs);
  const data = syntheticSplit(flags.seed, flags, { outputs: flags.outputs });
  // Plain SGD with lr·λ ≥ 2 cannot converge: say so before spending the run.
  const steps: StepSettings = {
    lr: flags.lr,
    l2: flags.lambda * (1 - alpha),
    plainSgd: (optimizer.optimizer ?? "sgd") === "sgd",
  };
  const before = unstableDecayWarning(steps);
  if (before !== undefined) println(ctx.stderr, before);
  const progress = createProgress(flags.epochs, ctx.isTTY && !flags.json, ctx.progressStream);
  const options = {
    ...settings,
    ...trainPenalty(flags.penalty, alpha),
    ...optimizer,
    onEpoch: (epoch: number, epochs: number) =>
      progress.update(epoch, `epoch ${epoch} of ${epochs}`),
  };
  let result: TrainResult | MultiOutputResult;
  try {
    result =
      flags.outputs > 1
        ? await trainMultiOutput(backend, data, options)
        : await train(backend, data, options);
  } finally {
    progress.stop();
  }
  const optimizerText =
    optimizer.optimizer || optimizer.paramGroups ? describeOptimizer(flags) : undefined;
  if ("outputs" in result) {
    await reportMultiOutput(result, { flags, ctx, backend, settings, alpha, optimizerText, steps });
    return;
  }

  const title =
    flags.penalty === "l2"
      ? `${flags.method}, λ = ${flags.lambda}`
      : `${flags.method}, ${flags.penalty}${flags.penalty === "elastic" ? ` α = ${alpha}` : ""}, λ = ${flags.lambda}`;
  if (flags.plot !== undefined) {
    const svg = await lossChartSvg(`${title}: ${backend.name}, seed ${flags.seed}`, result.history);
    await writeOutput(flags.plot, svg, "--plot");
  }
  const bad = diverged(result, steps);

  if (flags.json) {
    const report = {
      backend: backend.name,
      precision: backend.precision,
      settings,
      method: result.method,
      lambda: result.lambda,
      penalty: flags.penalty,
      alpha,
      nonzeros: nonzeros(result.weights),
      l2Norm: finiteOrNull(result.l2Norm),
      trainLoss: finiteOrNull(result.trainLoss),
      testLoss: finiteOrNull(result.testLoss),
      diverged: bad,
      ...(optimizerText !== undefined ? { optimizer: optimizerText } : {}),
      history: historyJson(result.history),
      weights: Array.from(result.weights, finiteOrNull),
      bias: finiteOrNull(result.bias),
      ...(flags.plot !== undefined ? { plot: flags.plot } : {}),
    };
    println(ctx.stdout, JSON.stringify(report));
    return;
  }

  const out = (line = "") => println(ctx.stdout, line);
  out(`Trained on ${backend.name} (${backend.precision})`);
  // Flag names as in --help, so a run can be repeated from its own output.
  out(
    `settings: method ${settings.method}, λ ${settings.lambda}, epochs ${settings.epochs}, ` +
      `lr ${settings.lr}, batch size ${settings.batchSize}, seed ${settings.seed}`,
  );
  out(
    `data: n-train ${settings.nTrain}, n-test ${settings.nTest}, dims ${settings.dims}; ` +
      `losses every ${settings.evalEvery} epochs`,
  );
  out(
    `penalty ${flags.penalty}, α ${alpha}: ${penaltyName(flags.penalty, alpha)}; ` +
      `nonzeros ${nonzeros(result.weights)} of ${result.weights.length}`,
  );
  if (optimizerText !== undefined) out(`optimizer: ${optimizerText}`);
  if (bad) println(ctx.stderr, divergenceWarning("training", divergenceHint(steps)));
  out(`‖w‖ = ${formatNorm(result.l2Norm)}`);
  out(`final loss: train ${formatLoss(result.trainLoss)}, test ${formatLoss(result.testLoss)}`);
  printCurves(out, title, result.history, flags.plot);
}

/** The report of a multi-output run: ‖W‖_F, the summed losses and each output's. */
async function reportMultiOutput(
  result: MultiOutputResult,
  run: {
    flags: TrainFlags;
    ctx: CliContext;
    backend: { name: string; precision: string };
    settings: Record<string, unknown>;
    alpha: number;
    optimizerText: string | undefined;
    steps: StepSettings;
  },
): Promise<void> {
  const { flags, ctx, backend, settings, alpha, optimizerText, steps } = run;
  const k = result.outputs;
  const d = result.weights.length / k;
  const columns = Array.from({ length: k }, (_, l) =>
    Array.from({ length: d }, (_, j) => result.weights[j * k + l] as number),
  );
  const title = `${flags.method}, ${k} outputs, Frobenius λ = ${flags.lambda}`;
  if (flags.plot !== undefined) {
    const svg = await lossChartSvg(`${title}: ${backend.name}, seed ${flags.seed}`, result.history);
    await writeOutput(flags.plot, svg, "--plot");
  }
  const first = result.history[0]?.trainLoss ?? Number.NaN;
  const last = result.history.at(-1)?.trainLoss ?? Number.NaN;
  const bad =
    !Number.isFinite(result.frobeniusNorm) ||
    !result.history.every((p) => Number.isFinite(p.trainLoss) && Number.isFinite(p.testLoss)) ||
    !result.biases.every(Number.isFinite) ||
    (result.history.length >= 2 && last > 10 * first) ||
    unstableDecay(steps);
  if (flags.json) {
    const report = {
      backend: backend.name,
      precision: backend.precision,
      settings: { ...settings, outputs: k },
      method: result.method,
      lambda: result.lambda,
      penalty: flags.penalty,
      alpha,
      outputs: k,
      frobeniusNorm: finiteOrNull(result.frobeniusNorm),
      trainLoss: finiteOrNull(result.trainLoss),
      testLoss: finiteOrNull(result.testLoss),
      diverged: bad,
      ...(optimizerText !== undefined ? { optimizer: optimizerText } : {}),
      history: historyJson(result.history),
      perOutput: columns.map((w, l) => ({
        l2Norm: finiteOrNull(l2Norm(w)),
        bias: finiteOrNull(result.biases[l] as number),
        trainLoss: finiteOrNull(result.outputLosses[l]?.trainLoss ?? Number.NaN),
        testLoss: finiteOrNull(result.outputLosses[l]?.testLoss ?? Number.NaN),
      })),
      weights: columns.map((w) => w.map(finiteOrNull)),
      biases: Array.from(result.biases, finiteOrNull),
      ...(flags.plot !== undefined ? { plot: flags.plot } : {}),
    };
    println(ctx.stdout, JSON.stringify(report));
    return;
  }
  const out = (line = "") => println(ctx.stdout, line);
  out(`Trained ${k} outputs on ${backend.name} (${backend.precision})`);
  out(
    `settings: method ${flags.method}, λ ${flags.lambda} on (λ/2)‖W‖²_F, epochs ${flags.epochs}, ` +
      `lr ${flags.lr}, batch size ${flags.batchSize}, seed ${flags.seed}`,
  );
  out(`data: n-train ${flags.nTrain}, n-test ${flags.nTest}, dims ${d}, outputs ${k}`);
  if (optimizerText !== undefined) out(`optimizer: ${optimizerText}`);
  if (bad) println(ctx.stderr, divergenceWarning("training", divergenceHint(steps)));
  out(`‖W‖_F = ${formatNorm(result.frobeniusNorm)}`);
  out(
    `final loss (summed over outputs): train ${formatLoss(result.trainLoss)}, ` +
      `test ${formatLoss(result.testLoss)}`,
  );
  for (const [l, w] of columns.entries()) {
    const losses = result.outputLosses[l];
    out(
      `  output ${l + 1}: ‖w‖ ${formatNorm(l2Norm(w))}, train ${formatLoss(losses?.trainLoss ?? Number.NaN)}, ` +
        `test ${formatLoss(losses?.testLoss ?? Number.NaN)}`,
    );
  }
  printCurves(out, title, result.history, flags.plot);
}

/** The loss curves in the terminal, and where their SVG went. */
function printCurves(
  out: (line?: string) => void,
  title: string,
  history: readonly HistoryPoint[],
  plot: string | undefined,
): void {
  out();
  out(`Loss curves, log scale   ${LEGEND}`);
  for (const line of lossChart(title, history, { width: 60, height: 12 })) out(line.trimEnd());
  if (plot !== undefined) {
    out();
    out(`SVG loss curves written to ${plot}`);
  }
}
