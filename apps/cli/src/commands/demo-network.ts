/**
 * `wdecay demo --network`: the chapter's closing advice, "apply weight decay on all layers of a
 * deep network", as the chapter would show it. An MLP on a small subset of the MNIST digits
 * overfits; the same network (same seed: same initial weights, same minibatch order) trained
 * with weight decay on every weight matrix, biases exempt, fits the training set less closely
 * and the test set better. Prints the losses and accuracies at each λ with the curves, and
 * writes one SVG chart per λ.
 */
import { join } from "node:path";
import { l2Norm, type NetworkSpec, type NetworkTrainResult, trainNetwork } from "@wdecay/core";
import type { Command } from "commander";
import { type CliContext, println } from "../context.js";
import { given } from "../data-source.js";
import { MNIST_CLASSES, MNIST_PIXELS, mnistNetworkData } from "../datasets/mnist.js";
import { UsageError } from "../errors.js";
import { prepareOutDir, writeOutput } from "../output-files.js";
import { finiteOrNull, formatLoss } from "../render/numbers.js";
import { createProgress } from "../render/progress.js";
import { lossChartSvg } from "../render/svg.js";
import { table } from "../render/table.js";
import { LEGEND, logRange, lossChart, sideBySide } from "../render/terminal-chart.js";
import { checkBackendName, selectBackend } from "../select-backend.js";
import { architecture } from "./train-network.js";

/** The demonstration's settings: where the measured sweep (BENCH.md) shows the effect. */
export const NETWORK_DEMO = {
  hidden: [256],
  nTrain: 500,
  nTest: 2000,
  epochs: 30,
  lr: 0.1,
  batchSize: 25,
  lambdas: [0, 0.003, 0.03],
} as const;

export interface NetworkDemoFlags {
  readonly backend?: string;
  readonly seed: number;
  readonly out: string;
  readonly json?: boolean;
  readonly hidden?: number[];
  readonly nTrain?: number;
  readonly nTest?: number;
  readonly epochs?: number;
  readonly lambdas?: number[];
}

/** The demo's flags that only --network reads, by commander key. */
export const NETWORK_DEMO_KEYS = ["hidden", "nTrain", "nTest", "epochs", "lambdas"] as const;

/** The SVG file name of a run, e.g. `network-lambda-0.003.svg`. */
export function networkSvgName(lambda: number): string {
  return `network-lambda-${lambda}.svg`;
}

export async function runNetworkDemo(
  flags: NetworkDemoFlags,
  command: Command,
  ctx: CliContext,
): Promise<void> {
  const hidden = flags.hidden ?? NETWORK_DEMO.hidden;
  const nTrain = flags.nTrain ?? NETWORK_DEMO.nTrain;
  const nTest = flags.nTest ?? NETWORK_DEMO.nTest;
  const epochs = flags.epochs ?? NETWORK_DEMO.epochs;
  const lambdas = flags.lambdas ?? NETWORK_DEMO.lambdas;
  const batchSize = Math.min(NETWORK_DEMO.batchSize, nTrain);
  if (given(command, "nTrain") && nTrain < MNIST_CLASSES) {
    throw new UsageError(`--n-train must be at least ${MNIST_CLASSES} (one image per digit)`);
  }
  checkBackendName(ctx.registry, flags.backend);
  await prepareOutDir(flags.out);
  const digits = Array.from({ length: MNIST_CLASSES }, (_, d) => d);
  const data = await mnistNetworkData({ digits, nTrain, nTest, seed: flags.seed });
  const backend = await selectBackend(ctx.registry, flags.backend);
  const spec: NetworkSpec = {
    inputs: MNIST_PIXELS,
    hidden,
    outputs: MNIST_CLASSES,
    loss: "softmax",
  };
  const progress = createProgress(
    lambdas.length * epochs,
    ctx.isTTY && !flags.json,
    ctx.progressStream,
  );
  const runs: NetworkTrainResult[] = [];
  try {
    for (const [i, lambda] of lambdas.entries()) {
      runs.push(
        await trainNetwork(backend, spec, data, {
          epochs,
          lr: NETWORK_DEMO.lr,
          batchSize,
          seed: flags.seed,
          grouping: { weightDecay: lambda },
          onEpoch: (epoch) =>
            progress.update(
              i * epochs + epoch,
              `λ = ${lambda} (run ${i + 1} of ${lambdas.length})`,
            ),
        }),
      );
    }
  } finally {
    progress.stop();
  }
  // ‖W‖ over the decayed parameters (the weight matrices): what the decay shrinks.
  const weightNorm = (run: NetworkTrainResult) =>
    l2Norm(run.parameters.filter((p) => p.group === "decay").flatMap((p) => Array.from(p.values)));
  const files: string[] = [];
  for (const run of runs) {
    const lambda = run.grouping.groups.find((g) => g.name === "decay")?.weightDecay ?? 0;
    const file = join(flags.out, networkSvgName(lambda));
    const title = `MLP ${architecture(spec)}, λ = ${lambda}: ${backend.name}, seed ${flags.seed}`;
    await writeOutput(file, await lossChartSvg(title, run.history), "--out");
    files.push(file);
  }
  const setting =
    `MLP ${architecture(spec)} (ReLU, softmax cross-entropy) on ${data.train.rows} MNIST ` +
    `digits, tested on ${data.test.rows}; SGD lr ${NETWORK_DEMO.lr}, batch ${batchSize}, ` +
    `${epochs} epochs; decay on every weight matrix, biases exempt`;
  if (flags.json) {
    const report = {
      backend: backend.name,
      precision: backend.precision,
      seed: flags.seed,
      architecture: [spec.inputs, ...spec.hidden, spec.outputs],
      nTrain: data.train.rows,
      nTest: data.test.rows,
      epochs,
      lr: NETWORK_DEMO.lr,
      batchSize,
      runs: runs.map((run, i) => ({
        lambda: lambdas[i],
        groups: run.grouping.groups.map((g) => ({
          name: g.name,
          lambda: g.weightDecay,
          parameters: g.members,
        })),
        weightNorm: finiteOrNull(weightNorm(run)),
        trainLoss: finiteOrNull(run.final.trainLoss),
        testLoss: finiteOrNull(run.final.testLoss),
        trainAccuracy: run.final.trainAccuracy,
        testAccuracy: run.final.testAccuracy,
        svg: files[i],
        history: run.history.map((p) => ({
          epoch: p.epoch,
          trainLoss: finiteOrNull(p.trainLoss),
          testLoss: finiteOrNull(p.testLoss),
          trainAccuracy: p.trainAccuracy,
          testAccuracy: p.testAccuracy,
        })),
      })),
    };
    println(ctx.stdout, JSON.stringify(report));
    return;
  }
  const out = (line = "") => println(ctx.stdout, line);
  const pct = (x: number | undefined) => (x === undefined ? "–" : `${(100 * x).toFixed(1)} %`);
  out(
    `Weight decay on every layer (D2L §4.5) on ${backend.name} (${backend.precision}), seed ${flags.seed}`,
  );
  out(setting);
  out();
  const rows = runs.map((run, i) => [
    String(lambdas[i]),
    formatLoss(run.final.trainLoss),
    formatLoss(run.final.testLoss),
    formatLoss(run.final.testLoss - run.final.trainLoss),
    pct(run.final.trainAccuracy),
    pct(run.final.testAccuracy),
    weightNorm(run).toPrecision(4),
  ]);
  const columns = [
    { header: "λ", align: "right" as const },
    { header: "train loss", align: "right" as const },
    { header: "test loss", align: "right" as const },
    { header: "gap", align: "right" as const },
    { header: "train acc", align: "right" as const },
    { header: "test acc", align: "right" as const },
    { header: "‖W‖ decayed", align: "right" as const },
  ];
  for (const line of table(columns, rows)) out(line);
  out();
  out(`Loss curves, log scale   ${LEGEND}`);
  const range = logRange(runs.map((r) => r.history));
  const charts = runs.map((run, i) =>
    lossChart(`λ = ${lambdas[i]}`, run.history, {
      width: 36,
      height: 10,
      ...(range ? { range } : {}),
    }),
  );
  for (let i = 0; i < charts.length; i += 2) {
    out();
    for (const line of sideBySide(charts.slice(i, i + 2))) out(line);
  }
  out();
  out(`SVG loss curves written to ${flags.out}:`);
  for (const file of files) out(`  ${file}`);
}
