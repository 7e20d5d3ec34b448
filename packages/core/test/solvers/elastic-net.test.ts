import { describe, expect, it } from "vitest";
import { type Dataset, syntheticData } from "../../src/data.js";
import { Rng } from "../../src/random.js";
import { choleskySolve, ridgeClosedForm } from "../../src/ridge.js";
import { elasticNetCD } from "../../src/solvers/coordinate-descent.js";
import { elasticNetObjective, lassoKKT } from "../../src/solvers/kkt.js";
import { lambdaMax, regularizationPath } from "../../src/solvers/path.js";
import { elasticNetProx } from "../../src/solvers/proximal-gradient.js";

/**
 * Rounding allowance, relative to {@link gradientUnit}: the KKT residuals are sums of n + d ≤ 100
 * products of entries bounded by the unit, each off by ≲ (n + d)·ε ≈ 2e-14; coordinate descent's
 * incrementally updated residual drifts by a few more ε per pass. 1e-12 leaves a margin of ~50.
 */
const ROUNDING = 1e-12;

/**
 * y = 0.7 + 2x₀ − 1.5x₁ + x₂ − 0.5x₃ + 0.25x₄ + N(0, 0.5²), x ~ N(0, 1): a sparse truth, so the
 * lasso has zeros to find and a support to grow along λ.
 */
function sparseData(seed: number, n: number, d: number): Dataset {
  const rng = new Rng(seed);
  const truth = [2, -1.5, 1, -0.5, 0.25];
  const X = rng.fillNormal(new Float64Array(n * d));
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0.7 + rng.normal(0, 0.5);
    for (let j = 0; j < Math.min(d, truth.length); j++) {
      s += (truth[j] as number) * (X[i * d + j] as number);
    }
    y[i] = s;
  }
  return { X, y, n, d };
}

/** Centered columns (column-major) and the Gram matrix XcᵀXc/n, computed independently of src. */
function centered(data: Dataset) {
  const { X, y, n, d } = data;
  const cols = new Float64Array(n * d);
  const yMean = y.reduce((s, v) => s + v, 0) / n;
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += (X[i * d + j] as number) / n;
    for (let i = 0; i < n; i++) cols[j * n + i] = (X[i * d + j] as number) - m;
  }
  const gram = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    for (let k = 0; k < d; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += (cols[j * n + i] as number) * (cols[k * n + i] as number);
      gram[j * d + k] = s / n;
    }
  }
  const sdY = Math.sqrt(y.reduce((s, v) => s + (v - yMean) ** 2, 0) / n);
  return { cols, gram, sdY };
}

/**
 * sd(y)·max_j sd(x_j): by Cauchy–Schwarz every correlation |xc_jᵀyc|/n is at most this, so it is
 * the natural unit of gradients and KKT residuals on these data.
 */
function gradientUnit(data: Dataset): number {
  const { gram, sdY } = centered(data);
  let maxVar = 0;
  for (let j = 0; j < data.d; j++) maxVar = Math.max(maxVar, gram[j * data.d + j] as number);
  return sdY * Math.sqrt(maxVar);
}

/**
 * What a converged `elasticNetCD` certifies (its TSDoc): each KKT residual is at most
 * `tol·g₀`, g₀ = ‖Xcᵀyc‖_∞/n = λ_max(α = 1), plus rounding.
 */
function cdKktBound(data: Dataset, tol: number): number {
  return tol * lambdaMax(data, 1) + ROUNDING * gradientUnit(data);
}

/**
 * What a converged `elasticNetProx` certifies (its TSDoc): dist(0, ∂J) ≤ 2·tol·g₀, with
 * g₀ = ‖Xcᵀyc‖_∞/n = λ_max(α = 1); plus rounding.
 */
function proxKktBound(data: Dataset, tol: number): number {
  return 2 * tol * lambdaMax(data, 1) + ROUNDING * gradientUnit(data);
}

/**
 * λ_min(XcᵀXc/n): the largest μ for which the Cholesky factorization of the Gram matrix minus μI
 * succeeds, by bisection (0 when the Gram matrix is singular, e.g. d ≥ n). The loss is
 * μ-strongly convex in w, so a KKT residual ε gives ‖w − w*‖₂ ≤ √d·ε/(μ + λ(1 − α)).
 */
function gramMinEigenvalue(data: Dataset): number {
  const { gram } = centered(data);
  const d = data.d;
  const positive = (shift: number) => {
    const A = Float64Array.from(gram);
    for (let j = 0; j < d; j++) A[j * d + j] = (A[j * d + j] as number) - shift;
    try {
      choleskySolve(A, new Float64Array(d), d);
      return true;
    } catch {
      return false;
    }
  };
  if (!positive(0)) return 0;
  let lo = 0;
  let hi = 0;
  for (let j = 0; j < d; j++) hi += gram[j * d + j] as number;
  for (let k = 0; k < 60; k++) {
    const mid = (lo + hi) / 2;
    if (positive(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

function distance(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += ((a[j] as number) - (b[j] as number)) ** 2;
  return Math.sqrt(s);
}

function zeros(w: Float64Array): number {
  return w.reduce((count, v) => count + (v === 0 ? 1 : 0), 0);
}

/** n > d, d > n and the degenerate n = 1, all from the chapter's generator or the sparse one. */
const SHAPES: ReadonlyArray<readonly [string, Dataset]> = [
  ["n = 60, d = 8 (sparse truth)", sparseData(1, 60, 8)],
  ["n = 15, d = 40 (d > n)", sparseData(2, 15, 40)],
  ["n = 30, d = 5 (eq. 4.5.4)", syntheticData(new Rng(3), 30, 5)],
  ["n = 20, d = 60 (eq. 4.5.4, d > n)", syntheticData(new Rng(4), 20, 60)],
];

describe("elasticNetCD", () => {
  for (const [name, data] of SHAPES) {
    it(`meets the KKT conditions at its solution: ${name}`, () => {
      const tol = 1e-8;
      const bound = cdKktBound(data, tol);
      for (const alpha of [1, 0.5, 0.1]) {
        const lmax = lambdaMax(data, alpha);
        for (const frac of [0.5, 0.1, 0.01]) {
          const lambda = frac * lmax;
          const fit = elasticNetCD(data, { lambda, alpha, tol });
          expect(fit.converged).toBe(true);
          expect(fit.kkt).toBeLessThanOrEqual(tol);
          const kkt = lassoKKT(data, fit, lambda, alpha);
          expect(kkt.maxViolation).toBeLessThanOrEqual(bound);
        }
      }
    });
  }

  it("returns exact zeros (+0) off the support, and the lasso support is sparse", () => {
    const data = sparseData(5, 80, 20);
    const lambda = 0.2 * lambdaMax(data, 1);
    const fit = elasticNetCD(data, { lambda, alpha: 1 });
    // 15 of the 20 true weights are 0 and the noise is small: most must be exactly zero.
    expect(zeros(fit.weights)).toBeGreaterThanOrEqual(10);
    for (const w of fit.weights) if (w === 0) expect(Object.is(w, 0)).toBe(true);
    // The strong true weights survive.
    for (const j of [0, 1, 2]) expect(fit.weights[j]).not.toBe(0);
    const kkt = lassoKKT(data, fit, lambda, 1);
    expect(kkt.maxViolation).toBeLessThanOrEqual(cdKktBound(data, 1e-7));
  });

  it("handles a constant column without NaN, at λ > 0 and λ = 0", () => {
    const base = sparseData(6, 40, 6);
    const X = Float64Array.from(base.X);
    for (let i = 0; i < base.n; i++) X[i * base.d + 3] = 0.1; // Σ0.1/n ≠ 0.1 in floating point
    const data: Dataset = { ...base, X };
    for (const [lambda, alpha] of [
      [0.05, 1],
      [0.05, 0.5],
      [0, 1],
      [0, 0],
    ] as const) {
      const fit = elasticNetCD(data, { lambda, alpha });
      expect(fit.converged).toBe(true);
      for (const w of fit.weights) expect(Number.isFinite(w)).toBe(true);
      expect(Object.is(fit.weights[3], 0)).toBe(true);
      expect(Number.isFinite(fit.bias)).toBe(true);
      expect(lassoKKT(data, fit, lambda, alpha).maxViolation).toBeLessThanOrEqual(
        cdKktBound(data, 1e-7),
      );
    }
    // A warm start on the constant column is pinned back to 0 rather than kept.
    const warm = elasticNetCD(data, { lambda: 0, alpha: 1, warmStart: [0, 0, 0, 5, 0, 0] });
    expect(Object.is(warm.weights[3], 0)).toBe(true);
  });

  it("n = 1: everything is the intercept, w = 0", () => {
    const data: Dataset = { X: Float64Array.of(1, -2, 3), y: Float64Array.of(4.5), n: 1, d: 3 };
    for (const lambda of [0, 0.3]) {
      const fit = elasticNetCD(data, { lambda, alpha: 1 });
      expect(fit.converged).toBe(true);
      expect(Array.from(fit.weights)).toEqual([0, 0, 0]);
      expect(fit.bias).toBe(4.5);
    }
    const prox = elasticNetProx(data, { lambda: 0.3, alpha: 0.5 });
    expect(Array.from(prox.weights)).toEqual([0, 0, 0]);
    expect(prox.bias).toBe(4.5);
  });

  it("λ = 0, α = 1 with n > d is least squares", () => {
    const data = sparseData(7, 50, 6);
    const tol = 1e-9;
    const fit = elasticNetCD(data, { lambda: 0, alpha: 1, tol });
    expect(fit.converged).toBe(true);
    const ols = ridgeClosedForm(data, 0);
    // KKT residual ε ⇒ ‖w − w*‖ ≤ √d·ε/λ_min(Gram) (strong convexity); Cholesky's own error is
    // ~cond·ε ≪ this.
    const tolerance = (Math.sqrt(data.d) * cdKktBound(data, tol)) / gramMinEigenvalue(data);
    expect(distance(fit.weights, ols.weights)).toBeLessThanOrEqual(tolerance);
  });

  it("λ = 0, α = 1 with d > n: converged only when the criterion is met", () => {
    const data = sparseData(8, 12, 30);
    const short = elasticNetCD(data, { lambda: 0, alpha: 1, maxIter: 3 });
    expect(short.converged).toBe(false);
    expect(short.iterations).toBe(3);
    expect(short.kkt).toBeGreaterThan(1e-7);
    // Least squares is consistent here (rank n − 1 after centering < d), so CD converges to
    // an interpolating solution; when it says so, the certificate must hold.
    const long = elasticNetCD(data, { lambda: 0, alpha: 1 });
    expect(long.converged).toBe(true);
    expect(lassoKKT(data, long, 0, 1).maxViolation).toBeLessThanOrEqual(cdKktBound(data, 1e-7));
  });

  for (const [n, d] of [
    [40, 8],
    [10, 30],
  ] as const) {
    it(`α = 0 is ridge (identity 17), n = ${n}, d = ${d}`, () => {
      const data = syntheticData(new Rng(10 + d), n, d);
      const tol = 1e-9;
      const mu = gramMinEigenvalue(data);
      for (const lambda of [1e-3, 0.1, 2]) {
        const fit = elasticNetCD(data, { lambda, alpha: 0, tol });
        const ridge = ridgeClosedForm(data, lambda);
        // Strong convexity μ + λ bounds the distance by √d·ε/(μ + λ).
        const tolerance = (Math.sqrt(d) * cdKktBound(data, tol)) / (mu + lambda);
        expect(distance(fit.weights, ridge.weights)).toBeLessThanOrEqual(tolerance);
        expect(Math.abs(fit.bias - ridge.bias)).toBeLessThanOrEqual(
          // b = ȳ − x̄ᵀw: |Δb| ≤ ‖x̄‖·‖Δw‖ ≤ ‖x̄‖·tolerance, and ‖x̄‖ < 2 on these data.
          2 * tolerance,
        );
      }
    });
  }

  it("warm starts at the solution finish in fewer passes with the same answer", () => {
    const data = sparseData(11, 60, 15);
    const lambda = 0.05 * lambdaMax(data, 1);
    const cold = elasticNetCD(data, { lambda, alpha: 1, tol: 1e-9 });
    const warm = elasticNetCD(data, { lambda, alpha: 1, tol: 1e-9, warmStart: cold.weights });
    expect(warm.converged).toBe(true);
    expect(warm.iterations).toBeLessThan(cold.iterations);
    const tolerance = (2 * Math.sqrt(data.d) * cdKktBound(data, 1e-9)) / gramMinEigenvalue(data);
    expect(distance(warm.weights, cold.weights)).toBeLessThanOrEqual(tolerance);
  });

  it("is deterministic and never increases the objective past the start", () => {
    const data = sparseData(12, 30, 10);
    const a = elasticNetCD(data, { lambda: 0.1, alpha: 0.7 });
    const b = elasticNetCD(data, { lambda: 0.1, alpha: 0.7 });
    expect(Array.from(a.weights)).toEqual(Array.from(b.weights));
    expect(a.bias).toBe(b.bias);
    const start = { weights: new Float64Array(data.d), bias: 0.7 };
    expect(elasticNetObjective(data, a, 0.1, 0.7)).toBeLessThan(
      elasticNetObjective(data, start, 0.1, 0.7),
    );
  });

  it("rejects malformed data and options", () => {
    const data = sparseData(13, 5, 3);
    expect(() => elasticNetCD(data, { lambda: -1, alpha: 1 })).toThrow(/lambda/);
    expect(() => elasticNetCD(data, { lambda: 1, alpha: 1.5 })).toThrow(/alpha/);
    expect(() => elasticNetCD(data, { lambda: 1, alpha: 1, tol: 0 })).toThrow(/tol/);
    expect(() => elasticNetCD(data, { lambda: 1, alpha: 1, maxIter: 0 })).toThrow(/maxIter/);
    expect(() => elasticNetCD(data, { lambda: 1, alpha: 1, warmStart: [1] })).toThrow(/warmStart/);
    const X = Float64Array.from(data.X);
    X[4] = Number.NaN;
    expect(() => elasticNetCD({ ...data, X }, { lambda: 1, alpha: 1 })).toThrow(/not finite/);
    expect(() => elasticNetCD({ ...data, n: 4 }, { lambda: 1, alpha: 1 })).toThrow(/entries/);
  });
});

describe("elasticNetProx", () => {
  for (const [name, data] of SHAPES) {
    it(`meets its KKT certificate and agrees with coordinate descent: ${name}`, () => {
      const tol = 1e-9;
      const mu = gramMinEigenvalue(data);
      for (const alpha of [1, 0.5]) {
        const lmax = lambdaMax(data, alpha);
        for (const frac of [0.3, 0.03]) {
          const lambda = frac * lmax;
          const prox = elasticNetProx(data, { lambda, alpha, tol });
          expect(prox.converged).toBe(true);
          expect(prox.mappingNorm).toBeLessThanOrEqual(tol);
          const proxBound = proxKktBound(data, tol);
          expect(lassoKKT(data, prox, lambda, alpha).maxViolation).toBeLessThanOrEqual(proxBound);
          for (const w of prox.weights) if (w === 0) expect(Object.is(w, 0)).toBe(true);

          const cd = elasticNetCD(data, { lambda, alpha, tol });
          const strong = mu + lambda * (1 - alpha);
          // The lasso with d > n is not strongly convex (strong = 0): agreement of weights is
          // then not implied by small KKT residuals, so compare objectives instead.
          if (strong > 0) {
            // Two points with KKT residuals ε₁, ε₂ of a (strong)-convex J lie within
            // √d·(ε₁ + ε₂)/strong of each other.
            const tolerance = (Math.sqrt(data.d) * (cdKktBound(data, tol) + proxBound)) / strong;
            expect(distance(prox.weights, cd.weights)).toBeLessThanOrEqual(tolerance);
          }
          const jCd = elasticNetObjective(data, cd, lambda, alpha);
          const jProx = elasticNetObjective(data, prox, lambda, alpha);
          // Both are within ε·‖w − w*‖₁ of J* (convexity); with ‖w‖₁ ≲ 10·sd(y)/sd(x) here,
          // 1e-6·J is far above that and far below any real disagreement.
          expect(Math.abs(jCd - jProx)).toBeLessThanOrEqual(1e-6 * jCd);
        }
      }
    });
  }

  it("ISTA (no acceleration) reaches the same certificate, more slowly", () => {
    const data = sparseData(20, 50, 10);
    const lambda = 0.1 * lambdaMax(data, 1);
    const tol = 1e-8;
    const ista = elasticNetProx(data, { lambda, alpha: 1, tol, accelerated: false });
    const fista = elasticNetProx(data, { lambda, alpha: 1, tol });
    expect(ista.converged).toBe(true);
    expect(lassoKKT(data, ista, lambda, 1).maxViolation).toBeLessThanOrEqual(
      proxKktBound(data, tol),
    );
    expect(fista.iterations).toBeLessThanOrEqual(ista.iterations);
    // A smaller explicit step also converges (η = 0.5/L).
    const slow = elasticNetProx(data, { lambda, alpha: 1, tol, lr: 0.5 / ista.lipschitz });
    expect(slow.converged).toBe(true);
    expect(slow.lr).toBe(0.5 / ista.lipschitz);
  });

  it("reports converged: false when the step budget runs out", () => {
    const data = sparseData(21, 40, 10);
    const fit = elasticNetProx(data, { lambda: 0.01, alpha: 1, maxIter: 2 });
    expect(fit.converged).toBe(false);
    expect(fit.iterations).toBe(2);
    expect(fit.mappingNorm).toBeGreaterThan(1e-7);
  });

  it("handles a constant column and a constant y", () => {
    const base = sparseData(22, 30, 4);
    const X = Float64Array.from(base.X);
    for (let i = 0; i < base.n; i++) X[i * base.d + 1] = -3.3;
    const fit = elasticNetProx({ ...base, X }, { lambda: 0.05, alpha: 0.8 });
    expect(fit.converged).toBe(true);
    expect(Object.is(fit.weights[1], 0)).toBe(true);
    for (const w of fit.weights) expect(Number.isFinite(w)).toBe(true);
    const flat = elasticNetProx(
      { ...base, y: new Float64Array(base.n).fill(2) },
      { lambda: 0.1, alpha: 1 },
    );
    expect(Array.from(flat.weights)).toEqual([0, 0, 0, 0]);
    expect(flat.bias).toBe(2);
    expect(() => elasticNetProx(base, { lambda: 0.1, alpha: 1, lr: -1 })).toThrow(/lr/);
  });
});

describe("lassoKKT and elasticNetObjective", () => {
  it("identity 16 at a lasso solution: c_j = λ·sign(w_j) on the support, |c_j| ≤ λ off it", () => {
    const data = sparseData(30, 70, 12);
    const lambda = 0.1 * lambdaMax(data, 1);
    const tol = 1e-9;
    const fit = elasticNetCD(data, { lambda, alpha: 1, tol });
    const { correlations } = lassoKKT(data, fit, lambda, 1);
    const bound = cdKktBound(data, tol);
    fit.weights.forEach((w, j) => {
      const c = correlations[j] as number;
      if (w === 0) expect(Math.abs(c)).toBeLessThanOrEqual(lambda + bound);
      else expect(Math.abs(c - lambda * Math.sign(w))).toBeLessThanOrEqual(bound);
    });
  });

  it("flags a model that is not optimal", () => {
    const data = sparseData(31, 50, 8);
    const lambda = 0.2 * lambdaMax(data, 1);
    const fit = elasticNetCD(data, { lambda, alpha: 1 });
    const zero = fit.weights.indexOf(0);
    expect(zero).toBeGreaterThanOrEqual(0);
    const weights = Float64Array.from(fit.weights);
    weights[zero] = 0.3;
    const moved = lassoKKT(data, { weights, bias: fit.bias }, lambda, 1);
    expect(moved.worst).toBe(zero);
    expect(moved.maxViolation).toBeGreaterThan(0.01);
    // w = 0 with the optimal bias below λ_max: only the zero-weight condition |c_j| ≤ λα
    // fails, by exactly λ_max·α − λα at the most correlated feature.
    const ym = data.y.reduce((s, v) => s + v, 0) / data.n;
    const none = lassoKKT(data, { weights: new Float64Array(data.d), bias: ym }, lambda, 1);
    expect(none.maxViolation).toBeCloseTo(lambdaMax(data, 1) - lambda, 12);
    const half = lassoKKT(data, { weights: new Float64Array(data.d), bias: ym }, lambda, 0.5);
    expect(half.maxViolation).toBeCloseTo(lambdaMax(data, 1) - lambda / 2, 12);
    const shifted = lassoKKT(data, { weights: fit.weights, bias: fit.bias + 0.5 }, lambda, 1);
    expect(shifted.biasViolation).toBeCloseTo(0.5, 12);
    expect(elasticNetObjective(data, { weights, bias: fit.bias }, lambda, 1)).toBeGreaterThan(
      elasticNetObjective(data, fit, lambda, 1),
    );
    expect(() => lassoKKT(data, { weights: new Float64Array(2), bias: 0 }, 1, 1)).toThrow(
      /weights/,
    );
  });

  it("the objective is the canonical one (hand-computed)", () => {
    // X = [[1, 0], [0, 2]], y = [1, 1], w = [1, −1], b = 0.5: residuals 0.5, −2.5.
    const data: Dataset = { X: Float64Array.of(1, 0, 0, 2), y: Float64Array.of(1, 1), n: 2, d: 2 };
    const model = { weights: Float64Array.of(1, -1), bias: 0.5 };
    const loss = (0.25 + 6.25) / 4;
    // λ = 0.4, α = 0.25: 0.4·(0.375·2 + 0.25·2) = 0.5.
    expect(elasticNetObjective(data, model, 0.4, 0.25)).toBeCloseTo(loss + 0.5, 14);
  });
});

describe("lambdaMax (identity 16)", () => {
  /** ‖Xᵀ(y − ȳ)‖_∞/(n·α) on the raw data, independently of src. */
  function lambdaMaxByHand(data: Dataset, alpha: number): number {
    const { X, y, n, d } = data;
    const ym = y.reduce((s, v) => s + v, 0) / n;
    let top = 0;
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += (X[i * d + j] as number) * ((y[i] as number) - ym);
      top = Math.max(top, Math.abs(s / n));
    }
    return top / alpha;
  }

  for (const [name, data] of SHAPES) {
    it(`is the smallest λ with w = 0: ${name}`, () => {
      for (const alpha of [1, 0.5, 0.3, 0.07]) {
        const lmax = lambdaMax(data, alpha);
        // Same quantity summed in another order (raw X, y − ȳ): rounding of n-term sums,
        // relative ~n·ε, plus lambdaMax's possible one-ulp step up.
        expect(Math.abs(lmax / lambdaMaxByHand(data, alpha) - 1)).toBeLessThan(1e-12);
        const at = elasticNetCD(data, { lambda: lmax, alpha });
        expect(at.weights.every((w) => Object.is(w, 0))).toBe(true);
        // w = 0 already meets the KKT test there: no pass is needed.
        expect(at.iterations).toBe(0);
        // Just below λ_max the most correlated feature enters: 1e-6 relative is far above the
        // rounding of the correlations (~1e-14), so it must be strictly inside the active region.
        const below = elasticNetCD(data, { lambda: lmax * (1 - 1e-6), alpha });
        expect(below.weights.some((w) => w !== 0)).toBe(true);
      }
    });
  }

  it("rounds up where (top/α)·α < top, so λ_max still gives exact zeros", () => {
    const data = sparseData(39, 30, 6);
    const top = lambdaMax(data, 1); // α = 1 divides and multiplies by 1: exactly ‖Xcᵀyc‖_∞/n
    let roundedLow = 0;
    for (let k = 1; k <= 100; k++) {
      const alpha = k / 100;
      if ((top / alpha) * alpha < top) roundedLow++;
      const fit = elasticNetCD(data, { lambda: lambdaMax(data, alpha), alpha });
      expect(fit.weights.every((w) => Object.is(w, 0))).toBe(true);
    }
    // The test only means something if some α hit the rounding it guards against.
    expect(roundedLow).toBeGreaterThan(0);
  });

  it("for ridge (α = 0) uses glmnet's α = 0.001, and is 0 when Xᵀ(y − ȳ) = 0", () => {
    const data = sparseData(40, 20, 5);
    expect(lambdaMax(data, 0)).toBeCloseTo(1000 * lambdaMax(data, 1), 9);
    expect(lambdaMax(data, 1e-4)).toBe(lambdaMax(data, 0));
    expect(lambdaMax({ ...data, y: new Float64Array(20).fill(-1) }, 1)).toBe(0);
  });
});

describe("regularizationPath", () => {
  it("builds glmnet's log-spaced grid from λ_max", () => {
    const wide = sparseData(41, 15, 40);
    const tall = sparseData(42, 60, 8);
    for (const [data, ratio] of [
      [tall, 1e-4],
      [wide, 1e-2],
    ] as const) {
      const path = regularizationPath(data, { nLambda: 30 });
      expect(path.lambdas.length).toBe(30);
      expect(path.lambdas[0]).toBe(path.lambdaMax);
      expect(path.lambdaMax).toBe(lambdaMax(data, 1));
      // Each λ is computed from λ_max by one exp and one product: a few ulps, ~1e-15 relative.
      expect(Math.abs((path.lambdas[29] as number) / (ratio * path.lambdaMax) - 1)).toBeLessThan(
        1e-12,
      );
      const step = (path.lambdas[1] as number) / (path.lambdas[0] as number);
      for (let k = 1; k < 30; k++) {
        expect(
          Math.abs((path.lambdas[k] as number) / (path.lambdas[k - 1] as number) - step),
        ).toBeLessThan(1e-12);
      }
      expect(path.converged.every(Boolean)).toBe(true);
    }
    expect(regularizationPath(tall).lambdas.length).toBe(100);
  });

  for (const [name, data, alpha] of [
    ["lasso, n = 60, d = 8", sparseData(43, 60, 8), 1],
    ["elastic net α = 0.5, n = 15, d = 40", sparseData(44, 15, 40), 0.5],
    ["lasso, n = 20, d = 60 (eq. 4.5.4)", syntheticData(new Rng(45), 20, 60), 1],
  ] as const) {
    it(`warm-started points equal cold-start fits, sparsity grows: ${name}`, () => {
      const tol = 1e-9;
      const path = regularizationPath(data, { alpha, nLambda: 50, tol });
      const nnz = path.weights.map((w) => w.length - zeros(w));
      expect(nnz[0]).toBe(0);
      expect(path.weights[0]?.every((w) => Object.is(w, 0))).toBe(true);
      expect(nnz[nnz.length - 1]).toBeGreaterThan(0);
      // "Roughly" monotone: a lasso variable may leave the active set as λ falls, but on
      // these near-independent designs that is rare; allow one step in ten to drop.
      let drops = 0;
      for (let k = 1; k < nnz.length; k++) if ((nnz[k] as number) < (nnz[k - 1] as number)) drops++;
      expect(drops).toBeLessThanOrEqual(5);
      expect(path.converged.every(Boolean)).toBe(true);

      const mu = gramMinEigenvalue(data);
      const bound = cdKktBound(data, tol);
      let coldIterations = 0;
      let warmIterations = 0;
      path.lambdas.forEach((lambda, k) => {
        const weights = path.weights[k] as Float64Array;
        const model = { weights, bias: path.biases[k] as number };
        // Every path point carries coordinate descent's certificate.
        expect(lassoKKT(data, model, lambda, alpha).maxViolation).toBeLessThanOrEqual(bound);
        if (k % 5 !== 0) return;
        const cold = elasticNetCD(data, { lambda, alpha, tol });
        coldIterations += cold.iterations;
        warmIterations += path.iterations[k] as number;
        const strong = mu + lambda * (1 - alpha);
        if (strong > 0) {
          // Both fits have KKT residuals ≤ bound: ‖Δw‖₂ ≤ √d·2·bound/strong.
          const tolerance = (2 * Math.sqrt(data.d) * bound) / strong;
          expect(distance(weights, cold.weights)).toBeLessThanOrEqual(tolerance);
        } else {
          // Lasso with d > n: weights need not be unique; the objective is, within
          // ε·(‖w‖₁ + ‖w*‖₁) of J* for KKT residual ε (convexity).
          const jCold = elasticNetObjective(data, cold, lambda, alpha);
          const jPath = elasticNetObjective(data, model, lambda, alpha);
          let l1 = 0;
          for (const w of weights) l1 += Math.abs(w);
          for (const w of cold.weights) l1 += Math.abs(w);
          expect(Math.abs(jCold - jPath)).toBeLessThanOrEqual(2 * bound * l1 + 1e-15);
        }
      });
      // Warm starts are the point of a path: they must save passes over cold starts.
      expect(warmIterations).toBeLessThan(coldIterations);
    });
  }

  for (const [n, d] of [
    [10, 30],
    [40, 6],
  ] as const) {
    it(`α = 0 is the closed-form ridge at each λ, with a ridge-sized λ_max (n = ${n}, d = ${d})`, () => {
      const data = syntheticData(new Rng(46), n, d);
      const path = regularizationPath(data, { alpha: 0, nLambda: 10 });
      expect(path.lambdaMax).toBe(lambdaMax(data, 0));
      const { gram } = centered(data);
      let trace = 0;
      for (let j = 0; j < d; j++) trace += gram[j * d + j] as number;
      path.lambdas.forEach((lambda, k) => {
        const ridge = ridgeClosedForm(data, lambda);
        // One eigendecomposition against a Cholesky per λ: both backward stable, so they agree
        // to ~m·ε·κ relative, κ ≤ (trace + λ)/λ, m = max(n, d) the size of the system solved.
        const w = path.weights[k] as Float64Array;
        const norm = Math.hypot(...ridge.weights);
        const bound = 16 * Math.max(n, d) * Number.EPSILON * ((trace + lambda) / lambda) * norm;
        expect(
          Math.hypot(...Array.from(w, (v, j) => v - (ridge.weights[j] as number))),
        ).toBeLessThanOrEqual(bound);
        expect(path.iterations[k]).toBe(0);
      });
    });
  }

  it("ridge's path shrinks but never zeroes", () => {
    const data = syntheticData(new Rng(46), 10, 30);
    const path = regularizationPath(data, { alpha: 0, nLambda: 10 });
    // Ridge shrinks but never zeroes: at λ_max ‖w‖ is small but positive (identity 13).
    const first = path.weights[0] as Float64Array;
    expect(zeros(first)).toBe(0);
    const last = path.weights[9] as Float64Array;
    expect(Math.hypot(...first)).toBeLessThan(Math.hypot(...last));
  });

  it("takes explicit λ in any order and returns them in that order", () => {
    const data = sparseData(47, 40, 6);
    const lmax = lambdaMax(data, 1);
    const lambdas = [0.1 * lmax, lmax, 0, 0.5 * lmax];
    const tol = 1e-9;
    const path = regularizationPath(data, { lambdas, tol });
    expect(Array.from(path.lambdas)).toEqual(lambdas);
    const bound = cdKktBound(data, tol);
    const mu = gramMinEigenvalue(data);
    lambdas.forEach((lambda, k) => {
      const cold = elasticNetCD(data, { lambda, alpha: 1, tol });
      expect(distance(path.weights[k] as Float64Array, cold.weights)).toBeLessThanOrEqual(
        (2 * Math.sqrt(data.d) * bound) / mu,
      );
    });
    expect(path.weights[1]?.every((w) => Object.is(w, 0))).toBe(true);
  });

  it("constant y: λ_max = 0, the grid is anchored at 1 and every fit is w = 0", () => {
    const data = { ...sparseData(48, 10, 3), y: new Float64Array(10).fill(7) };
    for (const alpha of [1, 0]) {
      const path = regularizationPath(data, { alpha, nLambda: 5 });
      expect(path.lambdaMax).toBe(0);
      expect(path.lambdas[0]).toBe(1);
      for (const [k, w] of path.weights.entries()) {
        expect(Array.from(w)).toEqual([0, 0, 0]);
        expect(path.biases[k]).toBe(7);
      }
    }
  });

  it("rejects malformed options", () => {
    const data = sparseData(49, 10, 3);
    expect(() => regularizationPath(data, { nLambda: 0 })).toThrow(/nLambda/);
    expect(() => regularizationPath(data, { lambdaMinRatio: 0 })).toThrow(/lambdaMinRatio/);
    expect(() => regularizationPath(data, { lambdaMinRatio: 2 })).toThrow(/lambdaMinRatio/);
    expect(() => regularizationPath(data, { lambdas: [] })).toThrow(/empty/);
    expect(() => regularizationPath(data, { lambdas: [1, -1] })).toThrow(/lambda/);
    expect(() => regularizationPath(data, { alpha: -0.1 })).toThrow(/alpha/);
  });
});
