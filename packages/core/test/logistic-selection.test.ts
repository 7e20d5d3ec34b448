/**
 * Cross-validation of the logistic lasso against cv.glmnet's binomial family on the
 * breast-cancer data with a fixed fold assignment, each measure (deviance, misclassification,
 * AUC). Fixture: test/fixtures/reference/glmnet_binomial.R with Debian's r-cran-glmnet: cv.glmnet's
 * own summary, and the same summary of glmnet fits made directly on each fold ("direct"), which
 * cv.glmnet's fold predictions can stray from.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { csvDataset } from "../src/io/csv.js";
import { fitStandardizer, standardize } from "../src/io/standardize.js";
import { logisticElasticNet } from "../src/logistic.js";
import {
  type ClassificationMeasure,
  crossValidateLogistic,
  selectLogisticLambda,
} from "../src/logistic-selection.js";

const DIR = join(import.meta.dirname, "fixtures", "reference");
const table = csvDataset(readFileSync(join(DIR, "breast_cancer.csv"), "utf8"), {
  source: "breast_cancer.csv",
  target: "target",
});
const data = standardize(table.dataset, fitStandardizer(table.dataset));
const fixture = JSON.parse(readFileSync(join(DIR, "glmnet-binomial.json"), "utf8")) as {
  foldid: number[];
  cv: {
    measure: ClassificationMeasure;
    lambda: number[];
    cvm: number[];
    cvsd: number[];
    directCvm: number[];
    directCvsd: number[];
    lambdaMin: number;
    lambda1se: number;
  }[];
};

describe("crossValidateLogistic against cv.glmnet(family = 'binomial', foldid)", () => {
  // One set of fold fits serves every measure (cv.glmnet refits per call).
  const cv = crossValidateLogistic(data, {
    alpha: 1,
    method: { kind: "foldid", foldid: fixture.foldid },
    seed: 0,
  });
  for (const ref of fixture.cv) {
    it(`type.measure = "${ref.measure}": glmnet's grid, fold-weighted curve, λ_min and λ_1se`, () => {
      const sel = cv.select(ref.measure);
      expect(sel.converged).toBe(true);
      expect(sel.foldSizes).toEqual([114, 114, 114, 114, 113]);
      // The grid, descending in glmnet and ascending here.
      const lambdas = [...sel.lambdas].reverse();
      lambdas.forEach((l, k) =>
        expect(Math.abs(l / (ref.lambda[k] as number) - 1)).toBeLessThan(1e-12),
      );
      const curve = [...sel.curve].reverse();
      // Against glmnet's direct fold fits (thresh 1e-14, 5e-7 … 3e-5 from the exact minimizers):
      // deviance and AUC move by far less than that allows; misclassification counts agree.
      curve.forEach((p, k) => {
        const direct = ref.directCvm[k] as number;
        const tolerance = ref.measure === "class" ? 1e-12 : 1e-4 * Math.abs(direct);
        expect(Math.abs(p.mean - direct), `λ_${k}`).toBeLessThanOrEqual(tolerance);
      });
      expect(Math.abs(sel.lambdaMin / ref.lambdaMin - 1)).toBeLessThan(1e-12);
      expect(Math.abs(sel.lambda1se / ref.lambda1se - 1)).toBeLessThan(1e-12);
    });
  }
});

describe("selectLogisticLambda", () => {
  it("is crossValidateLogistic's select; its refit is the cold-started fit at the chosen λ", () => {
    const small = {
      ...data,
      n: 200,
      X: data.X.subarray(0, 200 * data.d),
      y: data.y.subarray(0, 200),
    };
    const options = {
      alpha: 0.5,
      method: { kind: "kfold", folds: 4 } as const,
      seed: 3,
      nLambda: 12,
    };
    const sel = selectLogisticLambda(small, { ...options, rule: "1se" });
    const again = crossValidateLogistic(small, options).select("deviance", "1se");
    expect(sel.curve).toEqual(again.curve);
    expect(sel.chosen).toBe(sel.lambda1se);
    expect(sel.lambda1se).toBeGreaterThanOrEqual(sel.lambdaMin);
    // Warm-started down the path against a cold start at the same λ: both meet the KKT test
    // at 1e-10·g₀ on a strongly convex problem (λ(1 − α) > 0), so they agree to ~1e-9.
    const cold = logisticElasticNet(small, { lambda: sel.chosen, alpha: 0.5 });
    const top = Math.max(...Array.from(cold.weights, Math.abs));
    sel.model.weights.forEach((w, j) => {
      expect(Math.abs(w - (cold.weights[j] as number))).toBeLessThanOrEqual(1e-7 * top);
    });
  });
});

describe("crossValidateLogistic with standardize (glmnet's standardize = TRUE, per training part)", () => {
  it("does not depend on the units of a column, as unstandardized fits do", () => {
    const raw = table.dataset;
    const n = 240;
    const d = raw.d;
    const X = Float64Array.from(raw.X.subarray(0, n * d));
    const y = raw.y.subarray(0, n);
    const rescaled = Float64Array.from(X);
    for (let i = 0; i < n; i++) rescaled[i * d] = (rescaled[i * d] as number) * 1000;
    const options = {
      alpha: 1,
      method: { kind: "kfold", folds: 4 } as const,
      seed: 1,
      nLambda: 15,
      // To λ_max/200, past the curve's minimum (λ ≈ 0.004): glmnet's default ratio for n > d
      // (1e-4) reaches λ where the data are nearly separated, which takes 30× as long to fit
      // and adds nothing to a check of units.
      lambdaMinRatio: 0.005,
    };
    const a = crossValidateLogistic({ X, y, n, d }, { ...options, standardize: true }).select();
    const b = crossValidateLogistic(
      { X: rescaled, y, n, d },
      { ...options, standardize: true },
    ).select();
    // Standardization divides the 1000 out (to rounding of the column's mean and sd).
    a.curve.forEach((p, k) => {
      expect(Math.abs(p.mean - (b.curve[k] as typeof p).mean)).toBeLessThanOrEqual(1e-8 * p.mean);
    });
    expect(b.lambdaMin).toBe(a.lambdaMin);
    // The first weight is reported in the rescaled column's units: 1000 times smaller.
    expect(
      Math.abs((b.model.weights[0] as number) * 1000 - (a.model.weights[0] as number)),
    ).toBeLessThanOrEqual(1e-7 * Math.max(...Array.from(a.model.weights, Math.abs)));
  });
});
