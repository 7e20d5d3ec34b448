/**
 * `wdecay fit --stats FILE`: one ridge, lasso or elastic-net fit from a stats file's moments of
 * every row (core's fitFromMoments: ridge exactly, the others by covariance-update coordinate
 * descent), with the training MSE and R² from the same moments. No row is read.
 */
import {
  describeLambda,
  fitFromMoments,
  l2Norm,
  meanSquaredErrorOf,
  type SavedModel,
  serializeModel,
  standardizedMoments,
} from "@wdecay/core";
import type { Command } from "commander";
import { type CliContext, println } from "../context.js";
import { l1Norm, nonzeros } from "../data-source.js";
import { RuntimeError, UsageError } from "../errors.js";
import { writeFileAtomic } from "../io/files.js";
import { penaltyName } from "../options.js";
import { probeWritableFile } from "../output-files.js";
import { finiteOrNull, formatNorm } from "../render/numbers.js";
import { table } from "../render/table.js";
import { loadStats, refuseWithStats } from "../stats-source.js";
import type { FitFlags } from "./fit.js";

/** How many weights the report lists (all of them with --json). */
const SHOWN = 20;

export async function runFitFromStats(
  flags: FitFlags & { stats: string; lambda: number },
  command: Command,
  alpha: number,
  ctx: CliContext,
): Promise<void> {
  refuseWithStats(command, ["exempt", "epochs", "lr", "batchSize", "backend", "seed"]);
  if (flags.solver === "sgd" || flags.solver === "prox") {
    throw new UsageError(
      `--solver ${flags.solver} reads the rows; --stats fits from moments (ridge exactly, otherwise coordinate descent)`,
    );
  }
  if (flags.save !== undefined) await probeWritableFile(flags.save, "--save");
  const loaded = await loadStats(flags.stats);
  const { stats, all, scaling } = loaded;
  const convention = flags.lambdaConvention;
  let fit: ReturnType<typeof fitFromMoments>;
  try {
    fit = fitFromMoments(all, {
      penalty: flags.penalty,
      ...(flags.penalty === "elastic" ? { alpha } : {}),
      lambdas: [flags.lambda],
      convention,
      standardize: scaling.standardize,
      ...(flags.tol === undefined ? {} : { tol: flags.tol }),
      ...(flags.maxIter === undefined ? {} : { maxIter: flags.maxIter }),
    });
  } catch (error) {
    throw new RuntimeError(`fitting failed: ${(error as Error).message}`, { cause: error });
  }
  const model = fit.models[0];
  if (model === undefined) throw new RuntimeError("fitting failed: no model");
  const mse = meanSquaredErrorOf(all, model.weights, model.bias);
  const variance = all.syy / all.n;
  const r2 = variance > 0 ? 1 - mse / variance : Number.NaN;
  const d = stats.features.length;
  // The penalty acts on standardized weights when standardizing: report the norms it sees.
  const scale = scaling.standardize ? standardizedMoments(all).scale : new Float64Array(d).fill(1);
  const penalized = Float64Array.from(model.weights, (w, j) => w * (scale[j] as number));
  const described = describeLambda(flags.lambda, convention, { n: all.n, alpha });
  if (!fit.converged) {
    println(
      ctx.stderr,
      "wdecay: warning: coordinate descent did not converge (raise --max-iter or --tol); the weights are the last iterate",
    );
  }
  let saved: string | undefined;
  if (flags.save !== undefined) {
    const file: SavedModel = {
      weights: model.weights,
      bias: model.bias,
      featureNames: [...stats.features],
      target: stats.target,
      penalty: flags.penalty,
      lambda: flags.lambda,
      lambdaConvention: "canonical",
      ...(convention.id === "canonical"
        ? {}
        : { statedLambda: { value: flags.lambda, convention: convention.id, n: all.n } }),
      ...(flags.penalty === "elastic" ? { alpha } : {}),
      ...(scaling.standardize
        ? {
            standardization: {
              mean: Float64Array.from(all.xMean),
              std: Float64Array.from(scale, (s, j) => (all.constant[j] ? 0 : s)),
            },
          }
        : {}),
      backend: "host:stats",
      seed: 0,
      createdAt: new Date().toISOString(),
    };
    if (convention.id !== "canonical") {
      throw new UsageError(
        "--save with --stats stores canonical λ only: give --lambda in the canonical convention",
      );
    }
    await writeFileAtomic(flags.save, serializeModel(file, flags.save), "--save");
    saved = flags.save;
  }
  if (flags.json) {
    println(
      ctx.stdout,
      JSON.stringify({
        penalty: flags.penalty,
        alpha,
        lambda: flags.lambda,
        lambdaConvention: convention.id,
        lambdaDescription: described,
        solver: {
          name: flags.penalty === "l2" ? "closed" : "cd",
          fromStats: true,
          converged: fit.converged,
        },
        data: loaded.json,
        featureNames: stats.features,
        target: stats.target,
        weights: Array.from(model.weights, finiteOrNull),
        bias: finiteOrNull(model.bias),
        mse: { train: finiteOrNull(mse) },
        r2: { train: finiteOrNull(r2) },
        l2Norm: l2Norm(penalized),
        l1Norm: l1Norm(penalized),
        normScale: scaling.standardize ? "standardized" : "original",
        nonzeros: nonzeros(model.weights),
        ...(saved ? { saved: { file: saved } } : {}),
      }),
    );
    return;
  }
  const out = (line = "") => println(ctx.stdout, line);
  out(
    `Fitted ${penaltyName(flags.penalty, alpha)} from sufficient statistics (${flags.penalty === "l2" ? "closed form" : "covariance-update coordinate descent"})`,
  );
  out(`data: ${loaded.summary}`);
  out(`penalty strength: ${described}`);
  out(
    `bias ${model.bias.toPrecision(6)}, ‖w‖₂ ${formatNorm(l2Norm(penalized))}, ‖w‖₁ ${formatNorm(l1Norm(penalized))}` +
      (scaling.standardize ? " (standardized weights)" : "") +
      `, nonzeros ${nonzeros(model.weights)} of ${d}`,
  );
  out(`train: MSE ${mse.toPrecision(6)}, R² ${r2.toFixed(4)} (from the statistics)`);
  out();
  const shown = Math.min(d, SHOWN);
  out(
    `weights on the original feature scale${shown < d ? ` (first ${shown} of ${d}; --json for all):` : ":"}`,
  );
  const rows = stats.features
    .slice(0, shown)
    .map((name, j) => [name, (model.weights[j] as number).toPrecision(6)]);
  for (const line of table([{ header: "feature" }, { header: "weight", align: "right" }], rows)) {
    out(`  ${line}`);
  }
  if (saved) {
    out();
    out(`model written to ${saved}`);
  }
}
