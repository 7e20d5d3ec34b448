/**
 * The identities of IDENTITIES.md that concern training, each a property named by its number.
 * The toolkit's (14–17, 19, the λ conventions) are in toolkit.ts; the optimizers' and model
 * selection's (6, 10, 18) in optimizers.ts.
 */

import {
  composeLinearLoss,
  linearGradient,
  linearLoss,
  ridgeClosedForm,
  syntheticSplit,
  type TrainOptions,
  train,
} from "@wdecay/core";
import fc from "fast-check";
import {
  type LinearProblem,
  lambda as lambdaArb,
  linearProblem,
  unitValues,
} from "../arbitraries.js";
import { defineProperty } from "../property.js";
import { scoped } from "../scope.js";
import { SAFETY, sumTolerance, trajectoryTolerance, unitRoundoff } from "../tolerance.js";
import {
  column,
  compareTrajectories,
  hostGradient,
  hostObjective,
  maxAbs,
  runSgd,
  stableLr,
  stepScale,
  uploadProblem,
} from "./linear.js";
import { ridgeResidualBound, symmetricEigenvalues } from "./references.js";
import { agreesWithOracle } from "./training.js";

const identity = (n: number) => Array.from({ length: n }, (_, i) => i);
const rep = <T>(L: number, v: T): T[] => Array.from({ length: L }, () => v);

export const gradientMatchesFiniteDifferences = defineProperty({
  id: "id-1",
  name: "the analytic gradient of J equals float64 central differences",
  source: "IDENTITIES.md 1",
  arbitrary: fc.record({ p: linearProblem(), lambda: lambdaArb() }),
  async check({ backend }, { p, lambda }, meter) {
    const w = column(p.w, p.d, p.L, 0);
    const b = p.b[0] as number;
    await scoped(backend, async (keep) => {
      const { X, y, w: W, b: B } = uploadProblem(backend, { ...p, L: 1, w, b: [b] }, keep);
      const { gw, gb } = linearGradient(backend, X, y, W, B, lambda);
      keep(gw);
      keep(gb);
      const got = [...(await backend.read(gw)), ...(await backend.read(gb))];
      const { scale, terms } = hostGradient(p, w, b, lambda);
      const J = (ws: number[], bb: number) => hostObjective(p, ws, bb, lambda);
      for (let j = 0; j <= p.d; j++) {
        const at = j < p.d ? (w[j] as number) : b;
        const h = 1e-4 * Math.max(1, Math.abs(at));
        const shifted = (s: number) =>
          j < p.d
            ? J(
                w.map((v, i) => (i === j ? v + s : v)),
                b,
              )
            : J(w, b + s);
        const plus = shifted(h);
        const minus = shifted(-h);
        const fd = (plus.J - minus.J) / (2 * h);
        // J is quadratic: central differences have no truncation error, only the float64 rounding
        // of J (bounded by γ·scale of J) divided by 2h. The backend adds its own rounding.
        const fdError = sumTolerance("float64", terms * p.d, plus.scale + minus.scale) / (2 * h);
        const tol = sumTolerance(backend.precision, terms, scale[j] as number) + fdError;
        meter.value(got[j] as number, fd, tol, j < p.d ? `∂J/∂w${j}` : "∂J/∂b");
      }
    });
  },
});

export const l2AndFrobenius = defineProperty({
  id: "id-2",
  name: "∇(λ/2)‖W‖² = λW, and ‖W‖_F² = tr(WᵀW) = Σ wᵢⱼ²",
  source: "IDENTITIES.md 2",
  arbitrary: fc
    .record({
      d: fc.integer({ min: 1, max: 6 }),
      L: fc.integer({ min: 1, max: 4 }),
      lambda: lambdaArb(),
    })
    .chain((s) => fc.record({ s: fc.constant(s), w: unitValues(s.d * s.L, 3) })),
  async check({ backend }, { s: { d, L, lambda }, w }, meter) {
    await scoped(backend, async (keep) => {
      const W = keep(backend.upload(w, [d, L]));
      // Zero data make the loss's gradient vanish, leaving only the penalty's.
      const X = keep(backend.zeros([2, d]));
      const y = keep(backend.zeros([2, 1]));
      const b = keep(backend.zeros([1, L]));
      const { gw, gb } = linearGradient(backend, X, y, W, b, lambda);
      keep(gw);
      keep(gb);
      const got = await backend.read(gw);
      w.forEach((v, i) =>
        meter.value(
          got[i] as number,
          lambda * v,
          sumTolerance(backend.precision, 2, Math.abs(lambda * v)),
          `λw[${i}]`,
        ),
      );
      const sumSq = w.reduce((acc, v) => acc + v * v, 0);
      const tol = sumTolerance(backend.precision, d * L, sumSq);
      const squares = keep(backend.unary("square", W));
      meter.value(
        (await backend.read(keep(backend.sum(squares))))[0] as number,
        sumSq,
        tol,
        "Σ wᵢⱼ²",
      );
      const gram = keep(backend.matmul(W, W, true, false));
      const eye = keep(
        backend.upload(
          Array.from({ length: L * L }, (_, i) => (i % (L + 1) === 0 ? 1 : 0)),
          [L, L],
        ),
      );
      const trace = (
        await backend.read(keep(backend.sum(keep(backend.binary("mul", gram, eye)))))
      )[0] as number;
      meter.value(trace, sumSq, tol, "tr(WᵀW)");
    });
  },
});

export const l1Subgradient = defineProperty({
  id: "id-3",
  name: "the L1 subgradient is λ·sign(w), in [−λ, λ] at 0; the prox step moves by it",
  source: "IDENTITIES.md 3",
  arbitrary: fc.record({
    w: fc.array(fc.oneof(fc.constant(0), fc.double({ min: -3, max: 3, noNaN: true })), {
      minLength: 1,
      maxLength: 12,
    }),
    step: fc.double({ min: 1e-3, max: 2, noNaN: true }),
  }),
  async check({ backend }, { w, step }, meter) {
    await scoped(backend, async (keep) => {
      const W = keep(backend.upload(w, [w.length, 1]));
      const sign = await backend.read(keep(backend.unary("sign", W)));
      const prox = await backend.read(keep(backend.softThreshold(W, step)));
      const stored = await backend.read(W);
      stored.forEach((v, i) => {
        meter.holds(
          sign[i] === Math.sign(v) || (v === 0 && sign[i] === 0),
          `sign(${v}) = ${sign[i]}`,
        );
        const moved = (prox[i] as number) - v;
        if (Math.abs(v) > step) {
          // Outside the dead zone the step is exactly −t·sign(w): a subgradient step.
          meter.value(
            moved,
            -step * Math.sign(v),
            sumTolerance(backend.precision, 1, Math.abs(v) + step),
            `S(${v}) − w`,
          );
        } else {
          // Inside it the result is 0 and −w/t lies in [−1, 1], i.e. in ∂|w| scaled by t.
          meter.holds(
            prox[i] === 0 && Math.abs(v) <= step,
            `S(${v}, ${step}) = ${prox[i]}, must be 0`,
          );
        }
      });
    });
  },
});

export const gradientLinearInLambda = defineProperty({
  id: "id-4",
  name: "gradients are linear in λ: g(λ₁ + λ₂) − g(λ₁) = λ₂·w",
  source: "IDENTITIES.md 4",
  arbitrary: fc.record({ p: linearProblem({ maxL: 3 }), l1: lambdaArb(), l2: lambdaArb() }),
  async check({ backend }, { p, l1, l2 }, meter) {
    await scoped(backend, async (keep) => {
      const { X, y, w, b } = uploadProblem(backend, p, keep);
      const g1 = linearGradient(backend, X, y, w, b, l1);
      const g2 = linearGradient(backend, X, y, w, b, l1 + l2);
      for (const t of [g1.gw, g1.gb, g2.gw, g2.gb]) keep(t);
      const a = await backend.read(g1.gw);
      const c = await backend.read(g2.gw);
      const gbA = await backend.read(g1.gb);
      const gbC = await backend.read(g2.gb);
      for (let l = 0; l < p.L; l++) {
        const wl = column(p.w, p.d, p.L, l);
        const { scale, terms } = hostGradient(p, wl, p.b[l] as number, l1 + l2);
        for (let j = 0; j < p.d; j++) {
          const i = j * p.L + l;
          const tol =
            2 *
            sumTolerance(
              backend.precision,
              terms,
              (scale[j] as number) + l2 * Math.abs(wl[j] as number),
            );
          meter.value(
            (c[i] as number) - (a[i] as number),
            l2 * (wl[j] as number),
            tol,
            `column ${l}, w${j}`,
          );
        }
        meter.value(
          (gbC[l] as number) - (gbA[l] as number),
          0,
          2 * sumTolerance(backend.precision, terms, scale[p.d] as number),
          `column ${l}, b`,
        );
      }
    });
  },
});

const sgdProblem = fc.record({
  p: linearProblem({ maxL: 2 }),
  lambda: fc.double({ min: 1e-3, max: 3, noNaN: true }),
  batch: fc.integer({ min: 1, max: 8 }),
  epochs: fc.integer({ min: 1, max: 4 }),
});

export const coupledEqualsDecoupled = defineProperty({
  id: "id-5",
  name: "under plain SGD, coupled L2 (penalty in the loss) and decoupled decay give the same trajectory",
  source: "IDENTITIES.md 5",
  arbitrary: sgdProblem,
  async check({ backend }, { p, lambda, batch, epochs }, meter) {
    const B = Math.min(batch, p.n);
    const lr = stableLr(p, lambda);
    const order = identity(p.n);
    await scoped(backend, async (keep) => {
      const coupled = await runSgd(
        backend,
        p,
        { weightPenalty: rep(p.L, lambda), weightDecay: rep(p.L, 0), biasDecay: rep(p.L, 0) },
        { lr, epochs, batch: B, order },
        keep,
      );
      // The same decay as a per-step factor δ = ηλ applied by the optimizer.
      const decoupled = await runSgd(
        backend,
        p,
        { weightPenalty: rep(p.L, 0), weightDecay: rep(p.L, lambda), biasDecay: rep(p.L, 0) },
        { lr, epochs, batch: B, order },
        keep,
      );
      const steps = epochs * Math.ceil(p.n / B);
      compareTrajectories(
        meter,
        backend.precision,
        p,
        { steps, lr, lambdaMax: lambda },
        decoupled,
        coupled,
      );
    });
  },
});

export const decayAlone = defineProperty({
  id: "id-7",
  name: "with a zero data gradient, w_k = (1 − ηλ)^k·w₀ and ‖w‖ shrinks iff 0 < ηλ < 2",
  source: "IDENTITIES.md 7",
  arbitrary: fc.record({
    w: unitValues(6, 3),
    lr: fc.double({ min: 0.01, max: 1, noNaN: true }),
    decayRate: fc.double({ min: 0.01, max: 1.9, noNaN: true }),
    steps: fc.integer({ min: 1, max: 30 }),
    coupled: fc.boolean(),
  }),
  async check({ backend }, { w, lr, decayRate, steps, coupled }, meter) {
    const lambda = decayRate / lr;
    // X = 0, y = 0, b = 0: every residual is 0, so only the decay moves w.
    const p: LinearProblem = {
      n: 3,
      d: w.length,
      L: 1,
      X: rep(3 * w.length, 0),
      y: [0, 0, 0],
      w,
      b: [0],
    };
    await scoped(backend, async (keep) => {
      const reg = coupled
        ? { weightPenalty: [lambda], weightDecay: [0], biasDecay: [0] }
        : { weightPenalty: [0], weightDecay: [lambda], biasDecay: [0] };
      const out = await runSgd(
        backend,
        p,
        reg,
        { lr, epochs: steps, batch: 3, order: [0, 1, 2] },
        keep,
      );
      const factor = (1 - lr * lambda) ** steps;
      const tol = trajectoryTolerance(backend.precision, steps, 3, maxAbs(w));
      w.forEach((v, j) => meter.value(out.w[j] as number, factor * v, tol, `w${j}`));
      const n0 = Math.hypot(...w);
      const n1 = Math.hypot(...out.w);
      if (n0 > 0 && Math.abs(factor) < 1 - steps * 8 * unitRoundoff(backend.precision)) {
        meter.holds(n1 < n0, `‖w‖ must shrink: ${n0} → ${n1}`);
      }
    });
  },
});

export const biasNotDecayed = defineProperty({
  id: "id-8",
  name: "a parameter with decay multiplier 0 (the bias) is unchanged by the decay",
  source: "IDENTITIES.md 8",
  arbitrary: fc.record({
    w: unitValues(4, 3),
    b: fc.double({ min: -3, max: 3, noNaN: true }),
    target: fc.double({ min: -3, max: 3, noNaN: true }),
    lambda: fc.double({ min: 0.01, max: 3, noNaN: true }),
    steps: fc.integer({ min: 1, max: 20 }),
  }),
  async check({ backend }, { w, b, target, lambda, steps }, meter) {
    // X = 0 and y = c: the bias follows b ← b − η(b − c) whatever decays w.
    const lr = 0.1;
    const p: LinearProblem = {
      n: 2,
      d: w.length,
      L: 1,
      X: rep(2 * w.length, 0),
      y: [target, target],
      w,
      b: [b],
    };
    await scoped(backend, async (keep) => {
      const out = await runSgd(
        backend,
        p,
        { weightPenalty: [0], weightDecay: [lambda], biasDecay: [0] },
        { lr, epochs: steps, batch: 2, order: [0, 1] },
        keep,
      );
      const expected = target + (1 - lr) ** steps * (b - target);
      const tol = trajectoryTolerance(backend.precision, steps, 4, Math.abs(b) + Math.abs(target));
      meter.value(out.b[0] as number, expected, tol, "bias");
    });
  },
});

export const lambdaZeroExact = defineProperty({
  id: "id-9",
  name: "λ = 0 recovers the unregularized update exactly, wherever the λ is placed",
  source: "IDENTITIES.md 9",
  arbitrary: fc.record({ p: linearProblem({ maxL: 2 }), batch: fc.integer({ min: 1, max: 8 }) }),
  async check({ backend }, { p, batch }, meter) {
    const B = Math.min(batch, p.n);
    const run = { lr: stableLr(p, 0), epochs: 2, batch: B, order: identity(p.n).reverse() };
    const zero = rep(p.L, 0);
    await scoped(backend, async (keep) => {
      const plain = await runSgd(
        backend,
        p,
        { weightPenalty: zero, weightDecay: zero, biasDecay: zero },
        run,
        keep,
      );
      // λ = 0 in each slot must be a no-op bit for bit: −0, 1·w and w − 0 change nothing.
      for (const reg of [
        { weightPenalty: rep(p.L, -0), weightDecay: zero, biasDecay: zero },
        { weightPenalty: zero, weightDecay: rep(p.L, -0), biasDecay: rep(p.L, -0) },
      ]) {
        const other = await runSgd(backend, p, reg, run, keep);
        plain.w.forEach((v, i) =>
          meter.holds(
            Object.is(other.w[i], v) || other.w[i] === v,
            `w[${i}]: ${other.w[i]} ≠ ${v}`,
          ),
        );
        plain.b.forEach((v, i) => meter.holds(other.b[i] === v, `b[${i}]: ${other.b[i]} ≠ ${v}`));
      }
    });
  },
});

/**
 * A ridge problem with λ ≥ 0.3: positive for the dual form (d > n), and large enough that
 * full-batch descent contracts by ≥ λ/(smoothness) per step and converges within a few hundred.
 */
const ridgeProblem = fc.record({
  p: linearProblem({ maxN: 6, maxD: 5 }),
  lambda: fc.double({ min: 0.3, max: 3, noNaN: true }),
});

function hostDataset(p: LinearProblem) {
  return { X: Float64Array.from(p.X), y: Float64Array.from(p.y), n: p.n, d: p.d };
}

/** The closed-form ridge solution with the a-priori bound on ∇J there (references.ts). */
function ridgeStar(p: LinearProblem, lambda: number) {
  const data = hostDataset(p);
  const star = ridgeClosedForm(data, lambda);
  return { star, gradientBound: ridgeResidualBound(data, lambda, star).gradient };
}

export const ridgeStationary = defineProperty({
  id: "id-11",
  name: "the closed-form ridge solution zeroes the backend's gradient of J",
  source: "IDENTITIES.md 11",
  arbitrary: ridgeProblem,
  async check({ backend }, { p, lambda }, meter) {
    const { star, gradientBound } = ridgeStar(p, lambda);
    const w = Array.from(star.weights);
    await scoped(backend, async (keep) => {
      const { X, y, w: W, b } = uploadProblem(backend, { ...p, L: 1, w, b: [star.bias] }, keep);
      const { gw, gb } = linearGradient(backend, X, y, W, b, lambda);
      keep(gw);
      keep(gb);
      const got = [...(await backend.read(gw)), ...(await backend.read(gb))];
      const host = hostGradient(p, w, star.bias, lambda);
      got.forEach((v, k) => {
        const scale = host.scale[k] as number;
        const own = sumTolerance(backend.precision, host.terms, scale);
        // The backend's arithmetic: its gradient against float64's at the same point.
        meter.value(
          v,
          host.g[k] as number,
          sumTolerance("float64", host.terms, scale) + own,
          `∇J[${k}] against float64`,
        );
        // The identity: ∇J(w*, b*) = 0. The float64 solve is off by at most its a-priori
        // backward error (never its measured residual, which would hide a wrong closed form);
        // the backend may add the policy's rounding on top.
        meter.value(v, 0, (gradientBound[k] as number) + own, `∇J[${k}]`);
      });
    });
  },
});

/** Full-batch gradient descent in float64 on the host: the remainder after k steps is the truth. */
function hostGd(p: LinearProblem, lambdas: readonly number[], lr: number, steps: number) {
  return lambdas.map((lambda, l) => {
    const w = column(p.w, p.d, p.L, l);
    let b = p.b[l] as number;
    for (let k = 0; k < steps; k++) {
      const { g } = hostGradient(p, w, b, lambda);
      for (let j = 0; j < p.d; j++) w[j] = (w[j] as number) - lr * (g[j] as number);
      b -= lr * (g[p.d] as number);
    }
    return { w, b };
  });
}

const GD_STEPS = 300;

/**
 * An a-priori bound on ‖θ_k − θ̂*‖₂ after k steps of full-batch gradient descent with step η from
 * θ₀ = (w₀, b₀), θ̂* the computed closed form, for J = mean ½(Xw + b − y)² + (λ/2)‖w‖².
 *
 * J is quadratic with Hessian H = (1/n)Σᵢ(xᵢ, 1)(xᵢ, 1)ᵀ + diag(λI, 0), so for η ≤ 1/λ_max(H)
 * ({@link fullBatchLr}'s η) θ_k − θ* = (I − ηH)^k(θ₀ − θ*) and ‖θ_k − θ*‖ ≤ (1 − ημ)^k‖θ₀ − θ*‖
 * with μ = λ_min(H). For μ, the larger of λ/(1 + λ + ‖x̄‖²) (always a lower bound: H's Schur
 * complement of the bias entry is XcᵀXc/n + λI ⪰ λI, and [[λ + ‖x̄‖², ‖x̄‖], [‖x̄‖, 1]]'s smallest
 * eigenvalue is at least its determinant over its trace) and H's smallest eigenvalue computed
 * here by Jacobi, less its error and that of forming H (γ_{n+1} of Σ|x||x|/n). The computed
 * solution θ̂* is within ‖∇J(θ̂*)‖₂/μ of θ* (strong convexity), with ∇J(θ̂*) bounded a priori
 * by ridgeResidualBound. Hence ‖θ_k − θ̂*‖ ≤ (1 − ημ)^k(‖θ₀ − θ̂*‖ + e) + e, e = ‖∇J(θ̂*)‖/μ.
 */
function gdRemainder(
  p: LinearProblem,
  lambda: number,
  lr: number,
  steps: number,
  star: { weights: Float64Array; bias: number },
  gradientBound: readonly number[],
  w0: readonly number[],
  b0: number,
): number {
  const { n, d } = p;
  const m = d + 1;
  const H = new Float64Array(m * m);
  const Habs = new Float64Array(m * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const xj = j < d ? (p.X[i * d + j] as number) : 1;
      for (let k = 0; k < m; k++) {
        const xk = k < d ? (p.X[i * d + k] as number) : 1;
        H[j * m + k] = (H[j * m + k] as number) + (xj * xk) / n;
        Habs[j * m + k] = (Habs[j * m + k] as number) + Math.abs(xj * xk) / n;
      }
    }
  }
  for (let j = 0; j < d; j++) H[j * m + j] = (H[j * m + j] as number) + lambda;
  let formed = 0;
  for (const v of Habs) formed += v * v;
  const eig = symmetricEigenvalues(H, m);
  const computed =
    Math.min(...eig.values) - eig.error - sumTolerance("float64", n + 1, Math.sqrt(formed));
  let meanSq = 0;
  for (let j = 0; j < d; j++) meanSq += (H[j * m + d] as number) ** 2;
  const mu = Math.max(computed, (lambda / (1 + lambda + meanSq)) * (1 - 1e-12));
  const e = Math.hypot(...gradientBound) / mu;
  let start = (b0 - star.bias) ** 2;
  for (let j = 0; j < d; j++) start += ((w0[j] as number) - (star.weights[j] as number)) ** 2;
  const contraction = Math.max(0, 1 - lr * mu) ** steps;
  // Reached exactly when one coordinate decays alone (a zero column): doubled like every bound
  // of the policy (SAFETY), so that the reference sits at half of it, not at it.
  return SAFETY * (contraction * (Math.sqrt(start) + e) + e);
}

/**
 * 1/(smoothness) of the full-batch objective: its Hessian in (w, b) has largest eigenvalue at
 * most its trace, Σᵢ‖xᵢ‖²/n + 1 + λ·d, and at most the row bound of {@link stableLr}.
 */
function fullBatchLr(p: LinearProblem, lambda: number): number {
  let total = 0;
  for (const x of p.X) total += x * x;
  // stableLr is 0.5/(max‖xᵢ‖² + 1 + λ): its reciprocal halved is the row bound.
  return 1 / Math.min(total / p.n + 1 + lambda * p.d, 0.5 / stableLr(p, lambda));
}

export const gdConvergesToRidge = defineProperty({
  id: "id-12",
  name: "full-batch gradient descent with a stable step converges to the ridge solution",
  source: "IDENTITIES.md 12",
  cost: 4,
  arbitrary: ridgeProblem,
  async check({ backend }, { p, lambda }, meter) {
    const { star, gradientBound } = ridgeStar(p, lambda);
    const lr = fullBatchLr(p, lambda);
    const [host] = hostGd(p, [lambda], lr, GD_STEPS);
    const w0 = column(p.w, p.d, p.L, 0);
    const b0 = p.b[0] as number;
    const remainder = gdRemainder(p, lambda, lr, GD_STEPS, star, gradientBound, w0, b0);
    await scoped(backend, async (keep) => {
      const problem = { ...p, L: 1, w: w0, b: [b0] };
      const out = await runSgd(
        backend,
        problem,
        { weightPenalty: [lambda], weightDecay: [0], biasDecay: [0] },
        { lr, epochs: GD_STEPS, batch: p.n, order: identity(p.n) },
        keep,
      );
      const scale = stepScale(
        p,
        Math.max(maxAbs(p.w), maxAbs(star.weights)),
        Math.max(maxAbs(p.b), Math.abs(star.bias)),
        lr,
        lambda,
      );
      const rounding = trajectoryTolerance(backend.precision, GD_STEPS, p.n + p.d + 4, scale);
      const hostRounding = trajectoryTolerance("float64", GD_STEPS, p.n + p.d + 4, scale);
      // The backend's descent against the same descent in float64, within the rounding of both;
      // and against the ridge solution, within the a-priori bound on what 300 steps have not yet
      // covered (gdRemainder, never the distance measured at the answer) plus the rounding.
      star.weights.forEach((v, j) => {
        const w = out.w[j] as number;
        meter.value(
          w,
          host?.w[j] as number,
          rounding + hostRounding,
          `w${j} against float64 descent`,
        );
        meter.value(w, v, remainder + rounding, `w${j}`);
      });
      meter.value(
        out.b[0] as number,
        host?.b as number,
        rounding + hostRounding,
        "b against float64 descent",
      );
      meter.value(out.b[0] as number, star.bias, remainder + rounding, "b");
    });
  },
});

export const shrinkageAlongGrid = defineProperty({
  id: "id-13",
  name: "along a λ grid trained in one pass, ‖w*(λ)‖ decreases and the training error does not",
  source: "IDENTITIES.md 13",
  cost: 4,
  arbitrary: fc.record({
    p: linearProblem({ maxN: 6, maxD: 5 }),
    // A grid of distinct λ (each at least 1.5× the last), so the float64 solutions differ by far
    // more than their own rounding.
    lambdas: fc
      .tuple(
        fc.double({ min: 0.3, max: 1, noNaN: true }),
        fc.array(fc.double({ min: 1.5, max: 4, noNaN: true }), { minLength: 1, maxLength: 3 }),
      )
      .map(([first, ratios]) => {
        const grid = [first];
        for (const r of ratios) grid.push((grid[grid.length - 1] as number) * r);
        return grid;
      }),
  }),
  async check({ backend }, { p, lambdas }, meter) {
    const grid = [...lambdas].sort((a, b) => a - b);
    const L = grid.length;
    const w0 = column(p.w, p.d, p.L, 0);
    const problem: LinearProblem = {
      ...p,
      L,
      w: Array.from({ length: p.d * L }, (_, i) => w0[Math.floor(i / L)] as number),
      b: rep(L, p.b[0] as number),
    };
    const lr = fullBatchLr(p, grid[L - 1] as number);
    const host = hostGd(problem, grid, lr, GD_STEPS);
    const solved = grid.map((lambda) => ridgeStar(p, lambda));
    const stars = solved.map((s) => s.star);
    const star0 = stars[0] as { weights: Float64Array; bias: number };
    const remainders = grid.map((lambda, l) => {
      const { star, gradientBound } = solved[l] as (typeof solved)[number];
      return gdRemainder(p, lambda, lr, GD_STEPS, star, gradientBound, w0, p.b[0] as number);
    });
    await scoped(backend, async (keep) => {
      const out = await runSgd(
        backend,
        problem,
        { weightPenalty: grid, weightDecay: rep(L, 0), biasDecay: rep(L, 0) },
        { lr, epochs: GD_STEPS, batch: p.n, order: identity(p.n) },
        keep,
      );
      const wMax = Math.max(maxAbs(problem.w), ...stars.map((s) => maxAbs(s.weights)));
      const bMax = Math.max(maxAbs(p.b), ...stars.map((s) => Math.abs(s.bias)));
      const scale = stepScale(p, wMax, bMax, lr, grid[L - 1] as number);
      const rounding = trajectoryTolerance(backend.precision, GD_STEPS, p.n + p.d + 4, scale);
      const hostRounding = trajectoryTolerance("float64", GD_STEPS, p.n + p.d + 4, scale);
      for (let l = 0; l < L; l++) {
        const star = stars[l] as { weights: Float64Array; bias: number };
        const remainder = remainders[l] as number;
        // Each column converges to its own λ's solution (identity 12 across the grid): against
        // the float64 descent within rounding, against the solution within the a-priori bound on
        // what the descent has not yet covered (gdRemainder) plus rounding.
        column(out.w, p.d, L, l).forEach((v, j) => {
          meter.value(
            v,
            (host[l] as { w: number[] }).w[j] as number,
            rounding + hostRounding,
            `λ=${grid[l]}: w${j} against float64 descent`,
          );
          meter.value(v, star.weights[j] as number, remainder + rounding, `λ=${grid[l]}: w${j}`);
        });
      }
      // The exact solutions shrink as λ grows (float64), and their training error, evaluated by
      // the backend for the whole grid at once (a d×L weight matrix), does not fall.
      const { X, y } = uploadProblem(backend, problem, keep);
      const W = keep(
        backend.upload(
          Array.from(
            { length: p.d * L },
            (_, i) => (stars[i % L] as typeof star0).weights[Math.floor(i / L)] as number,
          ),
          [p.d, L],
        ),
      );
      const B = keep(
        backend.upload(
          stars.map((s) => s.bias),
          [1, L],
        ),
      );
      const losses = await backend.read(keep(linearLoss(backend, X, y, W, B)));
      for (let l = 1; l < L; l++) {
        const [prev, cur] = [stars[l - 1], stars[l]] as [typeof star0, typeof star0];
        // Strictly smaller when Xcᵀyc ≠ 0; equal (both 0) otherwise.
        meter.holds(
          Math.hypot(...cur.weights) <= Math.hypot(...prev.weights),
          `‖w*‖ must shrink from λ=${grid[l - 1]} to λ=${grid[l]}`,
        );
        const lossTol =
          sumTolerance(
            backend.precision,
            p.n * (p.d + 3),
            hostObjective(p, Array.from(cur.weights), cur.bias, 0).scale,
          ) +
          sumTolerance(
            backend.precision,
            p.n * (p.d + 3),
            hostObjective(p, Array.from(prev.weights), prev.bias, 0).scale,
          );
        meter.holds(
          (losses[l] as number) >= (losses[l - 1] as number) - lossTol,
          `training error must not fall from λ=${grid[l - 1]} (${losses[l - 1]}) to λ=${grid[l]} (${losses[l]})`,
        );
      }
    });
  },
});

/** The chapter's problem, shrunk so a property run takes milliseconds. */
interface TrainSettings {
  readonly seed: number;
  readonly method: "scratch" | "concise";
  readonly lambda: number;
  readonly nTrain: number;
  readonly dims: number;
  readonly batchSize: number;
}

const trainSettings: fc.Arbitrary<TrainSettings> = fc.record({
  seed: fc.nat({ max: 1_000_000 }),
  method: fc.constantFrom<"scratch" | "concise">("scratch", "concise"),
  lambda: lambdaArb(),
  nTrain: fc.integer({ min: 1, max: 12 }),
  dims: fc.integer({ min: 1, max: 12 }),
  batchSize: fc.integer({ min: 1, max: 5 }),
});

function trainArgs(s: TrainSettings) {
  const data = syntheticSplit(s.seed, { nTrain: s.nTrain, nTest: 4, dims: s.dims });
  const options: TrainOptions = {
    method: s.method,
    lambda: s.lambda,
    epochs: 6,
    lr: 0.02,
    batchSize: Math.min(s.batchSize, s.nTrain),
    seed: s.seed,
    evalEvery: 3,
  };
  return { data, options };
}

export const sameSeedBitIdentical = defineProperty({
  id: "id-20",
  name: "the same seed on the same backend gives bit-identical results",
  source: "IDENTITIES.md 20",
  arbitrary: trainSettings,
  async check({ backend }, s, meter) {
    const { data, options } = trainArgs(s);
    const a = await train(backend, data, options);
    const b = await train(backend, data, options);
    a.weights.forEach((v, i) =>
      meter.holds(Object.is(v, b.weights[i]), `w[${i}]: ${v} then ${b.weights[i]}`),
    );
    meter.holds(Object.is(a.bias, b.bias), "bias");
    a.history.forEach((h, i) =>
      meter.holds(
        Object.is(h.trainLoss, b.history[i]?.trainLoss) &&
          Object.is(h.testLoss, b.history[i]?.testLoss),
        `loss at epoch ${h.epoch}`,
      ),
    );
  },
});

export const noLeak = defineProperty({
  id: "id-23",
  name: "no leak: live tensors after a training run (or a failed one) equal those before",
  source: "IDENTITIES.md 23",
  arbitrary: fc.record({ s: trainSettings, abortAt: fc.integer({ min: 0, max: 6 }) }),
  async check({ backend }, { s, abortAt }, meter) {
    const { data, options } = trainArgs(s);
    const before = backend.liveTensors();
    await train(backend, data, options);
    meter.holds(
      backend.liveTensors() === before,
      `after training: ${backend.liveTensors()} live, ${before} before`,
    );
    const controller = new AbortController();
    await train(backend, data, {
      ...options,
      signal: controller.signal,
      onEpoch: (epoch) => {
        if (epoch >= abortAt) controller.abort(new Error("stopped by the property"));
      },
    }).catch(() => undefined);
    meter.holds(
      backend.liveTensors() === before,
      `after an aborted run: ${backend.liveTensors()} live, ${before} before`,
    );
    // The composed loss path allocates and frees intermediates of its own.
    await scoped(backend, async (keep) => {
      const p: LinearProblem = {
        n: data.train.n,
        d: data.train.d,
        L: 1,
        X: Array.from(data.train.X),
        y: Array.from(data.train.y),
        w: rep(data.train.d, 0.5),
        b: [0],
      };
      const { X, y, w, b } = uploadProblem(backend, p, keep);
      keep(composeLinearLoss(backend, X, y, w, b));
    });
    meter.holds(
      backend.liveTensors() === before,
      `after the composed loss: ${backend.liveTensors()} live, ${before} before`,
    );
  },
});

/**
 * SGD with an L1 proximal step on the host, in float64, exactly as `LinearSgdSpec` states it:
 * the smooth update, then w ← S_{lr·λ₁}(w) per column. Also returns, per weight, the value the
 * last threshold saw and that threshold, to tell the zeros that are clear from the boundary ones.
 */
function hostProxSgd(
  p: LinearProblem,
  penalty: number,
  l1: readonly number[],
  run: { lr: number; epochs: number; batch: number },
): { w: Float64Array; b: Float64Array; pre: Float64Array; t: Float64Array } {
  const { n, d, L } = p;
  const w = Float64Array.from(p.w);
  const b = Float64Array.from(p.b);
  const pre = new Float64Array(d * L);
  const t = new Float64Array(d * L);
  const { lr } = run;
  for (let e = 0; e < run.epochs; e++) {
    for (let offset = 0; offset < n; offset += run.batch) {
      const count = Math.min(run.batch, n - offset);
      const g = new Float64Array(d * L);
      const rSum = new Float64Array(L);
      for (let i = offset; i < offset + count; i++) {
        for (let l = 0; l < L; l++) {
          let r = (b[l] as number) - (p.y[i] as number);
          for (let j = 0; j < d; j++) r += (p.X[i * d + j] as number) * (w[j * L + l] as number);
          rSum[l] = (rSum[l] as number) + r;
          for (let j = 0; j < d; j++) {
            g[j * L + l] = (g[j * L + l] as number) + (p.X[i * d + j] as number) * r;
          }
        }
      }
      for (let k = 0; k < d * L; k++) {
        const l = k % L;
        const v = (w[k] as number) - lr * ((g[k] as number) / count + penalty * (w[k] as number));
        const th = lr * (l1[l] as number);
        pre[k] = v;
        t[k] = th;
        w[k] = v > th ? v - th : v < -th ? v + th : 0;
      }
      for (let l = 0; l < L; l++) b[l] = (b[l] as number) - (lr * (rSum[l] as number)) / count;
    }
  }
  return { w, b, pre, t };
}

export const proxSgdExactZeros = defineProperty({
  id: "id-15-prox-sgd",
  name: "SGD with a large L1 proximal step gives exact zeros where the float64 host does, and its trajectory",
  source: "IDENTITIES.md 15",
  arbitrary: linearProblem({ maxL: 3 }).chain((p) =>
    fc.record({
      p: fc.constant(p),
      penalty: lambdaArb(1),
      // The threshold per step, lr·λ₁, as a fraction of the weights' scale (≤ 2): large enough
      // that zeros are common, and one column may have no L1 at all.
      kicks: fc.array(
        fc.oneof(
          { weight: 1, arbitrary: fc.constant(0) },
          { weight: 4, arbitrary: fc.double({ min: 0.02, max: 1.5, noNaN: true }) },
        ),
        { minLength: p.L, maxLength: p.L },
      ),
      batch: fc.integer({ min: 1, max: 8 }),
      epochs: fc.integer({ min: 1, max: 4 }),
    }),
  ),
  async check({ backend }, { p, penalty, kicks, batch, epochs }, meter) {
    const B = Math.min(batch, p.n);
    const lr = stableLr(p, penalty);
    const l1 = kicks.map((k) => k / lr);
    const run = { lr, epochs, batch: B };
    const host = hostProxSgd(p, penalty, l1, run);
    await scoped(backend, async (keep) => {
      const got = await runSgd(
        backend,
        p,
        {
          weightPenalty: rep(p.L, penalty),
          weightDecay: rep(p.L, 0),
          biasDecay: rep(p.L, 0),
          weightL1: l1,
        },
        { ...run, order: identity(p.n) },
        keep,
      );
      const steps = epochs * Math.ceil(p.n / B);
      const lambdaMax = Math.max(penalty, ...l1);
      // The trajectory bound of compareTrajectories, held against the exact (host) run: once.
      const wMax = Math.max(maxAbs(p.w), maxAbs(host.w));
      const bMax = Math.max(maxAbs(p.b), maxAbs(host.b));
      const tol = trajectoryTolerance(
        backend.precision,
        steps,
        p.n + p.d + 4,
        stepScale(p, wMax, bMax, lr, lambdaMax),
      );
      host.w.forEach((v, i) => meter.value(got.w[i] as number, v, 2 * tol, `w[${i}]`));
      host.b.forEach((v, i) => meter.value(got.b[i] as number, v, 2 * tol, `b[${i}]`));
      // Zeros clear of the boundary (|pre| ≤ t by more than the trajectory's error) are exact.
      host.w.forEach((v, i) => {
        if (v !== 0 || !(Math.abs(host.pre[i] as number) < (host.t[i] as number) - 2 * tol)) return;
        meter.holds(got.w[i] === 0, `w[${i}] must be exactly 0 (host: 0), got ${got.w[i]}`);
      });
    });
  },
});

export const IDENTITY_PROPERTIES = [
  gradientMatchesFiniteDifferences,
  l2AndFrobenius,
  l1Subgradient,
  gradientLinearInLambda,
  coupledEqualsDecoupled,
  decayAlone,
  biasNotDecayed,
  lambdaZeroExact,
  ridgeStationary,
  gdConvergesToRidge,
  shrinkageAlongGrid,
  sameSeedBitIdentical,
  agreesWithOracle,
  noLeak,
  proxSgdExactZeros,
];
