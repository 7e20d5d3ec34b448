import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { type Dataset, ridgeClosedForm, selectLambda, syntheticSplit } from "@wdecay/core";
import { describe, expect, it } from "vitest";
import { parseLambdaSpec } from "../src/options.js";
import { csvText, linearRows, maxRelDiff, writeText } from "./data-fixtures.js";
import { expectUsageError, lines, run, runJson, tempDir } from "./helpers.js";

/** mean ½(ŷ − y)² of a model on a data set, by a host float64 loop. */
function halfMse(model: { weights: ArrayLike<number>; bias: number }, data: Dataset): number {
  let sum = 0;
  for (let i = 0; i < data.n; i++) {
    let r = model.bias - (data.y[i] as number);
    for (let j = 0; j < data.d; j++)
      r += (model.weights[j] as number) * (data.X[i * data.d + j] as number);
    sum += r * r;
  }
  return sum / (2 * data.n);
}

/** Synthetic data with more rows than features, so the validation curve has a clear minimum. */
const NOISY = ["--n-train", "200", "--n-test", "200", "--dims", "20"];
const GRID = "1e-4:1e2:13";

interface CurvePoint {
  lambda: number;
  mse: number;
  se: number;
  foldMse: number[];
}

async function selectJson(args: string[]) {
  return runJson("select", args);
}

describe("wdecay select --json", () => {
  it("prints one object of the documented shape; λ₁ₛₑ ≥ λ_min", async () => {
    const report = await selectJson(["--folds", "5", "--lambdas", GRID, ...NOISY]);
    expect(Object.keys(report)).toEqual(
      expect.arrayContaining([
        "method",
        "rule",
        "penalty",
        "alpha",
        "lambdaConvention",
        "curve",
        "lambdaMin",
        "lambda1se",
        "chosen",
        "foldSizes",
        "testMseAtMin",
        "testMseAt1se",
        "weights",
        "bias",
      ]),
    );
    expect(report.method).toEqual({ kind: "kfold", folds: 5 });
    expect(report).toMatchObject({
      rule: "min",
      penalty: "l2",
      alpha: 0,
      lambdaConvention: "canonical",
    });
    const curve: CurvePoint[] = report.curve;
    expect(curve.map((p) => p.lambda)).toEqual(parseLambdaSpec(GRID));
    for (const p of curve) {
      expect(Object.keys(p).sort()).toEqual(["foldMse", "lambda", "mse", "se"]);
      expect(p.foldMse).toHaveLength(5);
      expect(p.mse).toBeGreaterThan(0);
      expect(p.se).toBeGreaterThan(0);
    }
    expect(report.lambda1se).toBeGreaterThanOrEqual(report.lambdaMin);
    expect(report.chosen).toBe(report.lambdaMin);
    // λ_min really is the curve's minimum.
    const least = Math.min(...curve.map((p) => p.mse));
    expect(curve.find((p) => p.lambda === report.lambdaMin)?.mse).toBe(least);
    // 200 rows in 5 folds of 40.
    expect(report.foldSizes).toEqual([40, 40, 40, 40, 40]);
    expect(report.weights).toHaveLength(20);
    expect(Number.isFinite(report.bias)).toBe(true);
    expect(report.testMseAtMin).toBeGreaterThan(0);
    expect(report.testMseAt1se).toBeGreaterThan(0);
  });

  it("selects on the training split only, like core's selectLambda, and tests the refits", async () => {
    const report = await selectJson(["--folds", "4", "--lambdas", GRID, "--seed", "3", ...NOISY]);
    const data = syntheticSplit(3, { nTrain: 200, nTest: 200, dims: 20 });
    const expected = selectLambda(data.train, {
      lambdas: parseLambdaSpec(GRID),
      penalty: "l2",
      method: { kind: "kfold", folds: 4 },
      seed: 3,
    });
    expect(report.curve.map((p: CurvePoint) => p.mse)).toEqual(expected.curve.map((p) => p.mean));
    expect(report.lambdaMin).toBe(expected.lambdaMin);
    expect(report.lambda1se).toBe(expected.lambda1se);
    // Refits against an independent solve (Cholesky; the selection's are from one
    // eigendecomposition): well conditioned here (200 rows, 20 features), ~1e-14 apart.
    const atMin = ridgeClosedForm(data.train, expected.lambdaMin);
    const at1se = ridgeClosedForm(data.train, expected.lambda1se);
    expect(report.testMseAtMin).toBeCloseTo(2 * halfMse(atMin, data.test), 9);
    expect(report.testMseAt1se).toBeCloseTo(2 * halfMse(at1se, data.test), 9);
    expect(maxRelDiff(report.weights, Array.from(atMin.weights))).toBeLessThan(1e-10);
  });

  it("with noise, --rule 1se chooses a λ ≥ (here strictly above) --rule min's", async () => {
    for (const seed of ["1", "42"]) {
      const base = ["--folds", "5", "--lambdas", GRID, "--seed", seed, ...NOISY];
      const min = await selectJson([...base, "--rule", "min"]);
      const oneSe = await selectJson([...base, "--rule", "1se"]);
      expect(oneSe.rule).toBe("1se");
      expect(oneSe.chosen).toBe(oneSe.lambda1se);
      expect(min.chosen).toBe(min.lambdaMin);
      expect(oneSe.chosen).toBeGreaterThanOrEqual(min.chosen);
      // The rule has bite on this data: the simpler model is within one SE of the best.
      expect(oneSe.chosen).toBeGreaterThan(min.chosen);
      // The same curve whatever the rule.
      expect(oneSe.curve).toEqual(min.curve);
    }
  });

  it("k-fold and hold-out give different curves and say which they used", async () => {
    const kfold = await selectJson(["--folds", "5", "--lambdas", GRID, ...NOISY]);
    const holdout = await selectJson(["--val-fraction", "0.25", "--lambdas", GRID, ...NOISY]);
    expect(kfold.method).toEqual({ kind: "kfold", folds: 5 });
    expect(holdout.method).toEqual({ kind: "holdout", valFraction: 0.25 });
    expect(holdout.curve.map((p: CurvePoint) => p.mse)).not.toEqual(
      kfold.curve.map((p: CurvePoint) => p.mse),
    );
    expect(holdout.lambda1se).toBeGreaterThanOrEqual(holdout.lambdaMin);
    const ten = await selectJson(["--folds", "10", "--lambdas", GRID, ...NOISY]);
    expect(ten.method).toEqual({ kind: "kfold", folds: 10 });
    expect(ten.curve).not.toEqual(kfold.curve);
  });

  it("the chosen model equals `wdecay fit --lambda <chosen>` (synthetic data, ridge)", async () => {
    const report = await selectJson(["--folds", "5", "--lambdas", GRID, "--rule", "1se", ...NOISY]);
    const fit = await run(["fit", "--json", "--lambda", String(report.chosen), ...NOISY]);
    expect(fit.code).toBe(0);
    const model = JSON.parse(fit.stdout);
    expect(model.canonicalLambda).toBe(report.chosen);
    // fit solves by Cholesky, select from one eigendecomposition: well conditioned, ~1e-14.
    expect(maxRelDiff(report.weights, model.weights)).toBeLessThan(1e-10);
    expect(report.bias).toBeCloseTo(model.bias, 10);
    expect(report.testMseAt1se).toBeCloseTo(2 * model.testLoss, 9);
  });

  it("the chosen model equals `wdecay fit` on a standardized CSV, on the original scale", async () => {
    const dir = await tempDir();
    const file = await writeText(dir, "lin.csv", csvText(linearRows(120, { noise: 40 })));
    const data = ["--data", file, "--target", "y", "--features", "a,b,c"];
    for (const penalty of ["l2", "l1"]) {
      const report = await selectJson([
        "--folds",
        "5",
        "--penalty",
        penalty,
        "--lambdas",
        "1e-3:10:9",
        ...data,
      ]);
      expect(report.featureNames).toEqual(["a", "b", "c"]);
      const fit = await run([
        "fit",
        "--json",
        "--penalty",
        penalty,
        "--lambda",
        String(report.chosen),
        ...data,
      ]);
      expect(fit.code).toBe(0);
      const model = JSON.parse(fit.stdout);
      // Ridge: two exact solvers (~1e-14 apart); lasso: coordinate descent to its tolerance.
      const tol = penalty === "l2" ? 1e-10 : 1e-5;
      expect(maxRelDiff(report.weights, model.weights)).toBeLessThan(tol);
      expect(Math.abs(report.bias - model.bias)).toBeLessThan(tol * Math.abs(model.bias) + 1e-9);
    }
  });
});

describe("wdecay select, for people", () => {
  it("prints the table with λ_min and λ₁ₛₑ marked, a chart, the choice and both test losses", async () => {
    const { code, stdout, stderr } = await run([
      "select",
      "--folds",
      "5",
      "--rule",
      "1se",
      "--lambdas",
      GRID,
      ...NOISY,
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain("5-fold cross-validation");
    expect(stdout).toMatch(/λ \(canonical\)\s+validation MSE\s+std\. error/);
    expect(stdout).toContain("fold means weighted by fold size (40, 40, 40, 40, 40 rows)");
    const marked = lines(stdout).filter((l) => /λ_min|λ₁ₛₑ/.test(l) && /^\s+[\d.]+\s/.test(l));
    expect(marked.length).toBeGreaterThanOrEqual(2);
    expect(marked.some((l) => l.includes("λ₁ₛₑ ←"))).toBe(true);
    expect(stdout).toContain("Validation MSE against λ");
    expect(stdout).toMatch(/chosen \(rule 1se\): λ = [\d.e-]+ \(canonical convention/);
    expect(stdout).toMatch(/test MSE .*at λ_min \d\.\d{3}e[+-]\d+, at λ₁ₛₑ \d\.\d{3}e[+-]\d+/);
  });

  it("writes an SVG of the validation curve with error bars and both λ marked", async () => {
    const file = join(await tempDir(), "select.svg");
    const { code, stdout } = await run([
      "select",
      "--val-fraction",
      "0.3",
      "--lambdas",
      GRID,
      "--plot",
      file,
      ...NOISY,
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain(`written to ${file}`);
    const svg = await readFile(file, "utf8");
    expect(svg.trimStart().startsWith("<svg")).toBe(true);
    expect(svg).toContain("validation MSE");
    expect(svg).toContain("λ_min");
    expect(svg).toContain("λ₁ₛₑ");
    expect(svg).toContain("±1 standard error");
    expect(svg).not.toMatch(/NaN/);
  });

  it("draws a progress bar on a terminal only", async () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
    let written = "";
    stream.on("data", (chunk) => {
      written += String(chunk);
    });
    const { code, stdout } = await run(["select", "--folds", "3", "--lambdas", GRID, ...NOISY], {
      isTTY: true,
      progressStream: stream,
    });
    expect(code).toBe(0);
    // 13 λ on each of 3 folds, then the refit along the λ ≥ λ_min.
    expect(written).toMatch(/13 λ × 3 fold\(s\) and the refit: (\d+) of \1 fits/);
    expect(stdout).not.toMatch(/λ × 3 fold/);
    const quiet = await run(["select", "--folds", "3", "--lambdas", GRID, ...NOISY], {
      isTTY: false,
    });
    expect(quiet.stderr).toBe("");
  });
});

describe("wdecay select usage errors", () => {
  const CASES: [string[], string[]][] = [
    [[], ["--val-fraction", "--folds"]],
    [
      ["--folds", "3", "--val-fraction", "0.2"],
      ["--val-fraction", "--folds"],
    ],
    [["--folds", "1"], ["--folds"]],
    [["--folds", "2.5"], ["--folds"]],
    [["--folds", "21"], ["--folds"]],
    [["--val-fraction", "1.5"], ["--val-fraction"]],
    [["--val-fraction", "0"], ["--val-fraction"]],
    [["--val-fraction", "0.01"], ["--val-fraction"]],
    [["--folds", "5", "--rule", "max"], ["--rule"]],
    [["--folds", "5", "--penalty", "l3"], ["--penalty"]],
    [["--folds", "5", "--penalty", "elastic"], ["--alpha"]],
    [["--folds", "5", "--alpha", "0.5"], ["--alpha"]],
    [["--folds", "5", "--penalty", "l1", "--lambdas", "0,1"], ["--lambdas"]],
    [["--folds", "5", "--lambdas", "0,1"], ["--lambdas"]],
    [["--folds", "5", "--lambdas", "-1"], ["--lambdas"]],
    [["--folds", "5", "--target", "y"], ["--target"]],
  ];
  for (const [args, flags] of CASES) {
    it(`select ${args.join(" ")} exits 2 naming ${flags.join(" and ")}`, async () => {
      expectUsageError(await run(["select", ...args]), ...flags);
    });
  }

  it("is listed in the program's help with an example", async () => {
    const { code, stdout } = await run(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/select\s+.*validation/);
    expect(stdout).toContain("wdecay select --folds 5 --rule 1se");
    const help = await run(["select", "--help"]);
    expect(help.stdout).toContain("--val-fraction");
    expect(help.stdout).toContain("wdecay select --folds 5");
  });
});
