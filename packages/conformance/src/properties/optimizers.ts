/**
 * The identities that need an optimizer with state (6: momentum separates coupled L2 from
 * decoupled decay; 10: Adam + L2 is not AdamW), the 1-SE rule on validation losses the backend
 * computes (18), and core's optimizer against the linear SGD program. The truth is a float64
 * host simulation of the update rules written out below, independently of core's composition.
 */

import {
  type Backend,
  createOptimizer,
  type Dataset,
  type DecayPlacement,
  type DecoupledScaling,
  kFolds,
  type LinearModel,
  linearGradient,
  linearLoss,
  minimumLambda,
  type OptimizerKind,
  type OptimizerOptions,
  oneStandardErrorRule,
  Rng,
  ridgeClosedForm,
  Stream,
  selectLambda,
  selectRows,
  syntheticData,
  type Tensor,
} from "@wdecay/core";
import fc from "fast-check";
import { linearProblem, unitValues } from "../arbitraries.js";
import { defineProperty } from "../property.js";
import { type Keep, scoped } from "../scope.js";
import { sumTolerance } from "../tolerance.js";
import { compareTrajectories, hostObjective, runSgd, stableLr, uploadProblem } from "./linear.js";
import { optimizerTrainingAgreesWithOracle } from "./training.js";

/** One parameter of a host simulation: its start, the multiplier of its group, its mask. */
interface HostParam {
  readonly theta: readonly number[];
  readonly multiplier: number;
  readonly mask?: readonly number[];
}

/** The update rule of a host simulation, as {@link OptimizerOptions} states it. */
interface HostRule {
  readonly kind: OptimizerKind;
  readonly lr: number;
  readonly momentum: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly decay: DecayPlacement;
  readonly scaling: DecoupledScaling;
}

/** θ of every parameter after each step, and per step the magnitude its sums were made at. */
interface HostTrajectory {
  readonly thetas: number[][][];
  readonly scales: number[];
}

/**
 * The optimizer in float64, element by element. `scales[k]` bounds the magnitudes summed into
 * step k's values: |θ|, λ|θ|, |g|, the momentum buffer, and for Adam the step η·(m̂ + Σ|terms of
 * m̂|)/(√v̂ + ε) — m may cancel, so its rounding is relative to the sum of its terms' magnitudes.
 */
function simulate(
  rule: HostRule,
  params: readonly HostParam[],
  grads: readonly (readonly (readonly number[])[])[],
): HostTrajectory {
  const theta = params.map((p) => [...p.theta]);
  const first = params.map((p) => p.theta.map(() => 0));
  const firstAbs = params.map((p) => p.theta.map(() => 0));
  const second = params.map((p) => p.theta.map(() => 0));
  const thetas: number[][][] = [];
  const scales: number[] = [];
  const adam = rule.kind === "adam" || rule.kind === "adamw";
  grads.forEach((stepGrads, t) => {
    const k = t + 1;
    let scale = 0;
    params.forEach((p, i) => {
      const th = theta[i] as number[];
      const lambda = rule.weightDecay * p.multiplier;
      const next = th.map((v, j) => {
        const decayed = lambda * v * (p.mask ? (p.mask[j] as number) : 1);
        const raw = (stepGrads[i] as readonly number[])[j] as number;
        const g = rule.decay === "coupled" ? raw + decayed : raw;
        let step = g;
        let stepScale = Math.abs(raw) + Math.abs(decayed);
        if (rule.kind === "momentum") {
          const b = rule.momentum * ((first[i] as number[])[j] as number) + g;
          const bAbs = rule.momentum * ((firstAbs[i] as number[])[j] as number) + stepScale;
          (first[i] as number[])[j] = b;
          (firstAbs[i] as number[])[j] = bAbs;
          step = b;
          stepScale = bAbs;
        } else if (adam) {
          const m = rule.beta1 * ((first[i] as number[])[j] as number) + (1 - rule.beta1) * g;
          const mAbs =
            rule.beta1 * ((firstAbs[i] as number[])[j] as number) + (1 - rule.beta1) * stepScale;
          const s = rule.beta2 * ((second[i] as number[])[j] as number) + (1 - rule.beta2) * g * g;
          (first[i] as number[])[j] = m;
          (firstAbs[i] as number[])[j] = mAbs;
          (second[i] as number[])[j] = s;
          const denom = Math.sqrt(s / (1 - rule.beta2 ** k)) + rule.eps;
          step = m / (1 - rule.beta1 ** k) / denom;
          stepScale = (mAbs / (1 - rule.beta1 ** k) + Math.abs(m / (1 - rule.beta1 ** k))) / denom;
        }
        let out = v - rule.lr * step;
        let shrink = 0;
        if (rule.decay === "decoupled") {
          shrink = (rule.scaling === "lr" ? rule.lr : 1) * decayed;
          out -= shrink;
        }
        scale = Math.max(
          scale,
          Math.abs(v) + Math.abs(shrink) + Math.abs(decayed) + rule.lr * stepScale + stepScale,
        );
        return out;
      });
      theta[i] = next;
    });
    thetas.push(theta.map((th) => [...th]));
    scales.push(scale);
  });
  return { thetas, scales };
}

/** Runs core's optimizer on the backend with the given gradients, reading θ after every step. */
async function runOptimizer(
  backend: Backend,
  keep: Keep,
  options: Omit<OptimizerOptions, "groups">,
  params: readonly HostParam[],
  shapes: readonly (readonly [number, number])[],
  grads: readonly (readonly (readonly number[])[])[],
): Promise<number[][][]> {
  // One group per parameter: each may carry its own multiplier and mask.
  const tensors = params.map((p, i) =>
    keep(backend.upload(p.theta, shapes[i] as [number, number])),
  );
  const groups = params.map((p, i) => ({
    params: [tensors[i] as Tensor],
    decayMultiplier: p.multiplier,
    ...(p.mask ? { mask: keep(backend.upload(p.mask, shapes[i] as [number, number])) } : {}),
  }));
  const optimizer = createOptimizer(backend, { ...options, groups });
  const out: number[][][] = [];
  try {
    for (const stepGrads of grads) {
      const gs = stepGrads.map((g, i) => [keep(backend.upload(g, shapes[i] as [number, number]))]);
      optimizer.step(gs);
      const read: number[][] = [];
      for (const t of tensors) read.push(Array.from(await backend.read(t)));
      out.push(read);
    }
  } finally {
    optimizer.dispose();
  }
  return out;
}

const maxAbsDiff = (a: readonly number[][], b: readonly number[][]) => {
  let m = 0;
  a.forEach((row, i) =>
    row.forEach((v, j) => {
      m = Math.max(m, Math.abs(v - ((b[i] as number[])[j] as number)));
    }),
  );
  return m;
};

/**
 * The tolerance of a trajectory after step k: each step's rounding (a handful of rounded
 * operations per element, at the step's scale) adds up linearly, as in `trajectoryTolerance`,
 * times `amplification`, the growth an error made early can undergo in later steps.
 */
function stepTolerances(
  backend: Backend,
  scales: readonly number[],
  terms: number,
  amplification: number,
): number[] {
  let acc = 0;
  return scales.map((s) => {
    acc += sumTolerance(backend.precision, terms, s);
    return amplification * acc;
  });
}

/** A parameter's start with one entry of magnitude ≥ 0.5, so decay always has something to move. */
const startValues = (count: number) =>
  fc
    .tuple(fc.double({ min: 0.5, max: 2, noNaN: true }), fc.boolean(), unitValues(count - 1, 2))
    .map(([big, negative, rest]) => [negative ? -big : big, ...rest]);

const shapeArb = fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }));

export const momentumSeparatesDecay = defineProperty({
  id: "id-6",
  name: "with momentum μ > 0 coupled L2 and decoupled decay differ (by ημλθ₀ after two steps); at μ = 0 they coincide",
  source: "IDENTITIES.md 6",
  arbitrary: shapeArb.chain(([r, c]) =>
    fc.record({
      shape: fc.constant([r, c] as const),
      theta: startValues(r * c),
      // The mask decays the first entry (the one of magnitude ≥ 0.5) and a random subset.
      mask: fc.option(
        fc
          .array(fc.constantFrom(0, 1), { minLength: r * c - 1, maxLength: r * c - 1 })
          .map((m) => [1, ...m]),
        { nil: undefined },
      ),
      bias: unitValues(c),
      lr: fc.double({ min: 0.05, max: 0.5, noNaN: true }),
      lambda: fc.double({ min: 0.2, max: 2, noNaN: true }),
      momentum: fc.oneof(fc.constant(0), fc.double({ min: 0.5, max: 0.95, noNaN: true })),
      scaling: fc.constantFrom<DecoupledScaling>("lr", "none"),
      grads: fc.integer({ min: 2, max: 6 }).chain((steps) =>
        fc.array(fc.tuple(unitValues(r * c), unitValues(c)), {
          minLength: steps,
          maxLength: steps,
        }),
      ),
    }),
  ),
  async check({ backend }, input, meter) {
    const { shape, theta, mask, bias, lr, lambda, momentum, scaling, grads } = input;
    const shapes = [shape, [1, shape[1]] as const];
    // The bias is in its own group with multiplier 0: no decay, in either placement.
    const params: HostParam[] = [
      { theta, multiplier: 1, ...(mask ? { mask } : {}) },
      { theta: bias, multiplier: 0 },
    ];
    const gs = grads.map(([gw, gb]) => [gw, gb]);
    // A per-step factor δ = ηλ not scaled by η equals coupled λ (identity 5's second sentence).
    const decoupledDecay = scaling === "lr" ? lambda : lr * lambda;
    const kind: OptimizerKind = momentum > 0 ? "momentum" : "sgd";
    const common = {
      kind,
      lr,
      ...(kind === "momentum" ? { momentum } : {}),
    };
    const rule = { kind, lr, momentum, beta1: 0, beta2: 0, eps: 1, scaling };
    const hostC = simulate({ ...rule, weightDecay: lambda, decay: "coupled" }, params, gs);
    const hostD = simulate(
      { ...rule, weightDecay: decoupledDecay, decay: "decoupled" },
      params,
      gs,
    );
    await scoped(backend, async (keep) => {
      const gotC = await runOptimizer(
        backend,
        keep,
        { ...common, weightDecay: lambda, decay: "coupled" },
        params,
        shapes,
        gs,
      );
      const gotD = await runOptimizer(
        backend,
        keep,
        { ...common, weightDecay: decoupledDecay, decay: "decoupled", decoupledScaling: scaling },
        params,
        shapes,
        gs,
      );
      // An error in θ feeds the coupled gradient (×(1 + ηλ) per step) and an error in the buffer
      // reaches θ through η, summed geometrically (≤ 1/(1 − μ)).
      const amp = (2 * (1 + lr) * (1 + lr * lambda) ** grads.length) / (1 - momentum);
      const tolC = stepTolerances(backend, hostC.scales, 6, amp);
      const tolD = stepTolerances(backend, hostD.scales, 6, amp);
      for (let k = 0; k < grads.length; k++) {
        const tc = tolC[k] as number;
        const td = tolD[k] as number;
        (gotC[k] as number[][]).forEach((row, i) =>
          row.forEach((v, j) =>
            meter.value(
              v,
              hostC.thetas[k]?.[i]?.[j] as number,
              tc,
              `coupled θ${i}[${j}] step ${k + 1}`,
            ),
          ),
        );
        (gotD[k] as number[][]).forEach((row, i) =>
          row.forEach((v, j) =>
            meter.value(
              v,
              hostD.thetas[k]?.[i]?.[j] as number,
              td,
              `decoupled θ${i}[${j}] step ${k + 1}`,
            ),
          ),
        );
      }
      const t2 = (tolC[1] as number) + (tolD[1] as number);
      const gap = maxAbsDiff(gotC[1] as number[][], gotD[1] as number[][]);
      if (momentum > 0) {
        // After two steps the gap is exactly η·μ·λ·M⊙θ₀, at least 0.05·0.5·0.2·0.5 = 0.0025.
        const expected =
          lr * momentum * lambda * Math.max(...theta.map((v, j) => Math.abs(v) * (mask?.[j] ?? 1)));
        meter.holds(
          expected > 2 * t2 && gap > t2,
          `with μ = ${momentum} the trajectories must differ after 2 steps by ≈ ${expected}: got ${gap} (tolerance ${t2})`,
        );
        meter.value(gap, expected, t2, "gap after 2 steps");
      } else {
        for (let k = 0; k < grads.length; k++) {
          meter.value(
            maxAbsDiff(gotC[k] as number[][], gotD[k] as number[][]),
            0,
            (tolC[k] as number) + (tolD[k] as number),
            `μ = 0: coupled − decoupled at step ${k + 1}`,
          );
        }
      }
    });
  },
});

const ADAM_EPS = [1e-8, 1e-10] as const;

export const adamL2IsNotAdamW = defineProperty({
  id: "id-10",
  name: "from m = v = 0 with zero data gradient Adam + L2 moves θ by ≈ η·sign(θ) for any λ > 0, AdamW gives (1 − ηλ)θ; equal at λ = 0",
  source: "IDENTITIES.md 10",
  arbitrary: shapeArb.chain(([r, c]) =>
    fc.record({
      shape: fc.constant([r, c] as const),
      theta: fc.array(
        fc.oneof(
          { weight: 1, arbitrary: fc.constant(0) },
          {
            weight: 6,
            arbitrary: fc
              .tuple(fc.double({ min: 0.01, max: 3, noNaN: true }), fc.boolean())
              .map(([v, neg]) => (neg ? -v : v)),
          },
        ),
        { minLength: r * c, maxLength: r * c },
      ),
      lr: fc.double({ min: 1e-3, max: 0.5, noNaN: true }),
      lambda: fc.double({ min: 0.01, max: 3, noNaN: true }),
      lambdaFactor: fc.double({ min: 2, max: 100, noNaN: true }),
      beta1: fc.double({ min: 0.5, max: 0.99, noNaN: true }),
      beta2: fc.double({ min: 0.9, max: 0.9999, noNaN: true }),
      eps: fc.constantFrom(...ADAM_EPS),
      grads: fc
        .integer({ min: 1, max: 4 })
        .chain((steps) => fc.array(unitValues(r * c), { minLength: steps, maxLength: steps })),
    }),
  ),
  async check({ backend }, input, meter) {
    const { shape, theta, lr, lambda, lambdaFactor, beta1, beta2, eps, grads } = input;
    const params: HostParam[] = [{ theta, multiplier: 1 }];
    const shapes = [shape];
    const zero = [[theta.map(() => 0)]];
    const adamRule = { lr, momentum: 0, beta1, beta2, eps, scaling: "lr" as const };
    const opts = { lr, beta1, beta2, eps };
    // Adam's step has about a dozen rounded operations per element; no error feeds back (the
    // gradients are given and, where λ > 0, only one step is taken).
    const TERMS = 14;
    await scoped(backend, async (keep) => {
      for (const l of [lambda, lambda * lambdaFactor]) {
        const host = simulate(
          { ...adamRule, kind: "adam", weightDecay: l, decay: "coupled" },
          params,
          zero,
        );
        const got = await runOptimizer(
          backend,
          keep,
          { ...opts, kind: "adam", weightDecay: l, decay: "coupled" },
          params,
          shapes,
          zero,
        );
        const tol = stepTolerances(backend, host.scales, TERMS, 1)[0] as number;
        theta.forEach((v, j) => {
          const out = got[0]?.[0]?.[j] as number;
          meter.value(out, host.thetas[0]?.[0]?.[j] as number, tol, `Adam+L2 (λ=${l}) θ[${j}]`);
          // m̂ = λθ, √v̂ = λ|θ|: the step is ηλθ/(λ|θ| + ε), η·sign(θ) up to ηε/(λ|θ| + ε).
          const approx = (lr * eps) / (l * Math.abs(v) + eps);
          // The bound is exact arithmetic, so it is a condition, not a measurement: recorded as
          // one, it would show a ratio of 1 and hide how tight the comparison above is. With
          // λ|θ| ≥ 1e-4 and ε ≤ 1e-8 the deviation is at most 1e-4·η where θ ≠ 0 (θ = 0 stays 0).
          const dev = Math.abs(out - (v - lr * Math.sign(v)));
          meter.holds(
            dev <= tol + approx && (v === 0 || approx <= 1e-4 * lr),
            `Adam+L2 (λ=${l}) θ[${j}] = ${out} must be θ − η·sign(θ) = ${v - lr * Math.sign(v)} within ${tol + approx}`,
          );
        });
        const gotW = await runOptimizer(
          backend,
          keep,
          { ...opts, kind: "adamw", weightDecay: l, decay: "decoupled", decoupledScaling: "lr" },
          params,
          shapes,
          zero,
        );
        theta.forEach((v, j) => {
          const expected = (1 - lr * l) * v;
          meter.value(
            gotW[0]?.[0]?.[j] as number,
            expected,
            sumTolerance(backend.precision, 4, Math.abs(v) * (1 + lr * l)),
            `AdamW (λ=${l}) θ[${j}] = (1 − ηλ)θ`,
          );
        });
      }
      // λ = 0: both are plain Adam, step for step, on random gradients.
      const gs = grads.map((g) => [g]);
      const host = simulate(
        { ...adamRule, kind: "adam", weightDecay: 0, decay: "coupled" },
        params,
        gs,
      );
      const tols = stepTolerances(backend, host.scales, TERMS, 1);
      const gotA = await runOptimizer(
        backend,
        keep,
        { ...opts, kind: "adam", weightDecay: 0, decay: "coupled" },
        params,
        shapes,
        gs,
      );
      const gotW = await runOptimizer(
        backend,
        keep,
        { ...opts, kind: "adamw", weightDecay: 0, decay: "decoupled" },
        params,
        shapes,
        gs,
      );
      for (let k = 0; k < grads.length; k++) {
        const tol = tols[k] as number;
        host.thetas[k]?.[0]?.forEach((v, j) => {
          meter.value(gotA[k]?.[0]?.[j] as number, v, tol, `λ = 0: Adam θ[${j}] step ${k + 1}`);
          meter.value(gotW[k]?.[0]?.[j] as number, v, tol, `λ = 0: AdamW θ[${j}] step ${k + 1}`);
        });
      }
    });
  },
});

/** A random validation curve: λ, mean and se ≥ 0, in any order. */
/**
 * How far the MSE on `val` of selectLambda's ridge fit may be from that of `fit`, the closed form
 * on the same rows: selectLambda solves ridge by one eigendecomposition, the closed form by
 * Cholesky; both are backward stable, so their weights differ by at most
 * δ = 16·m·ε·κ·‖w‖ (m = max(n, d) the system's size, κ ≤ (trace(XcᵀXc/n) + λ)/λ). A row's
 * prediction then moves by at most σ = (max‖xᵢ‖ + ‖x̄‖)·δ (the bias follows x̄ᵀw), and its squared
 * error by 2|rᵢ|σ + σ².
 */
function fitGap(train: Dataset, val: Dataset, fit: LinearModel, lambda: number): number {
  const { n, d, X } = train;
  let trace = 0;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (X[i * d + j] as number) / n;
  }
  let meanNorm = 0;
  for (let j = 0; j < d; j++) {
    meanNorm += (mean[j] as number) ** 2;
    for (let i = 0; i < n; i++) trace += ((X[i * d + j] as number) - (mean[j] as number)) ** 2 / n;
  }
  const kappa = (trace + lambda) / lambda;
  const delta = 16 * Math.max(n, d) * Number.EPSILON * kappa * Math.hypot(...fit.weights);
  let worst = 0;
  for (let i = 0; i < val.n; i++) {
    let norm = 0;
    let r = fit.bias - (val.y[i] as number);
    for (let j = 0; j < d; j++) {
      const x = val.X[i * d + j] as number;
      norm += x * x;
      r += x * (fit.weights[j] as number);
    }
    const sigma = (Math.sqrt(norm) + Math.sqrt(meanNorm)) * delta;
    worst = Math.max(worst, 2 * Math.abs(r) * sigma + sigma * sigma);
  }
  return worst;
}

const curveArb = fc.array(
  fc.record({
    lambda: fc.double({ min: 0, max: 100, noNaN: true }),
    mean: fc.double({ min: -10, max: 10, noNaN: true }),
    se: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 5, noNaN: true })),
  }),
  { minLength: 1, maxLength: 12 },
);

export const oneSeAboveMin = defineProperty({
  id: "id-18",
  name: "λ₁ₛₑ ≥ λ_min on random curves and on k-fold curves of validation losses computed by the backend",
  source: "IDENTITIES.md 18",
  cost: 2,
  arbitrary: fc.record({
    curve: curveArb,
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    n: fc.integer({ min: 6, max: 16 }),
    d: fc.integer({ min: 1, max: 5 }),
    folds: fc.integer({ min: 2, max: 5 }),
    trueWeight: fc.double({ min: -1, max: 1, noNaN: true }),
    noiseStd: fc.double({ min: 0.01, max: 1, noNaN: true }),
    lambdas: fc.uniqueArray(fc.integer({ min: -30, max: 10 }), { minLength: 2, maxLength: 8 }),
  }),
  async check({ backend }, input, meter) {
    const { curve, seed, n, d, folds, trueWeight, noiseStd } = input;
    meter.holds(
      oneStandardErrorRule(curve) >= minimumLambda(curve),
      "random curve: λ₁ₛₑ must be ≥ λ_min",
    );
    const data: Dataset = syntheticData(new Rng(seed, Stream.trainData), n, d, {
      trueWeight,
      noiseStd,
    });
    // λ > 0 on a log grid: a fold's training set may have no more rows than features.
    const lambdas = [...input.lambdas].sort((a, b) => a - b).map((e) => 10 ** (e / 10));
    const selection = selectLambda(data, {
      lambdas,
      penalty: "l2",
      method: { kind: "kfold", folds },
      seed,
      rule: "1se",
    });
    meter.holds(selection.lambda1se >= selection.lambdaMin, "selectLambda: λ₁ₛₑ must be ≥ λ_min");
    // The same folds as selectLambda's, and the same closed-form fits: only the validation loss
    // is computed on the backend, all λ of a fold at once as the columns of W.
    const parts = kFolds(n, folds, seed);
    const L = lambdas.length;
    const foldLosses: number[][] = lambdas.map(() => []);
    const foldTols: number[][] = lambdas.map(() => []);
    await scoped(backend, async (keep) => {
      for (const [f, valRows] of parts.entries()) {
        const trainRows = Int32Array.from(
          parts.flatMap((p, g) => (g === f ? [] : Array.from(p))),
        ).sort();
        const train = selectRows(data, trainRows);
        const val = selectRows(data, valRows);
        const fits = lambdas.map((l) => ridgeClosedForm(train, l));
        const W = new Float64Array(d * L);
        fits.forEach((fit, l) => {
          for (let j = 0; j < d; j++) W[j * L + l] = fit.weights[j] as number;
        });
        const { X, y, w, b } = uploadProblem(
          backend,
          {
            n: val.n,
            d,
            L,
            X: Array.from(val.X),
            y: Array.from(val.y),
            w: Array.from(W),
            b: fits.map((fit) => fit.bias),
          },
          keep,
        );
        const losses = await backend.read(keep(linearLoss(backend, X, y, w, b)));
        fits.forEach((fit, l) => {
          const { scale } = hostObjective(
            { n: val.n, d, L: 1, X: Array.from(val.X), y: Array.from(val.y), w: [], b: [] },
            Array.from(fit.weights),
            fit.bias,
            0,
          );
          const tol = sumTolerance(backend.precision, val.n * (d + 3), scale);
          // linearLoss is the canonical mean ½(ŷ − y)²; selectLambda reports the MSE.
          const got = 2 * (losses[l] as number);
          (foldLosses[l] as number[]).push(got);
          (foldTols[l] as number[]).push(2 * tol + fitGap(train, val, fit, lambdas[l] as number));
          const host = selection.curve[l]?.foldLosses[f] as number;
          meter.value(
            got,
            host,
            (foldTols[l] as number[])[f] as number,
            `fold ${f}, λ=${lambdas[l]}: validation MSE`,
          );
        });
      }
    });
    const sizes = parts.map((p) => p.length);
    const total = sizes.reduce((a, v) => a + v, 0);
    const backendCurve = lambdas.map((lambda, l) => {
      const xs = foldLosses[l] as number[];
      const tols = foldTols[l] as number[];
      // cv.glmnet's summary: fold-size-weighted mean, se = √(weighted mean of squares/(k − 1)).
      const mean = xs.reduce((s, v, f) => s + (sizes[f] as number) * v, 0) / total;
      const ss = xs.reduce((s, v, f) => s + (sizes[f] as number) * (v - mean) ** 2, 0) / total;
      const se = Math.sqrt(ss / (folds - 1));
      const host = selection.curve[l] as { mean: number; se: number };
      // The weighted mean moves by at most the largest fold error; √(Σ w_f(L_f − m)²/Σw) is
      // 1-Lipschitz in the fold losses (weighted norm ≤ max norm), divided by √(k − 1).
      const meanTol = Math.max(...tols) + sumTolerance("float64", 2 * folds, mean);
      const seTol =
        (2 * Math.max(...tols)) / Math.sqrt(folds - 1) +
        sumTolerance("float64", 3 * folds + 4, Math.sqrt(ss) + se);
      meter.value(mean, host.mean, meanTol, `λ=${lambda}: mean validation MSE`);
      meter.value(se, host.se, seTol, `λ=${lambda}: standard error`);
      return { lambda, mean, se };
    });
    meter.holds(
      oneStandardErrorRule(backendCurve) >= minimumLambda(backendCurve),
      "backend curve: λ₁ₛₑ must be ≥ λ_min",
    );
  },
});

export const optimizerSgdMatchesLinearSgd = defineProperty({
  id: "optim-sgd-matches-linear-sgd",
  name: "the optimizer's SGD with coupled or decoupled decay and a bias exempt from it equals the linear SGD program",
  source: "core createOptimizer, IDENTITIES.md 5 and 8",
  arbitrary: fc.record({
    p: linearProblem(),
    lambda: fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max: 3, noNaN: true })),
    steps: fc.integer({ min: 1, max: 6 }),
    decay: fc.constantFrom<DecayPlacement>("coupled", "decoupled"),
  }),
  async check({ backend }, { p, lambda, steps, decay }, meter) {
    const lr = stableLr(p, lambda);
    const order = Array.from({ length: p.n }, (_, i) => i);
    await scoped(backend, async (keep) => {
      const reference = await runSgd(
        backend,
        p,
        decay === "coupled"
          ? { weightPenalty: [lambda], weightDecay: [0], biasDecay: [0] }
          : { weightPenalty: [0], weightDecay: [lambda], biasDecay: [0] },
        { lr, epochs: steps, batch: p.n, order },
        keep,
      );
      const { X, y, w, b } = uploadProblem(backend, p, keep);
      const optimizer = createOptimizer(backend, {
        kind: "sgd",
        lr,
        weightDecay: lambda,
        decay,
        groups: [{ params: [w] }, { params: [b], decayMultiplier: 0 }],
      });
      try {
        for (let s = 0; s < steps; s++) {
          // The data gradient only: the decay is the optimizer's.
          const { gw, gb } = linearGradient(backend, X, y, w, b, 0);
          try {
            optimizer.step([[gw], [gb]]);
          } finally {
            backend.dispose(gw);
            backend.dispose(gb);
          }
        }
        meter.holds(optimizer.stateTensors === 0, "plain SGD must hold no state");
      } finally {
        optimizer.dispose();
      }
      const got = { w: await backend.read(w), b: await backend.read(b) };
      compareTrajectories(
        meter,
        backend.precision,
        p,
        { steps, lr, lambdaMax: lambda },
        got,
        reference,
      );
    });
  },
});

export const optimizerStateIsDisposed = defineProperty({
  id: "optim-state-disposed",
  name: "an optimizer's state buffers are created on its first step and all freed by dispose",
  source: "core createOptimizer, IDENTITIES.md 23",
  arbitrary: fc.record({
    kind: fc.constantFrom<OptimizerKind>("sgd", "momentum", "adam", "adamw"),
    params: fc.integer({ min: 1, max: 3 }),
    steps: fc.integer({ min: 0, max: 3 }),
  }),
  async check({ backend }, { kind, params, steps }, meter) {
    const before = backend.liveTensors();
    await scoped(backend, async (keep) => {
      const ps = Array.from({ length: params }, (_, i) => keep(backend.upload([i, 1], [2, 1])));
      const gs = ps.map(() => keep(backend.upload([0.5, -0.5], [2, 1])));
      const optimizer = createOptimizer(backend, {
        kind,
        lr: 0.1,
        weightDecay: 0.1,
        decay: kind === "adamw" ? "decoupled" : "coupled",
        groups: [{ params: ps }],
      });
      const live = backend.liveTensors();
      for (let s = 0; s < steps; s++) optimizer.step([gs]);
      const perParam = kind === "momentum" ? 1 : kind === "sgd" ? 0 : 2;
      const expected = steps === 0 ? 0 : perParam * params + (perParam === 2 ? 1 : 0);
      meter.holds(
        backend.liveTensors() - live === expected && optimizer.stateTensors === expected,
        `${kind} after ${steps} steps must hold ${expected} state tensors, holds ${backend.liveTensors() - live}`,
      );
      optimizer.dispose();
      meter.holds(backend.liveTensors() === live, "dispose must free every state tensor");
    });
    meter.holds(backend.liveTensors() === before, "no tensor may outlive the property");
  },
});

/** The optimizer properties, in the order of IDENTITIES.md, then core's optimizer's own. */
export const OPTIMIZER_PROPERTIES = [
  momentumSeparatesDecay,
  adamL2IsNotAdamW,
  oneSeAboveMin,
  optimizerSgdMatchesLinearSgd,
  optimizerTrainingAgreesWithOracle,
  optimizerStateIsDisposed,
] as const;
