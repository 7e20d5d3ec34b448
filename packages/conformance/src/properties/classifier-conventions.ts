/**
 * The classifiers' λ conventions (identity 25 and the classification rows of core's
 * conventions table): scikit-learn's `LogisticRegression(C)` and glmnet's binomial and
 * multinomial families. Each property draws a small classification problem and a library
 * setting, converts it with core's convention to the canonical (λ, α), solves the canonical
 * problem exactly (core's Newton and IRLS solvers, which the `ref-` checks and scikit-learn's
 * fixtures hold to 1e-9), and checks that the result is a stationary point of the library's own
 * objective, written here from the library's documentation in float64: a wrong factor (λ = 1/C
 * without the n, say) leaves a gradient of the size of the penalty's.
 */
import {
  LAMBDA_CONVENTIONS,
  logisticElasticNet,
  Rng,
  softmaxRegression,
  toCanonicalPenalty,
} from "@wdecay/core";
import fc from "fast-check";
import { defineProperty } from "../property.js";

/** A problem with a linear signal and label noise, so no class is separable for long. */
interface ClassProblem {
  readonly n: number;
  readonly d: number;
  readonly classes: number;
  readonly X: Float64Array;
  readonly y: Float64Array;
}

function classProblem(classes: number): fc.Arbitrary<ClassProblem> {
  return fc
    .record({
      n: fc.integer({ min: 8, max: 30 }),
      d: fc.integer({ min: 1, max: 4 }),
      seed: fc.nat(),
    })
    .map(({ n, d, seed }) => {
      const rng = new Rng(seed);
      const X = rng.fillNormal(new Float64Array(n * d));
      const W = rng.fillNormal(new Float64Array(d * classes));
      const y = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let best = 0;
        let top = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < classes; k++) {
          let z = rng.normal();
          for (let j = 0; j < d; j++)
            z += (X[i * d + j] as number) * (W[j * classes + k] as number);
          if (z > top) {
            top = z;
            best = k;
          }
        }
        y[i] = classes === 2 ? (rng.uniform() < 0.1 ? 1 - best : best) : best;
      }
      // Every class present: a class with no row has no finite bias.
      for (let k = 0; k < classes; k++) y[k] = k;
      return { n, d, classes, X, y };
    });
}

/** Σᵢ ∂loss/∂w_jk and Σᵢ ∂loss/∂b_k of the summed log-loss (K = 1: the binary logit). */
function summedLossGradient(p: ClassProblem, W: Float64Array, b: Float64Array, K: number) {
  const gW = new Float64Array(p.d * K);
  const gb = new Float64Array(K);
  const scale = new Float64Array(p.d * K);
  for (let i = 0; i < p.n; i++) {
    const z = Array.from({ length: K }, (_, k) => {
      let s = b[k] as number;
      for (let j = 0; j < p.d; j++) s += (p.X[i * p.d + j] as number) * (W[k * p.d + j] as number);
      return s;
    });
    let r: number[];
    if (K === 1) {
      r = [1 / (1 + Math.exp(-(z[0] as number))) - (p.y[i] as number)];
    } else {
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const total = e.reduce((a, v) => a + v, 0);
      r = e.map((v, k) => v / total - (k === p.y[i] ? 1 : 0));
    }
    for (let k = 0; k < K; k++) {
      gb[k] = (gb[k] as number) + (r[k] as number);
      for (let j = 0; j < p.d; j++) {
        const x = p.X[i * p.d + j] as number;
        gW[k * p.d + j] = (gW[k * p.d + j] as number) + x * (r[k] as number);
        scale[k * p.d + j] = (scale[k * p.d + j] as number) + Math.abs(x);
      }
    }
  }
  return { gW, gb, scale };
}

/**
 * A library's objective as `c·Σ loss + l2/2·‖w‖² + l1·‖w‖₁` (biases unpenalized), from its
 * documentation, for its setting `value` with mixing `mix` on n rows.
 */
interface LibraryObjective {
  readonly c: number;
  readonly l2: number;
  readonly l1: number;
}

interface ClassifierConventionCase {
  readonly id: "sklearn-logistic" | "glmnet-binomial" | "glmnet-multinomial";
  readonly name: string;
  readonly classes: number;
  /** The mixings drawn: 0 only where the exact solver is L2 only (softmax). */
  readonly mix: fc.Arbitrary<number>;
  objective(value: number, mix: number, n: number): LibraryObjective;
}

const anyMix = fc.oneof(
  fc.constant(0),
  fc.constant(1),
  fc.double({ min: 0.1, max: 0.9, noNaN: true }),
);

const CASES: readonly ClassifierConventionCase[] = [
  {
    id: "sklearn-logistic",
    name: "scikit-learn LogisticRegression(C, penalty, l1_ratio), binary, is λ = 1/(n·C), α = l1_ratio: same minimizer",
    classes: 2,
    mix: anyMix,
    // C·Σ loss + (1 − ρ)/2‖w‖² + ρ‖w‖₁ (l2: ρ = 0 with ½‖w‖²; l1: ρ = 1).
    objective: (C, mix) => ({ c: C, l2: 1 - mix, l1: mix }),
  },
  {
    id: "glmnet-binomial",
    name: "glmnet(family = 'binomial', lambda, alpha) is λ and α themselves: same minimizer",
    classes: 2,
    mix: anyMix,
    // −(1/n)Σ loglik + λ[(1 − α)/2‖β‖² + α‖β‖₁].
    objective: (lambda, mix, n) => ({ c: 1 / n, l2: lambda * (1 - mix), l1: lambda * mix }),
  },
  {
    id: "glmnet-multinomial",
    name: "glmnet(family = 'multinomial', lambda, alpha = 0) is λ itself: same minimizer",
    classes: 3,
    mix: fc.constant(0),
    objective: (lambda, mix, n) => ({ c: 1 / n, l2: lambda * (1 - mix), l1: lambda * mix }),
  },
  {
    id: "sklearn-logistic",
    name: "scikit-learn LogisticRegression(C, multi_class = 'multinomial') is λ = 1/(n·C): same minimizer",
    classes: 3,
    mix: fc.constant(0),
    objective: (C) => ({ c: C, l2: 1, l1: 0 }),
  },
];

function classifierConventionProperty(spec: ClassifierConventionCase, suffix: string) {
  const convention = LAMBDA_CONVENTIONS[spec.id];
  return defineProperty({
    id: `conv-${spec.id}${suffix}`,
    name: spec.name,
    source: "IDENTITIES.md 25; core conventions table (classification)",
    arbitrary: fc.record({
      p: classProblem(spec.classes),
      mix: spec.mix,
      // The canonical λ the drawn setting stands for: strong enough for a finite minimizer and
      // for nonzero weights to stay at the L1 end.
      target: fc.double({ min: 1e-3, max: 0.05, noNaN: true }),
    }),
    async check(_ctx, { p, mix, target }, meter) {
      const options = { n: p.n, alpha: mix };
      const value = convention.fromCanonical(target, options);
      const { lambda, alpha } = toCanonicalPenalty(value, mix, spec.id, options);
      const data = { X: p.X, y: p.y, n: p.n, d: p.d };
      let W: Float64Array;
      let b: Float64Array;
      const K = spec.classes === 2 ? 1 : spec.classes;
      if (K === 1) {
        const fit = logisticElasticNet(data, { lambda, alpha, tol: 1e-12, maxIter: 200 });
        W = Float64Array.from(fit.weights);
        b = Float64Array.of(fit.bias);
      } else {
        const fit = softmaxRegression(data, { lambda, classes: K });
        W = Float64Array.from(fit.weights);
        b = Float64Array.from(fit.biases);
      }
      const lib = spec.objective(value, mix, p.n);
      const { gW, gb, scale } = summedLossGradient(p, W, b, K);
      // The solvers stop at a relative gradient of 1e-12 of the canonical objective; in the
      // library's units (× n·c) that is far below 1e-8 of the terms' magnitudes.
      gW.forEach((g, idx) => {
        const w = W[idx] as number;
        const smooth = lib.c * g + lib.l2 * w;
        const size = lib.c * (scale[idx] as number) + lib.l2 * Math.abs(w) + lib.l1;
        const tol = 1e-8 * size;
        if (w !== 0 || lib.l1 === 0) {
          meter.value(
            smooth + lib.l1 * Math.sign(w),
            0,
            tol,
            `${spec.id}: ∂w[${idx}] at the converted minimizer`,
          );
        } else {
          // At an exact zero the subgradient interval [−l1, l1] must hold the smooth part.
          meter.holds(
            Math.abs(smooth) <= lib.l1 + tol,
            `${spec.id}: |∂w[${idx}]| ≤ L1 weight at a zero`,
          );
        }
      });
      gb.forEach((g, k) => {
        meter.value(
          lib.c * g,
          0,
          1e-8 * lib.c * p.n,
          `${spec.id}: ∂b[${k}] at the converted minimizer`,
        );
      });
    },
  });
}

export const CLASSIFIER_CONVENTION_PROPERTIES = CASES.map((spec, i) =>
  classifierConventionProperty(spec, i === 3 ? "-multinomial" : ""),
);
