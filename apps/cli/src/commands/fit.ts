/**
 * `wdecay fit`: one regularized linear model, with λ given in any library's convention (core's
 * conventions.ts) and converted to the canonical λ that every solver here minimizes,
 * `J = mean ½(ŷ − y)² + λ[(1 − α)/2‖w‖² + α‖w‖₁]`. Solvers: the ridge closed form, SGD on a
 * backend (the chapter's training loop), coordinate descent and proximal gradient. The model is
 * reported, and optionally saved as a model file, on the original feature scale.
 */
import {
  CD_DEFAULT_MAX_ITER,
  CD_DEFAULT_TOL,
  CHAPTER,
  describeLambda,
  type ElasticNetFit,
  elasticNetCD,
  elasticNetProx,
  type LambdaConvention,
  type LinearModel,
  l2Norm,
  PROX_DEFAULT_MAX_ITER,
  PROX_DEFAULT_TOL,
  ridgeClosedForm,
  type SavedModel,
  serializeModel,
  type TrainResult,
  train,
} from "@wdecay/core";
import type { Command } from "commander";
import { type CliContext, println } from "../context.js";
import {
  addDataOptions,
  checkDataFlags,
  type DataFlags,
  exemptMask,
  type FitQuality,
  fitQuality,
  flagOf,
  given,
  l1Norm,
  loadData,
  nonzeros,
  standardizeFor,
} from "../data-source.js";
import { RuntimeError, UsageError } from "../errors.js";
import { writeFileAtomic } from "../io/files.js";
import {
  addConventionOption,
  checkConventionPenalty,
  toCanonicalOn,
} from "../lambda-convention.js";
import {
  checkBatchSize,
  checkBatchSizeForRows,
  fail,
  numberParser,
  type Penalty,
  parseAlpha,
  parseBatchSize,
  parseEpochs,
  parseFeatureList,
  parseLambda,
  parseLr,
  parseMaxIter,
  parsePenalty,
  parseSolver,
  parseTol,
  pathParser,
  penaltyAlpha,
  penaltyName,
  type Solver,
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
import { table } from "../render/table.js";
import { checkBackendName, selectBackend } from "../select-backend.js";
import { CLASSIFIERS, type Classifier, runClassifierFit } from "./fit-classifier.js";

/** How many weights the human output lists (--json has them all). */
const SHOWN_WEIGHTS = 20;

/** Flags that only SGD reads, by commander key. */
const SGD_ONLY = ["backend", "epochs", "lr", "batchSize", "exempt"] as const;
/** Flags that only the iterative host solvers (cd, prox) read. */
const ITERATIVE_ONLY = ["tol", "maxIter"] as const;

export interface FitFlags extends DataFlags {
  readonly stats?: string;
  /** linear (default), or a classifier (fit-classifier.ts). */
  readonly model: "linear" | Classifier;
  readonly penalty: Penalty;
  /** Required, except with --C for a classifier. */
  readonly lambda?: number;
  /** scikit-learn's LogisticRegression(C), for the classifiers. */
  readonly C?: number;
  readonly alpha?: number;
  readonly lambdaConvention: LambdaConvention;
  readonly solver?: Solver;
  readonly backend?: string;
  readonly epochs: number;
  readonly lr: number;
  readonly batchSize: number;
  readonly exempt?: string[];
  readonly tol?: number;
  readonly maxIter?: number;
  readonly save?: string;
  readonly json?: boolean;
}

const SOLVER_NAMES: Record<Solver, string> = {
  closed: "closed form (ridge normal equations)",
  sgd: "minibatch SGD",
  cd: "coordinate descent",
  prox: "proximal gradient (FISTA)",
};

/** MSE, R² and the canonical objective's data term, for people. */
function qualityLine(q: FitQuality): string {
  return (
    `MSE ${formatLoss(q.mse)}, R² ${Number.isFinite(q.r2) ? q.r2.toFixed(4) : "undefined (constant y)"}, ` +
    `loss mean ½(ŷ − y)² ${formatLoss(q.mse / 2)}`
  );
}

function parseModelKind(value: string): "linear" | Classifier {
  const kinds = ["linear", ...CLASSIFIERS] as const;
  if (!(kinds as readonly string[]).includes(value)) fail("--model", kinds.join(", "), value);
  return value as "linear" | Classifier;
}

const parseC = numberParser("--C", "a number > 0", (n) => n > 0);

/** A coefficient for people: 5 significant digits, exponent outside [1e-3, 1e6). */
function formatWeight(x: number): string {
  if (!Number.isFinite(x)) return "diverged";
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e6 ? x.toPrecision(5) : x.toExponential(4);
}

export function registerFit(program: Command, ctx: CliContext): Command {
  const command = program
    .command("fit")
    .description(
      "Fit one linear model with an L2, L1 or elastic-net penalty. λ may be given in the " +
        "convention of another library (--lambda-convention); it is converted to the canonical " +
        "λ of J = mean ½(ŷ − y)² + λ[(1 − α)/2‖w‖² + α‖w‖₁] and both are printed. Weights are " +
        "reported on the original feature scale; --save writes them as a model file for " +
        "`wdecay predict`.",
    )
    .option(
      "--model <name>",
      "linear (regression), logistic (a 0/1 target; L2, L1 or elastic) or softmax (class " +
        "indices 0…K−1; L2): the classifiers are solved exactly on the host",
      parseModelKind,
      "linear",
    )
    .option("--penalty <name>", "l2 (ridge), l1 (lasso) or elastic", parsePenalty, "l2" as Penalty)
    .option(
      "--lambda <number>",
      "penalty strength (≥ 0), in --lambda-convention (required)",
      parseLambda,
    )
    .option(
      "--C <number>",
      "with --model logistic|softmax, instead of --lambda: scikit-learn's LogisticRegression(C), λ = 1/(C·n)",
      parseC,
    )
    .option(
      "--alpha <a>",
      "with --penalty elastic (required): share of the L1 term, 0 (ridge) to 1 (lasso); " +
        "sklearn's l1_ratio, glmnet's alpha",
      parseAlpha,
    );
  addConventionOption(command);
  command
    .option(
      "--solver <name>",
      "closed (l2 only), sgd (on a backend; proximal SGD for l1 and elastic), cd or prox " +
        "(default: closed for l2, cd otherwise)",
      parseSolver,
    )
    .option(
      "--backend <name>",
      "with --solver sgd: backend to run on (default: the best available)",
    )
    .option(
      "--exempt <features>",
      "with --solver sgd and --penalty l2: comma-separated features left out of the penalty",
      parseFeatureList,
    )
    .option(
      "--epochs <n>",
      "with --solver sgd: passes over the training set",
      parseEpochs,
      CHAPTER.epochs,
    )
    .option("--lr <number>", "with --solver sgd: learning rate (> 0)", parseLr, CHAPTER.lr)
    .option(
      "--batch-size <n>",
      "with --solver sgd: minibatch size (1 to the training set size)",
      parseBatchSize,
      CHAPTER.batchSize,
    )
    .option(
      "--tol <t>",
      "with --solver cd or prox: stop when every KKT residual is below t·‖Xcᵀyc‖_∞/n (the " +
        `data gradient at w = 0); default ${CD_DEFAULT_TOL} (cd), ${PROX_DEFAULT_TOL} (prox, on the ` +
        "prox-gradient mapping, which bounds them by 2t)",
      parseTol,
    )
    .option(
      "--max-iter <n>",
      `with --solver cd or prox: most passes (cd) or steps (prox); default ${CD_DEFAULT_MAX_ITER} and ${PROX_DEFAULT_MAX_ITER}`,
      parseMaxIter,
    );
  addDataOptions(command, {
    seedAlso: "with --solver sgd, also of the initial weights and minibatch order",
    standardizeDefault: "as --lambda-convention's library does; canonical: with --data",
  });
  return command
    .option("--save <file>", "write the model to this file (versioned JSON)", pathParser("--save"))
    .option(
      "--stats <file>",
      "fit from a stats file (wdecay stats, merged) instead of the rows: ridge, lasso or elastic net",
      pathParser("--stats"),
    )
    .option("--json", "print one JSON object on stdout instead of the report")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  wdecay fit --lambda 3                        ridge, closed form, the chapter's data\n" +
        "  wdecay fit --lambda 3 --solver sgd --backend cpu-f32 --epochs 500\n" +
        "  wdecay fit --lambda 60 --lambda-convention sklearn-ridge\n" +
        "                                               sklearn's Ridge(alpha=60): λ = 60/n\n" +
        "  wdecay fit --data house.csv --target price --penalty l1 --lambda 0.01 --save m.json\n" +
        "  wdecay fit --penalty elastic --alpha 0.5 --lambda 0.02 --solver prox --json\n" +
        "  wdecay fit --penalty l1 --lambda 0.01 --solver sgd --epochs 500\n" +
        "                                               the lasso by proximal SGD on a backend\n" +
        "  wdecay fit --model logistic --data cells.csv --target malignant --C 1\n" +
        "                                               scikit-learn's LogisticRegression(C=1)",
    )
    .action((flags: FitFlags, cmd: Command) => runFit(flags, cmd, ctx));
}

/** Usage checks that need no data, in the order a reader of the command line meets them. */
function checkFlags(flags: FitFlags, command: Command): { solver: Solver; alpha: number } {
  checkDataFlags(flags, command);
  const alpha = penaltyAlpha(flags.penalty, flags.alpha);
  const solver = flags.solver ?? (flags.penalty === "l2" ? "closed" : "cd");
  if (solver === "closed" && flags.penalty !== "l2") {
    throw new UsageError(
      `--solver closed fits only --penalty l2 (ridge); for --penalty ${flags.penalty} use --solver cd, prox or sgd`,
    );
  }
  if (flags.exempt !== undefined && flags.penalty !== "l2") {
    throw new UsageError(
      `--exempt masks the L2 penalty; --penalty ${flags.penalty} does not take it`,
    );
  }
  if (solver !== "sgd") {
    for (const key of SGD_ONLY) {
      if (given(command, key)) {
        throw new UsageError(
          `${flagOf(key)} applies only to --solver sgd (the solver here is ${solver})`,
        );
      }
    }
  }
  if (solver !== "cd" && solver !== "prox") {
    for (const key of ITERATIVE_ONLY) {
      if (given(command, key)) {
        throw new UsageError(
          `${flagOf(key)} applies only to --solver cd or prox (the solver here is ${solver}` +
            (solver === "closed" ? ", which is exact" : "") +
            ")",
        );
      }
    }
  }
  checkConventionPenalty(flags.lambdaConvention, flags.penalty);
  if (solver === "sgd" && flags.data === undefined) checkBatchSize(flags.batchSize, flags.nTrain);
  return { solver, alpha };
}

async function runFit(flags: FitFlags, command: Command, ctx: CliContext): Promise<void> {
  if (flags.model !== "linear") return runClassifierFit(flags, command, ctx, flags.model);
  if (flags.C !== undefined) {
    throw new UsageError(
      "--C is scikit-learn's LogisticRegression(C): it takes --model logistic or softmax",
    );
  }
  if (flags.lambda === undefined)
    throw new UsageError("--lambda is required: give the penalty strength");
  if (flags.stats !== undefined) {
    checkConventionPenalty(flags.lambdaConvention, flags.penalty);
    const { runFitFromStats } = await import("./fit-stats.js");
    const alpha = penaltyAlpha(flags.penalty, flags.alpha);
    return runFitFromStats(
      { ...flags, stats: flags.stats, lambda: flags.lambda },
      command,
      alpha,
      ctx,
    );
  }
  const { solver, alpha: statedAlpha } = checkFlags(flags, command);
  if (solver === "sgd") checkBackendName(ctx.registry, flags.backend);
  if (flags.save !== undefined) await probeWritableFile(flags.save, "--save");
  const convention = flags.lambdaConvention;
  const data = await loadData(flags, standardizeFor(flags, convention));
  const trainSet = data.fit.train;
  if (solver === "sgd") checkBatchSizeForRows(flags.batchSize, trainSet.n);

  // The library's (λ, mixing) on the rows fitted, as the canonical penalty.
  const converted = toCanonicalOn(flags.lambda, statedAlpha, convention, trainSet);
  const { lambda, alpha } = converted;
  const n = trainSet.n;

  let fitted: LinearModel;
  let sgdResult: TrainResult | undefined;
  let solverReport: Record<string, unknown> = { name: solver };
  let backendName = `host:${solver}`;
  if (solver === "closed") {
    try {
      fitted = ridgeClosedForm(trainSet, lambda);
    } catch (error) {
      throw new UsageError(
        `--lambda ${flags.lambda} (canonical λ ${lambda}) with --solver closed: ${(error as Error).message}, or --solver cd`,
      );
    }
  } else if (solver === "cd" || solver === "prox") {
    const tol = flags.tol ?? (solver === "cd" ? CD_DEFAULT_TOL : PROX_DEFAULT_TOL);
    const maxIter =
      flags.maxIter ?? (solver === "cd" ? CD_DEFAULT_MAX_ITER : PROX_DEFAULT_MAX_ITER);
    const fit: ElasticNetFit =
      solver === "cd"
        ? elasticNetCD(trainSet, { lambda, alpha, tol, maxIter })
        : elasticNetProx(trainSet, { lambda, alpha, tol, maxIter });
    fitted = fit;
    solverReport = {
      name: solver,
      iterations: fit.iterations,
      converged: fit.converged,
      tol,
      maxIter,
      kkt: fit.kkt,
      dualityGap: fit.dualityGap,
    };
    if (!fit.converged) {
      println(
        ctx.stderr,
        `wdecay: warning: ${SOLVER_NAMES[solver]} did not converge in ${fit.iterations} ` +
          `iterations (relative KKT residual ${fit.kkt.toExponential(2)} > --tol ${tol}); ` +
          "the weights are the last iterate: raise --max-iter or --tol",
      );
    }
  } else {
    const backend = await selectBackend(ctx.registry, flags.backend);
    backendName = backend.name;
    const settings = {
      method: "scratch" as const,
      epochs: flags.epochs,
      lr: flags.lr,
      batchSize: flags.batchSize,
      seed: flags.seed,
    };
    const progress = createProgress(flags.epochs, ctx.isTTY && !flags.json, ctx.progressStream);
    try {
      // train() evaluates a test set each evalEvery epochs; with every row fitted on, the
      // training rows stand in (fit reports its own losses, on the host, below).
      const sets = data.fit.test.n > 0 ? data.fit : { train: data.fit.train, test: data.fit.train };
      fitted = sgdResult = await train(backend, sets, {
        ...settings,
        lambda,
        ...trainPenalty(flags.penalty, alpha),
        ...(flags.exempt === undefined
          ? {}
          : { paramGroups: { weightMask: exemptMask(data, flags.exempt) } }),
        evalEvery: flags.epochs,
        onEpoch: (epoch, epochs) => progress.update(epoch, `epoch ${epoch} of ${epochs}`),
      });
    } finally {
      progress.stop();
    }
    solverReport = {
      name: solver,
      backend: backend.name,
      precision: backend.precision,
      ...settings,
      ...(flags.exempt === undefined ? {} : { exempt: flags.exempt }),
    };
  }

  const model = data.toOriginal(fitted);
  // SGD can diverge without reaching NaN (growth, or lr·λ ≥ 2); the host solvers cannot.
  const steps: StepSettings = { lr: flags.lr, l2: lambda * (1 - alpha), plainSgd: true };
  const weightsOk =
    model.weights.every(Number.isFinite) &&
    Number.isFinite(model.bias) &&
    !(sgdResult !== undefined && diverged(sgdResult, steps));
  const quality = {
    train: fitQuality(fitted, data.fit.train),
    test: fitQuality(fitted, data.fit.test),
  };
  const trainLoss = quality.train.mse / 2;
  const testLoss = quality.test.mse / 2;
  const stated = { n, alpha: statedAlpha, ySd: converted.ySd };
  const described = describeLambda(flags.lambda, convention, stated);
  // What --save and --json record of a λ stated in another convention: enough to convert again.
  const statedLambda = {
    value: flags.lambda,
    convention: convention.id,
    n,
    ...(convention.scalesY && statedAlpha > 0 && statedAlpha < 1
      ? { alpha: statedAlpha, ySd: converted.ySd }
      : {}),
  };

  let saved: Record<string, unknown> | undefined;
  if (flags.save !== undefined) {
    if (!weightsOk) {
      throw new RuntimeError(
        `not writing --save file "${flags.save}": the fit diverged; ${divergenceHint(steps)}`,
      );
    }
    const s = data.standardizer;
    const file: SavedModel = {
      weights: model.weights,
      bias: model.bias,
      featureNames: data.featureNames,
      target: data.target,
      penalty: flags.penalty,
      // The canonical λ the solver used, and the λ as stated when it was in another convention.
      lambda,
      lambdaConvention: "canonical",
      ...(convention.id === "canonical" ? {} : { statedLambda }),
      ...(flags.penalty === "elastic" ? { alpha } : {}),
      ...(s ? { standardization: { mean: s.mean, std: s.std } } : {}),
      backend: backendName,
      seed: flags.seed,
      createdAt: new Date().toISOString(),
    };
    await writeFileAtomic(flags.save, serializeModel(file, flags.save), "--save");
    saved = {
      file: flags.save,
      lambda,
      lambdaConvention: "canonical",
      ...(convention.id === "canonical" ? {} : { statedLambda }),
    };
  }

  if (flags.json) {
    const report = {
      penalty: flags.penalty,
      alpha: statedAlpha,
      lambda: flags.lambda,
      lambdaConvention: convention.id,
      canonicalLambda: lambda,
      canonicalAlpha: alpha,
      lambdaDescription: described,
      solver: solverReport,
      data: data.json,
      featureNames: data.featureNames,
      target: data.target,
      weights: Array.from(model.weights, finiteOrNull),
      bias: finiteOrNull(model.bias),
      trainLoss: finiteOrNull(trainLoss),
      testLoss: finiteOrNull(testLoss),
      mse: { train: finiteOrNull(quality.train.mse), test: finiteOrNull(quality.test.mse) },
      r2: { train: finiteOrNull(quality.train.r2), test: finiteOrNull(quality.test.r2) },
      l2Norm: finiteOrNull(l2Norm(fitted.weights)),
      l1Norm: finiteOrNull(l1Norm(fitted.weights)),
      normScale: data.normScale,
      // A diverged fit has no meaningful support.
      nonzeros: weightsOk ? nonzeros(model.weights) : null,
      diverged: !weightsOk,
      ...(saved ? { saved } : {}),
    };
    println(ctx.stdout, JSON.stringify(report));
    return;
  }

  const out = (line = "") => println(ctx.stdout, line);
  const where = solver === "sgd" ? ` on ${backendName}` : "";
  out(`Fitted ${penaltyName(flags.penalty, statedAlpha)} by ${SOLVER_NAMES[solver]}${where}`);
  out(`data: ${data.summary}`);
  out(`penalty strength: ${described}`);
  if (convention.id !== "canonical") {
    out(
      `canonical λ = ${lambda}` +
        (alpha !== statedAlpha
          ? `, canonical α = ${alpha} (glmnet's y scaling, sd(y) = ${converted.ySd})`
          : ""),
    );
  }
  if (solver === "sgd") {
    out(
      `settings: epochs ${flags.epochs}, lr ${flags.lr}, batch size ${flags.batchSize}, seed ${flags.seed}`,
    );
  } else if ("iterations" in solverReport) {
    const r = solverReport as {
      iterations: number;
      converged: boolean;
      kkt: number;
      dualityGap: number;
      tol: number;
    };
    out(
      `${r.iterations} iterations, ${r.converged ? "converged" : "NOT converged"}: relative KKT ` +
        `residual ${r.kkt.toExponential(2)} (--tol ${r.tol}), relative duality gap ${r.dualityGap.toExponential(2)}`,
    );
  }
  if (!weightsOk) println(ctx.stderr, divergenceWarning("training", divergenceHint(steps)));
  const d = model.weights.length;
  out(
    `bias ${formatWeight(model.bias)}, ‖w‖₂ ${formatNorm(l2Norm(fitted.weights))}, ` +
      `‖w‖₁ ${formatNorm(l1Norm(fitted.weights))}` +
      (data.normScale === "standardized" ? " (standardized weights)" : "") +
      `, nonzeros ${weightsOk ? nonzeros(model.weights) : "undefined (diverged)"} of ${d}`,
  );
  out(`train: ${qualityLine(quality.train)}`);
  out(
    data.fit.test.n > 0
      ? `test: ${qualityLine(quality.test)}`
      : "test: none (every row was fitted on; --test-fraction F holds some out)",
  );
  out();
  const shown = Math.min(d, SHOWN_WEIGHTS);
  out(
    `weights on the original feature scale` +
      (shown < d ? ` (first ${shown} of ${d}; --json for all):` : ":"),
  );
  const rows = data.featureNames
    .slice(0, shown)
    .map((name, j) => [name, formatWeight(model.weights[j] as number)]);
  for (const line of table([{ header: "feature" }, { header: "weight", align: "right" }], rows)) {
    out(`  ${line}`);
  }
  if (saved) {
    out();
    out(
      `model written to ${flags.save} (λ stored as canonical ${lambda}` +
        (convention.id === "canonical"
          ? ")"
          : ` and as stated, ${convention.id} ${flags.lambda} at n = ${n})`),
    );
  }
}
