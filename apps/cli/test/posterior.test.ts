import { readFile } from "node:fs/promises";
import {
  CHAPTER,
  csvDataset,
  elasticNetCD,
  ridgeClosedForm,
  syntheticSplit,
  trainTestSplit,
} from "@wdecay/core";
import { describe, expect, it } from "vitest";
import { csvText, linearRows, writeText } from "./data-fixtures.js";
import { commandHelp, expectUsageError, run, runJson, tempDir } from "./helpers.js";

const chapterTrain = syntheticSplit(42, CHAPTER).train;

describe("wdecay posterior (exercise 6)", () => {
  it("defaults to the chapter's σ = τ = 0.01: λ = σ²/(nτ²), mean = the ridge solution there", async () => {
    const report = await runJson("posterior", []);
    expect(report).toMatchObject({
      prior: "gaussian",
      noiseStd: 0.01,
      priorStd: 0.01,
      n: 20,
      lambdaConvention: "canonical",
      penalty: "l2",
    });
    expect(report.lambda).toBeCloseTo(0.01 ** 2 / (20 * 0.01 ** 2), 15);
    // Identity 19: the posterior mean is the ridge solution at that λ (core's closed form).
    const ridge = ridgeClosedForm(chapterTrain, report.lambda);
    expect(report.mean).toEqual(Array.from(ridge.weights));
    expect(report.bias).toBe(ridge.bias);
    expect(report.sd).toHaveLength(200);
    expect(report.covered95).toBeGreaterThan(180);
  });

  it("--lambda gives the prior that λ stands for, τ = σ/√(nλ)", async () => {
    const report = await runJson("posterior", ["--lambda", "3"]);
    expect(report.priorStd).toBeCloseTo(0.01 / Math.sqrt(20 * 3), 15);
    expect(report.lambda).toBeCloseTo(3, 12);
    // The chapter's λ = 3 is a far narrower prior than its true weights: few intervals cover them.
    expect(report.covered95).toBeLessThan(20);
  });

  it("the covariance inverts the posterior precision (XcᵀXc + (σ²/τ²)I)/σ² of the data", async () => {
    const dir = await tempDir();
    const file = await writeText(dir, "data.csv", csvText(linearRows(40, { noise: 1 })));
    const sigma = 0.5;
    const tau = 2;
    const report = await runJson("posterior", [
      ...["--data", file, "--target", "y", "--features", "a,b,c", "--no-standardize"],
      ...["--noise-std", String(sigma), "--prior-std", String(tau), "--covariance"],
    ]);
    const d = 3;
    expect(report.normScale).toBe("original");
    // The training rows the CLI used: rebuild XcᵀXc from the same split through core.
    const table = csvDataset(await readFile(file, "utf8"), {
      source: file,
      target: "y",
      features: ["a", "b", "c"],
    });
    const { train } = trainTestSplit(table.dataset, { testFraction: 0.2, seed: 42 });
    const mean = [0, 1, 2].map(
      (j) =>
        Array.from({ length: train.n }, (_, i) => train.X[i * d + j] as number).reduce(
          (s, v) => s + v,
          0,
        ) / train.n,
    );
    const H: number[] = new Array(d * d).fill(0);
    for (let i = 0; i < train.n; i++) {
      for (let j = 0; j < d; j++) {
        for (let k = 0; k < d; k++) {
          const xj = (train.X[i * d + j] as number) - (mean[j] as number);
          const xk = (train.X[i * d + k] as number) - (mean[k] as number);
          H[j * d + k] = (H[j * d + k] as number) + (xj * xk) / sigma ** 2;
        }
      }
    }
    for (let j = 0; j < d; j++) H[j * d + j] = (H[j * d + j] as number) + 1 / tau ** 2;
    const S = report.covariance as number[];
    for (let j = 0; j < d; j++) {
      for (let k = 0; k < d; k++) {
        let v = 0;
        for (let m = 0; m < d; m++) v += (S[j * d + m] as number) * (H[m * d + k] as number);
        expect(Math.abs(v - (j === k ? 1 : 0))).toBeLessThan(1e-9);
      }
      expect(report.sd[j]).toBeCloseTo(Math.sqrt(S[j * d + j] as number), 15);
    }
  });

  it("a Laplace prior's MAP is the lasso at λ₁ = σ²/(n·s), with exact zeros", async () => {
    const report = await runJson("posterior", ["--prior", "laplace", "--laplace-scale", "0.01"]);
    expect(report.lambda).toBeCloseTo(0.01 ** 2 / (20 * 0.01), 15);
    const lasso = elasticNetCD(chapterTrain, { lambda: report.lambda, alpha: 1 });
    expect(report.map).toEqual(Array.from(lasso.weights));
    expect(report.nonzeros).toBeGreaterThan(0);
    expect(report.nonzeros).toBeLessThan(20);
    const back = await runJson("posterior", [
      "--prior",
      "laplace",
      "--lambda",
      String(report.lambda),
    ]);
    expect(back.laplaceScale).toBeCloseTo(0.01, 15);
  });

  it("--plot writes the means and 95% intervals as an SVG", async () => {
    const dir = await tempDir();
    const plot = `${dir}/posterior.svg`;
    const report = await runJson("posterior", ["--plot", plot]);
    expect(report.plot).toBe(plot);
    const svg = await readFile(plot, "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("the first 40 of 200 coefficients");
    expect(svg).toContain("the true weight 0.01");
  });

  it("prints the prior, λ and a table of means, sds and intervals", async () => {
    const { code, stdout } = await run(["posterior"]);
    expect(code).toBe(0);
    expect(stdout).toContain("λ = σ²/(nτ²) = 0.05000 (canonical)");
    expect(stdout).toMatch(/x1\s+-?[\d.e-]+\s+[\d.e-]+\s+\[/);
    expect(stdout).toContain("… 190 more (--json for all)");
    const help = await commandHelp("posterior");
    expect(help).toContain("--prior-std");
  });

  it.each([
    [["--data", "x.csv", "--target", "y", "--prior-std", "1"], "--noise-std"],
    [["--prior-std", "1", "--lambda", "2"], "--lambda"],
    [["--prior", "laplace", "--prior-std", "1"], "--prior-std"],
    [["--laplace-scale", "1"], "--laplace-scale"],
    [["--covariance"], "--covariance"],
    [["--prior", "cauchy"], "--prior"],
    [["--prior", "laplace", "--plot", "p.svg"], "--plot"],
    [["--noise-std", "0"], "--noise-std"],
    [["--lambda", "-1"], "--lambda"],
  ])("wdecay posterior %j is a usage error naming %s", async (args, flag) => {
    expectUsageError(await run(["posterior", ...args]), flag);
  });
});
