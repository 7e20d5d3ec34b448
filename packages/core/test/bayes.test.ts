import { describe, expect, it } from "vitest";
import {
  l1ToLaplacePriorScale,
  lambdaToPriorScale,
  laplacePriorToL1,
  priorScaleToLambda,
  ridgePosterior,
} from "../src/bayes.js";
import { type Dataset, syntheticData } from "../src/data.js";
import { Rng } from "../src/random.js";
import { choleskySolve, ridgeClosedForm } from "../src/ridge.js";

const EPS = Number.EPSILON;

// ---------------------------------------------------------------------------------------------
// Small float64 helpers, written here so that the checks do not reuse the code under test.
// ---------------------------------------------------------------------------------------------

function center(p: Dataset) {
  const { X, y, n, d } = p;
  const xMean = new Float64Array(d);
  let yMean = 0;
  for (let i = 0; i < n; i++) {
    yMean += (y[i] as number) / n;
    for (let j = 0; j < d; j++) xMean[j] = (xMean[j] as number) + (X[i * d + j] as number) / n;
  }
  const Xc = X.map((x, k) => x - (xMean[k % d] as number));
  const yc = y.map((v) => v - yMean);
  return { Xc, yc };
}

/** XcᵀXc/σ² + I/τ²: the Hessian in w of the negative log posterior of w (b integrated out). */
function posteriorPrecision(p: Dataset, sigma: number, tau: number): Float64Array {
  const { Xc } = center(p);
  const { n, d } = p;
  const H = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    for (let k = 0; k < d; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += (Xc[i * d + j] as number) * (Xc[i * d + k] as number);
      H[j * d + k] = s / sigma ** 2 + (j === k ? 1 / tau ** 2 : 0);
    }
  }
  return H;
}

function matmul(A: Float64Array, B: Float64Array, m: number): Float64Array {
  const C = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const a = A[i * m + k] as number;
      for (let j = 0; j < m; j++)
        C[i * m + j] = (C[i * m + j] as number) + a * (B[k * m + j] as number);
    }
  }
  return C;
}

function inverse(A: Float64Array, m: number): Float64Array {
  const inv = new Float64Array(m * m);
  for (let k = 0; k < m; k++) {
    const e = new Float64Array(m);
    e[k] = 1;
    const column = choleskySolve(A, e, m);
    for (let j = 0; j < m; j++) inv[j * m + k] = column[j] as number;
  }
  return inv;
}

const maxAbs = (v: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i] as number));
  return m;
};
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};

/**
 * The negative log posterior of (w, b) exactly as Bayes' rule writes it, without centering:
 * ‖y − Xw − b‖²/(2σ²) + prior(w), where prior(w) = ‖w‖²/(2τ²) (Gaussian) or ‖w‖₁/s (Laplace,
 * handled by the solver's threshold). Returns the gradient of the smooth part in (w, b).
 */
function nlpGradient(p: Dataset, theta: Float64Array, sigma: number, tau: number): Float64Array {
  const { X, y, n, d } = p;
  const g = new Float64Array(d + 1);
  for (let i = 0; i < n; i++) {
    let r = (theta[d] as number) - (y[i] as number);
    for (let j = 0; j < d; j++) r += (X[i * d + j] as number) * (theta[j] as number);
    for (let j = 0; j < d; j++)
      g[j] = (g[j] as number) + ((X[i * d + j] as number) * r) / sigma ** 2;
    g[d] = (g[d] as number) + r / sigma ** 2;
  }
  for (let j = 0; j < d; j++) g[j] = (g[j] as number) + (theta[j] as number) / tau ** 2;
  return g;
}

/** The joint Hessian of the Gaussian negative log posterior in (w, b): columns of ∇ with y = 0. */
function jointHessian(p: Dataset, sigma: number, tau: number): Float64Array {
  const m = p.d + 1;
  const noLabels = { ...p, y: new Float64Array(p.n) };
  const H = new Float64Array(m * m);
  for (let k = 0; k < m; k++) {
    const e = new Float64Array(m);
    e[k] = 1;
    const column = nlpGradient(noLabels, e, sigma, tau);
    for (let j = 0; j < m; j++) H[j * m + k] = column[j] as number;
  }
  return H;
}

/** ‖A‖∞ (largest absolute row sum). */
function normInf(A: Float64Array, m: number): number {
  let best = 0;
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += Math.abs(A[i * m + j] as number);
    best = Math.max(best, s);
  }
  return best;
}

function traceGram(p: Dataset): number {
  const { Xc } = center(p);
  return Xc.reduce((s, x) => s + x * x, 0);
}

// Seeded problems: d < n, d > n, and the chapter's own shape and scales (n = 20, d = 200, true
// weights 0.01, noise σ = 0.01).
const SMALL = { seed: 21, n: 40, d: 5, options: { trueWeight: 0.5, trueBias: 1, noiseStd: 0.5 } };
const WIDE = { seed: 22, n: 12, d: 30, options: { trueWeight: 0.3, noiseStd: 0.2 } };
const CHAPTER = { seed: 23, n: 20, d: 200, options: {} };
type Spec = typeof SMALL | typeof WIDE | typeof CHAPTER;
const problem = (s: Spec) => syntheticData(new Rng(s.seed), s.n, s.d, s.options);

/** (σ, τ) per problem: σ the generating noise, τ of the order of the true weights. */
const CASES: readonly { spec: Spec; sigma: number; tau: number }[] = [
  { spec: SMALL, sigma: 0.5, tau: 0.3 },
  { spec: SMALL, sigma: 0.5, tau: 3 },
  { spec: WIDE, sigma: 0.2, tau: 0.1 },
  { spec: CHAPTER, sigma: 0.01, tau: 0.002 },
];

describe("prior scales and penalty strengths (identity 19)", () => {
  it("λ = σ²/(nτ²), and back", () => {
    expect(priorScaleToLambda({ noiseStd: 0.5, priorStd: 2, n: 10 })).toBeCloseTo(0.00625, 17);
    expect(priorScaleToLambda({ noiseStd: 1, priorStd: Number.POSITIVE_INFINITY, n: 3 })).toBe(0);
    expect(lambdaToPriorScale({ lambda: 0, noiseStd: 1, n: 3 })).toBe(Number.POSITIVE_INFINITY);
    // A few roundings each way (square, products, division, square root): 8ε relative.
    for (const [sigma, tau, n] of [
      [0.01, 0.01, 20],
      [0.5, 3, 40],
      [2, 1e-3, 1],
      [1e-4, 50, 1000],
    ] as const) {
      const lambda = priorScaleToLambda({ noiseStd: sigma, priorStd: tau, n });
      expect(Math.abs(lambda - sigma ** 2 / (n * tau ** 2))).toBeLessThanOrEqual(8 * EPS * lambda);
      const back = lambdaToPriorScale({ lambda, noiseStd: sigma, n });
      expect(Math.abs(back - tau)).toBeLessThanOrEqual(8 * EPS * tau);
    }
  });

  it("λ₁ = σ²/(n·s) for a Laplace prior of scale s, and back", () => {
    expect(laplacePriorToL1(0.5, 2, 10)).toBeCloseTo(0.0125, 17);
    expect(laplacePriorToL1(0.5, Number.POSITIVE_INFINITY, 10)).toBe(0);
    const l1 = laplacePriorToL1(0.3, 0.07, 25);
    expect(Math.abs(l1ToLaplacePriorScale(l1, 0.3, 25) - 0.07)).toBeLessThanOrEqual(8 * EPS * 0.07);
  });

  it("refuses scales that define no prior or no likelihood", () => {
    expect(() => priorScaleToLambda({ noiseStd: 0, priorStd: 1, n: 5 })).toThrow(/noiseStd/);
    expect(() => priorScaleToLambda({ noiseStd: 1, priorStd: -1, n: 5 })).toThrow(/priorStd/);
    expect(() => priorScaleToLambda({ noiseStd: 1, priorStd: 1, n: 0 })).toThrow(/n must/);
    expect(() => lambdaToPriorScale({ lambda: -1, noiseStd: 1, n: 5 })).toThrow(/lambda/);
    expect(() => laplacePriorToL1(1, 0, 5)).toThrow(/laplaceScale/);
    expect(() => l1ToLaplacePriorScale(Number.NaN, 1, 5)).toThrow(/lambdaL1/);
  });
});

describe("the ridge posterior (identity 19, exercise 6)", () => {
  for (const { spec, sigma, tau } of CASES) {
    const label = `n = ${spec.n}, d = ${spec.d}, σ = ${sigma}, τ = ${tau}`;
    const p = problem(spec);
    const post = ridgePosterior(p, { noiseStd: sigma, priorStd: tau });
    const { d, n } = p;
    // κ₂(H) ≤ 1 + τ²·tr(XcᵀXc)/σ², from H ⪰ I/τ² and λmax(XcᵀXc) ≤ tr(XcᵀXc): an a-priori bound
    // that does not rely on the Σ under test.
    const kappa = 1 + (tau ** 2 * traceGram(p)) / sigma ** 2;
    // Forming Gram sums (n terms) and solving (d unknowns) is backward stable at ~(n + d)ε, so a
    // product with an inverse is off by ~(n + d)ε·κ. The d > n path (Woodbury) cancels in
    // I − Xcᵀ(·)⁻¹Xc and loses up to κ² (see ridgePosterior), so it gets κ².
    const tolerance = 16 * (n + d) * EPS * (d > n ? kappa ** 2 : kappa);

    it(`${label}: the mean is ridge at λ = σ²/(nτ²) and the MAP of the joint posterior`, () => {
      const lambda = sigma ** 2 / (n * tau ** 2);
      expect(Math.abs(post.lambda - lambda)).toBeLessThanOrEqual(4 * EPS * lambda);
      const ridge = ridgeClosedForm(p, lambda);
      // λ may differ from the module's by an ulp, which moves ridge's rounding: κ-scaled bound.
      const scale = Math.max(maxAbs(ridge.weights), Math.abs(ridge.bias));
      expect(maxDiff(post.mean, ridge.weights)).toBeLessThanOrEqual(tolerance * scale);
      expect(Math.abs(post.bias - ridge.bias)).toBeLessThanOrEqual(tolerance * scale);

      // The Gaussian mean from the precision form, Σ·Xcᵀyc/σ²: it agrees with ridge only if the
      // n in λ = σ²/(nτ²) is right (without it the two differ by O(1) for these n).
      const { Xc, yc } = center(p);
      const fromSigma = new Float64Array(d);
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) {
          let xty = 0;
          for (let i = 0; i < n; i++) xty += (Xc[i * d + k] as number) * (yc[i] as number);
          s += (post.covariance[j * d + k] as number) * xty;
        }
        fromSigma[j] = s / sigma ** 2;
      }
      expect(maxDiff(fromSigma, post.mean)).toBeLessThanOrEqual(tolerance * maxAbs(post.mean));

      // The minimizer of the uncentered negative log posterior in (w, b), solved from its own
      // normal equations (H θ = −∇(0)): the flat prior on b is what makes it the centered ridge.
      if (d <= n) {
        const H = jointHessian(p, sigma, tau);
        const rhs = nlpGradient(p, new Float64Array(d + 1), sigma, tau).map((g) => -g);
        const theta = choleskySolve(H, rhs, d + 1);
        const joint = Float64Array.from([...post.mean, post.bias]);
        expect(maxDiff(theta, joint)).toBeLessThanOrEqual(tolerance * maxAbs(joint));
      }
    });

    it(`${label}: the covariance is symmetric positive definite and inverts the Hessian`, () => {
      const S = post.covariance;
      expect(S.length).toBe(d * d);
      for (let j = 0; j < d; j++) {
        expect(S[j * d + j] as number).toBeGreaterThan(0);
        for (let k = 0; k < j; k++) expect(S[j * d + k]).toBe(S[k * d + j]);
      }
      // Positive definite: Cholesky succeeds, and random quadratic forms are positive.
      expect(() => choleskySolve(S, new Float64Array(d).fill(1), d)).not.toThrow();
      const rng = new Rng(spec.seed + 7);
      for (let t = 0; t < 5; t++) {
        const v = Float64Array.from({ length: d }, () => rng.normal());
        let q = 0;
        for (let j = 0; j < d; j++) {
          for (let k = 0; k < d; k++)
            q += (v[j] as number) * (S[j * d + k] as number) * (v[k] as number);
        }
        expect(q).toBeGreaterThan(0);
      }
      // H·Σ = I for the Hessian H = XcᵀXc/σ² + I/τ² of the negative log posterior of w.
      const H = posteriorPrecision(p, sigma, tau);
      const product = matmul(H, S, d);
      for (let j = 0; j < d; j++) product[j * d + j] = (product[j * d + j] as number) - 1;
      expect(maxAbs(product)).toBeLessThanOrEqual(tolerance);
    });

    if (d <= n) {
      it(`${label}: Σ is the w-block of the inverse joint Hessian in (w, b) (flat prior on b)`, () => {
        // Marginalizing b under a flat prior = taking the w-block of the joint covariance.
        const m = d + 1;
        const joint = inverse(jointHessian(p, sigma, tau), m);
        const block = new Float64Array(d * d);
        for (let j = 0; j < d; j++)
          for (let k = 0; k < d; k++) block[j * d + k] = joint[j * m + k] as number;
        const jointKappa = normInf(jointHessian(p, sigma, tau), m) * normInf(joint, m);
        const tol = 16 * (n + m) * EPS * Math.max(kappa, jointKappa) * maxAbs(post.covariance);
        expect(maxDiff(block, post.covariance)).toBeLessThanOrEqual(tol);
      });
    }
  }

  it("as τ → ∞ the posterior mean tends to OLS, with an error ∝ λ ∝ 1/τ²", () => {
    const p = problem(SMALL);
    const sigma = 0.5;
    const { n, d } = p;
    // OLS from the uncentered normal equations [X 1]ᵀ[X 1]θ = [X 1]ᵀy.
    const m = d + 1;
    const A = new Float64Array(m * m);
    const rhs = new Float64Array(m);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        const xj = j < d ? (p.X[i * d + j] as number) : 1;
        rhs[j] = (rhs[j] as number) + xj * (p.y[i] as number);
        for (let k = 0; k < m; k++) {
          const xk = k < d ? (p.X[i * d + k] as number) : 1;
          A[j * m + k] = (A[j * m + k] as number) + xj * xk;
        }
      }
    }
    const ols = choleskySolve(A, rhs, m).subarray(0, d);
    const gap = (tau: number) =>
      maxDiff(ridgePosterior(p, { noiseStd: sigma, priorStd: tau }).mean, ols) / maxAbs(ols);
    // w(λ) − w_OLS = −nλ(XcᵀXc)⁻¹w_OLS + O(λ²): ten times τ is a hundredth of the gap while
    // nλ = σ²/τ² is small beside XcᵀXc (≈ 17 here, so ≤ 0.3% second-order at τ = 3).
    for (const tau of [3, 30]) {
      const ratio = gap(tau) / gap(10 * tau);
      expect(ratio).toBeGreaterThan(95);
      expect(ratio).toBeLessThan(105);
    }
    // And at τ = 1e7 (nλ = 2.5e-15) nothing is left but rounding: ~(n + d)ε·κ(A).
    const kappaA = normInf(A, m) * normInf(inverse(A, m), m);
    expect(gap(1e7)).toBeLessThanOrEqual(16 * (n + m) * EPS * kappaA);
    // τ = ∞ is the flat prior: exactly OLS's problem, Σ = σ²(XcᵀXc)⁻¹.
    const flat = ridgePosterior(p, { noiseStd: sigma, priorStd: Number.POSITIVE_INFINITY });
    expect(flat.lambda).toBe(0);
    expect(maxDiff(flat.mean, ols)).toBeLessThanOrEqual(16 * (n + m) * EPS * kappaA * maxAbs(ols));
  });

  it("refuses the flat prior when d > n (the posterior is improper)", () => {
    expect(() =>
      ridgePosterior(problem(WIDE), { noiseStd: 0.2, priorStd: Number.POSITIVE_INFINITY }),
    ).toThrow(/improper/);
  });
});

describe("a Laplace prior gives the lasso (identity 19)", () => {
  it("the MAP under w_j ~ Laplace(0, s) meets the lasso KKT conditions at λ₁ = σ²/(n·s)", () => {
    const p = problem(SMALL);
    const { n, d } = p;
    const sigma = 0.5;
    const { Xc, yc } = center(p);
    let lambdaMax = 0;
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += (Xc[i * d + j] as number) * (yc[i] as number);
      lambdaMax = Math.max(lambdaMax, Math.abs(s) / n);
    }
    for (const fraction of [0.1, 0.4]) {
      // The Laplace scale whose lasso weight is fraction·λ_max, so that some weights are 0.
      const scale = sigma ** 2 / (n * fraction * lambdaMax);
      // Proximal coordinate descent on ‖r‖²/(2σ²) + ‖w‖₁/s, the negative log posterior itself:
      // exact minimization along each coordinate (soft threshold at (1/s)/H_jj), bias by Newton.
      const m = d + 1;
      const H = jointHessian(p, sigma, Number.POSITIVE_INFINITY);
      const theta = new Float64Array(m);
      let lastStep = Number.POSITIVE_INFINITY;
      for (let sweep = 0; sweep < 100_000 && lastStep > 1e-14 * maxAbs(theta); sweep++) {
        lastStep = 0;
        for (let k = 0; k < m; k++) {
          const g = nlpGradient(p, theta, sigma, Number.POSITIVE_INFINITY)[k] as number;
          const h = H[k * m + k] as number;
          const old = theta[k] as number;
          const z = old - g / h;
          const next = k < d ? Math.sign(z) * Math.max(Math.abs(z) - 1 / scale / h, 0) : z;
          theta[k] = next;
          lastStep = Math.max(lastStep, Math.abs(next - old));
        }
      }
      expect(lastStep).toBeLessThanOrEqual(1e-14 * maxAbs(theta));

      const lambda1 = laplacePriorToL1(sigma, scale, n);
      let terms = 0;
      const kkt = (l1: number) => {
        let worst = 0;
        const r = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          let s = (theta[d] as number) - (p.y[i] as number);
          for (let j = 0; j < d; j++) s += (p.X[i * d + j] as number) * (theta[j] as number);
          r[i] = s;
        }
        worst = Math.abs(r.reduce((a, b) => a + b, 0) / n);
        for (let j = 0; j < d; j++) {
          let g = 0;
          let t = 0;
          for (let i = 0; i < n; i++) {
            const x = p.X[i * d + j] as number;
            g += (x * (r[i] as number)) / n;
            t +=
              Math.abs(x) *
              (Math.abs((r[i] as number) + (p.y[i] as number)) + Math.abs(p.y[i] as number));
          }
          terms = Math.max(terms, t / n);
          const wj = theta[j] as number;
          worst = Math.max(
            worst,
            wj !== 0 ? Math.abs(g + l1 * Math.sign(wj)) : Math.max(0, Math.abs(g) - l1),
          );
        }
        return worst;
      };
      const nonzero = Array.from(theta.subarray(0, d)).filter((x) => x !== 0).length;
      expect(nonzero).toBeGreaterThan(0);
      const violation = kkt(lambda1);
      // Each coordinate's condition held when it was updated; later moves (≤ lastStep each)
      // shift its gradient by ≤ ‖H‖∞·lastStep, i.e. ‖H‖∞σ²/n·lastStep in canonical units (the
      // posterior is n/σ² times the canonical objective), and the n-term sums round at ~nε·terms.
      const tolerance = 4 * (((normInf(H, m) * sigma ** 2) / n) * lastStep + n * EPS * terms);
      expect(violation).toBeLessThanOrEqual(tolerance);
      expect(tolerance).toBeLessThan(1e-6 * lambda1);
      // Forgetting the 1/n (λ₁ = σ²/s) breaks the conditions by O(λ₁).
      expect(kkt(sigma ** 2 / scale)).toBeGreaterThan(1e6 * tolerance);
    }
  });
});
