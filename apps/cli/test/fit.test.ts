import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ridgeDescent } from "@wdecay/conformance";
import { CHAPTER, parseModel, ridgeClosedForm, syntheticSplit } from "@wdecay/core";
import { describe, expect, it } from "vitest";
import { csvText, linearRows, maxRelDiff, TRUE_MODEL, writeText } from "./data-fixtures.js";
import {
  commandHelp,
  expectUsageError,
  lines,
  run,
  runJson,
  STACK_FRAME,
  tempDir,
} from "./helpers.js";

/** A small synthetic problem with d > n, like the chapter's. */
const SMALL = ["--dims", "30", "--n-train", "20", "--n-test", "40"];

interface FitReport {
  weights: number[];
  bias: number;
  lambda: number;
  lambdaConvention: string;
  canonicalLambda: number;
  penalty: string;
  alpha: number;
  solver: {
    name: string;
    iterations?: number;
    converged?: boolean;
    kkt?: number;
    tol?: number;
    dualityGap?: number;
  };
  trainLoss: number;
  testLoss: number;
  l2Norm: number;
  nonzeros: number;
  featureNames: string[];
  saved?: {
    file: string;
    lambda: number;
    lambdaConvention: string;
    statedLambda?: { value: number; convention: string; n: number };
  };
}

async function fitJson(args: string[]): Promise<FitReport> {
  return runJson("fit", args);
}

describe("wdecay fit --solver sgd --penalty l1 / elastic (proximal SGD)", () => {
  /** d < n, so the lasso objective is strongly convex and has one minimizer. */
  const FEW = ["--dims", "5", "--n-train", "20", "--n-test", "40"];
  const FULL_BATCH = ["--solver", "sgd", "--batch-size", "20", "--lr", "0.1", "--epochs", "3000"];

  it("full-batch proximal SGD with many epochs agrees with coordinate descent", async () => {
    const args = ["--penalty", "l1", "--lambda", "0.002", ...FEW];
    const cd = await fitJson([...args, "--solver", "cd"]);
    const sgd = await fitJson([...args, ...FULL_BATCH]);
    expect(sgd).toMatchObject({ penalty: "l1", alpha: 1, solver: { name: "sgd", epochs: 3000 } });
    // λ = 0.002 puts some weights at the kink: a real test of the soft-threshold.
    expect(cd.nonzeros).toBeGreaterThan(0);
    expect(cd.nonzeros).toBeLessThan(5);
    // Full-batch proximal SGD is ISTA. With d = 5 < n = 20 the smooth part is strongly convex
    // (μ = least eigenvalue of the centered XᵀX/n, a few tenths) and lr 0.1 < 1/L, so it
    // contracts by about (1 − 0.1·μ) per step: 3000 steps leave an error far below 1e-12 (6000
    // epochs give the same weights). CD stops when the RMS change of a coordinate step is
    // ≤ 1e-7·sd(y); its KKT violation is then ≤ (d − 1)·1e-7·sd(y)·√v_j ≈ 1e-8, i.e. a weight
    // error ≲ 1e-8/μ ≈ 1e-7 at most (about 3e-11 is seen). 1e-6 absolute, on weights of about
    // 1e-2, covers both with room, yet a wrong objective (threshold lr·λ/2 instead of lr·λ, a
    // thresholded bias, a missing L1 part) moves the weights by ~λ = 2e-3 and fails it.
    const TOL = 1e-6;
    for (const [j, w] of cd.weights.entries()) {
      expect(Math.abs((sgd.weights[j] as number) - w)).toBeLessThan(TOL);
      // The soft-threshold gives exact zeros, at the same coordinates as CD.
      expect(sgd.weights[j] === 0).toBe(w === 0);
    }
    expect(Math.abs(sgd.bias - cd.bias)).toBeLessThan(TOL);
    expect(sgd.nonzeros).toBe(cd.nonzeros);
    // A handful of epochs is far from the minimizer: the comparison can fail.
    const short = await fitJson([...args, "--solver", "sgd", "--epochs", "5"]);
    expect(
      Math.max(...short.weights.map((w, j) => Math.abs(w - (cd.weights[j] as number)))),
    ).toBeGreaterThan(1e-3);
  });

  it("elastic net by SGD agrees with coordinate descent, and says which solver it used", async () => {
    const args = ["--penalty", "elastic", "--alpha", "0.5", "--lambda", "0.004", ...FEW];
    const cd = await fitJson([...args, "--solver", "cd"]);
    const sgd = await fitJson([...args, ...FULL_BATCH]);
    expect(sgd).toMatchObject({ penalty: "elastic", alpha: 0.5, solver: { name: "sgd" } });
    // As for l1: ISTA on a strongly convex objective (the L2 part only adds to μ).
    for (const [j, w] of cd.weights.entries()) {
      expect(Math.abs((sgd.weights[j] as number) - w)).toBeLessThan(1e-6);
    }
    const { code, stdout } = await run(["fit", ...args, "--solver", "sgd", "--epochs", "5"]);
    expect(code).toBe(0);
    expect(stdout).toContain("Fitted elastic net (α = 0.5) by minibatch SGD on cpu");
  });
});

describe("wdecay fit --json", () => {
  it("prints one object: weights, bias, both λ, the penalty; closed form by default", async () => {
    const report = await fitJson(["--lambda", "3", ...SMALL]);
    expect(report).toMatchObject({
      penalty: "l2",
      alpha: 0,
      lambda: 3,
      lambdaConvention: "canonical",
      canonicalLambda: 3,
      solver: { name: "closed" },
      nonzeros: 30,
    });
    expect(report.weights).toHaveLength(30);
    expect(report.featureNames.slice(0, 2)).toEqual(["x1", "x2"]);
    const data = syntheticSplit(42, { nTrain: 20, nTest: 40, dims: 30 });
    const exact = ridgeClosedForm(data.train, 3);
    expect(report.weights).toEqual(Array.from(exact.weights));
    expect(report.bias).toBe(exact.bias);
    expect(report.l2Norm).toBeCloseTo(Math.hypot(...report.weights), 14);
  });

  it("closed form and full-batch SGD with many epochs agree (loosely)", async () => {
    const closed = await fitJson(["--lambda", "1", ...SMALL]);
    const sgd = await fitJson([
      "--lambda",
      "1",
      "--solver",
      "sgd",
      "--batch-size",
      "20",
      "--lr",
      "0.1",
      "--epochs",
      "3000",
      ...SMALL,
    ]);
    expect(sgd.solver).toMatchObject({ name: "sgd", backend: "cpu", batchSize: 20, epochs: 3000 });
    // Full-batch SGD is gradient descent on the same strongly convex objective (the penalty
    // makes the Hessian's weight block ≥ λI), so it converges geometrically to the closed form
    // from any start. The tolerance, 1e-6 relative to the largest weight, is loose: 3000 steps
    // at lr 0.1 leave an optimization error far below it in float64, and it leaves room for a
    // backend's summation order; yet a wrong objective (λ instead of λ/2 on ‖w‖², a decayed
    // bias) moves the weights by percents and fails it.
    expect(maxRelDiff(sgd.weights, closed.weights)).toBeLessThan(1e-6);
    expect(Math.abs(sgd.bias - closed.bias)).toBeLessThan(1e-6);
    expect(sgd.trainLoss).toBeCloseTo(closed.trainLoss, 8);
    // A handful of chapter-style epochs is far from converged: the check can fail.
    const short = await fitJson(["--lambda", "1", "--solver", "sgd", "--epochs", "5", ...SMALL]);
    expect(maxRelDiff(short.weights, closed.weights)).toBeGreaterThan(1e-2);
  });

  it("closed form and coordinate descent at α = 0 agree", async () => {
    const closed = await fitJson(["--lambda", "0.5", ...SMALL]);
    const cd = await fitJson(["--lambda", "0.5", "--solver", "cd", ...SMALL]);
    const elastic = await fitJson([
      "--lambda",
      "0.5",
      "--penalty",
      "elastic",
      "--alpha",
      "0",
      "--solver",
      "cd",
      ...SMALL,
    ]);
    const prox = await fitJson(["--lambda", "0.5", "--solver", "prox", ...SMALL]);
    expect(cd.solver).toMatchObject({ name: "cd", converged: true });
    expect(elastic).toMatchObject({ penalty: "elastic", alpha: 0 });
    // CD stops when no coordinate moves the fit by more than 1e-7·sd(y); the weights are then
    // within about d·1e-7 of the optimum relative to their size.
    for (const other of [cd, elastic, prox]) {
      expect(maxRelDiff(other.weights, closed.weights)).toBeLessThan(1e-5);
      expect(Math.abs(other.bias - closed.bias)).toBeLessThan(1e-6);
    }
    expect(elastic.weights).toEqual(cd.weights);
  });

  it("converts λ from sklearn's Ridge (alpha = n·λ) and PyTorch (wd = 2λ) to the same model", async () => {
    const canonical = await fitJson(["--lambda", "3", ...SMALL]);
    const sklearn = await fitJson([
      "--lambda",
      "60",
      "--lambda-convention",
      "sklearn-ridge",
      ...SMALL,
    ]);
    expect(sklearn).toMatchObject({
      lambda: 60,
      lambdaConvention: "sklearn-ridge",
      canonicalLambda: 3,
    });
    expect(sklearn.weights).toEqual(canonical.weights);
    expect(sklearn.bias).toBe(canonical.bias);
    const torch = await fitJson(["--lambda", "6", "--lambda-convention", "PyTorch", ...SMALL]);
    expect(torch).toMatchObject({ lambdaConvention: "pytorch", canonicalLambda: 3 });
    expect(torch.weights).toEqual(canonical.weights);
    // And a different λ gives a different model: the comparison can fail.
    const other = await fitJson([
      "--lambda",
      "3",
      "--lambda-convention",
      "sklearn-ridge",
      ...SMALL,
    ]);
    expect(other.canonicalLambda).toBeCloseTo(3 / 20, 15);
    expect(other.weights).not.toEqual(canonical.weights);
  });

  it("the lasso by cd and prox: sparse, the same solution", async () => {
    const cd = await fitJson(["--penalty", "l1", "--lambda", "0.02", ...SMALL]);
    const prox = await fitJson([
      "--penalty",
      "l1",
      "--lambda",
      "0.02",
      "--solver",
      "prox",
      ...SMALL,
    ]);
    expect(cd.solver.name).toBe("cd");
    expect(cd.nonzeros).toBeGreaterThan(0);
    expect(cd.nonzeros).toBeLessThan(30);
    expect(maxRelDiff(prox.weights, cd.weights)).toBeLessThan(1e-4);
  });
});

describe("wdecay fit on a CSV file", () => {
  it("recovers known coefficients on the original feature scale", async () => {
    const dir = await tempDir();
    const file = await writeText(dir, "data.csv", csvText(linearRows(50)));
    const base = ["--data", file, "--target", "y", "--features", "a,b,c", "--lambda", "1e-10"];
    const truth = [TRUE_MODEL.weights.a, TRUE_MODEL.weights.b, TRUE_MODEL.weights.c];
    for (const extra of [[], ["--no-standardize"], ["--solver", "cd"]]) {
      const report = await fitJson([...base, ...extra]);
      expect(report.featureNames).toEqual(["a", "b", "c"]);
      // y is exactly linear: the tiny penalty and rounding are all that separate the fit from
      // the truth, on features whose scales differ by 10³.
      for (const [j, w] of truth.entries()) {
        expect(Math.abs((report.weights[j] as number) - w) / Math.abs(w)).toBeLessThan(1e-6);
      }
      expect(report.bias).toBeCloseTo(TRUE_MODEL.bias, 5);
      expect(report.trainLoss).toBeLessThan(1e-12);
    }
  });

  it("shrinks the standardized weights, so a feature's units do not change its penalty", async () => {
    const dir = await tempDir();
    const rows = linearRows(50, { noise: 4 });
    const file = await writeText(dir, "data.csv", csvText(rows));
    // The same data with c in units 1000 times larger: its true weight is 1000 times smaller.
    const scaled = rows.map((r) => ({ ...r, c: r.c * 1000 }));
    const fileScaled = await writeText(dir, "scaled.csv", csvText(scaled));
    const args = ["--target", "y", "--features", "a,b,c", "--lambda", "0.5"];
    const a = await fitJson(["--data", file, ...args]);
    const b = await fitJson(["--data", fileScaled, ...args]);
    expect((b.weights[2] as number) * 1000).toBeCloseTo(a.weights[2] as number, 10);
    expect(b.weights[0]).toBeCloseTo(a.weights[0] as number, 10);
  });

  it("saves a model file that predict reproduces, with λ canonical and as stated", async () => {
    const dir = await tempDir();
    const rows = linearRows(60, { noise: 2 });
    const file = await writeText(dir, "data.csv", csvText(rows));
    const model = join(dir, "model.json");
    const report = await fitJson([
      "--data",
      file,
      "--target",
      "y",
      "--features",
      "c,a,b",
      "--lambda",
      "12",
      "--lambda-convention",
      "sklearn-ridge",
      "--save",
      model,
    ]);
    // Every one of the 60 rows is fitted on: sklearn's alpha 12 is canonical λ 12/60.
    expect(report.canonicalLambda).toBe(12 / 60);
    expect(report.saved).toMatchObject({
      file: model,
      lambda: 12 / 60,
      lambdaConvention: "canonical",
    });
    const stated = { value: 12, convention: "sklearn-ridge", n: 60 };
    expect(report.saved?.statedLambda).toEqual(stated);
    const saved = parseModel(await readFile(model, "utf8"), model);
    expect(saved.statedLambda).toEqual(stated);
    expect(saved).toMatchObject({
      featureNames: ["c", "a", "b"],
      target: "y",
      penalty: "l2",
      lambda: 0.2,
      lambdaConvention: "canonical",
      backend: "host:closed",
      seed: 42,
    });
    expect(Array.from(saved.weights)).toEqual(report.weights);
    // scikit-learn's Ridge does not scale features, and neither does its convention here.
    expect(saved.standardization).toBeUndefined();

    const predicted = await run(["predict", "--model", model, "--data", file, "--json"]);
    expect(predicted.code).toBe(0);
    expect(predicted.stderr).toBe("");
    const out = JSON.parse(predicted.stdout);
    expect(out.predictions).toHaveLength(60);
    // The fit's own model, applied by hand to the file's rows.
    const [wc, wa, wb] = report.weights as [number, number, number];
    for (const [i, r] of rows.entries()) {
      const expected = report.bias + wc * r.c + wa * r.a + wb * r.b;
      expect(Math.abs(out.predictions[i] - expected)).toBeLessThanOrEqual(
        1e-9 * Math.abs(expected),
      );
    }
    const loss = rows.reduce((s, r, i) => s + (out.predictions[i] - r.y) ** 2, 0) / (2 * 60);
    expect(out.loss).toBeCloseTo(loss, 10);
  });

  it("has predict give the fit's test loss on the test rows", async () => {
    const { trainTestSplit } = await import("@wdecay/core");
    const dir = await tempDir();
    const rows = linearRows(40, { noise: 3 });
    const file = await writeText(dir, "data.csv", csvText(rows));
    const model = join(dir, "m.json");
    const report = await fitJson([
      "--data",
      file,
      "--target",
      "y",
      "--features",
      "a,b,c",
      "--penalty",
      "l1",
      "--lambda",
      "0.3",
      "--seed",
      "5",
      "--test-fraction",
      "0.25",
      "--save",
      model,
    ]);
    // The same split as the command's: core's, from the same seed and number of rows.
    const X = new Float64Array(rows.length);
    const split = trainTestSplit(
      { X, y: X, n: rows.length, d: 1 },
      { testFraction: 0.25, seed: 5 },
    );
    const testRows = Array.from(split.testIndices, (i) => rows[i] as (typeof rows)[number]);
    const testFile = await writeText(dir, "test.csv", csvText(testRows));
    const predicted = await run(["predict", "--model", model, "--data", testFile, "--json"]);
    expect(predicted.code).toBe(0);
    const loss = JSON.parse(predicted.stdout).loss as number;
    expect(Math.abs(loss - report.testLoss) / report.testLoss).toBeLessThan(1e-9);
  });
});

describe("wdecay fit (human output)", () => {
  it("prints both λ, the losses and the first 20 weights", async () => {
    const { code, stdout, stderr } = await run([
      "fit",
      "--lambda",
      "60",
      "--lambda-convention",
      "sklearn-ridge",
      "--dims",
      "25",
    ]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    expect(stdout).toContain("Fitted ridge (L2) by closed form");
    expect(stdout).toMatch(/alpha = 60 \(sklearn-ridge convention: .*canonical λ = 3\)/);
    expect(stdout).toMatch(/^canonical λ = 3$/m);
    expect(stdout).toMatch(
      /^train: MSE \d\.\d{3}e[+-]\d+, R² -?\d\.\d{4}, loss mean ½\(ŷ − y\)² /m,
    );
    expect(stdout).toMatch(/^test: MSE \d\.\d{3}e[+-]\d+, R² /m);
    expect(stdout).toContain("first 20 of 25; --json for all");
    expect(stdout).toMatch(/^\s+x20\s+-?\d/m);
    expect(stdout).not.toMatch(/^\s+x21\s/m);
  });

  it("warns when the closed form cannot be used at λ = 0 with d > n", async () => {
    const { code, stdout, stderr } = await run(["fit", "--lambda", "0", ...SMALL]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(lines(stderr)).toHaveLength(1);
    expect(stderr).toMatch(/^wdecay: --lambda 0 .*--solver closed/);
  });
});

describe("wdecay fit --solver sgd that diverges", () => {
  it("reports nulls in JSON and refuses to save the model (exit 1, one line)", async () => {
    const args = ["fit", "--lambda", "1", "--solver", "sgd", "--lr", "50", ...SMALL];
    const json = await run([...args, "--json"]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.diverged).toBe(true);
    expect(report.weights.some((w: number | null) => w === null)).toBe(true);
    const file = join(await tempDir(), "m.json");
    const saved = await run([...args, "--save", file]);
    expect(saved.code).toBe(1);
    expect(saved.stdout).toBe("");
    expect(saved.stderr).toMatch(/^wdecay: not writing --save file .*diverged/);
    expect(lines(saved.stderr)).toHaveLength(1);
    await expect(readFile(file, "utf8")).rejects.toThrow();
  });
});

describe("wdecay fit usage errors", () => {
  it.each([
    [["--penalty", "l1", "--lambda", "1", "--solver", "closed"], "--solver"],
    [["--penalty", "elastic", "--alpha", "0.5", "--lambda", "1", "--solver", "closed"], "--solver"],
    [["--penalty", "elastic", "--lambda", "1", "--solver", "sgd"], "--alpha"],
    [["--penalty", "l1", "--alpha", "1", "--lambda", "1", "--solver", "sgd"], "--alpha"],
    [["--penalty", "elastic", "--lambda", "1"], "--alpha"],
    [["--penalty", "l2", "--alpha", "0.5", "--lambda", "1"], "--alpha"],
    [["--lambda", "1", "--lambda-convention", "tensorflow"], "--lambda-convention"],
    [["--penalty", "l1", "--lambda", "1", "--lambda-convention", "pytorch"], "--lambda-convention"],
    [["--lambda", "1", "--data", "x.csv"], "--target"],
    [["--lambda", "1", "--target", "y"], "--target"],
    [["--lambda", "1", "--data", "x.csv", "--target", "y", "--n-train", "5"], "--n-train"],
    [["--lambda", "1", "--test-fraction", "1"], "--test-fraction"],
    [["--lambda", "1", "--features", "a,,b"], "--features"],
    [["--lambda", "1", "--features", "a,a"], "--features"],
    [["--lambda", "1", "--backend", "cpu"], "--backend"],
    [["--lambda", "1", "--epochs", "10"], "--epochs"],
    [["--lambda", "1", "--solver", "sgd", "--backend", "tpu"], "--backend"],
    [["--lambda", "1", "--solver", "sgd", "--batch-size", "21"], "--batch-size"],
    [["--lambda", "1", "--solver", "newton"], "--solver"],
    [["--lambda", "-1"], "--lambda"],
    [["--penalty", "l2"], "--lambda"],
  ])("%j exits 2 naming %s", async (args, flag) => {
    expectUsageError(await run(["fit", ...args]), flag);
  });

  it("a --test-fraction that leaves no test row is a usage error", async () => {
    const dir = await tempDir();
    const file = await writeText(dir, "d.csv", csvText(linearRows(4)));
    const { code, stderr } = await run([
      "fit",
      "--data",
      file,
      "--target",
      "y",
      "--features",
      "a,b",
      "--lambda",
      "1",
      "--test-fraction",
      "0.1",
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^wdecay: --test-fraction 0\.1: .*test set empty/);
  });
});

describe("wdecay fit runtime errors", () => {
  it("a bad CSV cell exits 1 with file:line:column in one line", async () => {
    const dir = await tempDir();
    const file = await writeText(dir, "bad.csv", "x1,x2,y\n1,2,3\n4,5,6\n7,,9\n");
    const { code, stdout, stderr } = await run([
      "fit",
      "--data",
      file,
      "--target",
      "y",
      "--lambda",
      "1",
    ]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      `wdecay: ${file}:4:2 (column "x2"): the cell is empty; missing values are not supported\n`,
    );
  });

  it("a missing target column exits 1 naming the file's header line", async () => {
    const dir = await tempDir();
    const file = await writeText(dir, "d.csv", csvText(linearRows(10)));
    const { code, stderr } = await run([
      "fit",
      "--data",
      file,
      "--target",
      "price",
      "--lambda",
      "1",
    ]);
    expect(code).toBe(1);
    expect(lines(stderr)).toHaveLength(1);
    expect(stderr).toMatch(
      new RegExp(
        `^wdecay: ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:1:1: no target column "price"`,
      ),
    );
  });

  it("prints a stack only with --debug", async () => {
    const dir = await tempDir();
    const file = await writeText(dir, "bad.csv", "x,y\n1,a\n");
    const plain = await run(["fit", "--data", file, "--target", "y", "--lambda", "1"]);
    expect(plain.stderr).not.toMatch(STACK_FRAME);
    const debug = await run(["--debug", "fit", "--data", file, "--target", "y", "--lambda", "1"]);
    expect(debug.code).toBe(1);
    expect(lines(debug.stderr)[0]).toContain(`${file}:2:2`);
    expect(debug.stderr).toMatch(STACK_FRAME);
  });
});

describe("wdecay fit --help", () => {
  it("describes the command with its defaults and examples, exit 0", async () => {
    const text = await commandHelp("fit");
    expect(text).toContain("Examples:");
    expect(text).toContain("--lambda-convention <name>");
    expect(text).toContain("sklearn-ridge");
    expect(text).toContain("(default: canonical)");
    expect(text).toContain("wdecay fit --lambda 60 --lambda-convention sklearn-ridge");
    expect(text).toContain("sgd (on a backend; proximal SGD for l1 and elastic)");
    expect(text).not.toContain("sgd (l2 only");
  });
});

describe("wdecay fit on the chapter's data: closed form against gradient descent", () => {
  it("agrees with --solver sgd run full-batch, to the conformance suite's tolerance", async () => {
    // The chapter's problem (d = 200 > n = 20, seed 42), λ = 3. Full-batch SGD is gradient
    // descent; the step size and the bound on its distance from the ridge solution after K
    // steps come from the conformance suite's derivation (remainder + rounding allowance).
    const lambda = 3;
    const epochs = 20_000;
    const data = syntheticSplit(42, CHAPTER);
    const descent = ridgeDescent(data.train, lambda, epochs, 42);
    const closed = await fitJson(["--solver", "closed", "--lambda", String(lambda)]);
    const sgd = await fitJson([
      "--solver",
      "sgd",
      "--lambda",
      String(lambda),
      "--batch-size",
      String(CHAPTER.nTrain),
      "--epochs",
      String(epochs),
      "--lr",
      String(descent.lr),
      "--backend",
      "cpu",
    ]);
    const star = ridgeClosedForm(data.train, lambda);
    // The CLI's closed form is core's, on the same data.
    expect(closed.weights).toEqual(Array.from(star.weights));
    const tol = descent.tolerance(star);
    expect(tol).toBeLessThan(1e-3 * Math.max(...star.weights.map(Math.abs)));
    expect(sgd.weights).toHaveLength(CHAPTER.dims);
    for (const [j, w] of closed.weights.entries()) {
      expect(Math.abs((sgd.weights[j] as number) - w)).toBeLessThanOrEqual(tol);
    }
    expect(Math.abs(sgd.bias - closed.bias)).toBeLessThanOrEqual(tol);
  });
});

describe("wdecay fit --exempt on a CSV", () => {
  it("leaves the named column out of the penalty (its weight shrinks less)", async () => {
    const dir = await tempDir();
    const file = await writeText(dir, "data.csv", csvText(linearRows(60, { noise: 0.5 })));
    const common = ["--data", file, "--target", "y", "--features", "a,b,c", "--solver", "sgd"];
    const common2 = [...common, "--lambda", "2", "--epochs", "200", "--lr", "0.05"];
    const plain = await fitJson(common2);
    const masked = await fitJson([...common2, "--exempt", "b"]);
    expect(masked.solver).toMatchObject({ exempt: ["b"] });
    const j = masked.featureNames.indexOf("b");
    expect(Math.abs(masked.weights[j] as number)).toBeGreaterThan(
      Math.abs(plain.weights[j] as number),
    );
  });
});

describe("wdecay fit --solver cd|prox: converged means a checked KKT test (issue 13, finding 4)", () => {
  /** g₀ = ‖Xcᵀyc‖_∞/n of the chapter's training set, computed here from the raw rows. */
  function g0(): number {
    const { train } = syntheticSplit(42, CHAPTER);
    const { X, y, n, d } = train;
    const ym = y.reduce((a, v) => a + v, 0) / n;
    let top = 0;
    for (let j = 0; j < d; j++) {
      let xm = 0;
      for (let i = 0; i < n; i++) xm += (X[i * d + j] as number) / n;
      let c = 0;
      for (let i = 0; i < n; i++) c += ((X[i * d + j] as number) - xm) * ((y[i] as number) - ym);
      top = Math.max(top, Math.abs(c / n));
    }
    return top;
  }

  it("the chapter's 20×200 ridge at λ = 1e-3: within the certified distance of the closed form", async () => {
    const cd = await fitJson(["--solver", "cd", "--lambda", "1e-3"]);
    const closed = await fitJson(["--lambda", "1e-3"]);
    const solver = cd.solver as {
      converged: boolean;
      kkt: number;
      tol: number;
      dualityGap: number;
    };
    expect(solver.converged).toBe(true);
    expect(solver.kkt).toBeLessThanOrEqual(solver.tol);
    // KKT residuals ≤ kkt·g₀ and J is λ-strongly convex in w (XcᵀXc/n is singular, d > n), so
    // ‖w − w*‖ ≤ √d·kkt·g₀/λ; the closed form's own error is ~κε ≪ that (κ ≤ trace/λ ≈ 2e5).
    const bound = (Math.sqrt(200) * solver.kkt * g0()) / 1e-3 + 1e-9;
    const dist = Math.hypot(...cd.weights.map((w, j) => w - (closed.weights[j] as number)));
    expect(dist).toBeLessThanOrEqual(bound);
  });

  it("says so, with the measure, when the budget runs out", async () => {
    const { code, stdout, stderr } = await run([
      "fit",
      "--solver",
      "cd",
      "--lambda",
      "1e-3",
      "--max-iter",
      "50",
      "--json",
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.solver).toMatchObject({ converged: false, iterations: 50, maxIter: 50 });
    expect(report.solver.kkt).toBeGreaterThan(1e-7);
    expect(stderr).toMatch(
      /did not converge in 50 iterations \(relative KKT residual .* > --tol 1e-7\)/,
    );
  });

  it.each([
    [["--tol", "1e-9"], "--tol"],
    [["--max-iter", "10"], "--max-iter"],
    [["--solver", "sgd", "--tol", "1e-9"], "--tol"],
    [["--solver", "cd", "--tol", "0"], "--tol"],
    [["--solver", "cd", "--max-iter", "0"], "--max-iter"],
  ])("%j exits 2 naming %s (only cd and prox iterate to a tolerance)", async (args, flag) => {
    expectUsageError(await run(["fit", "--lambda", "1", ...args]), flag);
  });
});

describe("wdecay fit --solver sgd that diverges (issue 13, finding 5)", () => {
  it("on the raw diabetes features: diverged, no support claimed, a hint, no model written", async () => {
    const data = join(import.meta.dirname, "fixtures", "reference", "diabetes.csv");
    const dir = await tempDir();
    const args = [
      "fit",
      "--solver",
      "sgd",
      "--data",
      data,
      "--target",
      "target",
      "--no-standardize",
    ];
    const json = await run([...args, "--lambda", "0.1", "--epochs", "20", "--json"]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.diverged).toBe(true);
    // It used to say "nonzeros": 10 of weights that were NaN.
    expect(report.nonzeros).toBeNull();
    const saved = await run([
      ...args,
      "--lambda",
      "0.1",
      "--epochs",
      "20",
      "--save",
      join(dir, "m.json"),
    ]);
    expect(saved.code).toBe(1);
    expect(saved.stderr).toMatch(
      /not writing --save file .*: the fit diverged; try a smaller --lr/,
    );
  });
});
