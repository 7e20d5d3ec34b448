/**
 * Softmax regression with weight decay against glmnet's multinomial family at α = 0 on the wine
 * data: its fits at three λ (the same minimizer: glmnet's multinomial λ is core's canonical λ),
 * and cv.glmnet with a fixed fold assignment by deviance and misclassification. Fixture:
 * test/fixtures/reference/glmnet_multinomial.R with Debian's r-cran-glmnet: cv.glmnet's own
 * summary, and the same summary of glmnet fits made directly on each fold ("direct"), which
 * cv.glmnet's fold predictions stray from (by up to 0.008 in deviance here).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { csvDataset } from "../src/io/csv.js";
import { fitStandardizer, standardize } from "../src/io/standardize.js";
import { multinomialGrid, softmaxRegression } from "../src/logistic.js";
import { crossValidateSoftmax } from "../src/logistic-selection.js";

const DIR = join(import.meta.dirname, "fixtures", "reference");
const table = csvDataset(readFileSync(join(DIR, "wine.csv"), "utf8"), {
  source: "wine.csv",
  target: "class",
});
const wine = standardize(table.dataset, fitStandardizer(table.dataset));
const fixture = JSON.parse(readFileSync(join(DIR, "glmnet-multinomial.json"), "utf8")) as {
  classes: number;
  foldid: number[];
  fits: { lambda: number; weights: number[]; intercepts: number[] }[];
  cv: {
    alpha: number;
    measure: "deviance" | "class";
    lambda: number[];
    cvm: number[];
    directCvm: number[];
    lambdaMin: number;
    lambda1se: number;
  }[];
};

describe("softmaxRegression against glmnet(family = 'multinomial', alpha = 0)", () => {
  for (const ref of fixture.fits) {
    it(`λ = ${ref.lambda}: the same weights (to glmnet's convergence), probabilities alike`, () => {
      const fit = softmaxRegression(wine, { lambda: ref.lambda });
      const top = Math.max(...ref.weights.map(Math.abs));
      // glmnet at thresh 1e-14 stops within ~1e-6 of the exact ridge minimizer (Newton here is
      // at a relative gradient of 1e-12); a wrong λ scale moves weights by a whole factor.
      fit.weights.forEach((w, i) =>
        expect(Math.abs(w - (ref.weights[i] as number)), `w[${i}]`).toBeLessThanOrEqual(1e-5 * top),
      );
      // Intercepts are defined up to a common shift: compare them centred.
      const mean = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0) / v.length;
      const [a, b] = [mean(fit.biases), mean(ref.intercepts)];
      fit.biases.forEach((c, k) =>
        expect(Math.abs(c - a - ((ref.intercepts[k] as number) - b))).toBeLessThanOrEqual(
          1e-5 * top,
        ),
      );
    });
  }
});

describe("crossValidateSoftmax against cv.glmnet(family = 'multinomial', alpha = 0, foldid)", () => {
  const cv = crossValidateSoftmax(wine, {
    method: { kind: "foldid", foldid: fixture.foldid },
    seed: 0,
  });
  it("takes glmnet's multinomial grid at α = 0", () => {
    const grid = multinomialGrid(wine, { alpha: 0, classes: 3 }).lambdas;
    const ref = fixture.cv.find((c) => c.alpha === 0)?.lambda as number[];
    expect(grid).toHaveLength(ref.length);
    grid.forEach((l, k) => expect(Math.abs(l / (ref[k] as number) - 1)).toBeLessThan(1e-12));
    expect(cv.lambdas).toEqual([...grid].reverse());
  });
  for (const ref of fixture.cv.filter((c) => c.alpha === 0)) {
    it(`type.measure = "${ref.measure}": fold-weighted curve, λ_min and λ_1se`, () => {
      const sel = cv.select(ref.measure);
      expect(sel.converged).toBe(true);
      expect(sel.foldSizes).toEqual([36, 36, 36, 35, 35]);
      const curve = [...sel.curve].reverse();
      // Against glmnet's direct fold fits: deviance within what glmnet's stopping leaves
      // (≈1e-6 relative in the weights); misclassification counts exactly.
      curve.forEach((p, k) => {
        const direct = ref.directCvm[k] as number;
        const tolerance = ref.measure === "class" ? 1e-12 : 1e-4 * Math.abs(direct);
        expect(Math.abs(p.mean - direct), `λ_${k}`).toBeLessThanOrEqual(tolerance);
      });
      expect(Math.abs(sel.lambdaMin / ref.lambdaMin - 1)).toBeLessThan(1e-12);
      expect(Math.abs(sel.lambda1se / ref.lambda1se - 1)).toBeLessThan(1e-12);
      // The refit is the exact fit on all rows at the chosen λ.
      const exact = softmaxRegression(wine, { lambda: sel.chosen });
      expect(Array.from(sel.model.weights)).toEqual(Array.from(exact.weights));
    });
  }
  it("refuses the AUC (two classes only)", () => {
    expect(() => cv.select("auc")).toThrow(/two classes/);
  });
});

describe("crossValidateSoftmax at α = 1 against cv.glmnet(family = 'multinomial', alpha = 1, foldid)", () => {
  const ref0 = fixture.cv.find((c) => c.alpha === 1) as (typeof fixture.cv)[number];
  // glmnet's path stops early (88 of 100 λ, its deviance-ratio rule): its λ are given here.
  const cv = crossValidateSoftmax(wine, {
    alpha: 1,
    lambdas: ref0.lambda,
    method: { kind: "foldid", foldid: fixture.foldid },
    seed: 0,
  });
  for (const ref of fixture.cv.filter((c) => c.alpha === 1)) {
    it(`type.measure = "${ref.measure}": the curve of glmnet's direct fold fits, λ_min and λ_1se`, () => {
      const sel = cv.select(ref.measure);
      expect(sel.converged).toBe(true);
      const curve = [...sel.curve].reverse();
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
