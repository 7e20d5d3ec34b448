/**
 * `wdecay sweep --model mlp|softmax|logistic`: exercise 1 of D2L §4.5 on a network or a linear
 * classifier. One training per λ of the grid (core's trainNetwork; networks do not share a pass
 * the way a linear model's λ columns do), every other setting as `train --model` takes it, and
 * the same report as the linear sweep: train and test loss (and accuracy) and the weights' norm
 * against λ, as a table, a terminal chart and optionally an SVG.
 */
import { l2Norm, type NetworkTrainResult, trainNetwork } from "@wdecay/core";
import type { Command } from "commander";
import { type CliContext, println } from "../context.js";
import { given } from "../data-source.js";
import { UsageError } from "../errors.js";
import { writeFileAtomic } from "../io/files.js";
import { parseLambdaSpec } from "../options.js";
import { probeWritableFile } from "../output-files.js";
import { finiteOrNull, formatAccuracy, formatLoss, formatNorm } from "../render/numbers.js";
import { createProgress } from "../render/progress.js";
import { type SweepPoint, sweepChartSvg } from "../render/svg.js";
import { table } from "../render/table.js";
import { checkBackendName, selectBackend } from "../select-backend.js";
import { formatLambda, printLambdaChart } from "./sweep.js";
import {
  architecture,
  loadNetworkInput,
  type NetworkTrainFlags,
  networkSettings,
  reportHead,
} from "./train-network.js";

/**
 * The default grid of a network sweep: λ = 0, then 7 values from 1e-4 to 0.1 half a decade
 * apart, around `train --model`'s default λ (0.003), where decay helps the MLP on 500 digits.
 */
export const NETWORK_LAMBDAS = "0,1e-4:0.1:7";

export interface NetworkSweepFlags extends NetworkTrainFlags {
  readonly lambdas: number[];
}

/** One λ's outcome. ‖W‖ is of every weight matrix together (Frobenius), decayed or not. */
interface NetworkSweepPoint extends SweepPoint {
  readonly trainAccuracy?: number;
  readonly testAccuracy?: number;
  readonly diverged: boolean;
}

function weightNorm(result: NetworkTrainResult): number {
  let squares = 0;
  for (const p of result.parameters) {
    if (p.name.endsWith(".weight")) squares += l2Norm(p.values) ** 2;
  }
  return Math.sqrt(squares);
}

export async function runNetworkSweep(
  flags: NetworkSweepFlags,
  command: Command,
  ctx: CliContext,
): Promise<void> {
  if (given(command, "lambdaConvention")) {
    throw new UsageError(
      "--lambda-convention applies to --model linear: a network's λ is canonical, (λ/2)‖W‖² on each decayed weight matrix",
    );
  }
  const settings = networkSettings(flags, command, "--lambdas");
  const lambdas = given(command, "lambdas") ? flags.lambdas : parseLambdaSpec(NETWORK_LAMBDAS);
  checkBackendName(ctx.registry, flags.backend);
  if (flags.plot !== undefined) await probeWritableFile(flags.plot, "--plot");
  const input = await loadNetworkInput(flags, settings);
  const { data, spec } = input;
  const optimizer = settings.optimizerFor(data.train.rows);
  const backend = await selectBackend(ctx.registry, flags.backend);
  const { epochs } = settings;
  const progress = createProgress(
    lambdas.length * epochs,
    ctx.isTTY && !flags.json,
    ctx.progressStream,
  );
  const points: NetworkSweepPoint[] = [];
  try {
    for (const [l, lambda] of lambdas.entries()) {
      const result = await trainNetwork(backend, spec, data, {
        epochs,
        lr: settings.lr,
        batchSize: settings.batchSize,
        seed: flags.seed,
        // Only the final losses are reported: evaluate once, after the last epoch.
        evalEvery: epochs,
        optimizer,
        grouping: { ...settings.grouping, weightDecay: lambda },
        onEpoch: (epoch) =>
          progress.update(
            l * epochs + epoch,
            `λ ${l + 1} of ${lambdas.length} (${formatLambda(lambda)}), epoch ${epoch} of ${epochs}`,
          ),
      });
      const { final } = result;
      points.push({
        lambda,
        trainLoss: final.trainLoss,
        testLoss: final.testLoss,
        l2Norm: weightNorm(result),
        ...(final.trainAccuracy !== undefined ? { trainAccuracy: final.trainAccuracy } : {}),
        ...(final.testAccuracy !== undefined ? { testAccuracy: final.testAccuracy } : {}),
        diverged: !(Number.isFinite(final.trainLoss) && Number.isFinite(final.testLoss)),
      });
    }
  } finally {
    progress.stop();
  }

  const title = `Loss and ‖W‖ against λ: ${flags.model} ${architecture(spec)}, ${backend.name}, seed ${flags.seed}`;
  if (flags.plot !== undefined) {
    await writeFileAtomic(flags.plot, await sweepChartSvg(title, points), "--plot");
  }
  if (flags.json) {
    const report = {
      ...reportHead(backend, flags.model, spec, input),
      settings: {
        epochs,
        lr: settings.lr,
        batchSize: settings.batchSize,
        seed: flags.seed,
        optimizer: optimizer.kind,
        decay: optimizer.decay,
      },
      runs: points.map((p) => ({
        lambda: p.lambda,
        trainLoss: finiteOrNull(p.trainLoss),
        testLoss: finiteOrNull(p.testLoss),
        trainAccuracy: p.trainAccuracy,
        testAccuracy: p.testAccuracy,
        weightNorm: finiteOrNull(p.l2Norm),
        diverged: p.diverged,
      })),
      ...(flags.plot !== undefined ? { plot: flags.plot } : {}),
    };
    println(ctx.stdout, JSON.stringify(report));
    return;
  }
  const out = (line = "") => println(ctx.stdout, line);
  out(
    `Swept ${points.length} λ on ${backend.name} (${backend.precision}): ${flags.model} ` +
      `${architecture(spec)} (${spec.loss} loss), one training per λ; epochs ${epochs}, ` +
      `lr ${settings.lr}, batch size ${settings.batchSize}, seed ${flags.seed}, optimizer ` +
      `${optimizer.kind} (${optimizer.decay} decay)`,
  );
  out(`data: ${input.summary}`);
  out(
    "λ decays every weight matrix (biases exempt)" +
      (flags.group || flags.exempt || flags.decayAll ? ", as the group flags amend it" : ""),
  );
  out();
  for (const line of table(
    [
      { header: "λ", align: "right" },
      { header: "train loss", align: "right" },
      { header: "test loss", align: "right" },
      { header: "train acc.", align: "right" },
      { header: "test acc.", align: "right" },
      { header: "‖W‖", align: "right" },
    ],
    points.map((p) => [
      formatLambda(p.lambda),
      formatLoss(p.trainLoss),
      formatLoss(p.testLoss),
      formatAccuracy(p.trainAccuracy),
      formatAccuracy(p.testAccuracy),
      formatNorm(p.l2Norm),
    ]),
  )) {
    out(line);
  }
  const best = points
    .filter((p) => Number.isFinite(p.testLoss))
    .reduce<NetworkSweepPoint | undefined>(
      (a, p) => (a === undefined || p.testLoss < a.testLoss ? p : a),
      undefined,
    );
  if (best) {
    out(`lowest test loss: λ = ${formatLambda(best.lambda)} (${formatLoss(best.testLoss)})`);
  }
  for (const p of points) {
    if (p.diverged) {
      println(
        ctx.stderr,
        `warning: training at λ = ${formatLambda(p.lambda)} diverged (a loss is not finite): lower --lr or λ`,
      );
    }
  }
  printLambdaChart(out, `${flags.model}, ${points.length} λ`, points, "‖W‖");
  if (flags.plot !== undefined) {
    out();
    out(`SVG of loss and ‖W‖ against λ written to ${flags.plot}`);
  }
}
