/**
 * The identities of the toolkit, checked on the backend: the orthonormal design (14), the soft
 * threshold and the proximal step (15), the lasso's KKT conditions and λ_max (16), the elastic net
 * between ridge and lasso (17), the Bayesian reading of ridge (19), and one property per λ
 * convention of another library (the conventions table of IDENTITIES.md).
 *
 * The float64 host solvers of core (`ridgeClosedForm`, `elasticNetCD`, `elasticNetProx`,
 * `lambdaMax`, `ridgePosterior`) give the truth; what is tested is the backend's arithmetic:
 * gradients composed from its primitives (`linearGradient`, `axpby`, `unary("sign")`),
 * `softThreshold`, `matmul` and `sum`. Where the host solution is itself an approximation (an
 * iterative solver stopped at a tolerance, a Cholesky solve), the tolerance holds an a-priori
 * bound on its error, never its measured residual: the backward error of a stable solve for the
 * closed forms, the certificate a solver documents at the tolerance it was called with for the
 * iterative ones (see references.ts, whose `ref-…` properties check those answers on their own).
 * A residual measured at the answer would hide a wrong answer in its own tolerance.
 */

import {
  type Backend,
  type ConventionId,
  type Dataset,
  elasticNetCD,
  elasticNetProx,
  LAMBDA_CONVENTIONS,
  type LinearModel,
  lambdaMax,
  laplacePriorToL1,
  linearGradient,
  type PenaltyKind,
  ridgeClosedForm,
  ridgePosterior,
  type Tensor,
  toCanonicalPenalty,
} from "@wdecay/core";
import fc from "fast-check";
import { type LinearProblem, linearProblem, unitValues, values } from "../arbitraries.js";
import { type ConformanceProperty, defineProperty } from "../property.js";
import { type Keep, scoped } from "../scope.js";
import { gamma, type Meter, SAFETY, sumTolerance, unitRoundoff } from "../tolerance.js";
import { CLASSIFIER_CONVENTION_PROPERTIES } from "./classifier-conventions.js";
import { column, hostGradient, maxAbs } from "./linear.js";
import {
  cdCertificate,
  centerHost,
  type HostCentered,
  proxCertificate,
  ridgeResidualBound,
} from "./references.js";

/** `S_t(v) = sign(v)·max(|v| − t, 0)` in float64, +0 in the dead zone. */
function shrink(v: number, t: number): number {
  return v > t ? v - t : v < -t ? v + t : 0;
}

function hostDataset(p: LinearProblem): Dataset {
  return { X: Float64Array.from(p.X), y: Float64Array.from(p.y), n: p.n, d: p.d };
}

/**
 * Tolerance of the iterative host solutions (coordinate descent, FISTA): tight, so that the
 * certificate each documents at it (CD: every KKT residual ≤ √v_j·(d − 1)·tol·sd(y); FISTA:
 * ≤ 2·tol·‖Xcᵀyc‖_∞/n), which the stationarity checks allow, is of the order of float64 rounding.
 */
const HOST_TOL = 1e-14;

/**
 * The looser tolerances a host solver is run at, in turn, when it does not converge at
 * {@link HOST_TOL} (about 0.2% of draws for CD, 1% for FISTA, whose criterion relative to
 * ‖Xcᵀyc‖_∞/n can lie below rounding when Xc is nearly orthogonal to yc): the certificate is
 * that of the tolerance it converged at.
 */
const HOST_TOLS = [HOST_TOL, 1e-12, 1e-10];

/**
 * Most passes (steps) of the host solvers, their own default. A fit that converges at none of
 * {@link HOST_TOLS} within it certifies nothing, and its stationarity is not checked (its values
 * still are).
 */
const HOST_MAX_ITER = 100_000;

/**
 * An objective `F = c·L(w, b) + (l2/2)‖w‖² + l1‖w‖₁`, with `L = (1/n)Σ½(wᵀxᵢ + b − yᵢ)²` the
 * canonical loss: `c = 1` is the canonical elastic net with `l2 = λ(1 − α)`, `l1 = λα`; another
 * library's objective has its own `c` (PyTorch's MSELoss without ½: 2) and coefficients.
 */
export interface Objective {
  readonly c: number;
  readonly l2: number;
  readonly l1: number;
}

/**
 * On the backend: the minimum-norm-at-nonzeros subgradient `v = c·∇L + l2·w + l1·sign(w)` (d×1;
 * at w_j = 0 the sign is 0, so v_j is the smooth part's gradient) and `c·∂L/∂b` (1×1), composed
 * from `linearGradient`, `axpby` and `unary("sign")`.
 */
function backendSubgradient(
  backend: Backend,
  keep: Keep,
  t: { X: Tensor; y: Tensor; W: Tensor; B: Tensor },
  f: Objective,
): { v: Tensor; gb: Tensor } {
  let gw: Tensor;
  let gb: Tensor;
  if (f.c === 1) {
    const g = linearGradient(backend, t.X, t.y, t.W, t.B, f.l2);
    gw = keep(g.gw);
    gb = keep(g.gb);
  } else {
    const g = linearGradient(backend, t.X, t.y, t.W, t.B, 0);
    keep(g.gw);
    keep(g.gb);
    gw = keep(backend.axpby(f.c, g.gw, f.l2, t.W));
    gb = keep(backend.axpby(f.c, g.gb, 0, g.gb));
  }
  if (f.l1 === 0) return { v: gw, gb };
  const sign = keep(backend.unary("sign", t.W));
  return { v: keep(backend.axpby(1, gw, f.l1, sign)), gb };
}

/**
 * The same subgradient in float64 on the host, with the sign term taken from `signOf` (the
 * weights as the backend stores them), and for each entry: the magnitude of everything summed
 * into it (the scale of its rounding), the factor by which underflow errors may be multiplied
 * (`factorSum` of {@link sumTolerance}: c times each of the chain's operations, then the two
 * products of the penalty terms), and the number of chained operations.
 */
function hostSubgradient(
  p: LinearProblem,
  w: readonly number[],
  b: number,
  f: Objective,
  signOf: ArrayLike<number> = w,
) {
  const h = hostGradient(p, w, b, 0);
  const v: number[] = [];
  const scale: number[] = [];
  for (let j = 0; j < p.d; j++) {
    const wj = w[j] as number;
    const vj = f.c * (h.g[j] as number) + f.l2 * wj + f.l1 * Math.sign(signOf[j] as number);
    v.push(vj);
    scale.push(f.c * (h.scale[j] as number) + Math.abs(f.l2 * wj) + f.l1);
  }
  const gb = f.c * (h.g[p.d] as number);
  // linearGradient's chain (n + d + 3), then at most two axpby: the scaling and the sign term.
  const terms = h.terms + 2;
  return {
    v: [...v, gb],
    scale: [...scale, f.c * (h.scale[p.d] as number)],
    factorSum: f.c * (terms + 2) + 2,
    terms,
  };
}

/**
 * A host solution of the objective `solved`, with `bound`, an a-priori bound on each of its KKT
 * residuals for that objective (d weights, then the bias), fixed before the answer is looked at:
 * the backward error of the closed form, or the certificate a converged iterative solver documents
 * at the tolerance it was called with, plus rounding (references.ts). Undefined when an iterative
 * solver did not converge: it then certifies nothing.
 */
interface Solution {
  readonly model: LinearModel;
  readonly solved: Objective;
  readonly bound: readonly number[] | undefined;
}

/** The ridge closed form at λ, with the backward error of its solve (any d, n). */
function ridgeSolution(data: Dataset, lambda: number): Solution {
  const model = ridgeClosedForm(data, lambda);
  return {
    model,
    solved: { c: 1, l2: lambda, l1: 0 },
    bound: ridgeResidualBound(data, lambda, model).gradient,
  };
}

/**
 * An iterative solver's answer at the first of {@link HOST_TOLS} it converges at, with the
 * certificate it documents there (`certify`).
 */
function iterativeSolution<F extends LinearModel & { readonly converged: boolean }>(
  lambda: number,
  alpha: number,
  solve: (tol: number) => F,
  certify: (fit: F, tol: number) => number[],
): Solution {
  const solved = { c: 1, l2: lambda * (1 - alpha), l1: lambda * alpha };
  let model: F | undefined;
  for (const tol of HOST_TOLS) {
    model = solve(tol);
    if (model.converged) return { model, solved, bound: certify(model, tol) };
  }
  return { model: model as F, solved, bound: undefined };
}

/** The elastic net by coordinate descent, with its documented certificate. */
function cdSolution(data: Dataset, lambda: number, alpha: number): Solution {
  return iterativeSolution(
    lambda,
    alpha,
    (tol) => elasticNetCD(data, { lambda, alpha, tol, maxIter: HOST_MAX_ITER }),
    (fit, tol) => cdCertificate(data, centerHost(data), fit, { lambda, alpha, tol }),
  );
}

/** The elastic net by proximal gradient (FISTA), with its documented certificate. */
function proxSolution(data: Dataset, lambda: number, alpha: number): Solution {
  return iterativeSolution(
    lambda,
    alpha,
    (tol) => elasticNetProx(data, { lambda, alpha, tol, maxIter: HOST_MAX_ITER }),
    (fit, tol) => proxCertificate(data, centerHost(data), fit, { lambda, alpha, tol }),
  );
}

/**
 * Checks on the backend that the host solution (w, b) of the objective `solution.solved` is
 * stationary for the objective `checked` (the same one, or another library's way of writing it,
 * whose data term is `checked.c / solved.c` times the solved one's).
 *
 * - Stationarity: `|∂F/∂w_j + l1·sign(w_j)|` where the stored w_j ≠ 0, `max(0, |∂F/∂w_j| − l1)`
 *   where it is 0, and `|∂F/∂b|`, computed by the backend, are at most the solution's a-priori
 *   bound for `solved` (the solve's backward error, or the solver's documented certificate at
 *   the tolerance it was called with; never its residual measured at the answer), times the
 *   ratio of the data terms, plus the backend's rounding. The bound is the solved objective's,
 *   never the checked one's, so a wrong conversion between the two cannot hide in it; and it is
 *   fixed in advance, so neither can a wrong solution.
 * - The backend's arithmetic: each entry equals its float64 value at the same point within the
 *   rounding of both, so the report shows the backend's error, not the solver's.
 */
async function checkStationary(
  backend: Backend,
  keep: Keep,
  meter: Meter,
  p: LinearProblem,
  solution: Solution,
  checked: Objective,
  what: string,
): Promise<void> {
  const { model, solved, bound } = solution;
  const w = Array.from(model.weights);
  const t = {
    X: keep(backend.upload(p.X, [p.n, p.d])),
    y: keep(backend.upload(p.y, [p.n, 1])),
    W: keep(backend.upload(w, [p.d, 1])),
    B: keep(backend.upload([model.bias], [1, 1])),
  };
  const { v, gb } = backendSubgradient(backend, keep, t, checked);
  const got = [...(await backend.read(v)), ...(await backend.read(gb))];
  // Zeros as the backend holds them: a weight that underflowed when stored is a zero there.
  const stored = await backend.read(t.W);
  const host = hostSubgradient(p, w, model.bias, checked, stored);
  const ratio = checked.c / solved.c;
  got.forEach((g, k) => {
    const scale = host.scale[k] as number;
    const own = sumTolerance(backend.precision, host.terms, scale, host.factorSum);
    const rounding = sumTolerance("float64", host.terms, scale, host.factorSum) + own;
    const entry = k < p.d ? `∂F/∂w${k} + ${checked.l1}·sign(w${k}), w${k} = ${w[k]}` : "∂F/∂b";
    meter.value(g, host.v[k] as number, rounding, `${what}: ${entry}`);
    if (bound === undefined) return;
    const zero = k < p.d && stored[k] === 0;
    const violation = zero ? Math.max(0, Math.abs(g) - checked.l1) : Math.abs(g);
    const allowed = ratio * (bound[k] as number) + own;
    meter.value(
      violation,
      0,
      allowed,
      `${what}: ${zero ? `|∂F/∂w${k}| − ${checked.l1} at w${k} = 0` : entry} is ${violation}, ` +
        `more than the solution's residual and rounding can be a priori (${ratio} × the ` +
        `solver's bound ${bound[k]}, and the backend's rounding ${own})`,
    );
  });
}

/** A data problem for the solvers: X and y of order one, at most 8 rows and 6 features. */
const solverProblem = linearProblem({ maxN: 8, maxD: 6 });

/** A fraction of λ_max: below it the lasso has nonzeros, at and above it w = 0. */
const fractionOfMax = fc.double({ min: 0.02, max: 1.2, noNaN: true });

/** λ = fraction·λ_max(α) of the data, or the fraction itself when λ_max = 0 (w = 0 at every λ). */
function l1Lambda(data: Dataset, alpha: number, fraction: number): number {
  const top = lambdaMax(data, alpha);
  return top > 0 ? fraction * top : fraction;
}

// ---------------------------------------------------------------------------------------------
// Proximal steps (identities 14 and 15)

interface ProxStep {
  /** Step on w (the smooth part's gradient). */
  readonly eta: number;
  /** Step on the bias. */
  readonly etaB: number;
  /** The L2 coefficient of the smooth part, λ(1 − α). */
  readonly l2: number;
  /** The threshold ηλα of the L1 part's proximal map. */
  readonly t: number;
}

/**
 * One full-batch proximal-gradient step on the backend, composed from primitives:
 * `w ← S_t(w − η(∇L + l2·w))`, `b ← b − η_b·∂L/∂b`.
 */
function backendProxStep(
  backend: Backend,
  keep: Keep,
  t: { X: Tensor; y: Tensor; W: Tensor; B: Tensor },
  s: ProxStep,
): { W: Tensor; B: Tensor } {
  const g = linearGradient(backend, t.X, t.y, t.W, t.B, s.l2);
  keep(g.gw);
  keep(g.gb);
  const u = keep(backend.axpby(1, t.W, -s.eta, g.gw));
  return {
    W: keep(backend.softThreshold(u, s.t)),
    B: keep(backend.axpby(1, t.B, -s.etaB, g.gb)),
  };
}

/**
 * The same step in float64: the point u before the threshold, the step's results, and for each
 * entry the magnitude of everything summed into it (u's sums, the subtraction of t) and the
 * number of chained operations (linearGradient's, the update, the threshold).
 */
function hostProxStep(p: LinearProblem, w: readonly number[], b: number, s: ProxStep) {
  const h = hostGradient(p, w, b, s.l2);
  const u = w.map((wj, j) => wj - s.eta * (h.g[j] as number));
  return {
    u,
    w: u.map((uj) => shrink(uj, s.t)),
    b: b - s.etaB * (h.g[p.d] as number),
    scale: w.map((wj, j) => Math.abs(wj) + s.eta * (h.scale[j] as number) + s.t),
    bScale: Math.abs(b) + s.etaB * (h.scale[p.d] as number),
    terms: h.terms + 2,
  };
}

/**
 * Compares a thresholded entry with its float64 truth `S_t(u)`. The backend's u is within `tol`
 * of the host's (tol also covers the subtraction of t), and S is non-expansive, so the results
 * are too. Where the host's u is inside the dead zone by more than tol, the backend's u is inside
 * it as well and its result must be exactly 0; within tol of the threshold either side is honest.
 */
function checkThresholded(
  meter: Meter,
  got: number,
  u: number,
  t: number,
  tol: number,
  what: string,
  expected = shrink(u, t),
): void {
  meter.value(got, expected, tol, what);
  if (Math.abs(u) < t - tol) meter.holds(got === 0, `${what}: must be exactly 0, got ${got}`);
  else if (Math.abs(u) > t + tol) meter.holds(got !== 0, `${what}: must not be 0`);
}

/** The Sylvester–Hadamard matrix of order m (a power of 2): H_ij = (−1)^popcount(i & j). */
function hadamard(i: number, j: number): number {
  let v = i & j;
  let parity = 0;
  while (v) {
    parity ^= 1;
    v &= v - 1;
  }
  return parity ? -1 : 1;
}

/**
 * An orthonormal design in the canonical scaling, XᵀX = nI with centered columns: d of the n − 1
 * non-constant columns of a Hadamard matrix of order n (each sums to 0, each pair is
 * orthogonal, each has squared norm n), with rows permuted and columns' signs flipped at random.
 */
const orthonormalProblem = fc
  .constantFrom(2, 4, 8, 16)
  .chain((n) =>
    fc.record({
      n: fc.constant(n),
      cols: fc.shuffledSubarray(
        Array.from({ length: n - 1 }, (_, j) => j + 1),
        { minLength: 1 },
      ),
      rows: fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => i),
        { minLength: n, maxLength: n },
      ),
      flips: fc.array(fc.boolean(), { minLength: n - 1, maxLength: n - 1 }),
      y: unitValues(n),
      w: unitValues(n - 1, 2),
      b: unitValues(1),
    }),
  )
  .map(({ n, cols, rows, flips, y, w, b }): LinearProblem => {
    const d = cols.length;
    const X: number[] = [];
    for (const i of rows) {
      cols.forEach((c, j) => {
        X.push((flips[j] ? -1 : 1) * hadamard(i, c));
      });
    }
    return { n, d, L: 1, X, y, w: w.slice(0, d), b };
  });

export const orthonormalDesign = defineProperty({
  id: "id-14",
  name: "orthonormal design: one proximal step lands on ridge ŵ_OLS/(1 + λ), lasso S_λ(ŵ_OLS)",
  source: "IDENTITIES.md 14",
  arbitrary: fc.record({
    p: orthonormalProblem,
    lambda: fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 3, noNaN: true })),
    alpha: fc.oneof(
      fc.constant(0),
      fc.constant(1),
      fc.double({ min: 0.05, max: 0.95, noNaN: true }),
    ),
    steps: fc.integer({ min: 1, max: 3 }),
  }),
  async check({ backend }, { p, lambda, alpha, steps }, meter) {
    // With centered columns and XᵀX = nI, ∇_w L = Xᵀ(Xw + b − y)/n = w − ŵ (ŵ = Xᵀy/n, the
    // least-squares solution, since Xᵀ1 = 0) and ∂L/∂b = b − ȳ (since 1ᵀX = 0). The smooth part
    // L + λ(1 − α)/2‖w‖² has Hessian (1 + λ(1 − α))I in w and 1 in b, so with η = 1/(1 + λ(1 − α))
    // and η_b = 1, u = w − η∇ = ηŵ and b − ∂L/∂b = ȳ whatever (w, b) is: the first step lands on
    // w* = S_ηλα(ηŵ) = S_λα(ŵ)/(1 + λ(1 − α)) (ridge at α = 0, lasso S_λ(ŵ) at α = 1 where η = 1)
    // and b* = ȳ, and every later step stays there.
    const l2 = lambda * (1 - alpha);
    const eta = 1 / (1 + l2);
    const step: ProxStep = { eta, etaB: 1, l2, t: eta * lambda * alpha };
    const ols = Array.from({ length: p.d }, (_, j) => {
      let s = 0;
      for (let i = 0; i < p.n; i++) s += (p.X[i * p.d + j] as number) * (p.y[i] as number);
      return s / p.n;
    });
    const wStar = ols.map((v) => shrink(v, lambda * alpha) / (1 + l2));
    const yMean = p.y.reduce((s, v) => s + v, 0) / p.n;
    await scoped(backend, async (keep) => {
      const X = keep(backend.upload(p.X, [p.n, p.d]));
      const y = keep(backend.upload(p.y, [p.n, 1]));
      let W = keep(backend.upload(p.w, [p.d, 1]));
      let B = keep(backend.upload(p.b, [1, 1]));
      // The magnitudes the step starts from: (w₀, b₀) exactly, then (w*, ȳ) off by at most the
      // last step's tolerance. Rounding is relative to the point the step actually starts from;
      // beyond that the last step's error is not carried: u does not depend on the point (its
      // Jacobian I − η(1 + λ(1 − α))I is 0), so after any step the error is that step's alone.
      let from = { w: p.w, b: p.b[0] as number };
      for (let s = 1; s <= steps; s++) {
        ({ W, B } = backendProxStep(backend, keep, { X, y, W, B }, step));
        const host = hostProxStep(p, from.w, from.b, step);
        const gotW = await backend.read(W);
        const gotB = (await backend.read(B))[0] as number;
        const tolW = host.scale.map((v) => sumTolerance(backend.precision, host.terms, v));
        const tolB = sumTolerance(backend.precision, host.terms, host.bScale);
        wStar.forEach((v, j) => {
          checkThresholded(
            meter,
            gotW[j] as number,
            eta * (ols[j] as number),
            step.t,
            tolW[j] as number,
            `step ${s}: w${j} = S_λα(ŵ)/(1 + λ(1 − α)), ŵ = ${ols[j]}`,
            v,
          );
        });
        meter.value(gotB, yMean, tolB, `step ${s}: b = ȳ`);
        from = {
          w: wStar.map((v, j) => Math.abs(v) + (tolW[j] as number)),
          b: Math.abs(yMean) + tolB,
        };
      }
    });
  },
});

export const softThresholdAlgebra = defineProperty({
  id: "id-15",
  name: "S_a∘S_b = S_(a+b), S is non-expansive and 0 iff |v| ≤ a; the prox step has the host's zeros",
  source: "IDENTITIES.md 15",
  arbitrary: fc.record({
    v: fc.integer({ min: 1, max: 12 }).chain((k) =>
      fc.record({
        v: values(k),
        e: unitValues(k),
        // u = v + rel·max|v|·e: equal (0), close (a tiny or small gap) or unrelated (1).
        rel: fc.constantFrom(0, 1e-8, 1e-3, 0.1, 1),
      }),
    ),
    fa: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1.2, noNaN: true })),
    fb: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1.2, noNaN: true })),
    p: linearProblem(),
    lr: fc.double({ min: 0.01, max: 1, noNaN: true }),
    // The threshold ηλ: a fraction of max|u|, or exactly one |u_k| (on the boundary).
    threshold: fc.oneof(
      fc.record({ fraction: fc.double({ min: 0, max: 1.2, noNaN: true }) }),
      fc.record({ at: fc.nat() }),
    ),
  }),
  async check({ backend }, { v: { v, e, rel }, fa, fb, p, lr, threshold }, meter) {
    const precision = backend.precision;
    const top = maxAbs(v);
    const u = v.map((x, i) => x + rel * top * (e[i] as number));
    const a = fa * top;
    const b = fb * top;
    await scoped(backend, async (keep) => {
      const V = keep(backend.upload(v, [v.length, 1]));
      const U = keep(backend.upload(u, [u.length, 1]));
      const vs = await backend.read(V);
      const us = await backend.read(U);
      const composed = await backend.read(
        keep(backend.softThreshold(keep(backend.softThreshold(V, b)), a)),
      );
      const direct = await backend.read(keep(backend.softThreshold(V, a + b)));
      const sv = await backend.read(keep(backend.softThreshold(V, a)));
      const su = await backend.read(keep(backend.softThreshold(U, a)));
      vs.forEach((x, i) => {
        const got = composed[i] as number;
        // Two subtractions, each rounded relative to |v| + threshold.
        const tol = sumTolerance(precision, 2, Math.abs(x) + a + b);
        checkThresholded(meter, got, x, a + b, tol, `S_a(S_b(${x})), a = ${a}, b = ${b}`);
        meter.value(
          direct[i] as number,
          shrink(x, a + b),
          sumTolerance(precision, 1, Math.abs(x) + a + b),
          `S_(a+b)(${x})`,
        );
        // S_a(v) = 0 iff |v| ≤ a. The dead zone is exact: the stored value against the threshold
        // given. Outside it |v| − a is nonzero, but may round to 0 (underflow: v = 2η, a = 1.5η in
        // float32), so a nonzero result is required only beyond the subtraction's rounding.
        for (const [w, s] of [
          [x, sv[i]],
          [us[i], su[i]],
        ] as [number, number][]) {
          if (Math.abs(w) <= a) meter.holds(s === 0, `S_${a}(${w}) = ${s}, must be exactly 0`);
          else if (Math.abs(w) - a > sumTolerance(precision, 1, Math.abs(w) + a)) {
            meter.holds(s !== 0, `S_${a}(${w}) = 0 though |v| > a`);
          }
        }
        const y = us[i] as number;
        // |S(u) − S(v)| ≤ |u − v|, up to the rounding of each S and of the two differences.
        meter.value(
          Math.max(0, Math.abs((su[i] as number) - (sv[i] as number)) - Math.abs(y - x)),
          0,
          sumTolerance(precision, 2, Math.abs(x) + Math.abs(y) + 2 * a),
          `|S(${y}) − S(${x})| ≤ |u − v|`,
        );
      });

      // One proximal step of the lasso, w ← S_ηλ(w − η∇L), b ← b − η∂L/∂b, against the host's.
      const w0 = column(p.w, p.d, p.L, 0);
      const b0 = p.b[0] as number;
      const plain = hostProxStep(p, w0, b0, { eta: lr, etaB: lr, l2: 0, t: 0 });
      const t =
        "at" in threshold
          ? Math.abs(plain.u[threshold.at % p.d] as number)
          : threshold.fraction * maxAbs(plain.u);
      const step: ProxStep = { eta: lr, etaB: lr, l2: 0, t };
      const host = hostProxStep(p, w0, b0, step);
      const tensors = {
        X: keep(backend.upload(p.X, [p.n, p.d])),
        y: keep(backend.upload(p.y, [p.n, 1])),
        W: keep(backend.upload(w0, [p.d, 1])),
        B: keep(backend.upload([b0], [1, 1])),
      };
      const next = backendProxStep(backend, keep, tensors, step);
      const gotW = await backend.read(next.W);
      host.u.forEach((uj, j) => {
        const tol = sumTolerance(precision, host.terms, host.scale[j] as number);
        checkThresholded(meter, gotW[j] as number, uj, t, tol, `prox step: w${j}, ηλ = ${t}`);
      });
      meter.value(
        (await backend.read(next.B))[0] as number,
        host.b,
        sumTolerance(precision, host.terms, host.bScale),
        "prox step: b",
      );
    });
  },
});

// ---------------------------------------------------------------------------------------------
// Optimality of the host solutions, checked with the backend's gradients (16, 17, 19)

export const lassoKKTConditions = defineProperty({
  id: "id-16",
  name: "lasso KKT: |∂L/∂w_j| ≤ λ at zeros, −λ·sign(w_j) elsewhere; λ_max = ‖∇L(0)‖_∞ gives w = 0",
  source: "IDENTITIES.md 16",
  arbitrary: fc.record({ p: solverProblem, fraction: fractionOfMax }),
  async check({ backend }, { p, fraction }, meter) {
    const data = hostDataset(p);
    const lambda = l1Lambda(data, 1, fraction);
    const fit = cdSolution(data, lambda, 1);
    const top = lambdaMax(data, 1);
    // λ_max = ‖Xᵀ(y − ȳ)‖_∞/n: the lasso there is w = 0, exactly (host).
    const atMax = elasticNetCD(data, {
      lambda: top,
      alpha: 1,
      tol: HOST_TOL,
      maxIter: HOST_MAX_ITER,
    });
    meter.holds(
      atMax.weights.every((v) => v === 0),
      `lasso at λ_max = ${top}: w = ${Array.from(atMax.weights)}, must be 0`,
    );
    await scoped(backend, async (keep) => {
      const lasso: Objective = { c: 1, l2: 0, l1: lambda };
      await checkStationary(backend, keep, meter, p, fit, lasso, `lasso λ = ${lambda}`);
      // The backend's gradient at w = 0 (and the optimal bias there, ȳ) has sup norm λ_max.
      const zero = new Array<number>(p.d).fill(0);
      const X = keep(backend.upload(p.X, [p.n, p.d]));
      const y = keep(backend.upload(p.y, [p.n, 1]));
      const W = keep(backend.upload(zero, [p.d, 1]));
      const B = keep(backend.upload([atMax.bias], [1, 1]));
      const g = linearGradient(backend, X, y, W, B, 0);
      keep(g.gw);
      keep(g.gb);
      const sup = maxAbs(await backend.read(g.gw));
      const host = hostGradient(p, zero, atMax.bias, 0);
      // The backend's rounding of each entry; λ_max's own float64 rounding, of sums over the
      // centered data (|x_ij − x̄_j|·|y_i − ȳ| ≤ (|x_ij| + mean|x_j|)(|y_i| + mean|y|)), and the
      // one-ulp rounding up that lambdaMax may apply.
      const meanAbsY = p.y.reduce((s, v) => s + Math.abs(v), 0) / p.n;
      let tol = 0;
      for (let j = 0; j < p.d; j++) {
        let meanAbsX = 0;
        for (let i = 0; i < p.n; i++) meanAbsX += Math.abs(p.X[i * p.d + j] as number) / p.n;
        let centered = 0;
        for (let i = 0; i < p.n; i++) {
          centered +=
            ((Math.abs(p.X[i * p.d + j] as number) + meanAbsX) *
              (Math.abs(p.y[i] as number) + meanAbsY)) /
            p.n;
        }
        tol = Math.max(
          tol,
          sumTolerance(backend.precision, host.terms, host.scale[j] as number) +
            sumTolerance("float64", 2 * p.n + 4, centered),
        );
      }
      meter.value(sup, top, tol + 2 * Number.EPSILON * top, "‖∇L(0, ȳ)‖_∞ = λ_max");
    });
  },
});

export const elasticNetEnds = defineProperty({
  id: "id-17",
  name: "elastic-net stationarity holds at the ridge solution for α = 0, the lasso's for α = 1",
  source: "IDENTITIES.md 17",
  arbitrary: fc.record({
    p: solverProblem,
    alpha: fc.oneof(
      fc.constant(0),
      fc.constant(1),
      fc.double({ min: 0.05, max: 0.95, noNaN: true }),
    ),
    fraction: fractionOfMax,
    ridgeLambda: fc.double({ min: 0.05, max: 3, noNaN: true }),
  }),
  async check({ backend }, { p, alpha, fraction, ridgeLambda }, meter) {
    const data = hostDataset(p);
    // Each end from a solver that knows nothing of α: the ridge closed form at α = 0, proximal
    // gradient (FISTA) for the lasso at α = 1; coordinate descent in between.
    let lambda: number;
    let solution: Solution;
    if (alpha === 0) {
      lambda = ridgeLambda;
      solution = ridgeSolution(data, lambda);
    } else {
      lambda = l1Lambda(data, alpha, fraction);
      solution = alpha === 1 ? proxSolution(data, lambda, alpha) : cdSolution(data, lambda, alpha);
    }
    // The α-mixed smooth part L + λ(1 − α)/2‖w‖² goes through linearGradient's L2 penalty, the
    // L1 part λα‖w‖₁ through its subgradient λα·sign(w).
    const f: Objective = { c: 1, l2: lambda * (1 - alpha), l1: lambda * alpha };
    await scoped(backend, (keep) =>
      checkStationary(backend, keep, meter, p, solution, f, `α = ${alpha}, λ = ${lambda}`),
    );
  },
});

export const bayesianRidge = defineProperty({
  id: "id-19",
  name: "the posterior mean zeroes ∇J at λ = σ²/(nτ²), Σ inverts the Hessian, a Laplace MAP is the lasso",
  source: "IDENTITIES.md 19",
  arbitrary: fc.record({
    p: solverProblem,
    sigma: fc.double({ min: 0.2, max: 2, noNaN: true }),
    // τ/σ within [0.3, 3]: λ = σ²/(nτ²) ∈ [1/(9n), 11/n], where the float64 covariance (the
    // Woodbury form when d > n) is accurate: its a-priori error (posteriorCovarianceError) grows
    // as (τ/σ)⁴.
    ratio: fc.double({ min: 0.3, max: 3, noNaN: true }),
    m: fc.integer({ min: 1, max: 3 }),
    vs: unitValues(18),
    // The Laplace prior's scale s, drawn as the fraction of λ_max its L1 weight σ²/(ns) is.
    fraction: fractionOfMax,
  }),
  async check({ backend }, { p, sigma, ratio, m, vs, fraction }, meter) {
    const { n, d } = p;
    const data = hostDataset(p);
    const tau = sigma * ratio;
    const lambda = (sigma * sigma) / (n * tau * tau);
    const post = ridgePosterior(data, { noiseStd: sigma, priorStd: tau });
    // A Laplace prior exp(−|w_j|/s)/(2s) whose MAP is the lasso at λ₁ = σ²/(ns) (core's
    // laplacePriorToL1), solved by coordinate descent at that λ₁.
    const laplaceScale = (sigma * sigma) / (n * l1Lambda(data, 1, fraction));
    const l1 = laplacePriorToL1(sigma, laplaceScale, n);
    const lasso = cdSolution(data, l1, 1);
    await scoped(backend, async (keep) => {
      // The posterior mean (and its bias) is the ridge solution at λ = σ²/(nτ²): the backend's ∇J
      // vanishes there. The error allowed is the closed form's a-priori backward error at the λ
      // the posterior was solved at (ridgePosterior's mean is ridgeClosedForm's).
      const map = { weights: post.mean, bias: post.bias };
      await checkStationary(
        backend,
        keep,
        meter,
        p,
        {
          model: map,
          solved: { c: 1, l2: post.lambda, l1: 0 },
          bound: ridgeResidualBound(data, post.lambda, map).gradient,
        },
        { c: 1, l2: lambda, l1: 0 },
        `posterior mean, J at λ = ${lambda}`,
      );
      // The lasso at λ₁ is stationary for the negative log posterior as Bayes writes it,
      // ‖y − Xw − b‖²/(2σ²) + ‖w‖₁/s: gradient (n/σ²)·∇L, L1 weight 1/s.
      await checkStationary(
        backend,
        keep,
        meter,
        p,
        lasso,
        { c: n / sigma ** 2, l2: 0, l1: 1 / laplaceScale },
        `Laplace MAP, s = ${laplaceScale}`,
      );

      // Hessian-vector products H·V = XcᵀXc·V/σ² + V/τ² on the backend: Xc = X − 1x̄ᵀ centered
      // there (sum, axpby, a row-broadcast sub), then two matmuls and an axpby; then Σ·(HV).
      const V = vs.slice(0, d * m);
      const X = keep(backend.upload(p.X, [n, d]));
      const colSum = keep(backend.sum(X, 0));
      const mean = keep(backend.axpby(1 / n, colSum, 0, colSum));
      const Xc = keep(backend.binary("sub", X, mean));
      const Vt = keep(backend.upload(V, [d, m]));
      const XcV = keep(backend.matmul(Xc, Vt));
      const XtXV = keep(backend.matmul(Xc, XcV, true, false));
      const HV = keep(backend.axpby(1 / sigma ** 2, XtXV, 1 / tau ** 2, Vt));
      const S = keep(backend.upload(Array.from(post.covariance), [d, d]));
      const back = await backend.read(keep(backend.matmul(S, HV)));

      // Float64 on the host: the centered design, H·V with the magnitudes of its terms, and
      // Σ·(HV) with the same Σ, which the backend's is compared with.
      const xMean = Array.from({ length: d }, (_, j) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += p.X[i * d + j] as number;
        return s / n;
      });
      const meanAbs = Array.from({ length: d }, (_, j) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += Math.abs(p.X[i * d + j] as number);
        return s / n;
      });
      const hv = new Float64Array(d * m);
      const hvScale = new Float64Array(d * m);
      // Underflow: an operation whose result is below the normal range is off by up to η
      // absolutely, and later products multiply that error: a centered entry (the mean, the
      // subtraction) by |v| in XcV, an XcV entry by |Xc| in Xcᵀ(XcV), all of it by 1/σ², each HV
      // entry by |Σ_jk|. `hvUnder` counts those multiples of η (sumTolerance's factorSum).
      const hvUnder = new Float64Array(d * m);
      for (let l = 0; l < m; l++) {
        let vAbs = 0;
        for (let k = 0; k < d; k++) vAbs += Math.abs(V[k * m + l] as number);
        for (let i = 0; i < n; i++) {
          let xv = 0;
          let xvAbs = 0;
          for (let k = 0; k < d; k++) {
            const vk = V[k * m + l] as number;
            xv += ((p.X[i * d + k] as number) - (xMean[k] as number)) * vk;
            // A centered entry is off by its rounding relative to |x_ik| + mean|x_k|.
            xvAbs += (Math.abs(p.X[i * d + k] as number) + (meanAbs[k] as number)) * Math.abs(vk);
          }
          for (let j = 0; j < d; j++) {
            const at = j * m + l;
            const xc = (p.X[i * d + j] as number) - (xMean[j] as number);
            const xcAbs = Math.abs(p.X[i * d + j] as number) + (meanAbs[j] as number);
            hv[at] = (hv[at] as number) + (xc * xv) / sigma ** 2;
            hvScale[at] = (hvScale[at] as number) + (xcAbs * xvAbs) / sigma ** 2;
            hvUnder[at] =
              (hvUnder[at] as number) + (xcAbs * (2 * vAbs + d + 1) + 2 * xvAbs) / sigma ** 2;
          }
        }
        for (let j = 0; j < d; j++) {
          const at = j * m + l;
          const vj = V[at] as number;
          hv[at] = (hv[at] as number) + vj / tau ** 2;
          hvScale[at] = (hvScale[at] as number) + Math.abs(vj) / tau ** 2;
          hvUnder[at] = (hvUnder[at] as number) + (n + 1) / sigma ** 2 + 3;
        }
      }
      // The chain of HV: the column sum (n terms), the division and the subtraction, XcV (d
      // terms), Xcᵀ(XcV) (n terms), the axpby.
      const hvTerms = 2 * n + d + 4;
      // ‖H·v_l‖₂, bounded by the host's value and its rounding: what Σ's error multiplies.
      const hvNorm = Array.from({ length: m }, (_, l) => {
        let value = 0;
        let error = 0;
        for (let k = 0; k < d; k++) {
          const at = k * m + l;
          value += (hv[at] as number) ** 2;
          error +=
            sumTolerance("float64", hvTerms, hvScale[at] as number, hvUnder[at] as number) ** 2;
        }
        return Math.sqrt(value) + Math.sqrt(error);
      });
      const sigmaError = posteriorCovarianceError(centerHost(data), sigma, tau);
      for (let j = 0; j < d; j++) {
        for (let l = 0; l < m; l++) {
          let sHv = 0;
          let propagated = 0;
          let propagatedHost = 0;
          let abs = 0;
          let hvAbs = 0;
          for (let k = 0; k < d; k++) {
            const sjk = post.covariance[j * d + k] as number;
            const at = k * m + l;
            sHv += sjk * (hv[at] as number);
            // Each HV entry's error, carried through Σ; then the last matmul's own rounding.
            const scale = hvScale[at] as number;
            const under = hvUnder[at] as number;
            propagated += Math.abs(sjk) * sumTolerance(backend.precision, hvTerms, scale, under);
            propagatedHost += Math.abs(sjk) * sumTolerance("float64", hvTerms, scale, under);
            abs += Math.abs(sjk * (hv[at] as number));
            hvAbs += Math.abs(hv[at] as number);
          }
          const vjl = V[j * m + l] as number;
          // A stored Σ_jk that underflows loses η, which |HV_k| multiplies.
          const last = (precision: "float32" | "float64") => sumTolerance(precision, d, abs, hvAbs);
          const own = propagated + last(backend.precision);
          // The backend's arithmetic: its Σ·(H·v) against the float64 value with the same Σ.
          meter.value(
            back[j * m + l] as number,
            sHv,
            propagatedHost + last("float64") + own,
            `(Σ·H·v${l})[${j}] against float64`,
          );
          // Σ inverts H: exactly, Σ·H·v = v; core's Σ is off by at most its a-priori error,
          // times ‖H·v‖, and the backend adds its rounding.
          meter.value(
            back[j * m + l] as number,
            vjl,
            sigmaError * (hvNorm[l] as number) + own,
            `(Σ·H·v${l})[${j}] = v${l}[${j}]`,
          );
        }
      }
    });
  },
});

/**
 * An a-priori bound on ‖Σ̂ − Σ‖_F for `ridgePosterior`'s covariance Σ = σ²(XcᵀXc + ρI)⁻¹,
 * ρ = σ²/τ², as it computes it (its documentation): d Cholesky solves of the d×d system when
 * d ≤ n, the Woodbury form τ²(I − XcᵀK⁻¹Xc), K = XcXcᵀ + ρI, by d solves of the n×n system when
 * d > n; then symmetrized (which does not increase the distance to the symmetric Σ). With
 * G = Σᵢⱼ xa_ij² (≥ ‖Xc‖_F², and ≥ ‖|Xc|ᵀ|Xc|‖_F, centering's rounding included via xa):
 *
 * - primal: each column solve x̂_k has residual ≤ γ_{3d+1}·M|x̂_k|, M_ij = √(A_ii A_jj)
 *   (Cholesky's backward error, see ridgeResidualBound), so AX̂ = I − R, ‖R‖_F ≤
 *   γ_{3d+1}·tr(A)·‖X̂‖_F, tr(A) ≤ G + dρ, ‖X̂‖_F ≤ √d/ρ; σ²X̂ − Σ = −σ²A⁻¹R, and ‖A⁻¹‖ ≤ 1/ρ.
 *   Forming A (γ_n) and centering (2γ_{n+2}) perturb A by ≤ γ_{3n+4}·G, moving Σ by ≤
 *   σ²/ρ²·that; the scaling by σ² rounds relative u.
 * - dual: Ẑ solves K̂Ẑ = Xc − R_Z with ‖R_Z‖_F ≤ γ_{3n+1}·tr(K̂)·‖Ẑ‖_F, tr(K̂) ≤ G + nρ,
 *   ‖Ẑ‖_F ≤ √G/ρ; K̂ is within γ_d·G + uρ√n of K; so ‖Ẑ − K⁻¹Xc‖_F ≤ [(γ_d·G + uρ√n)·√G/ρ +
 *   ‖R_Z‖_F]/ρ, which Xcᵀ multiplies by √G and τ² by τ²; XcᵀẐ rounds by γ_n·G/ρ, I − S and the
 *   scaling by u(√d + G/ρ); centering as in the primal, σ²/ρ²·2γ_{n+2}·G.
 *
 * The policy's safety factor doubles the sum. It grows as (τ/σ)⁴ in the dual, as documented.
 */
function posteriorCovarianceError(c: HostCentered, sigma: number, tau: number): number {
  const { n, d } = c;
  const u = unitRoundoff("float64");
  const g = (k: number) => gamma("float64", k);
  let G = 0;
  for (const x of c.xa) G += x * x;
  const s2 = sigma * sigma;
  const t2 = tau * tau;
  const rho = s2 / t2;
  let error: number;
  if (d <= n) {
    const R = g(3 * d + 1) * (G + d * rho) * (Math.sqrt(d) / rho);
    error = (s2 / rho) * R + (s2 / rho ** 2) * (g(3 * n + 4) * G + u * rho * Math.sqrt(d));
    error += 2 * u * s2 * (Math.sqrt(d) / rho);
  } else {
    const zNorm = Math.sqrt(G) / rho;
    const RZ = g(3 * n + 1) * (G + n * rho) * zNorm;
    const eZ = ((g(d) * G + u * rho * Math.sqrt(n)) * zNorm + RZ) / rho;
    error = t2 * Math.sqrt(G) * eZ + (t2 * g(n) * G) / rho;
    error += 2 * u * t2 * (Math.sqrt(d) + G / rho);
    error += (s2 / rho ** 2) * 2 * g(n + 2) * G;
  }
  return SAFETY * error;
}

// ---------------------------------------------------------------------------------------------
// The λ conventions of other libraries (the conventions table of IDENTITIES.md)

/** The penalty of a draw: its kind, and the mixing α (sklearn's l1_ratio, glmnet's alpha). */
export interface Penalty {
  readonly kind: PenaltyKind;
  readonly mix: number;
}

/** One library's convention: how it writes its objective, as a property of the suite. */
export interface ConventionCase {
  readonly id: ConventionId;
  readonly name: string;
  /** The penalties the library's setting can weigh, drawn at random. */
  readonly penalty: fc.Arbitrary<Penalty>;
  /**
   * The gradient of the library's objective as the library writes it, in the form c·∇L +
   * l2·w + l1·sign(w) (see {@link Objective}), for its setting `value`. Written here from the
   * library's documentation, not from core's conversion factors, which are what is checked.
   */
  objective(value: number, penalty: Penalty, n: number, ySd: number): Objective;
}

const l2Only = fc.constant<Penalty>({ kind: "l2", mix: 0 });
const l1Only = fc.constant<Penalty>({ kind: "l1", mix: 1 });
/** A mixing α in [0, 1]: the ridge end, the lasso end, or between. */
const mixed = fc
  .oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0.05, max: 0.95, noNaN: true }))
  .map((mix): Penalty => ({ kind: mix === 0 ? "l2" : mix === 1 ? "l1" : "elastic", mix }));

export const CONVENTION_CASES: readonly ConventionCase[] = [
  {
    id: "pytorch",
    name: "PyTorch weight_decay wd with MSELoss is λ = wd/2: same minimizer, gradient × 2",
    penalty: l2Only,
    // MSELoss = mean(r²) (no ½): its gradient is 2·Xᵀr/n; weight_decay adds wd·w to the gradient.
    objective: (wd) => ({ c: 2, l2: wd, l1: 0 }),
  },
  {
    id: "keras",
    name: "Keras l2(c) with MSE is λ = c: same minimizer, gradient × 2",
    penalty: l2Only,
    // mean(r²) + c·Σw²: gradient 2·Xᵀr/n + 2c·w.
    objective: (c) => ({ c: 2, l2: 2 * c, l1: 0 }),
  },
  {
    id: "sklearn-ridge",
    name: "scikit-learn Ridge(alpha) is λ = alpha/n: same minimizer, gradient × 2n",
    penalty: l2Only,
    // ‖r‖² + alpha‖w‖²: gradient 2Xᵀr + 2alpha·w = 2n·(Xᵀr/n) + 2alpha·w.
    objective: (alpha, _, n) => ({ c: 2 * n, l2: 2 * alpha, l1: 0 }),
  },
  {
    id: "sklearn-sgd",
    name: "scikit-learn SGDRegressor(alpha), L2, L1 or elastic net, is λ = alpha: same minimizer",
    penalty: fc.oneof(l2Only, l1Only, mixed),
    // (1/n)Σ½r² + alpha·R(w), R = ½‖w‖² (l2), ‖w‖₁ (l1), (1 − ρ)/2‖w‖² + ρ‖w‖₁ (elasticnet).
    objective: (alpha, { mix }) => ({ c: 1, l2: alpha * (1 - mix), l1: alpha * mix }),
  },
  {
    id: "sklearn-lasso",
    name: "scikit-learn Lasso(alpha) is the L1 weight λ = alpha: same minimizer",
    penalty: l1Only,
    objective: (alpha) => ({ c: 1, l2: 0, l1: alpha }),
  },
  {
    id: "sklearn-elasticnet",
    name: "scikit-learn ElasticNet(alpha, l1_ratio) is λ = alpha, α = l1_ratio: same minimizer",
    penalty: mixed,
    // (1/(2n))‖r‖² + alpha·ρ‖w‖₁ + alpha(1 − ρ)/2‖w‖².
    objective: (alpha, { mix }) => ({ c: 1, l2: alpha * (1 - mix), l1: alpha * mix }),
  },
  {
    id: "glmnet",
    name: "glmnet(lambda, alpha) on y/sd(y) is λ(α + (1 − α)/sd(y)), α·λ/that: same minimizer",
    penalty: mixed,
    // glmnet's gaussian family fits (1/(2n))‖ỹ − Xβ̃‖² + (λ/s)[(1 − α)/2‖β̃‖² + α‖β̃‖₁] on
    // ỹ = y/s, s = sd(y) (divisor n), and returns β = s·β̃: in β that is s⁻² times
    // (1/(2n))‖r‖² + λα‖β‖₁ + λ(1 − α)/(2s)‖β‖².
    objective: (lambda, { mix }, _, s) => ({
      c: 1,
      l2: (lambda * (1 - mix)) / s,
      l1: lambda * mix,
    }),
  },
];

/** The standard deviation of y (divisor n), or 1 for a constant y (any scale fits w = 0). */
function labelSd(y: readonly number[]): number {
  const mean = y.reduce((s, v) => s + v, 0) / y.length;
  const sd = Math.sqrt(y.reduce((s, v) => s + (v - mean) ** 2, 0) / y.length);
  return sd > 0 ? sd : 1;
}

/** The property of one convention (exported so that tests can check a mis-stated one fails). */
export function conventionProperty(spec: ConventionCase) {
  const convention = LAMBDA_CONVENTIONS[spec.id];
  return defineProperty({
    id: `conv-${spec.id}`,
    name: spec.name,
    source: "IDENTITIES.md conventions table",
    arbitrary: fc.record({
      p: solverProblem,
      penalty: spec.penalty,
      fraction: fractionOfMax,
      ridgeLambda: fc.double({ min: 0.05, max: 3, noNaN: true }),
    }),
    async check({ backend }, { p: drawn, penalty, fraction, ridgeLambda }, meter) {
      const p = drawn;
      const data = hostDataset(p);
      const { n } = p;
      const ySd = labelSd(p.y);
      const options = { n, alpha: penalty.mix, ySd };
      // A canonical λ where the problem is interesting (w ≠ 0 for the L1 kinds), then the
      // library's setting that stands for it; the property converts it back as a user would.
      const target = penalty.mix === 0 ? ridgeLambda : l1Lambda(data, penalty.mix, fraction);
      const value = convention.fromCanonical(target, options);
      const { lambda, alpha } = toCanonicalPenalty(value, penalty.mix, spec.id, options);
      const solution = alpha === 0 ? ridgeSolution(data, lambda) : cdSolution(data, lambda, alpha);
      const library = spec.objective(value, penalty, n, ySd);
      const canonical: Objective = solution.solved;
      await scoped(backend, async (keep) => {
        // The canonical minimizer is stationary for the library's own objective.
        await checkStationary(
          backend,
          keep,
          meter,
          p,
          solution,
          library,
          `${spec.id} ${convention.parameter} = ${value} (λ = ${lambda})`,
        );
        // At any point the library's (sub)gradient is objectiveScale × the canonical one.
        const w = column(p.w, p.d, p.L, 0);
        const b = p.b[0] as number;
        const t = {
          X: keep(backend.upload(p.X, [p.n, p.d])),
          y: keep(backend.upload(p.y, [p.n, 1])),
          W: keep(backend.upload(w, [p.d, 1])),
          B: keep(backend.upload([b], [1, 1])),
        };
        const s = convention.objectiveScale({ n });
        const lib = backendSubgradient(backend, keep, t, library);
        const can = backendSubgradient(backend, keep, t, canonical);
        const got = [...(await backend.read(lib.v)), ...(await backend.read(lib.gb))];
        const base = [...(await backend.read(can.v)), ...(await backend.read(can.gb))];
        const hostLib = hostSubgradient(p, w, b, library);
        const hostCan = hostSubgradient(p, w, b, canonical);
        got.forEach((g, k) => {
          const tol =
            sumTolerance(
              backend.precision,
              hostLib.terms,
              hostLib.scale[k] as number,
              hostLib.factorSum,
            ) +
            s *
              sumTolerance(
                backend.precision,
                hostCan.terms,
                hostCan.scale[k] as number,
                hostCan.factorSum,
              );
          meter.value(
            g,
            s * (base[k] as number),
            tol,
            `${spec.id}: gradient[${k}] = ${s} × canonical at a random point`,
          );
        });
      });
    },
  });
}

export const CONVENTION_PROPERTIES = CONVENTION_CASES.map(conventionProperty);

export const TOOLKIT_PROPERTIES: readonly ConformanceProperty<never>[] = [
  orthonormalDesign,
  softThresholdAlgebra,
  lassoKKTConditions,
  elasticNetEnds,
  bayesianRidge,
  ...CONVENTION_PROPERTIES,
  ...CLASSIFIER_CONVENTION_PROPERTIES,
] as unknown as readonly ConformanceProperty<never>[];
