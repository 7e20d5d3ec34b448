/**
 * `wdecay demo`: the chapter end to end. Runs core's runChapter (λ = 0 and 3, from scratch and
 * concisely, with the chapter's settings), then shows what the chapter shows: ‖w‖ beside the
 * figures it published, and the train and test loss curves, in the terminal and as SVG files.
 */
import { join } from "node:path";
import { CHAPTER, type ChapterRun, runChapter } from "@wdecay/core";
import type { Command } from "commander";
import { type CliContext, println } from "../context.js";
import { flagOf, given } from "../data-source.js";
import { UsageError } from "../errors.js";
import {
  parseEpochs,
  parseLambdaSpec,
  parseNTest,
  parseNTrain,
  parseSeed,
  pathParser,
} from "../options.js";
import { prepareOutDir, writeOutput } from "../output-files.js";
import {
  diverged,
  divergenceWarning,
  finiteOrNull,
  formatLoss,
  formatNorm,
  historyJson,
} from "../render/numbers.js";
import { createProgress } from "../render/progress.js";
import { lossChartSvg } from "../render/svg.js";
import { table } from "../render/table.js";
import { LEGEND, logRange, lossChart, sideBySide } from "../render/terminal-chart.js";
import { checkBackendName, selectBackend } from "../select-backend.js";
import {
  NETWORK_DEMO,
  NETWORK_DEMO_KEYS,
  type NetworkDemoFlags,
  runNetworkDemo,
} from "./demo-network.js";
import { parseHidden } from "./train-network.js";

export const DEFAULT_SEED = 42;
export const DEFAULT_OUT = "./wdecay-out";

interface DemoFlags extends NetworkDemoFlags {
  readonly network?: boolean;
}

/** The chapter's settings in one line, as the output states them. */
const SETTINGS_LINE =
  `d = ${CHAPTER.dims}, ${CHAPTER.nTrain} train / ${CHAPTER.nTest} test examples, ` +
  `batch ${CHAPTER.batchSize}, ${CHAPTER.epochs} epochs, lr ${CHAPTER.lr}, w ~ N(0, 1), b = 0`;

/** The SVG file name of a run, e.g. `scratch-lambda-0.svg`. */
export function svgName(run: { method: string; lambda: number }): string {
  return `${run.method}-lambda-${run.lambda}.svg`;
}

function runTitle(run: ChapterRun): string {
  return `${run.method}, λ = ${run.lambda}`;
}

export function registerDemo(program: Command, ctx: CliContext): Command {
  return program
    .command("demo")
    .description(
      "Reproduce D2L §4.5 (weight decay): train with λ = 0 and λ = 3, from scratch and " +
        "concisely, on the chapter's data (d = 200, 20 train / 100 test, batch 5, 100 epochs, " +
        "lr 0.003); print ‖w‖ beside the published figures and the loss curves, and write them " +
        "as SVG files. --network shows the chapter's closing advice instead: an MLP on a " +
        `small MNIST subset (${NETWORK_DEMO.nTrain} digits, --hidden ${NETWORK_DEMO.hidden.join(",")}, ` +
        `${NETWORK_DEMO.epochs} epochs) at λ = ${NETWORK_DEMO.lambdas.join(", ")}, decay on every ` +
        "weight matrix and none on the biases.",
    )
    .option(
      "--backend <name>",
      "backend to run on (default: the best available; see `wdecay backends`)",
    )
    .option(
      "--seed <n>",
      "seed of the data, initial weights and minibatch order",
      parseSeed,
      DEFAULT_SEED,
    )
    .option(
      "--out <dir>",
      "directory for the SVG loss curves (created if missing)",
      pathParser("--out"),
      DEFAULT_OUT,
    )
    .option("--json", "print one JSON object on stdout instead of the report")
    .option("--network", "weight decay on every layer of an MLP on MNIST digits")
    .option("--hidden <sizes>", "with --network: hidden layer sizes (256)", parseHidden)
    .option("--n-train <n>", "with --network: training images (500)", parseNTrain)
    .option("--n-test <n>", "with --network: test images (2000)", parseNTest)
    .option("--epochs <n>", "with --network: passes over the training images (30)", parseEpochs)
    .option(
      "--lambdas <spec>",
      "with --network: the λ values, comma-separated or start:stop:count (0,0.003,0.03)",
      parseLambdaSpec,
    )
    .action(function (this: Command, flags: DemoFlags) {
      if (flags.network) return runNetworkDemo(flags, this, ctx);
      for (const key of NETWORK_DEMO_KEYS) {
        if (given(this, key)) {
          throw new UsageError(`${flagOf(key)} applies to demo --network only`);
        }
      }
      return runDemo(flags, ctx);
    });
}

async function runDemo(flags: DemoFlags, ctx: CliContext): Promise<void> {
  checkBackendName(ctx.registry, flags.backend);
  await prepareOutDir(flags.out);
  const backend = await selectBackend(ctx.registry, flags.backend);

  const progress = createProgress(
    CHAPTER.lambdas.length * 2 * CHAPTER.epochs,
    ctx.isTTY && !flags.json,
    ctx.progressStream,
  );
  let runs: ChapterRun[];
  try {
    runs = await runChapter(backend, {
      seed: flags.seed,
      onProgress: (p) =>
        progress.update(
          (p.run - 1) * p.epochs + p.epoch,
          `${p.method}, λ = ${p.lambda} (run ${p.run} of ${p.runs})`,
        ),
    });
  } finally {
    progress.stop();
  }

  const files: string[] = [];
  for (const run of runs) {
    const file = join(flags.out, svgName(run));
    const title = `${runTitle(run)}: D2L §4.5 on ${backend.name}, seed ${flags.seed}`;
    await writeOutput(file, await lossChartSvg(title, run.history), "--out");
    files.push(file);
  }

  if (flags.json) {
    const report = {
      backend: backend.name,
      precision: backend.precision,
      seed: flags.seed,
      runs: runs.map((run, i) => ({
        method: run.method,
        lambda: run.lambda,
        l2Norm: finiteOrNull(run.l2Norm),
        trainLoss: finiteOrNull(run.trainLoss),
        testLoss: finiteOrNull(run.testLoss),
        diverged: diverged(run),
        published: run.published,
        svg: files[i],
        history: historyJson(run.history),
      })),
    };
    println(ctx.stdout, JSON.stringify(report));
    return;
  }
  printReport(ctx, backend, flags, runs, files);
}

function printReport(
  ctx: CliContext,
  backend: { name: string; precision: string },
  flags: DemoFlags,
  runs: readonly ChapterRun[],
  files: readonly string[],
): void {
  const out = (line = "") => println(ctx.stdout, line);
  out(`D2L §4.5 weight decay on ${backend.name} (${backend.precision}), seed ${flags.seed}`);
  out(SETTINGS_LINE);
  out();
  const rows = runs.map((run) => {
    const p = run.published;
    return [
      run.method,
      String(run.lambda),
      formatNorm(run.l2Norm),
      formatLoss(run.trainLoss),
      formatLoss(run.testLoss),
      `${formatNorm(p.mxnet)} / ${formatNorm(p.pytorch)} / ${formatNorm(p.tensorflow)}`,
    ];
  });
  const lines = table(
    [
      { header: "method" },
      { header: "λ", align: "right" },
      { header: "‖w‖", align: "right" },
      { header: "train loss", align: "right" },
      { header: "test loss", align: "right" },
      { header: "published ‖w‖: mxnet / pytorch / tensorflow" },
    ],
    rows,
  );
  for (const line of lines) out(line);
  out(
    "(published: the chapter's own random data; its TensorFlow concise runs optimize another loss)",
  );
  for (const run of runs) {
    if (diverged(run)) println(ctx.stderr, divergenceWarning(runTitle(run)));
  }
  out();

  // One chart per run, two to a row (λ = 0 beside λ = 3), on one shared scale.
  out(`Loss curves, log scale   ${LEGEND}`);
  const range = logRange(runs.map((r) => r.history));
  const charts = runs.map((run) =>
    lossChart(runTitle(run), run.history, { width: 36, height: 10, ...(range ? { range } : {}) }),
  );
  for (let i = 0; i < charts.length; i += 2) {
    out();
    for (const line of sideBySide(charts.slice(i, i + 2))) out(line);
  }
  out();
  out(`SVG loss curves written to ${flags.out}:`);
  for (const file of files) out(`  ${file}`);
}
