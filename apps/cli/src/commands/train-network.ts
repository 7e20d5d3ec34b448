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
  type NetworkOptimizer,
  type NetworkSpec,
  type NetworkTrainResult,
  networkParameters,
  trainNetwork,
} from "@wdecay/core";
import type { Command } from "commander";
import { type CliContext, println } from "../context.js";
import { given } from "../data-source.js";
import { MNIST_CLASSES, MNIST_PIXELS, mnistNetworkData } from "../datasets/mnist.js";
import { UsageError } from "../errors.js";
import type { OptimizerFlags } from "../optimizer-options.js";
import { fail, strictNumber } from "../options.js";
import { probeWritableFile, writeOutput } from "../output-files.js";
import { finiteOrNull, formatLoss } from "../render/numbers.js";
import { createProgress } from "../render/progress.js";
import { lossChartSvg } from "../render/svg.js";
import { table } from "../render/table.js";
import { LEGEND, lossChart } from "../render/terminal-chart.js";
import { checkBackendName, selectBackend } from "../select-backend.js";

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
export interface NetworkTrainFlags extends OptimizerFlags {
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

/** Flags of `train` that belong to the chapter's linear model only, by commander key. */
const LINEAR_ONLY = ["method", "penalty", "alpha", "outputs", "dims", "biasDecay"] as const;

function flagOf(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The run's settings after the defaults, with the usage checks done before any work. */
function settingsOf(flags: NetworkTrainFlags, command: Command) {
  for (const key of LINEAR_ONLY) {
    if (given(command, key)) {
      throw new UsageError(
        `${flagOf(key)} applies to --model linear only (a network's decay is set by --lambda and the group flags)`,
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
  const digits = flags.digits ?? Array.from({ length: MNIST_CLASSES }, (_, d) => d);
  if (model === "logistic" && digits.length !== 2) {
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
  if (batchSize > nTrain) {
    throw new UsageError(`--batch-size ${batchSize} exceeds --n-train ${nTrain}`);
  }
  const lr = pick("lr") as number;
  const totalSteps = epochs * Math.ceil(nTrain / batchSize);
  const optimizer: NetworkOptimizer = {
    kind,
    decay,
    ...(flags.momentum !== undefined ? { momentum: flags.momentum } : {}),
    ...(flags.decoupledScaling !== undefined ? { decoupledScaling: flags.decoupledScaling } : {}),
    ...(flags.lrSchedule ? { lrSchedule: flags.lrSchedule.build(lr, totalSteps) } : {}),
    ...(flags.decaySchedule ? { decaySchedule: flags.decaySchedule.build(1, totalSteps) } : {}),
  };
  const outputs = model === "logistic" ? 1 : digits.length;
  const spec: NetworkSpec = {
    inputs: MNIST_PIXELS,
    hidden,
    outputs,
    loss: model === "logistic" ? "logistic" : "softmax",
  };
  const grouping = {
    weightDecay: pick("lambda") as number,
    ...(flags.group ? { rules: flags.group } : {}),
    ...(flags.exempt ? { noDecay: flags.exempt } : {}),
    ...(flags.decayAll ? { defaultRule: "all" as const } : {}),
  };
  // Rules that match nothing are typos: say so now, as a usage error, not after loading data.
  try {
    groupParameters(networkParameters(spec), grouping);
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^rules\[\d+\] /, "--group "));
  }
  return {
    spec,
    digits,
    grouping,
    optimizer,
    epochs,
    lr,
    batchSize,
    nTrain,
    nTest: pick("nTest") as number,
    evalEvery: pick("evalEvery") as number,
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
  const settings = settingsOf(flags, command);
  checkBackendName(ctx.registry, flags.backend);
  if (flags.plot !== undefined) await probeWritableFile(flags.plot, "--plot");
  const data = await mnistNetworkData({
    ...settings,
    seed: flags.seed,
    logistic: settings.spec.loss === "logistic",
  });
  const backend = await selectBackend(ctx.registry, flags.backend);
  const progress = createProgress(settings.epochs, ctx.isTTY && !flags.json, ctx.progressStream);
  let result: NetworkTrainResult;
  try {
    result = await trainNetwork(backend, settings.spec, data, {
      epochs: settings.epochs,
      lr: settings.lr,
      batchSize: settings.batchSize,
      seed: flags.seed,
      evalEvery: settings.evalEvery,
      optimizer: settings.optimizer,
      grouping: settings.grouping,
      onEpoch: (epoch, epochs) => progress.update(epoch, `epoch ${epoch} of ${epochs}`),
    });
  } finally {
    progress.stop();
  }
  const { final, history } = result;
  const bad = !history.every((p) => Number.isFinite(p.trainLoss) && Number.isFinite(p.testLoss));
  const title = `${flags.model} ${architecture(settings.spec)}, λ = ${settings.grouping.weightDecay}`;
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
      backend: backend.name,
      precision: backend.precision,
      model: flags.model,
      architecture: [settings.spec.inputs, ...settings.spec.hidden, settings.spec.outputs],
      loss: settings.spec.loss,
      data: {
        dataset: "mnist",
        digits: settings.digits,
        nTrain: data.train.rows,
        nTest: data.test.rows,
      },
      settings: {
        lambda: settings.grouping.weightDecay,
        epochs: settings.epochs,
        lr: settings.lr,
        batchSize: settings.batchSize,
        seed: flags.seed,
        evalEvery: settings.evalEvery,
        optimizer: settings.optimizer.kind,
        decay: settings.optimizer.decay,
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
  const pct = (x: number | undefined) => (x === undefined ? "–" : `${(100 * x).toFixed(1)} %`);
  out(
    `Trained ${flags.model} ${architecture(settings.spec)} (${settings.spec.loss} loss) on ${backend.name} (${backend.precision})`,
  );
  out(
    `data: MNIST digits ${settings.digits.join(",")}, n-train ${data.train.rows}, n-test ${data.test.rows}`,
  );
  out(
    `settings: λ ${settings.grouping.weightDecay}, epochs ${settings.epochs}, lr ${settings.lr}, ` +
      `batch size ${settings.batchSize}, seed ${flags.seed}, optimizer ${settings.optimizer.kind} ` +
      `(${settings.optimizer.decay} decay)`,
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
    `final: train loss ${formatLoss(final.trainLoss)}, accuracy ${pct(final.trainAccuracy)}; ` +
      `test loss ${formatLoss(final.testLoss)}, accuracy ${pct(final.testAccuracy)}`,
  );
  out();
  out(`Loss curves, log scale   ${LEGEND}`);
  for (const line of lossChart(title, history, { width: 60, height: 12 })) out(line.trimEnd());
  if (flags.plot !== undefined) {
    out();
    out(`SVG loss curves written to ${flags.plot}`);
  }
}
