import { describe, expect, it } from "vitest";
import {
  CONVENTION_IDS,
  type ConventionId,
  convertLambda,
  describeLambda,
  LAMBDA_CONVENTIONS,
  type PenaltyKind,
  parseConvention,
  toCanonicalPenalty,
} from "../src/conventions.js";
import { type Dataset, type SyntheticOptions, syntheticData } from "../src/data.js";
import { Rng } from "../src/random.js";
import { choleskySolve, ridgeClosedForm } from "../src/ridge.js";

const EPS = Number.EPSILON;

// ---------------------------------------------------------------------------------------------
// Each library's objective, transcribed as the library writes it (r = Xw + b − y), with the
// gradient of its smooth part (everything but the L1 term) and the weight of its ‖w‖₁ term.
// ---------------------------------------------------------------------------------------------

interface LibraryObjective {
  readonly name: string;
  readonly convention: ConventionId;
  readonly kind: PenaltyKind;
  /** The canonical mixing α this setting stands for (0: L2, 1: L1). */
  readonly mix: number;
  smooth(p: Dataset, w: Float64Array, b: number, v: number): number;
  /** ∇ of {@link smooth}: d weight entries, then the bias. */
  gradient(p: Dataset, w: Float64Array, b: number, v: number): Float64Array;
  l1Weight(v: number): number;
}

function residual(p: Dataset, w: Float64Array, b: number): Float64Array {
  const r = new Float64Array(p.n);
  for (let i = 0; i < p.n; i++) {
    let s = b - (p.y[i] as number);
    for (let j = 0; j < p.d; j++) s += (p.X[i * p.d + j] as number) * (w[j] as number);
    r[i] = s;
  }
  return r;
}

const sumSq = (v: Float64Array) => v.reduce((s, x) => s + x * x, 0);
const sum = (v: Float64Array) => v.reduce((s, x) => s + x, 0);
const norm1 = (v: Float64Array) => v.reduce((s, x) => s + Math.abs(x), 0);

/** [Xᵀr·a + c·w ; Σr·a]: the gradient shape shared by every loss here. */
function gradientOf(p: Dataset, r: Float64Array, w: Float64Array, a: number, c: number) {
  const g = new Float64Array(p.d + 1);
  for (let j = 0; j < p.d; j++) {
    let s = 0;
    for (let i = 0; i < p.n; i++) s += (p.X[i * p.d + j] as number) * (r[i] as number);
    g[j] = a * s + c * (w[j] as number);
  }
  g[p.d] = a * sum(r);
  return g;
}

function elasticRows(convention: ConventionId, describe: string, ratio: number): LibraryObjective {
  // (1/(2n))‖r‖² + v·ratio‖w‖₁ + v(1 − ratio)/2‖w‖²: sklearn ElasticNet(alpha = v, l1_ratio),
  // glmnet(lambda = v, alpha = ratio), and the canonical elastic net.
  return {
    name: `${describe}, mixing ${ratio}`,
    convention,
    kind: ratio === 0 ? "l2" : ratio === 1 ? "l1" : "elastic",
    mix: ratio,
    smooth: (p, w, b, v) =>
      sumSq(residual(p, w, b)) / (2 * p.n) + ((v * (1 - ratio)) / 2) * sumSq(w),
    gradient: (p, w, b, v) => gradientOf(p, residual(p, w, b), w, 1 / p.n, v * (1 - ratio)),
    l1Weight: (v) => v * ratio,
  };
}

function glmnetRows(ratio: number): LibraryObjective {
  // glmnet(lambda = v, alpha = ratio), gaussian: fitted on y/sd(y) with v/sd(y), coefficients
  // scaled back, which is (1/(2n))‖r‖² + v·ratio‖w‖₁ + v(1 − ratio)/(2·sd(y))‖w‖².
  return {
    name: `glmnet, mixing ${ratio} (y scaled)`,
    convention: "glmnet",
    kind: ratio === 0 ? "l2" : ratio === 1 ? "l1" : "elastic",
    mix: ratio,
    smooth: (p, w, b, v) =>
      sumSq(residual(p, w, b)) / (2 * p.n) + ((v * (1 - ratio)) / (2 * labelSd(p))) * sumSq(w),
    gradient: (p, w, b, v) =>
      gradientOf(p, residual(p, w, b), w, 1 / p.n, (v * (1 - ratio)) / labelSd(p)),
    l1Weight: (v) => v * ratio,
  };
}

function sgdRegressor(penalty: "l2" | "l1" | "elasticnet", l1Ratio: number): LibraryObjective {
  // (1/n) Σ L(yᵢ, f(xᵢ)) + alpha·R(w) with squared_error L = ½(y − f)² and R = ½‖w‖² (l2),
  // ‖w‖₁ (l1), or (1 − l1_ratio)/2‖w‖² + l1_ratio‖w‖₁ (elasticnet).
  const [l2Part, l1Part] =
    penalty === "l2" ? [1, 0] : penalty === "l1" ? [0, 1] : [1 - l1Ratio, l1Ratio];
  return {
    name: `sklearn SGDRegressor(penalty='${penalty}'${penalty === "elasticnet" ? `, l1_ratio=${l1Ratio}` : ""})`,
    convention: "sklearn-sgd",
    kind: penalty === "elasticnet" ? "elastic" : penalty,
    mix: l1Part,
    smooth: (p, w, b, v) => {
      const r = residual(p, w, b);
      let loss = 0;
      for (const ri of r) loss += 0.5 * ri * ri;
      return loss / p.n + v * (l2Part / 2) * sumSq(w);
    },
    gradient: (p, w, b, v) => gradientOf(p, residual(p, w, b), w, 1 / p.n, v * l2Part),
    l1Weight: (v) => v * l1Part,
  };
}

const OBJECTIVES: readonly LibraryObjective[] = [
  {
    name: "canonical mean ½r² + (λ/2)‖w‖²",
    convention: "canonical",
    kind: "l2",
    mix: 0,
    smooth: (p, w, b, v) => sumSq(residual(p, w, b)) / (2 * p.n) + (v / 2) * sumSq(w),
    gradient: (p, w, b, v) => gradientOf(p, residual(p, w, b), w, 1 / p.n, v),
    l1Weight: () => 0,
  },
  elasticRows("canonical", "canonical elastic net", 0.4),
  elasticRows("canonical", "canonical lasso", 1),
  {
    // torch.nn.MSELoss() is mean(r²); torch.optim.SGD(weight_decay=wd) adds wd·w to the weight's
    // gradient (the bias sits in a group with weight_decay = 0). The gradient below is exactly
    // that; the smooth value is its potential, mean(r²) + (wd/2)‖w‖².
    name: "PyTorch SGD(weight_decay) + MSELoss",
    convention: "pytorch",
    kind: "l2",
    mix: 0,
    smooth: (p, w, b, v) => sumSq(residual(p, w, b)) / p.n + (v / 2) * sumSq(w),
    gradient: (p, w, b, v) => gradientOf(p, residual(p, w, b), w, 2 / p.n, v),
    l1Weight: () => 0,
  },
  {
    // Keras mean_squared_error (mean r², no ½) plus l2(c), which adds c·Σw² to the loss.
    name: "Keras l2(c) + MSE",
    convention: "keras",
    kind: "l2",
    mix: 0,
    smooth: (p, w, b, v) => sumSq(residual(p, w, b)) / p.n + v * sumSq(w),
    gradient: (p, w, b, v) => gradientOf(p, residual(p, w, b), w, 2 / p.n, 2 * v),
    l1Weight: () => 0,
  },
  {
    // sklearn Ridge: ‖y − Xw − b‖² + alpha‖w‖², intercept unpenalized.
    name: "sklearn Ridge(alpha)",
    convention: "sklearn-ridge",
    kind: "l2",
    mix: 0,
    smooth: (p, w, b, v) => sumSq(residual(p, w, b)) + v * sumSq(w),
    gradient: (p, w, b, v) => gradientOf(p, residual(p, w, b), w, 2, 2 * v),
    l1Weight: () => 0,
  },
  sgdRegressor("l2", 0),
  sgdRegressor("l1", 0),
  sgdRegressor("elasticnet", 0.15),
  {
    // sklearn Lasso: (1/(2n))‖y − Xw − b‖² + alpha‖w‖₁.
    name: "sklearn Lasso(alpha)",
    convention: "sklearn-lasso",
    kind: "l1",
    mix: 1,
    smooth: (p, w, b) => sumSq(residual(p, w, b)) / (2 * p.n),
    gradient: (p, w, b) => gradientOf(p, residual(p, w, b), w, 1 / p.n, 0),
    l1Weight: (v) => v,
  },
  elasticRows("sklearn-elasticnet", "sklearn ElasticNet", 0.5),
  elasticRows("sklearn-elasticnet", "sklearn ElasticNet", 0),
  elasticRows("sklearn-elasticnet", "sklearn ElasticNet", 1),
  glmnetRows(0.7),
  glmnetRows(0),
  glmnetRows(1),
];

/**
 * The labels' standard deviation, divisor n (glmnet's internal scale of y), of the problem whose
 * features these are: glmnet's objective depends on it, and the helpers below evaluate gradients
 * with the labels zeroed, which must not change the objective.
 */
const LABEL_SD = new WeakMap<Float64Array, number>();
function labelSd(p: Dataset): number {
  const known = LABEL_SD.get(p.X);
  if (known !== undefined) return known;
  const mean = sum(p.y) / p.n;
  const sd = Math.sqrt(p.y.reduce((a, v) => a + (v - mean) ** 2, 0) / p.n);
  LABEL_SD.set(p.X, sd);
  return sd;
}

/** The canonical penalty of a library setting on problem p (n and sd(y) from p). */
function converted(obj: LibraryObjective, p: Dataset, v: number) {
  return toCanonicalPenalty(v, obj.mix, obj.convention, { n: p.n, ySd: labelSd(p) });
}

/** The library's value whose canonical λ is `lambda`. */
function fromCanonical(obj: LibraryObjective, p: Dataset, lambda: number): number {
  return LAMBDA_CONVENTIONS[obj.convention].fromCanonical(lambda, {
    n: p.n,
    alpha: obj.mix,
    ySd: labelSd(p),
  });
}

/** The canonical objective with the L1 part, λ[(1 − α)/2‖w‖² + α‖w‖₁]. */
function canonicalObjective(
  p: Dataset,
  w: Float64Array,
  b: number,
  lambda: number,
  mix: number,
): number {
  return (
    sumSq(residual(p, w, b)) / (2 * p.n) + lambda * (((1 - mix) / 2) * sumSq(w) + mix * norm1(w))
  );
}

// ---------------------------------------------------------------------------------------------
// Seeded problems: d < n at three scales (the chapter's own tiny weights included) and d > n.
// ---------------------------------------------------------------------------------------------

interface ProblemSpec {
  readonly seed: number;
  readonly n: number;
  readonly d: number;
  readonly options: SyntheticOptions;
}

const PROBLEMS: readonly ProblemSpec[] = [
  { seed: 11, n: 40, d: 5, options: { trueWeight: 0.5, trueBias: 1, noiseStd: 0.5 } },
  { seed: 12, n: 25, d: 8, options: { trueWeight: -0.2, trueBias: -0.3, noiseStd: 1 } },
  { seed: 13, n: 60, d: 3, options: {} },
  { seed: 14, n: 12, d: 20, options: { trueWeight: 0.3, noiseStd: 0.2 } },
];

const problem = (s: ProblemSpec) => {
  const p = syntheticData(new Rng(s.seed), s.n, s.d, s.options);
  labelSd(p); // fixes sd(y) for these features before any labels are zeroed
  return p;
};
const unit = (m: number, k: number) => {
  const e = new Float64Array(m);
  e[k] = 1;
  return e;
};
const withoutLabels = (p: Dataset): Dataset => ({ ...p, y: new Float64Array(p.n) });
const maxAbs = (v: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i] as number));
  return m;
};

function gradientAt(obj: LibraryObjective, p: Dataset, theta: Float64Array, v: number) {
  return obj.gradient(p, theta.subarray(0, p.d), theta[p.d] as number, v);
}

/**
 * Minimizes a quadratic objective through its normal equations Hθ = −∇f(0), θ = (w, b). With the
 * labels zeroed the gradient is linear, so H's columns are ∇f at the unit vectors, without the
 * cancellation of differencing two gradients. Also returns κ∞(H) = ‖H‖∞‖H⁻¹‖∞.
 */
function minimizeQuadratic(obj: LibraryObjective, p: Dataset, v: number) {
  const m = p.d + 1;
  const H = new Float64Array(m * m);
  const noLabels = withoutLabels(p);
  for (let k = 0; k < m; k++) {
    const column = gradientAt(obj, noLabels, unit(m, k), v);
    for (let j = 0; j < m; j++) H[j * m + k] = column[j] as number;
  }
  const rhs = gradientAt(obj, p, new Float64Array(m), v).map((g) => -g);
  const theta = choleskySolve(H, rhs, m);
  let normH = 0;
  let normInv = 0;
  const inverseRows = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const column = choleskySolve(H, unit(m, k), m);
    for (let j = 0; j < m; j++)
      inverseRows[j] = (inverseRows[j] as number) + Math.abs(column[j] as number);
  }
  for (let j = 0; j < m; j++) {
    let row = 0;
    for (let k = 0; k < m; k++) row += Math.abs(H[j * m + k] as number);
    normH = Math.max(normH, row);
    normInv = Math.max(normInv, inverseRows[j] as number);
  }
  return { theta, kappa: normH * normInv };
}

const soft = (x: number, a: number) => Math.sign(x) * Math.max(Math.abs(x) - a, 0);

/**
 * Proximal coordinate descent on `smooth + l1Weight·‖w‖₁`: the exact minimizer along each weight
 * is a soft-threshold at l1Weight/H_jj of the Newton step (the smooth part is quadratic), and the
 * bias takes its exact Newton step. Stops when a sweep moves no coordinate by more than 1e-14 of
 * the largest one, and returns the last sweep's largest move for the KKT tolerance.
 */
function coordinateDescent(obj: LibraryObjective, p: Dataset, v: number) {
  const m = p.d + 1;
  const noLabels = withoutLabels(p);
  const curvature = Array.from(
    { length: m },
    (_, k) => gradientAt(obj, noLabels, unit(m, k), v)[k] as number,
  );
  const l1 = obj.l1Weight(v);
  const theta = new Float64Array(m);
  for (let sweep = 1; sweep <= 200_000; sweep++) {
    let step = 0;
    for (let k = 0; k < m; k++) {
      const g = gradientAt(obj, p, theta, v)[k] as number;
      const h = curvature[k] as number;
      const old = theta[k] as number;
      const next = k < p.d ? soft(old - g / h, l1 / h) : old - g / h;
      theta[k] = next;
      step = Math.max(step, Math.abs(next - old));
    }
    if (step <= 1e-14 * maxAbs(theta)) return { theta, sweeps: sweep, lastStep: step };
  }
  throw new Error(`coordinate descent did not converge for ${obj.name}`);
}

/**
 * The largest violation of the canonical KKT conditions (identities 16, 17) at (w, b):
 * with G_j = x_jᵀr/n + λ(1 − α)w_j, `G_j + λα·sign(w_j) = 0` where w_j ≠ 0, `|G_j| ≤ λα` where
 * w_j = 0, and Σr/n = 0 for the unpenalized bias. Also returns a per-problem rounding scale: the
 * largest (1/n)Σ|x_ij|(|ŷ_i| + |y_i|), the size of the terms the n-term sums add.
 */
function kktViolation(p: Dataset, theta: Float64Array, lambda: number, mix: number) {
  const w = theta.subarray(0, p.d);
  const b = theta[p.d] as number;
  const r = residual(p, w, b);
  const g = gradientOf(p, r, w, 1 / p.n, lambda * (1 - mix));
  let violation = Math.abs(g[p.d] as number);
  let terms = 0;
  for (let j = 0; j < p.d; j++) {
    const wj = w[j] as number;
    const gj = g[j] as number;
    const v =
      wj !== 0
        ? Math.abs(gj + lambda * mix * Math.sign(wj))
        : Math.max(0, Math.abs(gj) - lambda * mix);
    violation = Math.max(violation, v);
    let t = 0;
    for (let i = 0; i < p.n; i++) {
      t +=
        Math.abs(p.X[i * p.d + j] as number) *
        (Math.abs((r[i] as number) + (p.y[i] as number)) + Math.abs(p.y[i] as number));
    }
    terms = Math.max(terms, t / p.n + lambda * Math.abs(wj));
  }
  return { violation, terms };
}

/** λ_max = ‖Xᵀ(y − ȳ)‖∞/n (identity 16): the smallest canonical L1 weight with w = 0. */
function lambdaMax(p: Dataset): number {
  const yMean = sum(p.y) / p.n;
  let best = 0;
  for (let j = 0; j < p.d; j++) {
    let s = 0;
    for (let i = 0; i < p.n; i++) s += (p.X[i * p.d + j] as number) * ((p.y[i] as number) - yMean);
    best = Math.max(best, Math.abs(s) / p.n);
  }
  return best;
}

/** The canonical Hessian's largest absolute row sum, ‖H‖∞ for H = [X 1]ᵀ[X 1]/n + λ(1 − α)I_w. */
function canonicalHessianNorm(p: Dataset, l2: number): number {
  let best = 0;
  for (let j = 0; j <= p.d; j++) {
    let row = j < p.d ? l2 : 0;
    for (let k = 0; k <= p.d; k++) {
      let s = 0;
      for (let i = 0; i < p.n; i++) {
        const xj = j < p.d ? (p.X[i * p.d + j] as number) : 1;
        const xk = k < p.d ? (p.X[i * p.d + k] as number) : 1;
        s += xj * xk;
      }
      row += Math.abs(s) / p.n;
    }
    best = Math.max(best, row);
  }
  return best;
}

const relativeError = (a: Float64Array, b: Float64Array) => {
  let diff = 0;
  for (let i = 0; i < a.length; i++)
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
  return diff / maxAbs(b);
};

function ridgeTheta(p: Dataset, lambda: number): Float64Array {
  const { weights, bias } = ridgeClosedForm(p, lambda);
  return Float64Array.from([...weights, bias]);
}

// ---------------------------------------------------------------------------------------------

describe("the convention registry", () => {
  it("lists every convention once, under its own id, with the kinds it applies to", () => {
    expect(Object.keys(LAMBDA_CONVENTIONS).sort()).toEqual([...CONVENTION_IDS].sort());
    for (const id of CONVENTION_IDS) {
      const c = LAMBDA_CONVENTIONS[id];
      expect(c.id).toBe(id);
      expect(c.kinds.length).toBeGreaterThan(0);
      expect(c.explanation.length).toBeGreaterThan(0);
    }
    expect(LAMBDA_CONVENTIONS.pytorch.kinds).toEqual(["l2"]);
    expect(LAMBDA_CONVENTIONS["sklearn-lasso"].kinds).toEqual(["l1"]);
    // Every library objective below exercises a kind its convention claims.
    for (const obj of OBJECTIVES)
      expect(LAMBDA_CONVENTIONS[obj.convention].kinds).toContain(obj.kind);
  });

  it("states the table's numbers: wd/2, c, alpha/n, alpha, and the same number for L1", () => {
    const n = 50;
    const v = 0.3;
    const expected: Record<ConventionId, number> = {
      canonical: v,
      pytorch: v / 2,
      keras: v,
      "sklearn-ridge": v / n,
      "sklearn-sgd": v,
      "sklearn-lasso": v,
      "sklearn-elasticnet": v,
      glmnet: v,
      // C is an inverse strength: λ = 1/(n·C).
      "sklearn-logistic": 1 / (n * v),
      "glmnet-binomial": v,
      "glmnet-multinomial": v,
    };
    const scales: Record<ConventionId, number> = {
      canonical: 1,
      pytorch: 2,
      keras: 2,
      "sklearn-ridge": 2 * n,
      "sklearn-sgd": 1,
      "sklearn-lasso": 1,
      "sklearn-elasticnet": 1,
      glmnet: 1,
      "sklearn-logistic": n * v,
      "glmnet-binomial": 1,
      "glmnet-multinomial": 1,
    };
    for (const id of CONVENTION_IDS) {
      // One multiplication or division by an exact or correctly rounded factor: within a
      // rounding or two.
      expect(LAMBDA_CONVENTIONS[id].toCanonical(v, { n })).toBeCloseTo(expected[id], 15);
      expect(LAMBDA_CONVENTIONS[id].objectiveScale({ n }, v)).toBe(scales[id]);
    }
    expect(LAMBDA_CONVENTIONS["sklearn-logistic"].family).toBe("classification");
    // Across families only through the canonical λ, which weighs the penalty on either loss.
    expect(() => convertLambda(1, "pytorch", "sklearn-logistic", { n })).toThrow(/regression/);
    expect(convertLambda(0.5, "sklearn-logistic", "canonical", { n })).toBe(1 / (n * 0.5));
    expect(LAMBDA_CONVENTIONS.glmnet.family).toBe("regression");
    // C = 0 would be an infinite penalty, and a λ of 0 no finite C: both refused.
    expect(() => LAMBDA_CONVENTIONS["sklearn-logistic"].toCanonical(0, { n })).toThrow(/> 0/);
    expect(() => LAMBDA_CONVENTIONS["sklearn-logistic"].fromCanonical(0, { n })).toThrow(/> 0/);
  });

  it("round-trips every convention through the canonical λ", () => {
    // x·f/f and x/f·f are within two roundings of x: relative error ≤ 2ε, checked at 4ε.
    for (const id of CONVENTION_IDS) {
      const c = LAMBDA_CONVENTIONS[id];
      for (const n of [1, 7, 1000]) {
        for (const v of [0, 1e-12, 3e-4, 0.3, 7, 1e9]) {
          if (v === 0 && c.inverse) continue;
          const there = c.fromCanonical(c.toCanonical(v, { n }), { n });
          const back = c.toCanonical(c.fromCanonical(v, { n }), { n });
          expect(Math.abs(there - v)).toBeLessThanOrEqual(4 * EPS * v);
          expect(Math.abs(back - v)).toBeLessThanOrEqual(4 * EPS * v);
        }
      }
    }
  });

  it("converts between libraries through the canonical λ", () => {
    expect(convertLambda(0.01, "pytorch", "canonical")).toBeCloseTo(0.005, 16);
    expect(convertLambda(0.01, "pytorch", "keras")).toBeCloseTo(0.005, 16);
    expect(convertLambda(0.01, "pytorch", "sklearn-ridge", { n: 50 })).toBeCloseTo(0.25, 14);
    expect(convertLambda(2, "sklearn-ridge", "sklearn-sgd", { n: 100 })).toBeCloseTo(0.02, 16);
    expect(convertLambda(0.1, "sklearn-elasticnet", "glmnet", { kind: "elastic" })).toBe(0.1);
    expect(convertLambda(0.1, "sklearn-lasso", "sklearn-sgd")).toBe(0.1);
    expect(convertLambda(0.1, LAMBDA_CONVENTIONS.keras, LAMBDA_CONVENTIONS.pytorch)).toBeCloseTo(
      0.2,
      16,
    );
  });

  it("refuses what has no meaning: unknown names, L2 values as L1 weights, missing n, bad values", () => {
    expect(() => parseConvention("torch")).toThrow(/unknown λ convention "torch"/);
    expect(() => parseConvention("torch")).toThrow(new RegExp(CONVENTION_IDS.join(", ")));
    expect(parseConvention(" Sklearn-Ridge ").id).toBe("sklearn-ridge");
    expect(() => convertLambda(0.1, "pytorch", "sklearn-lasso")).toThrow(/share no penalty kind/);
    expect(() => convertLambda(0.1, "glmnet", "keras", { kind: "l1" })).toThrow(
      /does not apply to l1/,
    );
    expect(() => convertLambda(0.1, "sklearn-ridge", "canonical")).toThrow(/pass \{ n \}/);
    expect(() => convertLambda(0.1, "canonical", "sklearn-ridge", { n: 2.5 })).toThrow(
      /positive integer/,
    );
    expect(() => convertLambda(-1, "canonical", "keras")).toThrow(/≥ 0/);
    expect(() => convertLambda(Number.NaN, "canonical", "keras")).toThrow(/≥ 0/);
    expect(() => LAMBDA_CONVENTIONS.glmnet.fromCanonical(Number.POSITIVE_INFINITY)).toThrow(
      /finite/,
    );
  });

  it("describes a λ with its convention, and its canonical value", () => {
    for (const id of CONVENTION_IDS) {
      const text = describeLambda(0.02, id, { n: 10 });
      expect(text).toContain(`${id} convention`);
      expect(text).toContain(LAMBDA_CONVENTIONS[id].parameter);
    }
    expect(describeLambda(0.02, "pytorch")).toContain("weight_decay = 0.02");
    expect(describeLambda(0.02, "pytorch")).toContain("canonical λ = 0.01");
    expect(describeLambda(0.5, "sklearn-ridge", { n: 100 })).toContain("canonical λ = 0.005");
    expect(describeLambda(0.5, "sklearn-ridge")).toContain("depends on n");
    expect(describeLambda(0.1 + 0.2, "canonical")).toMatch(/^λ = 0\.3 \(canonical convention/);
  });
});

describe("each row of the conventions table is a property", () => {
  it("each library objective's gradient is the derivative of its objective", () => {
    // The smooth parts are quadratic, so a central difference has no truncation error, only
    // rounding ≈ ε|f|/h; h = 1e-4 makes that ~1e-12·|f|, checked at 1e-7 relative. A
    // transcription slip (a lost factor 2 or n) is an O(1) relative error.
    for (const spec of PROBLEMS) {
      const p = problem(spec);
      const rng = new Rng(spec.seed + 100);
      for (const obj of OBJECTIVES) {
        const theta = Float64Array.from({ length: p.d + 1 }, () => rng.normal());
        const v = 0.37;
        const g = gradientAt(obj, p, theta, v);
        const h = 1e-4;
        const f = (t: Float64Array) => obj.smooth(p, t.subarray(0, p.d), t[p.d] as number, v);
        for (let k = 0; k <= p.d; k++) {
          const plus = Float64Array.from(theta);
          const minus = Float64Array.from(theta);
          plus[k] = (plus[k] as number) + h;
          minus[k] = (minus[k] as number) - h;
          const fd = (f(plus) - f(minus)) / (2 * h);
          expect(Math.abs(fd - (g[k] as number))).toBeLessThanOrEqual(
            1e-7 * (Math.abs(f(theta)) + 1),
          );
        }
      }
    }
  });

  it("library objective = objectiveScale × canonical objective at the converted λ, everywhere", () => {
    // Both sides are sums of n + 2d non-negative terms, so each is within (n + 2d)ε relative of
    // its exact value; 4(n + 2d)ε covers both plus the products by the scale.
    for (const spec of PROBLEMS) {
      const p = problem(spec);
      const rng = new Rng(spec.seed + 200);
      for (const obj of OBJECTIVES) {
        const c = LAMBDA_CONVENTIONS[obj.convention];
        for (const v of [0, 0.05, 2.5]) {
          const { lambda, alpha: mix } = converted(obj, p, v);
          const s = c.objectiveScale({ n: p.n });
          const w = Float64Array.from({ length: p.d }, () => rng.normal());
          const b = rng.normal();
          const library = obj.smooth(p, w, b, v) + obj.l1Weight(v) * norm1(w);
          const canonical = canonicalObjective(p, w, b, lambda, mix);
          expect(Math.abs(library - s * canonical)).toBeLessThanOrEqual(
            4 * (p.n + 2 * p.d) * EPS * Math.abs(library),
          );
        }
      }
    }
  });

  for (const obj of OBJECTIVES.filter((o) => o.kind === "l2")) {
    it(`L2: the minimizer of ${obj.name} is ridge at the converted λ`, () => {
      for (const spec of PROBLEMS) {
        const p = problem(spec);
        for (const canonicalLambda of [1e-3, 0.05, 2]) {
          const v = fromCanonical(obj, p, canonicalLambda);
          const { theta, kappa } = minimizeQuadratic(obj, p, v);
          const reference = ridgeTheta(p, converted(obj, p, v).lambda);
          // The library's system H is s times the canonical Hessian of (w, b) (same κ); ridge
          // solves its Schur complement XcᵀXc + nλI, or the dual XcXcᵀ + nλI, neither worse
          // conditioned. Forming the Gram sums (n terms) and Cholesky (m = d + 1) give a
          // backward error ~(n + m)ε, so each solution is within ~(n + m)ε·κ relative; 16× that.
          const tolerance = 16 * (p.n + p.d + 1) * EPS * kappa;
          expect(relativeError(theta, reference)).toBeLessThanOrEqual(tolerance);
        }
      }
    });
  }

  for (const obj of OBJECTIVES.filter((o) => o.kind !== "l2")) {
    it(`${obj.kind === "l1" ? "L1" : "elastic net"}: the minimizer of ${obj.name} meets the canonical KKT conditions at the converted λ`, () => {
      for (const spec of PROBLEMS) {
        const p = problem(spec);
        const top = lambdaMax(p);
        for (const fraction of [0.05, 0.3, 0.7]) {
          // About fraction·λ_max as the canonical L1 weight λα: between no zeros and all zeros.
          const v = fromCanonical(obj, p, (fraction * top) / obj.mix);
          const { lambda, alpha: mix } = converted(obj, p, v);
          const { theta, lastStep } = coordinateDescent(obj, p, v);
          const nonzero = Array.from(theta.subarray(0, p.d)).filter((x) => x !== 0).length;
          expect(nonzero).toBeGreaterThan(0);
          const { violation, terms } = kktViolation(p, theta, lambda, mix);
          // After the last sweep each coordinate's condition held exactly when it was updated;
          // the later moves (each ≤ lastStep) shift its gradient by at most ‖H‖∞·lastStep, and
          // the n-term sums round by ~nε·terms. A wrong factor in the conversion shifts the
          // condition by O(λ), far above this.
          const tolerance = 4 * (canonicalHessianNorm(p, lambda) * lastStep + p.n * EPS * terms);
          expect(violation).toBeLessThanOrEqual(tolerance);
          expect(tolerance).toBeLessThan(1e-6 * lambda * mix);
        }
      }
    });
  }
});

describe("the properties catch a wrong conversion", () => {
  const spec = PROBLEMS[0] as ProblemSpec;
  const p = problem(spec);

  it("ridge at a mis-converted λ misses the library's minimizer by far more than the tolerance", () => {
    const cases: [LibraryObjective, (v: number, n: number) => number][] = [
      // Reading weight_decay, Ridge's alpha or Keras's c as if canonical, or halving c because
      // Keras "doubles the objective".
      [OBJECTIVES.find((o) => o.convention === "pytorch") as LibraryObjective, (v) => v],
      [OBJECTIVES.find((o) => o.convention === "sklearn-ridge") as LibraryObjective, (v) => v],
      [
        OBJECTIVES.find((o) => o.convention === "sklearn-ridge") as LibraryObjective,
        (v, n) => v / (2 * n),
      ],
      [OBJECTIVES.find((o) => o.convention === "keras") as LibraryObjective, (v) => v / 2],
    ];
    for (const [obj, wrong] of cases) {
      const v = 0.5;
      const { theta, kappa } = minimizeQuadratic(obj, p, v);
      const tolerance = 16 * (p.n + p.d + 1) * EPS * kappa;
      expect(relativeError(theta, ridgeTheta(p, wrong(v, p.n)))).toBeGreaterThan(1e6 * tolerance);
    }
  });

  it("the KKT check fails at twice or half the converted L1 weight", () => {
    const obj = OBJECTIVES.find((o) => o.convention === "sklearn-lasso") as LibraryObjective;
    const lambda = 0.3 * lambdaMax(p);
    const { theta } = coordinateDescent(obj, p, lambda);
    for (const factor of [0.5, 2]) {
      expect(kktViolation(p, theta, factor * lambda, 1).violation).toBeGreaterThan(0.1 * lambda);
    }
  });
});
