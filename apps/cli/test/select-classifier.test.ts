/**
 * `wdecay select --model logistic` against cv.glmnet's binomial family (fixture and generator in
 * packages/core/test/fixtures/reference, Debian's r-cran-glmnet): the breast-cancer features
 * standardized once, as the fixture's generator gives them to glmnet, and its fold assignment.
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

/** The breast-cancer CSV with every feature standardized (divisor n), and a fold column. */
function standardizedCsv(): string {
  const lines = readFileSync(join(DIR, "breast_cancer.csv"), "utf8").trimEnd().split("\n");
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
    ...rows.map((r, i) => [...r.map(String), String(fixture.foldid[i])].join(",")),
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
