/**
 * `wdecay posterior` (exercise 6, identity 19): the Bayesian reading of the penalty. A Gaussian
 * prior w ~ N(0, τ²I) with label noise σ makes the ridge solution at λ = σ²/(nτ²) the posterior
 * mean (and MAP), with covariance σ²(XcᵀXc + (σ²/τ²)I)⁻¹; a Laplace prior of scale s makes the
 * lasso at λ₁ = σ²/(n·s) the MAP. Either scale may be given, or λ, and the other follows.
 */
import {
  elasticNetCD,
  l1ToLaplacePriorScale,
  l2Norm,
  lambdaToPriorScale,
  laplacePriorToL1,
  priorScaleToLambda,
  ridgePosterior,
} from "@wdecay/core";
import type { Command } from "commander";
import { type CliContext, println } from "../context.js";
import {
  addDataOptions,
  checkDataFlags,
  type DataFlags,
  DEFAULT_TEST_FRACTION,
  given,
  loadData,
  nonzeros,
} from "../data-source.js";
import { UsageError } from "../errors.js";
import { writeFileAtomic } from "../io/files.js";
import { numberParser, svgPathParser } from "../options.js";
import { probeWritableFile } from "../output-files.js";
import { finiteOrNull, formatNorm } from "../render/numbers.js";
import { posteriorChartSpec, renderSvg } from "../render/svg.js";
import { table } from "../render/table.js";

/** The chapter's label noise (eq. 4.5.4) and true weights: the defaults on synthetic data. */
const CHAPTER_NOISE_STD = 0.01;
const CHAPTER_TRUE_WEIGHT = 0.01;
/** How many coefficients the human output lists (--json has them all). */
const SHOWN = 10;
/** The 97.5% quantile of the standard normal: mean ± 1.96·sd is a 95% credible interval. */
const Z95 = 1.959963984540054;

type Prior = "gaussian" | "laplace";

interface PosteriorFlags extends DataFlags {
  readonly prior: Prior;
  readonly noiseStd?: number;
  readonly priorStd?: number;
  readonly laplaceScale?: number;
  readonly lambda?: number;
  readonly covariance?: boolean;
  readonly plot?: string;
  readonly json?: boolean;
}

const positive = (flag: string) => numberParser(flag, "a number > 0", (n) => n > 0);

function parsePrior(value: string): Prior {
  if (value !== "gaussian" && value !== "laplace") {
    throw new UsageError(`--prior must be gaussian or laplace (got ${JSON.stringify(value)})`);
  }
  return value;
}

export function registerPosterior(program: Command, ctx: CliContext): Command {
  const command = program
    .command("posterior")
    .description(
      "Read weight decay as a prior. With y ~ N(Xw + b, σ²) and w ~ N(0, τ²I) (flat prior on " +
        "b), the ridge solution at canonical λ = σ²/(nτ²) is the posterior mean and MAP, and " +
        "the posterior covariance is σ²(XcᵀXc + (σ²/τ²)I)⁻¹. With a Laplace prior of scale s " +
        "the lasso at λ₁ = σ²/(n·s) is the MAP (the posterior mean is not sparse). Give the " +
        "prior's scale or λ; the other follows. On the chapter's synthetic data σ defaults to " +
        "its noise 0.01 and τ to its true weights' size 0.01.",
    )
    .option(
      "--prior <kind>",
      "gaussian (ridge) or laplace (lasso)",
      parsePrior,
      "gaussian" as Prior,
    )
    .option("--noise-std <σ>", "label noise σ > 0 (required with --data)", positive("--noise-std"))
    .option(
      "--prior-std <τ>",
      "gaussian: the prior's standard deviation τ > 0",
      positive("--prior-std"),
    )
    .option("--laplace-scale <s>", "laplace: the prior's scale s > 0", positive("--laplace-scale"))
    .option(
      "--lambda <L>",
      "canonical λ > 0 instead of the prior's scale (λ₁ for laplace)",
      positive("--lambda"),
    );
  addDataOptions(command, { testFraction: DEFAULT_TEST_FRACTION });
  return command
    .option("--covariance", "with --json: include the d×d posterior covariance")
    .option(
      "--plot <file>",
      "gaussian: write an SVG of the posterior means with their 95% credible intervals",
      svgPathParser("--plot"),
    )
    .option("--json", "print one JSON object on stdout instead of the report")
    .addHelpText(
      "after",
      "\nExamples:\n" +
        "  wdecay posterior                             the chapter's data, σ = τ = 0.01\n" +
        "  wdecay posterior --lambda 3                  the prior the chapter's λ = 3 stands for\n" +
        "  wdecay posterior --prior laplace --laplace-scale 0.01 --json\n" +
        "  wdecay posterior --data house.csv --target price --noise-std 2 --prior-std 1",
    )
    .action((flags: PosteriorFlags, cmd: Command) => runPosterior(flags, cmd, ctx));
}

function checkFlags(flags: PosteriorFlags, command: Command): void {
  checkDataFlags(flags, command);
  const scaleFlag = flags.prior === "gaussian" ? "--prior-std" : "--laplace-scale";
  const otherFlag = flags.prior === "gaussian" ? "--laplace-scale" : "--prior-std";
  const otherKey = flags.prior === "gaussian" ? "laplaceScale" : "priorStd";
  if (given(command, otherKey)) {
    throw new UsageError(
      `${otherFlag} is for the other prior; with --prior ${flags.prior} use ${scaleFlag}`,
    );
  }
  const scale = flags.prior === "gaussian" ? flags.priorStd : flags.laplaceScale;
  if (scale !== undefined && flags.lambda !== undefined) {
    throw new UsageError(`give ${scaleFlag} or --lambda, not both: each determines the other`);
  }
  if (flags.data !== undefined) {
    if (flags.noiseStd === undefined) {
      throw new UsageError("--noise-std is required with --data (the label noise σ of your data)");
    }
    if (scale === undefined && flags.lambda === undefined) {
      throw new UsageError(`with --data, give ${scaleFlag} or --lambda`);
    }
  }
  if (flags.covariance && (!flags.json || flags.prior !== "gaussian")) {
    throw new UsageError("--covariance goes with --json and --prior gaussian");
  }
  if (flags.plot !== undefined && flags.prior !== "gaussian") {
    throw new UsageError("--plot draws the Gaussian posterior: it goes with --prior gaussian");
  }
}

async function runPosterior(flags: PosteriorFlags, command: Command, ctx: CliContext) {
  checkFlags(flags, command);
  if (flags.plot !== undefined) await probeWritableFile(flags.plot, "--plot");
  const data = await loadData(flags);
  const train = data.fit.train;
  const n = train.n;
  const sigma = flags.noiseStd ?? CHAPTER_NOISE_STD;
  const out = (line = "") => println(ctx.stdout, line);
  const names = data.standardizer
    ? Array.from(data.standardizer.kept, (j) => data.featureNames[j] as string)
    : data.featureNames;
  const scaleNote =
    data.normScale === "standardized"
      ? "coefficients of the standardized features (the scale the prior is on)"
      : "coefficients on the original scale";

  if (flags.prior === "laplace") {
    const s = flags.laplaceScale ?? (flags.lambda === undefined ? CHAPTER_TRUE_WEIGHT : undefined);
    const lambda1 = s !== undefined ? laplacePriorToL1(sigma, s, n) : (flags.lambda as number);
    const scale = s ?? l1ToLaplacePriorScale(lambda1, sigma, n);
    const map = elasticNetCD(train, { lambda: lambda1, alpha: 1 });
    const report = {
      prior: "laplace",
      noiseStd: sigma,
      laplaceScale: scale,
      n,
      lambda: lambda1,
      lambdaConvention: "canonical",
      penalty: "l1",
      data: data.json,
      normScale: data.normScale,
      featureNames: names,
      map: Array.from(map.weights, finiteOrNull),
      bias: finiteOrNull(map.bias),
      nonzeros: nonzeros(map.weights),
      converged: map.converged,
    };
    if (flags.json) {
      println(ctx.stdout, JSON.stringify(report));
      return;
    }
    out("Laplace prior p(w_j) = exp(−|w_j|/s)/(2s): its MAP is the lasso");
    out(`data: ${data.summary}`);
    out(
      `σ = ${sigma}, s = ${formatNorm(scale)}, n = ${n}: λ₁ = σ²/(n·s) = ${formatNorm(lambda1)} (canonical)`,
    );
    out(
      `MAP: ${report.nonzeros} of ${names.length} weights nonzero (exact zeros), ‖w‖₁ on ${scaleNote}`,
    );
    out("(the posterior mean under a Laplace prior is not sparse: only the MAP is the lasso)");
    return;
  }

  const tau =
    flags.priorStd ??
    (flags.lambda !== undefined
      ? lambdaToPriorScale({ lambda: flags.lambda, noiseStd: sigma, n })
      : CHAPTER_TRUE_WEIGHT);
  const lambda = priorScaleToLambda({ noiseStd: sigma, priorStd: tau, n });
  const post = ridgePosterior(train, { noiseStd: sigma, priorStd: tau });
  const d = post.d;
  const sd = Float64Array.from({ length: d }, (_, j) =>
    Math.sqrt(post.covariance[j * d + j] as number),
  );
  // On synthetic data the true weights are known: how many 95% intervals contain them.
  const truth = data.kind === "synthetic" ? CHAPTER_TRUE_WEIGHT : undefined;
  let covered: number | undefined;
  if (truth !== undefined) {
    covered = 0;
    for (let j = 0; j < d; j++) {
      if (Math.abs((post.mean[j] as number) - truth) <= Z95 * (sd[j] as number)) covered++;
    }
  }
  if (flags.plot !== undefined) {
    const spec = posteriorChartSpec(
      `Posterior of w: σ = ${sigma}, τ = ${formatNorm(tau)} (λ = ${formatNorm(lambda)})`,
      { featureNames: names, mean: post.mean, sd },
      { z: Z95, ...(truth !== undefined ? { truth } : {}) },
    );
    await writeFileAtomic(flags.plot, await renderSvg(spec), "--plot");
  }
  if (flags.json) {
    const report = {
      prior: "gaussian",
      noiseStd: sigma,
      priorStd: tau,
      n,
      lambda,
      lambdaConvention: "canonical",
      penalty: "l2",
      data: data.json,
      normScale: data.normScale,
      featureNames: names,
      mean: Array.from(post.mean, finiteOrNull),
      sd: Array.from(sd, finiteOrNull),
      bias: finiteOrNull(post.bias),
      meanNorm: finiteOrNull(l2Norm(post.mean)),
      ...(covered !== undefined ? { trueWeight: truth, covered95: covered } : {}),
      ...(flags.covariance ? { covariance: Array.from(post.covariance, finiteOrNull) } : {}),
      ...(flags.plot !== undefined ? { plot: flags.plot } : {}),
    };
    println(ctx.stdout, JSON.stringify(report));
    return;
  }
  out("Gaussian prior w ~ N(0, τ²I): the ridge solution is the posterior mean and MAP");
  out(`data: ${data.summary}`);
  out(
    `σ = ${sigma}, τ = ${formatNorm(tau)}, n = ${n}: λ = σ²/(nτ²) = ${formatNorm(lambda)} (canonical)`,
  );
  out(
    `posterior mean ‖w‖ = ${formatNorm(l2Norm(post.mean))}, bias ${formatNorm(post.bias)}; ${scaleNote}`,
  );
  if (covered !== undefined) {
    out(`95% credible intervals containing the true weight ${truth}: ${covered} of ${d}`);
  }
  out();
  const rows = names.slice(0, SHOWN).map((name, j) => {
    const m = post.mean[j] as number;
    const s = sd[j] as number;
    return [
      name,
      m.toPrecision(4),
      s.toPrecision(4),
      `[${(m - Z95 * s).toPrecision(3)}, ${(m + Z95 * s).toPrecision(3)}]`,
    ];
  });
  for (const line of table(
    [
      { header: "feature" },
      { header: "mean", align: "right" },
      { header: "sd", align: "right" },
      { header: "95% interval", align: "right" },
    ],
    rows,
  )) {
    out(`  ${line}`);
  }
  if (names.length > SHOWN) out(`  … ${names.length - SHOWN} more (--json for all)`);
  if (flags.plot !== undefined) {
    out();
    out(`SVG of the posterior written to ${flags.plot}`);
  }
}
