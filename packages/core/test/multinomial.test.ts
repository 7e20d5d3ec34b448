/**
 * softmaxElasticNet (glmnet's multinomial family with α > 0) against glmnet 4.1.6 on the wine
 * data (fixture: test/fixtures/reference/glmnet_multinomial.R, standardize = FALSE on features
 * standardized by the generator): the same zero set and the same weights to glmnet's
 * convergence; the optimality conditions of the published objective, checked here from scratch;
 * and at α = 0 the Newton solver's answer.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { csvDataset } from "../src/io/csv.js";
import { fitStandardizer, standardize } from "../src/io/standardize.js";
import { softmaxRegression } from "../src/logistic.js";
import { softmaxElasticNet } from "../src/multinomial.js";

const DIR = join(import.meta.dirname, "fixtures", "reference");
const table = csvDataset(readFileSync(join(DIR, "wine.csv"), "utf8"), {
  source: "wine.csv",
  target: "class",
});
const wine = standardize(table.dataset, fitStandardizer(table.dataset));
const fixture = JSON.parse(readFileSync(join(DIR, "glmnet-multinomial.json"), "utf8")) as {
  elastic: { alpha: number; lambda: number; weights: number[]; intercepts: number[] }[];
};
const K = 3;

/**
 * The largest violation of the KKT conditions of J (module comment of multinomial.ts) at
 * (B, b), from the float64 gradient of the mean log-loss: |∂/∂b_k| = 0, and for each weight
 * c_jk = −∂loss/∂β_jk must equal l2·β + l1·sign(β) where β ≠ 0 and lie within ±l1 where β = 0.
 */
function kktViolation(B: ArrayLike<number>, b: ArrayLike<number>, lambda: number, alpha: number) {
  const { X, y, n, d } = wine;
  const residual = new Float64Array(n * K); // y_ik − p_ik
  for (let i = 0; i < n; i++) {
    const s = Array.from({ length: K }, (_, k) => {
      let v = b[k] as number;
      for (let j = 0; j < d; j++) v += (X[i * d + j] as number) * (B[k * d + j] as number);
      return v;
    });
    const m = Math.max(...s);
    const e = s.map((v) => Math.exp(v - m));
    const sum = e.reduce((a, v) => a + v, 0);
    for (let k = 0; k < K; k++) residual[i * K + k] = (y[i] === k ? 1 : 0) - (e[k] as number) / sum;
  }
  let worst = 0;
  for (let k = 0; k < K; k++) {
    let rb = 0;
    for (let i = 0; i < n; i++) rb += (residual[i * K + k] as number) / n;
    worst = Math.max(worst, Math.abs(rb));
    for (let j = 0; j < d; j++) {
      let c = 0;
      for (let i = 0; i < n; i++)
        c += ((X[i * d + j] as number) * (residual[i * K + k] as number)) / n;
      const w = B[k * d + j] as number;
      const v =
        w === 0
          ? Math.max(0, Math.abs(c) - lambda * alpha)
          : Math.abs(c - lambda * (1 - alpha) * w - lambda * alpha * Math.sign(w));
      worst = Math.max(worst, v);
    }
  }
  return worst;
}

describe("softmaxElasticNet against glmnet(family = 'multinomial')", () => {
  for (const ref of fixture.elastic) {
    it(`α = ${ref.alpha}, λ = ${ref.lambda}: glmnet's zero set, its weights, and the KKT conditions`, () => {
      const fit = softmaxElasticNet(wine, { lambda: ref.lambda, alpha: ref.alpha });
      expect(fit.converged).toBe(true);
      expect(Array.from(fit.weights, (w) => w !== 0)).toEqual(ref.weights.map((w) => w !== 0));
      const top = Math.max(...ref.weights.map(Math.abs));
      // glmnet at thresh 1e-14 stops within ~1e-6 of the minimizer; a wrong λ or α scale moves
      // the weights by far more.
      fit.weights.forEach((w, i) =>
        expect(Math.abs(w - (ref.weights[i] as number)), `w[${i}]`).toBeLessThanOrEqual(1e-5 * top),
      );
      const mean = (v: ArrayLike<number>) => Array.from(v).reduce((a, c) => a + c, 0) / v.length;
      const shift = mean(ref.intercepts);
      fit.biases.forEach((c, k) =>
        expect(Math.abs(c - ((ref.intercepts[k] as number) - shift))).toBeLessThanOrEqual(
          1e-5 * top,
        ),
      );
      expect(Math.abs(fit.biases.reduce((a, c) => a + c, 0))).toBeLessThan(1e-12);
      // g₀ ≈ 0.39 here; the solver stops at a KKT residual of 1e-10·g₀.
      expect(kktViolation(fit.weights, fit.biases, ref.lambda, ref.alpha)).toBeLessThan(1e-9);
    });
  }

  it("at α = 0 is the Newton solver's weight decay", () => {
    const lambda = 0.02;
    const cd = softmaxElasticNet(wine, { lambda, alpha: 0 });
    const newton = softmaxRegression(wine, { lambda });
    const top = Math.max(...Array.from(newton.weights, Math.abs));
    cd.weights.forEach((w, i) =>
      expect(Math.abs(w - (newton.weights[i] as number))).toBeLessThanOrEqual(1e-8 * top),
    );
  });

  it("refuses bad input with one-line reasons", () => {
    expect(() => softmaxElasticNet(wine, { lambda: -1, alpha: 1 })).toThrow(/lambda/);
    expect(() => softmaxElasticNet(wine, { lambda: 1, alpha: 2 })).toThrow(/alpha/);
    const bad = { ...wine, y: Float64Array.from(wine.y, (v, i) => (i === 0 ? 0.5 : v)) };
    expect(() => softmaxElasticNet(bad, { lambda: 1, alpha: 1 })).toThrow(/class indices/);
  });
});
