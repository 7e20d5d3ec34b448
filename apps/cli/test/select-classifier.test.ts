/**
 * `wdecay select --model logistic|softmax` against cv.glmnet's binomial and multinomial families
 * (fixtures and generators in packages/core/test/fixtures/reference, Debian's r-cran-glmnet):
 * the breast-cancer and wine features standardized once, as the generators give them to
 * glmnet, and their fold assignments.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeText } from "./data-fixtures.js";
import { expectUsageError, run, runJson, tempDir } from "./helpers.js";

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
const fixture = JSON.parse(readFileSync(join(DIR, "glmnet-binomial.json"), "utf8"));
const multinomial = JSON.parse(readFileSync(join(DIR, "glmnet-multinomial.json"), "utf8"));

/**
 * A reference CSV (its target last) with every feature standardized (divisor n), and a fold
 * column from its fixture.
 */
function standardizedCsv(name = "breast_cancer.csv", foldid: number[] = fixture.foldid): string {
  const lines = readFileSync(join(DIR, name), "utf8").trimEnd().split("\n");
  const header = (lines[0] as string).split(",");
  const rows = lines.slice(1).map((l) => l.split(",").map(Number));
  const d = header.length - 1;
  for (let j = 0; j < d; j++) {
    const col = rows.map((r) => r[j] as number);
    const mean = col.reduce((a, v) => a + v, 0) / col.length;
    const sd = Math.sqrt(col.reduce((a, v) => a + (v - mean) ** 2, 0) / col.length);
    for (const r of rows) r[j] = ((r[j] as number) - mean) / sd;
  }
  return [
    [...header, "fold"].join(","),
    ...rows.map((r, i) => [...r.map(String), String(foldid[i])].join(",")),
  ].join("\n");
}

describe("wdecay select --model logistic", () => {
  it("--foldid --measure auc reproduces cv.glmnet's λ_min and λ_1se, grid and fold weighting", async () => {
    const file = await writeText(await tempDir(), "cancer.csv", `${standardizedCsv()}\n`);
    const ref = fixture.cv.find((c: { measure: string }) => c.measure === "auc");
    const report = await runJson("select", [
      "--model",
      "logistic",
      "--data",
      file,
      "--target",
      "target",
      "--foldid",
      "fold",
      "--penalty",
      "l1",
      "--measure",
      "auc",
      "--no-standardize",
    ]);
    expect(report).toMatchObject({
      model: "logistic",
      measure: "auc",
      foldSizes: [114, 114, 114, 114, 113],
    });
    expect(report.featureNames).not.toContain("fold");
    const lambdas = report.curve.map((p: { lambda: number }) => p.lambda).reverse();
    lambdas.forEach((l: number, k: number) =>
      expect(Math.abs(l / ref.lambda[k] - 1)).toBeLessThan(1e-12),
    );
    expect(Math.abs(report.lambdaMin / ref.lambdaMin - 1)).toBeLessThan(1e-12);
    expect(Math.abs(report.lambda1se / ref.lambda1se - 1)).toBeLessThan(1e-12);
    // 5 folds × glmnet's 100-λ binomial path and the refit: about 10 s alone, several times that
    // beside the rest of the suite on 2 cores.
  }, 180_000);

  it.each([
    [
      ["--model", "logistic", "--folds", "5", "--lambda-convention", "sklearn-ridge"],
      "--lambda-convention",
    ],
    [["--folds", "5", "--measure", "auc"], "--measure"],
    [["--model", "logistic", "--folds", "5", "--measure", "r2"], "--measure"],
    [["--model", "probit", "--folds", "5"], "--model"],
  ])("%j exits 2 naming %s", async (args, flag) => {
    expectUsageError(
      await run([
        "select",
        ...args,
        "--data",
        join(DIR, "breast_cancer.csv"),
        "--target",
        "target",
      ]),
      flag,
    );
  });
});

describe("wdecay select --model softmax", () => {
  it.each([
    [0, "deviance"],
    [0, "class"],
    [1, "deviance"],
    [1, "class"],
  ])(
    "α = %d, --foldid --measure %s reproduces cv.glmnet's multinomial λ_min and λ_1se",
    async (alpha, measure) => {
      const csv = standardizedCsv("wine.csv", multinomial.foldid);
      const file = await writeText(await tempDir(), "wine.csv", `${csv}\n`);
      const ref = multinomial.cv.find(
        (c: { measure: string; alpha: number }) => c.measure === measure && c.alpha === alpha,
      );
      // α = 1: glmnet's path stopped at 88 of its 100 λ; that grid is given.
      const penalty = alpha === 0 ? [] : ["--penalty", "l1", "--lambdas", ref.lambda.join(",")];
      const report = await runJson("select", [
        ...penalty,
        "--model",
        "softmax",
        "--data",
        file,
        "--target",
        "class",
        "--foldid",
        "fold",
        "--measure",
        measure,
        "--no-standardize",
      ]);
      expect(report).toMatchObject({ model: "softmax", measure, classes: 3 });
      expect(report.foldSizes).toEqual([36, 36, 36, 35, 35]);
      expect(report.weights).toHaveLength(3);
      const lambdas = report.curve.map((p: { lambda: number }) => p.lambda).reverse();
      expect(lambdas).toHaveLength(ref.lambda.length);
      lambdas.forEach((l: number, k: number) =>
        expect(Math.abs(l / ref.lambda[k] - 1)).toBeLessThan(1e-12),
      );
      expect(Math.abs(report.lambdaMin / ref.lambdaMin - 1)).toBeLessThan(1e-12);
      expect(Math.abs(report.lambda1se / ref.lambda1se - 1)).toBeLessThan(1e-12);
    },
    60_000,
  );

  it.each([
    [["--measure", "auc"], "--measure"],
    [["--lambda-convention", "glmnet-binomial"], "--lambda-convention"],
  ])("%j exits 2 naming %s", async (args, flag) => {
    expectUsageError(
      await run([
        "select",
        "--model",
        "softmax",
        "--folds",
        "5",
        ...args,
        "--data",
        join(DIR, "wine.csv"),
        "--target",
        "class",
      ]),
      flag,
    );
  });
});
