/**
 * Binary logistic regression against scikit-learn's LogisticRegression(C) on a real data set
 * (breast cancer, 569 × 30, standardized as scikit-learn's guide does), fixtures written by
 * test/fixtures/reference/sklearn_logistic.py with Debian's python3-sklearn: the library's
 * answer (newton-cg, tol 1e-12) and the same minimizer polished by three numpy Newton steps on
 * the published objective (gradient ≤ 3e-14).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Dataset } from "../src/data.js";
import { csvDataset } from "../src/io/csv.js";
import { fitStandardizer, standardize } from "../src/io/standardize.js";
import {
  lambdaFromLogisticC,
  logisticElasticNet,
  logisticObjective,
  logisticPath,
  logisticRegression,
  softmaxRegression,
} from "../src/logistic.js";
import { Rng } from "../src/random.js";

const DIR = join(import.meta.dirname, "fixtures", "reference");
const fixture = JSON.parse(readFileSync(join(DIR, "sklearn-logistic.json"), "utf8")) as {
  n: number;
  fits: {
    C: number;
    coef: number[];
    intercept: number;
    polished: number[];
    polishedIntercept: number;
  }[];
};
const table = csvDataset(readFileSync(join(DIR, "breast_cancer.csv"), "utf8"), {
  source: "breast_cancer.csv",
  target: "target",
});
// StandardScaler: mean 0 and divisor-n standard deviation 1, as core's standardizer.
const data = standardize(table.dataset, fitStandardizer(table.dataset));

/** ‖∇J‖_∞ at (w, b), computed here on the rows (p = 1/(1 + e^{−z})). */
function gradientAt(w: ArrayLike<number>, b: number, lambda: number): number {
  const { X, y, n, d } = data;
  const g = new Float64Array(d + 1);
  for (let i = 0; i < n; i++) {
    let z = b;
    for (let j = 0; j < d; j++) z += (X[i * d + j] as number) * (w[j] as number);
    const r = 1 / (1 + Math.exp(-z)) - (y[i] as number);
    for (let j = 0; j < d; j++) g[j] = (g[j] as number) + (r * (X[i * d + j] as number)) / n;
    g[d] = (g[d] as number) + r / n;
  }
  let top = 0;
  for (let j = 0; j <= d; j++) {
    top = Math.max(top, Math.abs((g[j] as number) + (j < d ? lambda * (w[j] as number) : 0)));
  }
  return top;
}

function relative(weights: ArrayLike<number>, reference: readonly number[]): number {
  let diff = 0;
  let top = 0;
  for (let j = 0; j < reference.length; j++) {
    diff = Math.max(diff, Math.abs((weights[j] as number) - (reference[j] as number)));
    top = Math.max(top, Math.abs(reference[j] as number));
  }
  return diff / top;
}

describe("logisticRegression against scikit-learn's LogisticRegression(C)", () => {
  for (const ref of fixture.fits) {
    it(`C = ${ref.C}: λ = 1/(C·n); the polished minimizer to 1e-9, scikit-learn's answer to 1e-6`, () => {
      const lambda = lambdaFromLogisticC(ref.C, data.n);
      const fit = logisticRegression(data, { lambda });
      expect(fit.converged).toBe(true);
      expect(fit.gradientNorm).toBeLessThanOrEqual(1e-12);
      // J is λ-strongly convex in w (and convex in b), so two points whose gradients are g₁
      // and g₂ lie within √m·(‖g₁‖_∞ + ‖g₂‖_∞)/λ of each other in the weights; the polished
      // point's gradient (scikit-learn's scale, C·n times J's) is ≤ 3.3e-14.
      const ours = gradientAt(fit.weights, fit.bias, lambda);
      const bound = (Math.sqrt(31) * (ours + 3.3e-14 / (ref.C * data.n))) / lambda;
      const top = Math.max(...ref.polished.map(Math.abs));
      expect(relative(fit.weights, ref.polished) * top).toBeLessThanOrEqual(bound);
      expect(relative(fit.weights, ref.polished)).toBeLessThanOrEqual(1e-9);
      // The bar: scikit-learn's own answer (its tol) to 1e-6.
      expect(relative(fit.weights, ref.coef)).toBeLessThanOrEqual(1e-6);
      // And no better point nearby: J at the fit is below J at scikit-learn's answer.
      const atFit = logisticObjective(data, fit, lambda);
      const theirs = logisticObjective(
        data,
        { weights: Float64Array.from(ref.coef), bias: ref.intercept },
        lambda,
      );
      expect(atFit).toBeLessThanOrEqual(theirs + 1e-15 * Math.abs(theirs));
    });
  }
});

describe("logisticRegression's edges", () => {
  /** Two separable points per class on one feature. */
  const separable: Dataset = {
    X: Float64Array.of(-2, -1, 1, 2),
    y: Float64Array.of(0, 0, 1, 1),
    n: 4,
    d: 1,
  };

  it("λ > 0 on separable data has a finite minimizer, and its gradient vanishes there", () => {
    const fit = logisticRegression(separable, { lambda: 0.1 });
    expect(fit.converged).toBe(true);
    // Stationarity by hand: (1/n)Σ x(p − y) + λw = 0 and (1/n)Σ(p − y) = 0.
    let gw = 0;
    let gb = 0;
    for (let i = 0; i < 4; i++) {
      const x = separable.X[i] as number;
      const p = 1 / (1 + Math.exp(-((fit.weights[0] as number) * x + fit.bias)));
      gw += (x * (p - (separable.y[i] as number))) / 4;
      gb += (p - (separable.y[i] as number)) / 4;
    }
    expect(Math.abs(gw + 0.1 * (fit.weights[0] as number))).toBeLessThan(1e-12);
    expect(Math.abs(gb)).toBeLessThan(1e-12);
  });

  it("λ = 0 on separable data is refused: there is no minimizer, only a w that keeps growing", () => {
    expect(() => logisticRegression(separable, { lambda: 0 })).toThrow(/classes are separable/);
    // Overlapping classes have a minimizer at λ = 0 (plain maximum likelihood).
    const overlapping = { ...separable, y: Float64Array.of(0, 1, 0, 1) };
    expect(logisticRegression(overlapping, { lambda: 0 }).converged).toBe(true);
  });

  it("refuses labels other than 0 and 1, λ < 0 and bad options", () => {
    expect(() =>
      logisticRegression({ ...separable, y: Float64Array.of(0, 2, 1, 1) }, { lambda: 1 }),
    ).toThrow(/y\[1\] = 2: labels must be 0 or 1/);
    expect(() => logisticRegression(separable, { lambda: -1 })).toThrow(/lambda/);
    expect(() => logisticRegression(separable, { lambda: 1, tol: 0 })).toThrow(/tol/);
    expect(() => logisticRegression(separable, { lambda: 1, maxIter: 0 })).toThrow(/maxIter/);
    expect(() => lambdaFromLogisticC(0, 10)).toThrow(/C must be/);
  });
});

describe("softmaxRegression against LogisticRegression(C, multi_class='multinomial')", () => {
  const softmax = JSON.parse(readFileSync(join(DIR, "sklearn-softmax.json"), "utf8")) as {
    fits: {
      C: number;
      coef: number[][];
      intercept: number[];
      polished: number[][];
      polishedIntercept: number[];
    }[];
  };
  const wineTable = csvDataset(readFileSync(join(DIR, "wine.csv"), "utf8"), {
    source: "wine.csv",
    target: "class",
  });
  const wine = standardize(wineTable.dataset, fitStandardizer(wineTable.dataset));

  for (const ref of softmax.fits) {
    it(`wine (178 × 13, 3 classes), C = ${ref.C}: the polished minimizer to 1e-9, scikit-learn's to 1e-6`, () => {
      const fit = softmaxRegression(wine, { lambda: lambdaFromLogisticC(ref.C, wine.n) });
      expect(fit.converged).toBe(true);
      expect(fit.classes).toBe(3);
      const polished = ref.polished.flat();
      // Newton to rounding on a well-conditioned 42-parameter problem (κ ≲ 1e5 at C = 1).
      expect(relative(fit.weights, polished)).toBeLessThanOrEqual(1e-9);
      expect(relative(fit.biases, ref.polishedIntercept)).toBeLessThanOrEqual(1e-9);
      expect(relative(fit.weights, ref.coef.flat())).toBeLessThanOrEqual(1e-6);
      // Biases are fixed by Σ b_k = 0, as scikit-learn's.
      expect(Math.abs(fit.biases.reduce((a, b) => a + b, 0))).toBeLessThan(1e-12);
    });
  }

  it("with two classes, is the binary model: w₁ − w₀ = 2·(the binary w at λ/2)", () => {
    // Softmax with K = 2 has w₁ − w₀ as its logit's weights; its penalty (λ/2)(‖w₀‖² + ‖w₁‖²)
    // is minimized at w₀ = −w₁ = −v/2, i.e. (λ/4)‖v‖²: the binary model at λ/2.
    const two = { ...data };
    const lambda = lambdaFromLogisticC(1, data.n);
    const fit = softmaxRegression(two, { lambda });
    const binary = logisticRegression(data, { lambda: lambda / 2 });
    const d = data.d;
    const v = Array.from(
      { length: d },
      (_, j) => (fit.weights[d + j] as number) - (fit.weights[j] as number),
    );
    expect(relative(v, Array.from(binary.weights))).toBeLessThanOrEqual(1e-9);
    expect(
      Math.abs((fit.biases[1] as number) - (fit.biases[0] as number) - binary.bias),
    ).toBeLessThan(1e-9);
  });

  it("refuses labels that are not class indices, one class, and too many parameters", () => {
    const base = { X: Float64Array.of(1, 2, 3), y: Float64Array.of(0, 1, 2), n: 3, d: 1 };
    expect(() =>
      softmaxRegression({ ...base, y: Float64Array.of(0, 1.5, 2) }, { lambda: 1 }),
    ).toThrow(/class indices/);
    expect(() =>
      softmaxRegression({ ...base, y: Float64Array.of(0, 0, 0) }, { lambda: 1 }),
    ).toThrow(/at least 2 classes/);
    expect(() => softmaxRegression(base, { lambda: 1, classes: 2 })).toThrow(
      /outside the 2 classes/,
    );
    const wide = { X: new Float64Array(3 * 800), y: Float64Array.of(0, 1, 2), n: 3, d: 800 };
    expect(() => softmaxRegression(wide, { lambda: 1 })).toThrow(/Hessian/);
  });
});

describe("logisticElasticNet against glmnet's binomial family", () => {
  const binomial = JSON.parse(readFileSync(join(DIR, "glmnet-binomial.json"), "utf8")) as {
    fits: {
      alpha: number;
      lambda: number;
      coef: number[];
      intercept: number;
      exact: number[];
      exactIntercept: number;
    }[];
    path: { lambda: number[]; df: number[] };
  };
  for (const ref of binomial.fits) {
    it(`breast cancer, α = ${ref.alpha}, λ = ${ref.lambda}: glmnet's zeros, its exact minimizer to 1e-8`, () => {
      const fit = logisticElasticNet(data, { lambda: ref.lambda, alpha: ref.alpha });
      expect(fit.converged).toBe(true);
      expect(fit.kkt).toBeLessThanOrEqual(1e-10);
      // The same support as glmnet's.
      expect(Array.from(fit.weights, (w) => w !== 0)).toEqual(ref.exact.map((w) => w !== 0));
      // KKT residuals ≤ 1e-10·g₀ with g₀ ≈ 0.4 here and curvature ≥ λ(1 − α) + the loss's on the
      // support: the polished point (Newton on the support, gradient ≤ 1e-15) is within ~1e-9.
      expect(relative(fit.weights, ref.exact)).toBeLessThanOrEqual(1e-8);
      expect(Math.abs(fit.bias - ref.exactIntercept)).toBeLessThanOrEqual(1e-8);
      // glmnet's own answer stops at its looser outer tolerance (5e-7 … 3e-5 from the exact).
      expect(relative(fit.weights, ref.coef)).toBeLessThanOrEqual(1e-4);
    });
  }

  it("logisticPath gives glmnet's binomial λ sequence and degrees of freedom", () => {
    const path = logisticPath(data, { alpha: 1 });
    const ref = binomial.path;
    expect(path.lambdas).toHaveLength(ref.lambda.length);
    path.lambdas.forEach((l, k) => {
      expect(Math.abs(l / (ref.lambda[k] as number) - 1)).toBeLessThanOrEqual(1e-12);
    });
    expect(path.converged.every(Boolean)).toBe(true);
    // glmnet's df at its (looser) tolerance; a weight near the threshold may differ at the
    // path's far end, where glmnet's answers are 3e-5 from exact: compare the first 80.
    const df = path.weights.map((w) => w.reduce((a, v) => a + (v !== 0 ? 1 : 0), 0));
    expect(df.slice(0, 80)).toEqual(ref.df.slice(0, 80));
  });

  it("past 500 features (the residual form of the inner solve): the KKT conditions by hand", () => {
    const rng = new Rng(5);
    const n = 80;
    const d = 520;
    const X = rng.fillNormal(new Float64Array(n * d));
    const y = Float64Array.from({ length: n }, (_, i) =>
      (X[i * d] as number) - (X[i * d + 1] as number) + 0.5 * rng.normal() > 0 ? 1 : 0,
    );
    const wide: Dataset = { X, y, n, d };
    const lambda = 0.05;
    const alpha = 0.8;
    const fit = logisticElasticNet(wide, { lambda, alpha });
    expect(fit.converged).toBe(true);
    let g0 = 0;
    const ybar = y.reduce((a, v) => a + v, 0) / n;
    const p = Array.from({ length: n }, (_, i) => {
      let z = fit.bias;
      for (let j = 0; j < d; j++) z += (X[i * d + j] as number) * (fit.weights[j] as number);
      return 1 / (1 + Math.exp(-z));
    });
    let worst = Math.abs(p.reduce((a, v, i) => a + ((y[i] as number) - v) / n, 0));
    for (let j = 0; j < d; j++) {
      let c = 0;
      let c0 = 0;
      for (let i = 0; i < n; i++) {
        c += ((X[i * d + j] as number) * ((y[i] as number) - (p[i] as number))) / n;
        c0 += ((X[i * d + j] as number) * ((y[i] as number) - ybar)) / n;
      }
      g0 = Math.max(g0, Math.abs(c0));
      const w = fit.weights[j] as number;
      const v =
        w === 0
          ? Math.max(0, Math.abs(c) - lambda * alpha)
          : Math.abs(c - lambda * (1 - alpha) * w - lambda * alpha * Math.sign(w));
      worst = Math.max(worst, v);
    }
    // The solver's test is 1e-10·g₀ on the same quantities; rounding of these n-term sums is
    // ~1e-15 here.
    expect(worst).toBeLessThanOrEqual(1e-9 * g0);
    expect(fit.weights.filter((w) => w !== 0).length).toBeLessThan(d);
  });

  it("α = 0 is the L2 model: logisticRegression's answer", () => {
    const lambda = 0.01;
    const l2 = logisticRegression(data, { lambda });
    const en = logisticElasticNet(data, { lambda, alpha: 0 });
    expect(en.converged).toBe(true);
    expect(relative(en.weights, Array.from(l2.weights))).toBeLessThanOrEqual(1e-8);
  });

  it("λ above λ_max·α gives w = 0 exactly, with the class-balance intercept", () => {
    const fit = logisticElasticNet(data, { lambda: 10, alpha: 1 });
    expect(fit.weights.every((w) => Object.is(w, 0))).toBe(true);
    const positives = data.y.reduce((a, v) => a + v, 0);
    expect(fit.bias).toBeCloseTo(Math.log(positives / (data.n - positives)), 12);
  });
});
