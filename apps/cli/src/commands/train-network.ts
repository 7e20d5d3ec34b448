/**
 * `wdecay train --model mlp|softmax|logistic`: minibatch training of a network (core's
 * trainNetwork) on the MNIST digits of the `mnist` package, with weight decay on parameter
 * groups chosen by rule: by default every weight matrix is decayed and every bias is not;
 * `--exempt` takes more parameters out by name or glob, `--decay-all` puts the biases back in,
 * and `--group` gives matching parameters their own λ, learning-rate multiplier, L1 and decay
 * placement. The report lists every parameter's group, the losses and accuracies.
 */
import {
  describeGrouping,
  type GroupRule,
  groupParameters,
  l2Norm,
  type NetworkSpec,
  type NetworkSplit,
  type NetworkTrainResult,
  networkParameters,
  oneHot,
  type TrainOptimizer,
  trainNetwork,
} from "@wdecay/core";
import type { Command } from "commander";
import { type CliContext, println } from "../context.js";
import {
  type DataFlags,
  DEFAULT_TEST_FRACTION,
  flagOf,
  given,
  loadData,
  standardizeFor,
} from "../data-source.js";
import { MNIST_CLASSES, MNIST_PIXELS, mnistNetworkData } from "../datasets/mnist.js";
import { RuntimeError, UsageError } from "../errors.js";
import type { OptimizerFlags } from "../optimizer-options.js";
import { fail, strictNumber } from "../options.js";
import { probeWritableFile, writeOutput } from "../output-files.js";
import { finiteOrNull, formatAccuracy, formatLoss } from "../render/numbers.js";
import { createProgress } from "../render/progress.js";
import { lossChartSvg } from "../render/svg.js";
import { table } from "../render/table.js";
import { LEGEND, lossChart } from "../render/terminal-chart.js";
import { checkBackendName, selectBackend } from "../select-backend.js";
import { checkClassLabels } from "./fit-classifier.js";

/** The models `train --model` names; `linear` is the chapter's run (train.ts). */
export const TRAIN_MODELS = ["linear", "logistic", "softmax", "mlp"] as const;
export type TrainModel = (typeof TRAIN_MODELS)[number];

export function parseTrainModel(value: string): TrainModel {
  if (!(TRAIN_MODELS as readonly string[]).includes(value)) {
    fail("--model", TRAIN_MODELS.join(", "), value);
  }
  return value as TrainModel;
}

/** `--hidden 256,128`: the hidden layers' sizes. */
export function parseHidden(value: string): number[] {
  const parts = value.split(",").map((s) => s.trim());
  const sizes = parts.map((s) => strictNumber(s));
  if (parts.length === 0 || sizes.some((n) => n === undefined || !Number.isInteger(n) || n < 1)) {
    fail("--hidden", "comma-separated layer sizes, each an integer ≥ 1 (e.g. 256,128)", value);
  }
  return sizes as number[];
}

/** `--digits 3,8`: the digits to keep (two for --model logistic). */
export function parseDigits(value: string): number[] {
  const parts = value.split(",").map((s) => strictNumber(s.trim()));
  const ok =
    parts.length >= 2 &&
    parts.every((d) => d !== undefined && Number.isInteger(d) && d >= 0 && d <= 9) &&
    new Set(parts).size === parts.length;
  if (!ok) fail("--digits", "two or more distinct digits 0–9, comma-separated (e.g. 3,8)", value);
  return parts as number[];
}

const GROUP_KEYS = ["name", "match", "lambda", "lr-mult", "l1", "decay"] as const;

/**
 * `--group name=head,match=layers.2.*,lambda=0.01,lr-mult=0.1`: a rule for {@link groupParameters}.
 * `match` may be repeated; `decay` is coupled or decoupled.
 */
export function parseGroup(value: string, previous: GroupRule[] = []): GroupRule[] {
  const bad = (why: string): never =>
    fail(
      "--group",
      `name=N,match=GLOB[,match=GLOB…][,lambda=λ][,lr-mult=m][,l1=λ₁][,decay=coupled|decoupled] (${why})`,
      value,
    );
  const matches: string[] = [];
  const rule: Record<string, unknown> = {};
  for (const part of value.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 1) bad(`"${part}" is not key=value`);
    const key = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (!(GROUP_KEYS as readonly string[]).includes(key)) bad(`unknown key "${key}"`);
    if (v === "") bad(`${key} is empty`);
    if (key === "match") {
      matches.push(v);
    } else if (key in rule) {
      bad(`${key} given twice`);
    } else if (key === "name") {
      rule.name = v;
    } else if (key === "decay") {
      if (v !== "coupled" && v !== "decoupled") bad(`decay must be coupled or decoupled`);
      rule.decay = v;
    } else {
      const n = strictNumber(v);
      if (n === undefined || !(n >= 0 && Number.isFinite(n))) bad(`${key} must be a number ≥ 0`);
      rule[key === "lambda" ? "weightDecay" : key === "lr-mult" ? "lrMultiplier" : "l1"] = n;
    }
  }
  if (rule.name === undefined) bad("name is required");
  if (matches.length === 0) bad("match is required");
  return [...previous, { ...(rule as { name: string }), match: matches }];
}

/** The flags `train` hands a network run (see train.ts for their definitions). */
/**
 * The options `train` and `sweep` share for the networks: the model, its hidden layers, the
 * MNIST digits and the group rules.
 */
export function addNetworkOptions(command: Command, modelHelp: string): Command {
  return command
    .option("--model <name>", modelHelp, parseTrainModel, "linear" as TrainModel)
    .option(
      "--hidden <sizes>",
      "with --model mlp: hidden layer sizes, e.g. 256,128 (256)",
      parseHidden,
    )
    .option(
      "--digits <list>",
      "with a classifier: the MNIST digits to keep, e.g. 3,8 (all ten; two for logistic)",
      parseDigits,
    )
    .option(
      "--group <rule>",
      "with a network: name=N,match=GLOB[,lambda=λ][,lr-mult=m][,l1=λ₁][,decay=coupled|decoupled] " +
        "sends matching parameters (e.g. layers.1.*) to their own group; repeatable, first match wins",
      parseGroup,
    )
    .option("--decay-all", "with a network: decay the biases too (default: weight matrices only)");
}

export interface NetworkTrainFlags extends OptimizerFlags {
  readonly data?: string;
  readonly target?: string;
  readonly features?: string[];
  readonly testFraction?: number;
  readonly standardize?: boolean;
  readonly model: Exclude<TrainModel, "linear">;
  readonly hidden?: number[];
  readonly digits?: number[];
  readonly group?: GroupRule[];
  readonly decayAll?: boolean;
  readonly lambda: number;
  readonly epochs: number;
  readonly lr: number;
  readonly batchSize: number;
  readonly nTrain: number;
  readonly nTest: number;
  readonly seed: number;
  readonly evalEvery: number;
  readonly backend?: string;
  readonly plot?: string;
  readonly json?: boolean;
}

/**
 * Defaults of a network run where they differ from the chapter's linear run: a training subset
 * small enough to overfit in seconds, the λ where decay helps most in the measured sweep
 * (BENCH.md), SGD settings that train a ReLU network.
 */
export const NETWORK_DEFAULTS = {
  lambda: 0.003,
  epochs: 30,
  lr: 0.1,
  batchSize: 25,
  nTrain: 500,
  nTest: 2000,
  evalEvery: 1,
  hidden: [256],
} as const;

/** Flags of `train` and `sweep` that only the networks read, by commander key. */
export const NETWORK_MODEL_FLAGS = ["hidden", "digits", "group", "decayAll"] as const;

/** Flags of `train` that belong to the chapter's linear model only, by commander key. */
const LINEAR_ONLY = ["method", "penalty", "alpha", "outputs", "dims", "biasDecay"] as const;

/**
 * The run's settings after the defaults, with the usage checks done before any work.
 * `lambdaFlag` names the command's λ flag in messages (`--lambda`, or `--lambdas` for a sweep).
 */
export function networkSettings(
  flags: NetworkTrainFlags,
  command: Command,
  lambdaFlag = "--lambda",
) {
  for (const key of LINEAR_ONLY) {
    if (given(command, key)) {
      throw new UsageError(
        `${flagOf(key)} applies to --model linear only (a network's decay is set by ${lambdaFlag} and the group flags)`,
      );
    }
  }
  const pick = <K extends keyof typeof NETWORK_DEFAULTS>(key: K) =>
    given(command, key) ? (flags[key] as never) : NETWORK_DEFAULTS[key];
  const model = flags.model;
  if (model !== "mlp" && flags.hidden !== undefined) {
    throw new UsageError(
      `--hidden gives an MLP's layers; --model ${model} has none (use --model mlp)`,
    );
  }
  const hidden: readonly number[] =
    model === "mlp" ? (flags.hidden ?? NETWORK_DEFAULTS.hidden) : [];
  const csv = flags.data !== undefined;
  if (csv) {
    for (const key of ["digits", "nTrain", "nTest"] as const) {
      if (given(command, key)) {
        throw new UsageError(
          `${flagOf(key)} picks MNIST images and cannot be used with --data (the file's rows decide)`,
        );
      }
    }
    if (flags.target === undefined || flags.target.trim() === "") {
      throw new UsageError("--target is required with --data: name the class column");
    }
    if (flags.testFraction !== undefined && flags.testFraction === 0) {
      throw new UsageError("--test-fraction must be above 0 for a network: it reports test loss");
    }
  } else {
    for (const key of ["target", "features", "testFraction", "standardize"] as const) {
      if (given(command, key)) {
        throw new UsageError(`${flagOf(key)} applies only with --data FILE (a CSV file)`);
      }
    }
  }
  const digits = flags.digits ?? Array.from({ length: MNIST_CLASSES }, (_, d) => d);
  if (!csv && model === "logistic" && digits.length !== 2) {
    throw new UsageError(
      "--model logistic separates two classes: pick two digits with --digits (e.g. --digits 3,8)",
    );
  }
  const kind = flags.optimizer ?? "sgd";
  if (flags.momentum !== undefined && kind !== "momentum") {
    throw new UsageError("--momentum needs --optimizer momentum");
  }
  const decay = flags.decay ?? (kind === "adamw" ? "decoupled" : "coupled");
  if (kind === "adamw" && decay !== "decoupled") {
    throw new UsageError("--optimizer adamw is Adam with decoupled decay: drop --decay coupled");
  }
  const epochs = pick("epochs") as number;
  const nTrain = pick("nTrain") as number;
  const batchSize = pick("batchSize") as number;
  if (!csv && batchSize > nTrain) {
    throw new UsageError(`--batch-size ${batchSize} exceeds --n-train ${nTrain}`);
  }
  const lr = pick("lr") as number;
  /** The optimizer, once the number of training rows (and so of steps) is known. */
  const optimizerFor = (rows: number): TrainOptimizer => {
    const totalSteps = epochs * Math.ceil(rows / batchSize);
    return {
      kind,
      decay,
      ...(flags.momentum !== undefined ? { momentum: flags.momentum } : {}),
      ...(flags.decoupledScaling !== undefined ? { decoupledScaling: flags.decoupledScaling } : {}),
      ...(flags.lrSchedule ? { lrSchedule: flags.lrSchedule.build(lr, totalSteps) } : {}),
      ...(flags.decaySchedule ? { decaySchedule: flags.decaySchedule.build(1, totalSteps) } : {}),
    };
  };
  const loss: NetworkSpec["loss"] = model === "logistic" ? "logistic" : "softmax";
  const grouping = {
    weightDecay: pick("lambda") as number,
    ...(flags.group ? { rules: flags.group } : {}),
    ...(flags.exempt ? { noDecay: flags.exempt } : {}),
    ...(flags.decayAll ? { defaultRule: "all" as const } : {}),
  };
  // Rules that match nothing are typos: say so now, as a usage error, not after loading data.
  // The parameters' names depend on the number of layers only.
  try {
    const names = networkParameters({ inputs: 1, hidden, outputs: 2, loss: "softmax" });
    groupParameters(names, grouping);
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^rules\[\d+\] /, "--group "));
  }
  return {
    hidden,
    loss,
    csv,
    digits,
    grouping,
    optimizerFor,
    epochs,
    lr,
    batchSize,
    nTrain,
    nTest: pick("nTest") as number,
    evalEvery: pick("evalEvery") as number,
  };
}

export type NetworkSettings = ReturnType<typeof networkSettings>;

/** The training and test rows, the network's shape and how to describe the data. */
export interface NetworkInput {
  readonly data: NetworkSplit;
  readonly spec: NetworkSpec;
  /** One line for people. */
  readonly summary: string;
  readonly json: Record<string, unknown>;
}

/** The rows of a CSV file with a class column, standardized on the training rows by default. */
async function csvInput(
  flags: NetworkTrainFlags,
  settings: NetworkSettings,
): Promise<NetworkInput> {
  const file = flags.data as string;
  const loaded = await loadData(
    {
      data: file,
      target: flags.target as string,
      ...(flags.features ? { features: flags.features } : {}),
      testFraction: flags.testFraction ?? DEFAULT_TEST_FRACTION,
      ...(flags.standardize !== undefined ? { standardize: flags.standardize } : {}),
      seed: flags.seed,
      nTrain: settings.nTrain,
      nTest: settings.nTest,
      dims: 1,
    },
    standardizeFor({ data: file, standardize: flags.standardize } as DataFlags),
  );
  const { train, test } = loaded.fit;
  const classifier = settings.loss === "logistic" ? "logistic" : "softmax";
  checkClassLabels(train, classifier, file);
  checkClassLabels(test, classifier, file);
  let classes = 2;
  for (const part of [train, test]) for (const v of part.y) classes = Math.max(classes, v + 1);
  if (settings.batchSize > train.n) {
    throw new UsageError(`--batch-size ${settings.batchSize} exceeds the ${train.n} training rows`);
  }
  if (test.n === 0) {
    throw new RuntimeError(
      `--data file "${file}": no rows left for testing; raise --test-fraction`,
    );
  }
  const targets = (y: Float64Array) =>
    classifier === "logistic" ? Float64Array.from(y) : oneHot(y, classes);
  const spec: NetworkSpec = {
    inputs: train.d,
    hidden: settings.hidden,
    outputs: classifier === "logistic" ? 1 : classes,
    loss: settings.loss,
  };
  return {
    spec,
    data: {
      train: { X: train.X, Y: targets(train.y), rows: train.n },
      test: { X: test.X, Y: targets(test.y), rows: test.n },
    },
    summary:
      `${file}: class column "${flags.target}", ${loaded.featureNames.length - loaded.dropped.length} features, ` +
      `${classes} classes; ${train.n} train / ${test.n} test rows (test fraction ` +
      `${flags.testFraction ?? DEFAULT_TEST_FRACTION}, seed ${flags.seed}); ` +
      (loaded.standardizer ? "features standardized on the training rows" : "raw features"),
    json: { ...loaded.json, classes },
  };
}

async function mnistInput(
  flags: NetworkTrainFlags,
  settings: NetworkSettings,
): Promise<NetworkInput> {
  const logistic = settings.loss === "logistic";
  const data = await mnistNetworkData({
    digits: settings.digits,
    nTrain: settings.nTrain,
    nTest: settings.nTest,
    seed: flags.seed,
    logistic,
  });
  return {
    data,
    spec: {
      inputs: MNIST_PIXELS,
      hidden: settings.hidden,
      outputs: logistic ? 1 : settings.digits.length,
      loss: settings.loss,
    },
    summary: `MNIST digits ${settings.digits.join(",")}, n-train ${data.train.rows}, n-test ${data.test.rows}`,
    json: {
      dataset: "mnist",
      digits: settings.digits,
      nTrain: data.train.rows,
      nTest: data.test.rows,
    },
  };
}

/** The rows a network trains on: the CSV file of --data, else the MNIST digits. */
export function loadNetworkInput(
  flags: NetworkTrainFlags,
  settings: NetworkSettings,
): Promise<NetworkInput> {
  return settings.csv ? csvInput(flags, settings) : mnistInput(flags, settings);
}

/** The fields every network report opens with: what ran, on what, on which data. */
export function reportHead(
  backend: { readonly name: string; readonly precision: string },
  model: string,
  spec: NetworkSpec,
  input: NetworkInput,
) {
  return {
    backend: backend.name,
    precision: backend.precision,
    model,
    architecture: [spec.inputs, ...spec.hidden, spec.outputs],
    loss: spec.loss,
    data: input.json,
  };
}

export function architecture(spec: NetworkSpec): string {
  return [spec.inputs, ...spec.hidden, spec.outputs].join(" → ");
}

export async function runNetworkTrain(
  flags: NetworkTrainFlags,
  command: Command,
  ctx: CliContext,
): Promise<void> {
  const settings = networkSettings(flags, command);
  checkBackendName(ctx.registry, flags.backend);
  if (flags.plot !== undefined) await probeWritableFile(flags.plot, "--plot");
  const input = await loadNetworkInput(flags, settings);
  const { data, spec } = input;
  const optimizer = settings.optimizerFor(data.train.rows);
  const backend = await selectBackend(ctx.registry, flags.backend);
  const progress = createProgress(settings.epochs, ctx.isTTY && !flags.json, ctx.progressStream);
  let result: NetworkTrainResult;
  try {
    result = await trainNetwork(backend, spec, data, {
      epochs: settings.epochs,
      lr: settings.lr,
      batchSize: settings.batchSize,
      seed: flags.seed,
      evalEvery: settings.evalEvery,
      optimizer,
      grouping: settings.grouping,
      onEpoch: (epoch, epochs) => progress.update(epoch, `epoch ${epoch} of ${epochs}`),
    });
  } finally {
    progress.stop();
  }
  const { final, history } = result;
  const bad = !history.every((p) => Number.isFinite(p.trainLoss) && Number.isFinite(p.testLoss));
  const title = `${flags.model} ${architecture(spec)}, λ = ${settings.grouping.weightDecay}`;
  if (flags.plot !== undefined) {
    const svg = await lossChartSvg(`${title}: ${backend.name}, seed ${flags.seed}`, history);
    await writeOutput(flags.plot, svg, "--plot");
  }
  const norms = result.parameters.map((p) => ({
    name: p.name,
    group: p.group,
    shape: `${p.shape[0]}×${p.shape[1]}`,
    norm: l2Norm(p.values),
  }));
  if (flags.json) {
    const report = {
      ...reportHead(backend, flags.model, spec, input),
      settings: {
        lambda: settings.grouping.weightDecay,
        epochs: settings.epochs,
        lr: settings.lr,
        batchSize: settings.batchSize,
        seed: flags.seed,
        evalEvery: settings.evalEvery,
        optimizer: optimizer.kind,
        decay: optimizer.decay,
      },
      groups: result.grouping.groups.map((g) => ({
        name: g.name,
        lambda: g.weightDecay,
        lrMultiplier: g.lrMultiplier,
        l1: g.l1,
        ...(g.decay ? { decay: g.decay } : {}),
        parameters: g.members,
      })),
      parameters: norms.map((p) => ({ ...p, norm: finiteOrNull(p.norm) })),
      diverged: bad,
      final: {
        trainLoss: finiteOrNull(final.trainLoss),
        testLoss: finiteOrNull(final.testLoss),
        trainAccuracy: final.trainAccuracy,
        testAccuracy: final.testAccuracy,
      },
      history: history.map((p) => ({
        epoch: p.epoch,
        trainLoss: finiteOrNull(p.trainLoss),
        testLoss: finiteOrNull(p.testLoss),
        trainAccuracy: p.trainAccuracy,
        testAccuracy: p.testAccuracy,
      })),
      ...(flags.plot !== undefined ? { plot: flags.plot } : {}),
    };
    println(ctx.stdout, JSON.stringify(report));
    return;
  }
  const out = (line = "") => println(ctx.stdout, line);
  out(
    `Trained ${flags.model} ${architecture(spec)} (${spec.loss} loss) on ${backend.name} (${backend.precision})`,
  );
  out(`data: ${input.summary}`);
  out(
    `settings: λ ${settings.grouping.weightDecay}, epochs ${settings.epochs}, lr ${settings.lr}, ` +
      `batch size ${settings.batchSize}, seed ${flags.seed}, optimizer ${optimizer.kind} ` +
      `(${optimizer.decay} decay)`,
  );
  out("groups:");
  for (const line of describeGrouping(result.grouping)) out(`  ${line}`);
  out();
  for (const line of table(
    [
      { header: "parameter" },
      { header: "shape" },
      { header: "group" },
      { header: "‖θ‖", align: "right" },
    ],
    norms.map((p) => [p.name, p.shape, p.group, p.norm.toPrecision(4)]),
  )) {
    out(line);
  }
  if (bad) {
    println(ctx.stderr, "warning: training diverged (a loss is not finite): lower --lr or λ");
  }
  out();
  out(
    `final: train loss ${formatLoss(final.trainLoss)}, accuracy ${formatAccuracy(final.trainAccuracy)}; ` +
      `test loss ${formatLoss(final.testLoss)}, accuracy ${formatAccuracy(final.testAccuracy)}`,
  );
  out();
  out(`Loss curves, log scale   ${LEGEND}`);
  for (const line of lossChart(title, history, { width: 60, height: 12 })) out(line.trimEnd());
  if (flags.plot !== undefined) {
    out();
    out(`SVG loss curves written to ${flags.plot}`);
  }
}
