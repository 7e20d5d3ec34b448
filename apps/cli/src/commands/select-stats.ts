/**
 * `wdecay select --stats FILE`: cross-validation from a stats file's per-fold moments alone
 * (core's selectLambdaFromMoments): fold f is validated by a model fitted on the merge of the
 * others, scored by the mean squared error its moments give, with cv.glmnet's fold-size weighted
 * mean and standard error, and the refit on every row from the merged moments. No row is read.
 */
import { type LambdaSelection, selectLambdaFromMoments } from "@wdecay/core";
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { RuntimeError, UsageError } from "../errors.js";
import { createProgress } from "../render/progress.js";
import { loadStats, refuseWithStats } from "../stats-source.js";
import { reportSelection, type SelectFlags, selectionOptions } from "./select.js";

export async function runSelectFromStats(
  flags: SelectFlags & { stats: string },
  command: Command,
  alpha: number,
  ctx: CliContext,
): Promise<void> {
  refuseWithStats(command, ["folds", "foldid", "valFraction"]);
  if (flags.model !== "linear") {
    throw new UsageError(
      `--stats holds least-squares statistics: --model ${flags.model} cannot use them`,
    );
  }
  const loaded = await loadStats(flags.stats);
  const { stats, scaling } = loaded;
  if (stats.folds.size < 2) {
    throw new UsageError(
      `--stats ${flags.stats} has ${stats.folds.size} fold(s): cross-validation needs statistics made with --folds K or --foldid`,
    );
  }
  const folds = [...stats.folds.values()];
  const K = folds.length;
  const L = flags.lambdas?.length ?? flags.nLambda;
  const progress = createProgress(K * L + L, ctx.isTTY && !flags.json, ctx.progressStream);
  let selection: Omit<LambdaSelection, "method">;
  try {
    selection = selectLambdaFromMoments(folds, {
      ...selectionOptions(flags, alpha, scaling.standardize),
      onProgress: (done, total) =>
        progress.update(done, `${L} λ × ${K} folds and the refit: ${done} of ${total} fits`, total),
    });
  } catch (error) {
    const message = (error as Error).message;
    if (message.startsWith("λ = 0")) throw new UsageError(`--lambdas holds 0: ${message}`);
    throw new RuntimeError(`selecting λ failed: ${message}`, { cause: error });
  } finally {
    progress.stop();
  }
  const rule = stats.foldRule;
  const how =
    rule.kind === "hash"
      ? `${K}-fold cross-validation from --stats (folds by row hash, seed ${rule.seed})`
      : `cross-validation from --stats on the ${K} folds of column ${JSON.stringify(rule.kind === "column" ? rule.column : "")}`;
  await reportSelection({ ...selection, method: { kind: "kfold", folds: K } }, flags, alpha, ctx, {
    dataLine: `data: ${loaded.summary}; ${
      scaling.standardize
        ? `features standardized within each training part (divisor n, ${scaling.reason})`
        : `raw features (${scaling.reason})`
    }`,
    dataJson: loaded.json,
    featureNames: stats.features,
    target: stats.target,
    // Selections from moments are already on the input scale.
    toOriginal: (model) => model,
    test: { X: new Float64Array(0), y: new Float64Array(0), n: 0, d: stats.features.length },
    nTrain: loaded.all.n,
    methodJson: { kind: "stats", folds: K, foldRule: { ...rule } },
    how,
    scaling,
  });
}
