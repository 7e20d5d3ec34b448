import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { lambdaMax, PATH_MIN_ALPHA, regularizationPath, syntheticSplit } from "@wdecay/core";
import { describe, expect, it } from "vitest";
import { csvText, linearRows, writeText } from "./data-fixtures.js";
import { commandHelp, expectUsageError, lines, run, runJson, tempDir } from "./helpers.js";

async function pathJson(args: string[]) {
  return runJson("path", args);
}

describe("wdecay path --json", () => {
  it("the lasso: zero weights at λ_max, more nonzeros down the path", async () => {
    const report = await pathJson([]);
    expect(report).toMatchObject({ penalty: "l1", alpha: 1, lambdaConvention: "canonical" });
    const { lambdas, weights, biases, nonzeros } = report as {
      lambdas: number[];
      weights: number[][];
      biases: number[];
      nonzeros: number[];
    };
    expect(lambdas).toHaveLength(100);
    expect(weights).toHaveLength(100);
    expect(biases).toHaveLength(100);
    expect(nonzeros).toHaveLength(100);
    for (const w of weights) expect(w).toHaveLength(200);

    // λ_max is the lasso's, from core, and the grid starts there with every weight exactly 0.
    const data = syntheticSplit(42, { nTrain: 20, nTest: 100, dims: 200 });
    expect(report.lambdaMax).toBe(lambdaMax(data.train, 1));
    expect(lambdas[0]).toBe(report.lambdaMax);
    expect(weights[0]?.every((x) => x === 0)).toBe(true);
    expect(nonzeros[0]).toBe(0);
    expect(nonzeros[1]).toBeGreaterThan(0);
    // Down to λ_max/100 (d > n), decreasing.
    expect((lambdas.at(-1) as number) / report.lambdaMax).toBeCloseTo(1e-2, 12);
    for (let k = 1; k < lambdas.length; k++) {
      expect(lambdas[k]).toBeLessThan(lambdas[k - 1] as number);
    }
    // The support grows down the path (the lasso may drop a variable now and then, so compare
    // quarters rather than neighbours), and the weights with it.
    const quarters = [0, 25, 50, 75, 99].map((k) => nonzeros[k] as number);
    for (let q = 1; q < quarters.length; q++) {
      expect(quarters[q]).toBeGreaterThan(quarters[q - 1] as number);
    }
    expect(report.l1Norms[99]).toBeGreaterThan(report.l1Norms[50]);
    expect(report.trainMse[99]).toBeLessThan(report.trainMse[0]);
  });

  it("gives core's regularizationPath, point for point", async () => {
    const report = await pathJson([
      "--penalty",
      "elastic",
      "--alpha",
      "0.5",
      "--n-lambda",
      "15",
      "--lambda-min-ratio",
      "0.05",
      "--dims",
      "12",
      "--n-train",
      "30",
      "--seed",
      "3",
    ]);
    expect(report).toMatchObject({ penalty: "elastic", alpha: 0.5, lambdaMinRatio: 0.05 });
    const data = syntheticSplit(3, { nTrain: 30, nTest: 100, dims: 12 });
    const path = regularizationPath(data.train, { alpha: 0.5, nLambda: 15, lambdaMinRatio: 0.05 });
    expect(report.lambdas).toEqual(Array.from(path.lambdas));
    expect(report.weights).toEqual(path.weights.map((w) => Array.from(w)));
    expect(report.biases).toEqual(Array.from(path.biases));
    expect(report.lambdaMax).toBe(path.lambdaMax);
  });

  it("ridge: every weight nonzero, ‖w‖ growing as λ falls; the grid starts at α = 0.001's λ_max", async () => {
    const report = await pathJson(["--penalty", "l2", "--n-lambda", "10", "--dims", "30"]);
    expect(report).toMatchObject({ penalty: "l2", alpha: 0 });
    expect(report.nonzeros).toEqual(Array(10).fill(30));
    const data = syntheticSplit(42, { nTrain: 20, nTest: 100, dims: 30 });
    expect(report.lambdaMax).toBe(lambdaMax(data.train, PATH_MIN_ALPHA));
    for (let k = 1; k < 10; k++) {
      expect(report.l2Norms[k]).toBeGreaterThan(report.l2Norms[k - 1]);
    }
  });

  it("reports each λ's training MSE and R², as computed on the rows (moments on tall data)", async () => {
    const dir = await tempDir();
    const rows = linearRows(90, { noise: 3 });
    const file = await writeText(dir, "d.csv", csvText(rows));
    const report = await pathJson([
      "--data",
      file,
      "--target",
      "y",
      "--features",
      "a,b,c",
      "--penalty",
      "elastic",
      "--alpha",
      "0.5",
      "--n-lambda",
      "12",
    ]);
    const ys = rows.map((r) => r.y);
    const ym = ys.reduce((a, v) => a + v, 0) / ys.length;
    const sst = ys.reduce((a, v) => a + (v - ym) ** 2, 0);
    report.weights.forEach((w: number[], k: number) => {
      // The original-scale model on the raw rows: the same predictions as the standardized fit.
      let sse = 0;
      for (const r of rows) {
        const yhat =
          report.biases[k] +
          (w[0] as number) * r.a +
          (w[1] as number) * r.b +
          (w[2] as number) * r.c;
        sse += (yhat - r.y) ** 2;
      }
      // Two summation orders of an MSE of O(10) from O(1e3) terms: 1e-9 relative is a wide margin
      // that a wrong row count, a missing centering term or a ½ would all break.
      expect(Math.abs(report.trainMse[k] - sse / rows.length)).toBeLessThanOrEqual(
        1e-9 * (sse / rows.length),
      );
      expect(Math.abs(report.trainR2[k] - (1 - sse / sst))).toBeLessThanOrEqual(1e-9);
    });
  });

  it("reports coefficients of a standardized CSV on the original scale", async () => {
    const dir = await tempDir();
    const file = await writeText(dir, "d.csv", csvText(linearRows(80)));
    const report = await pathJson([
      "--data",
      file,
      "--target",
      "y",
      "--features",
      "a,b,c",
      "--penalty",
      "l1",
      "--n-lambda",
      "40",
    ]);
    expect(report.featureNames).toEqual(["a", "b", "c"]);
    // Every row is fitted on unless --test-fraction says otherwise.
    expect(report.data).toMatchObject({ source: "csv", standardized: true, nTrain: 80, nTest: 0 });
    // n > d: down to λ_max·1e-4, where the noise-free lasso is all but least squares.
    const last = report.weights.at(-1) as number[];
    expect(last[0]).toBeCloseTo(2, 2);
    expect(last[1]).toBeCloseTo(-0.5, 3);
    expect(last[2]).toBeCloseTo(0.01, 5);
  });
});

describe("wdecay path (human output)", () => {
  it("prints λ_max, a dozen rows of the path and writes the coefficient SVG", async () => {
    const file = join(await tempDir(), "path.svg");
    const { code, stdout, stderr } = await run(["path", "--plot", file]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(stdout).toMatch(
      /λ_max = 0\.\d+ \(canonical; the smallest λ at which every weight is 0\)/,
    );
    expect(stdout).toMatch(/100 λ log-spaced from λ_max down to λ_max·0\.01; 12 shown/);
    const header = lines(stdout).findIndex((l) => /λ \(canonical\)\s+nonzeros/.test(l));
    expect(header).toBeGreaterThan(0);
    const rows = lines(stdout).slice(header + 1, header + 13);
    expect(rows.every((r) => /of 200/.test(r))).toBe(true);
    expect(rows[0]).toMatch(/\s0 of 200\s/);
    expect(stdout).toContain(file);
    const svg = await readFile(file, "utf8");
    expect(svg.trimStart().startsWith("<svg")).toBe(true);
    expect(svg).toContain("the 20 of 200 coefficients largest by max |w| along the path");
    expect(svg).not.toMatch(/NaN/);
    // One line per drawn coefficient.
    expect(svg.match(/<path[^>]* d="M[^"]*L/g)?.length ?? 0).toBeGreaterThanOrEqual(20);
  });

  it("draws every coefficient when there are few", async () => {
    const file = join(await tempDir(), "path.svg");
    const { code } = await run(["path", "--dims", "5", "--n-lambda", "8", "--plot", file]);
    expect(code).toBe(0);
    expect(await readFile(file, "utf8")).toContain("all 5 coefficients");
  });
});

describe("wdecay path usage errors", () => {
  it.each([
    [["--penalty", "elastic"], "--alpha"],
    [["--penalty", "l1", "--alpha", "0.5"], "--alpha"],
    [["--penalty", "elastic", "--alpha", "1.5"], "--alpha"],
    [["--penalty", "l3"], "--penalty"],
    [["--n-lambda", "0"], "--n-lambda"],
    [["--n-lambda", "1001"], "--n-lambda"],
    [["--lambda-min-ratio", "0"], "--lambda-min-ratio"],
    [["--lambda-min-ratio", "2"], "--lambda-min-ratio"],
    [["--features", "a,b"], "--features"],
    [["--data", "x.csv"], "--target"],
  ])("%j exits 2 naming %s", async (args, flag) => {
    expectUsageError(await run(["path", ...args]), flag);
  });

  it("a missing --data file is a runtime error naming the flag", async () => {
    const file = join(await tempDir(), "missing.csv");
    const { code, stderr } = await run(["path", "--data", file, "--target", "y"]);
    expect(code).toBe(1);
    expect(stderr).toBe(`wdecay: --data file "${file}" does not exist\n`);
  });
});

describe("wdecay path --help", () => {
  it("describes the command with its defaults and examples, exit 0", async () => {
    const text = await commandHelp("path");
    expect(text).toContain("Examples:");
    expect(text).toContain("--penalty <name>");
    expect(text).toContain('(default: "l1")');
    expect(text).toContain("(default: 100)");
    expect(text).toContain("wdecay path --penalty elastic --alpha 0.5");
  });
});
