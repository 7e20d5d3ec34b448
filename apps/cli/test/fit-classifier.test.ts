/**
 * `wdecay fit --model logistic|softmax` against scikit-learn and glmnet, through the command
 * line, on the real data sets and fixtures core's tests use (packages/core/test/fixtures/reference,
 * written by the generators there with Debian's python3-sklearn and r-cran-glmnet).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeText } from "./data-fixtures.js";
import { expectOneLineError, expectUsageError, run, runJson, tempDir } from "./helpers.js";

const DIR = join(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "packages",
  "core",
  "test",
  "fixtures",
  "reference",
);
const CANCER = join(DIR, "breast_cancer.csv");
const WINE = join(DIR, "wine.csv");
const fixture = (name: string) => JSON.parse(readFileSync(join(DIR, name), "utf8"));

/** Population standard deviations of the feature columns of a fixture CSV (StandardScaler's). */
function columnSds(file: string): number[] {
  const rows = readFileSync(file, "utf8")
    .trimEnd()
    .split("\n")
    .slice(1)
    .map((l) => l.split(",").map(Number));
  const d = (rows[0] as number[]).length - 1;
  return Array.from({ length: d }, (_, j) => {
    const col = rows.map((r) => r[j] as number);
    const mean = col.reduce((a, v) => a + v, 0) / col.length;
    return Math.sqrt(col.reduce((a, v) => a + (v - mean) ** 2, 0) / col.length);
  });
}

function relative(got: number[], want: number[]): number {
  const top = Math.max(...want.map(Math.abs));
  return Math.max(...want.map((w, j) => Math.abs((got[j] as number) - w))) / top;
}

describe("wdecay fit --model logistic", () => {
  const sds = columnSds(CANCER);

  it("--C is scikit-learn's LogisticRegression(C) on standardized features, to 1e-6", async () => {
    const sklearn = fixture("sklearn-logistic.json");
    for (const ref of sklearn.fits as { C: number; coef: number[] }[]) {
      const report = await runJson("fit", [
        "--model",
        "logistic",
        "--data",
        CANCER,
        "--target",
        "target",
        "--C",
        String(ref.C),
        "--standardize",
      ]);
      expect(report.solver).toMatchObject({ name: "newton", converged: true });
      // Weights are reported on the original scale: × σ gives the standardized ones sklearn fit.
      const standardized = (report.weights[0] as number[]).map((w, j) => w * (sds[j] as number));
      expect(relative(standardized, ref.coef)).toBeLessThanOrEqual(1e-6);
    }
  });

  it("--lambda-convention glmnet --penalty l1|elastic is glmnet's binomial fit (standardize = TRUE), to 1e-8", async () => {
    const glmnet = fixture("glmnet-binomial.json");
    for (const ref of glmnet.fits as { alpha: number; lambda: number; exact: number[] }[]) {
      const penalty =
        ref.alpha === 1
          ? ["--penalty", "l1"]
          : ["--penalty", "elastic", "--alpha", String(ref.alpha)];
      const report = await runJson("fit", [
        "--model",
        "logistic",
        "--data",
        CANCER,
        "--target",
        "target",
        ...penalty,
        "--lambda",
        String(ref.lambda),
        "--lambda-convention",
        "glmnet",
      ]);
      expect(report.data.standardized).toBe(true);
      expect(report.solver).toMatchObject({ name: "irls-cd", converged: true });
      const standardized = (report.weights[0] as number[]).map((w, j) => w * (sds[j] as number));
      expect(relative(standardized, ref.exact)).toBeLessThanOrEqual(1e-8);
      expect(standardized.map((w) => w !== 0)).toEqual(ref.exact.map((w) => w !== 0));
    }
  });

  it("reports accuracy and mean log-loss, on a test split too", async () => {
    const report = await runJson("fit", [
      "--model",
      "logistic",
      "--data",
      CANCER,
      "--target",
      "target",
      "--lambda",
      "0.01",
      "--test-fraction",
      "0.25",
    ]);
    expect(report.accuracy.train).toBeGreaterThan(0.9);
    expect(report.accuracy.test).toBeGreaterThan(0.9);
    expect(report.logLoss.test).toBeGreaterThan(report.logLoss.train);
    expect(report.data).toMatchObject({ nTrain: 427, nTest: 142 });
  });
});

describe("wdecay fit --model softmax", () => {
  it("--C is LogisticRegression(C, multi_class='multinomial') on the wine data, to 1e-6", async () => {
    const sds = columnSds(WINE);
    const sklearn = fixture("sklearn-softmax.json");
    for (const ref of sklearn.fits as { C: number; coef: number[][] }[]) {
      const report = await runJson("fit", [
        "--model",
        "softmax",
        "--data",
        WINE,
        "--target",
        "class",
        "--C",
        String(ref.C),
        "--standardize",
      ]);
      expect(report.classes).toBe(3);
      const got = (report.weights as number[][]).flatMap((w) =>
        w.map((v, j) => v * (sds[j] as number)),
      );
      expect(relative(got, ref.coef.flat())).toBeLessThanOrEqual(1e-6);
    }
  });
});

describe("wdecay fit --model softmax --penalty l1|elastic", () => {
  it("is glmnet's multinomial family: its zero set and weights on the wine data", async () => {
    const sds = columnSds(WINE);
    const glmnet = fixture("glmnet-multinomial.json");
    for (const ref of glmnet.elastic as { alpha: number; lambda: number; weights: number[] }[]) {
      const report = await runJson("fit", [
        "--model",
        "softmax",
        "--data",
        WINE,
        "--target",
        "class",
        "--lambda",
        String(ref.lambda),
        "--lambda-convention",
        "glmnet-multinomial",
        ...(ref.alpha === 1 ? ["--penalty", "l1"] : ["--penalty", "elastic", "--alpha", "0.5"]),
      ]);
      expect(report.solver.converged).toBe(true);
      const got = (report.weights as number[][]).flatMap((w) =>
        w.map((v, j) => v * (sds[j] as number)),
      );
      expect(got.map((v) => v !== 0)).toEqual(ref.weights.map((v) => v !== 0));
      // glmnet at thresh 1e-14 stops within ~1e-6 of the minimizer (see core's multinomial test).
      expect(relative(got, ref.weights)).toBeLessThanOrEqual(1e-5);
    }
  });
});

describe("wdecay fit --model: usage and data errors", () => {
  it.each([
    [["--model", "logistic", "--lambda", "1"], "--data"],
    [["--model", "logistic", "--data", CANCER, "--target", "target"], "--lambda"],
    [
      ["--model", "logistic", "--data", CANCER, "--target", "target", "--lambda", "1", "--C", "1"],
      "--C",
    ],
    [
      [
        "--model",
        "logistic",
        "--data",
        CANCER,
        "--target",
        "target",
        "--lambda",
        "1",
        "--solver",
        "cd",
      ],
      "--solver",
    ],
    [
      [
        "--model",
        "logistic",
        "--data",
        CANCER,
        "--target",
        "target",
        "--lambda",
        "1",
        "--save",
        "m.json",
      ],
      "--save",
    ],
    [
      [
        "--model",
        "logistic",
        "--data",
        CANCER,
        "--target",
        "target",
        "--lambda",
        "1",
        "--lambda-convention",
        "sklearn-ridge",
      ],
      "--lambda-convention",
    ],
    [["--model", "tree", "--lambda", "1"], "--model"],
    [["--lambda", "1", "--C", "1"], "--C"],
  ])("%j exits 2 naming %s", async (args, flag) => {
    expectUsageError(await run(["fit", ...args]), flag);
  });

  it("a target that is not 0/1 is a runtime error naming the file and row", async () => {
    const file = await writeText(await tempDir(), "bad.csv", "x,y\n1,0\n2,1\n3,2\n");
    expectOneLineError(
      await run(["fit", "--model", "logistic", "--data", file, "--target", "y", "--lambda", "1"]),
      1,
      /bad\.csv": the target of data row 3 is 2; --model logistic needs 0 or 1/,
    );
  });
});

describe("the classifiers' λ conventions", () => {
  it("--lambda-convention sklearn-logistic takes --lambda as C: the same fit as --C", async () => {
    const args = ["--model", "logistic", "--data", CANCER, "--target", "target"];
    const viaC = await runJson("fit", [...args, "--C", "0.5"]);
    const viaConvention = await runJson("fit", [
      ...args,
      "--lambda",
      "0.5",
      "--lambda-convention",
      "sklearn-logistic",
    ]);
    // λ = 1/(n·C) on the 569 rows either way.
    expect(viaC.lambda).toBe(1 / (569 * 0.5));
    expect(viaConvention.lambda).toBe(viaC.lambda);
    expect(viaConvention.weights).toEqual(viaC.weights);
  });

  it("glmnet's binomial family is canonical for logistic, the multinomial one for softmax", async () => {
    const canonical = await runJson("fit", [
      "--model",
      "logistic",
      "--data",
      CANCER,
      "--target",
      "target",
      "--lambda",
      "0.01",
    ]);
    const glmnet = await runJson("fit", [
      "--model",
      "logistic",
      "--data",
      CANCER,
      "--target",
      "target",
      "--lambda",
      "0.01",
      "--lambda-convention",
      "glmnet-binomial",
    ]);
    expect(glmnet.weights).toEqual(canonical.weights);
  });

  it.each([
    [
      [
        "fit",
        "--model",
        "softmax",
        "--data",
        "w.csv",
        "--target",
        "c",
        "--lambda",
        "1",
        "--lambda-convention",
        "glmnet-binomial",
      ],
      "glmnet-multinomial",
    ],
    [
      [
        "fit",
        "--model",
        "logistic",
        "--data",
        "w.csv",
        "--target",
        "c",
        "--lambda",
        "1",
        "--lambda-convention",
        "pytorch",
      ],
      "--lambda-convention pytorch",
    ],
    [
      ["fit", "--lambda", "1", "--lambda-convention", "sklearn-logistic"],
      "--model logistic|softmax",
    ],
    [["path", "--lambda-convention", "glmnet-binomial"], "a classifier's"],
    [["select", "--folds", "3", "--lambda-convention", "glmnet-multinomial"], "a classifier's"],
  ])("%j is a usage error naming %s", async (args, text) => {
    expectUsageError(await run(args), text);
  });
});
