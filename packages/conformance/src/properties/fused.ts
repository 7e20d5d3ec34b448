/**
 * Identity 22: every fused kernel equals its composition from primitives, on the same backend,
 * and both equal the float64 host. A backend without a fused kernel skips its property (core
 * uses the composition for it, which the other properties check).
 */
import {
  type Backend,
  composeDense,
  composeDenseBackward,
  composeLinearLoss,
  type DenseGradient,
  linearLoss,
  type Shape,
  type Tensor,
} from "@wdecay/core";
import fc from "fast-check";
import { dim, lambda as lambdaArb, linearProblem, values } from "../arbitraries.js";
import { defineProperty } from "../property.js";
import { type Keep, scoped, stored } from "../scope.js";
import { type Meter, sumTolerance } from "../tolerance.js";
import {
  column,
  columnProblem,
  compareTrajectories,
  hostObjective,
  runSgd,
  stableLr,
  uploadProblem,
} from "./linear.js";

export const fusedLinearSgd = defineProperty({
  id: "fused-linear-sgd",
  name: "the fused SGD step equals its composition from primitives (identity 22)",
  source: "fused linearSgd, IDENTITIES.md 22",
  requires: (backend) =>
    backend.fused.linearSgd ? undefined : "no fused kernel: the backend has no linearSgd",
  arbitrary: linearProblem({ maxL: 3, targets: "any" }).chain((p) =>
    fc.record({
      p: fc.constant(p),
      penalty: fc.array(lambdaArb(), { minLength: p.L, maxLength: p.L }),
      decay: fc.array(lambdaArb(), { minLength: p.L, maxLength: p.L }),
      biasDecay: fc.array(lambdaArb(1), { minLength: p.L, maxLength: p.L }),
      // L1 weights: often none (the L1-free kernel), else per column, often 0 or all equal.
      l1: fc.oneof(
        { weight: 2, arbitrary: fc.constant(undefined) },
        {
          weight: 1,
          arbitrary: lambdaArb().map((v) => Array.from({ length: p.L }, () => v)),
        },
        {
          weight: 2,
          arbitrary: fc.array(lambdaArb(), { minLength: p.L, maxLength: p.L }),
        },
      ),
      batch: fc.integer({ min: 1, max: 8 }),
      order: fc.shuffledSubarray(
        Array.from({ length: p.n }, (_, i) => i),
        { minLength: p.n, maxLength: p.n },
      ),
    }),
  ),
  async check({ backend }, { p, penalty, decay, biasDecay, l1, batch, order }, meter) {
    const reg = {
      weightPenalty: penalty,
      weightDecay: decay,
      biasDecay,
      ...(l1 ? { weightL1: l1 } : {}),
    };
    // The prox is non-expansive, so it carries errors without amplifying them; its threshold
    // enters the step's magnitude like a decay does.
    const lambdaMax = Math.max(...penalty, ...decay, ...biasDecay, ...(l1 ?? []));
    const run = { lr: stableLr(p, 2 * lambdaMax), epochs: 2, batch: Math.min(batch, p.n), order };
    await scoped(backend, async (keep) => {
      const fused = await runSgd(backend, p, reg, run, keep);
      const composed = await runSgd(backend, p, reg, { ...run, composed: true }, keep);
      const steps = run.epochs * Math.ceil(p.n / run.batch);
      compareTrajectories(
        meter,
        backend.precision,
        p,
        { steps, lr: run.lr, lambdaMax },
        fused,
        composed,
      );
    });
  },
});

export const fusedLinearLoss = defineProperty({
  id: "fused-linear-loss",
  name: "the fused loss equals its composition from primitives (identity 22)",
  source: "fused linearLoss, IDENTITIES.md 22",
  requires: (backend) =>
    backend.fused.linearLoss ? undefined : "no fused kernel: the backend has no linearLoss",
  arbitrary: linearProblem({ maxL: 3, targets: "any" }),
  async check({ backend }, p, meter) {
    await scoped(backend, async (keep) => {
      const { X, y, w, b } = uploadProblem(backend, p, keep);
      const fused = await backend.read(keep(linearLoss(backend, X, y, w, b)));
      const composed = await backend.read(keep(composeLinearLoss(backend, X, y, w, b)));
      for (let l = 0; l < p.L; l++) {
        const exact = hostObjective(
          columnProblem(p, l),
          column(p.w, p.d, p.L, l),
          p.b[l] as number,
          0,
        );
        const tol = 2 * sumTolerance(backend.precision, p.n * (p.d + 4), exact.scale);
        meter.value(fused[l] as number, composed[l] as number, tol, `column ${l}`);
        meter.value(fused[l] as number, exact.J, tol, `column ${l} against float64`);
      }
    });
  },
});

/** One dense layer's operands: A (n×fanIn), W (fanIn×units), b (1×units), G (n×units). */
interface DenseCase {
  readonly n: number;
  readonly fanIn: number;
  readonly units: number;
  readonly A: number[];
  readonly W: number[];
  readonly b: number[];
  readonly G: number[];
  readonly relu: boolean;
}

/**
 * Operands at random scales (down to where float32 products underflow) with exact zeros, and A
 * with negative entries and zeros, as the mask's contract (1[A > 0]) covers any A, not only a
 * ReLU's output. Widths reach past 4 and 8, where SIMD kernels switch to their tails. One case
 * in five is a training step's shape: a minibatch of a few rows through a wide layer, with
 * products of 2¹⁸ multiply-adds and more (where backends hand products to a library) and
 * weights larger than the batch (where a backend may take the product another way round).
 */
const denseCase: fc.Arbitrary<DenseCase> = fc
  .oneof(
    { weight: 4, arbitrary: fc.record({ n: dim(), fanIn: dim(), units: dim() }) },
    {
      weight: 1,
      arbitrary: fc.record({
        n: fc.integer({ min: 16, max: 24 }),
        fanIn: fc.integer({ min: 128, max: 144 }),
        units: fc.integer({ min: 128, max: 160 }),
      }),
    },
  )
  .chain((dims) => fc.boolean().map((relu) => ({ ...dims, relu })))
  .chain(({ n, fanIn, units, relu }) =>
    fc.record({
      n: fc.constant(n),
      fanIn: fc.constant(fanIn),
      units: fc.constant(units),
      relu: fc.constant(relu),
      A: values(n * fanIn),
      W: values(fanIn * units),
      b: values(units),
      G: values(n * units),
    }),
  );

/** The stored operands, on the host (what the backend holds after the upload). */
function storedCase(c: DenseCase, backend: Backend): DenseCase {
  const p = backend.precision;
  return { ...c, A: stored(c.A, p), W: stored(c.W, p), b: stored(c.b, p), G: stored(c.G, p) };
}

function uploadCase(
  backend: Backend,
  c: DenseCase,
  keep: Keep,
): Record<"A" | "W" | "b" | "G", Tensor> {
  const up = (v: number[], s: Shape) => keep(backend.upload(v, s));
  return {
    A: up(c.A, [c.n, c.fanIn]),
    W: up(c.W, [c.fanIn, c.units]),
    b: up(c.b, [1, c.units]),
    G: up(c.G, [c.n, c.units]),
  };
}

/**
 * Σ_p x(p)·y(p) + extra over k terms in float64, with Σ|terms| and Σ|factors| for the tolerance
 * ({@link sumTolerance}).
 */
function hostDot(k: number, x: (p: number) => number, y: (p: number) => number, extra = 0) {
  let value = extra;
  let abs = Math.abs(extra);
  let factors = 0;
  for (let p = 0; p < k; p++) {
    const t = x(p) * y(p);
    value += t;
    abs += Math.abs(t);
    factors += Math.abs(x(p)) + Math.abs(y(p));
  }
  return { value, abs, factors };
}

function checkShape(meter: Meter, t: Tensor, rows: number, cols: number, what: string): void {
  meter.holds(
    t.shape[0] === rows && t.shape[1] === cols,
    `${what} is ${t.shape.join("×")}, not ${rows}×${cols}`,
  );
}

export const fusedDense = defineProperty({
  id: "fused-dense",
  name: "the fused dense layer relu(A·W + b) (or A·W + b) equals its composition and the float64 host",
  source: "fused dense, IDENTITIES.md 22",
  requires: (backend) =>
    backend.fused.dense ? undefined : "no fused kernel: the backend has no dense",
  arbitrary: denseCase,
  async check({ backend }, c, meter) {
    const dense = backend.fused.dense;
    if (!dense) return;
    const h = storedCase(c, backend);
    await scoped(backend, async (keep) => {
      const { A, W, b } = uploadCase(backend, c, keep);
      const fusedOut = keep(dense(A, W, b, c.relu));
      checkShape(meter, fusedOut, c.n, c.units, "the output");
      const fused = await backend.read(fusedOut);
      const composed = await backend.read(keep(composeDense(backend, A, W, b, c.relu)));
      for (let i = 0; i < c.n; i++) {
        for (let j = 0; j < c.units; j++) {
          const z = hostDot(
            c.fanIn,
            (p) => h.A[i * c.fanIn + p] as number,
            (p) => h.W[p * c.units + j] as number,
            h.b[j] as number,
          );
          // ReLU is 1-Lipschitz: the pre-activation's bound holds after it, kink or not.
          const exact = c.relu ? Math.max(z.value, 0) : z.value;
          const tol = sumTolerance(backend.precision, c.fanIn + 1, z.abs, z.factors);
          const got = fused[i * c.units + j] as number;
          meter.value(got, exact, tol, `(${i}, ${j}) against float64`);
          meter.value(
            got,
            composed[i * c.units + j] as number,
            2 * tol,
            `(${i}, ${j}) against the composition`,
          );
          if (c.relu)
            meter.holds(!(got < 0) && !Object.is(got, -0), `relu output (${i}, ${j}) is ${got}`);
        }
      }
    });
  },
});

export const fusedDenseBackward = defineProperty({
  id: "fused-dense-backward",
  name: "the fused dense backward step (Aᵀ·G, Σ_rows G, (G·Wᵀ) ⊙ 1[A > 0]) equals its composition and the float64 host",
  source: "fused denseBackward, IDENTITIES.md 22",
  requires: (backend) =>
    backend.fused.denseBackward ? undefined : "no fused kernel: the backend has no denseBackward",
  arbitrary: denseCase,
  async check({ backend }, c, meter) {
    const denseBackward = backend.fused.denseBackward;
    if (!denseBackward) return;
    const h = storedCase(c, backend);
    const propagate = c.relu;
    const { n, fanIn, units } = c;
    await scoped(backend, async (keep) => {
      const { A, W, G } = uploadCase(backend, c, keep);
      const keepAll = (g: DenseGradient) => {
        keep(g.dW);
        keep(g.db);
        if (g.dA) keep(g.dA);
        return g;
      };
      const fused = keepAll(denseBackward(A, W, G, propagate));
      const composed = keepAll(composeDenseBackward(backend, A, W, G, propagate));
      checkShape(meter, fused.dW, fanIn, units, "dW");
      checkShape(meter, fused.db, 1, units, "db");
      meter.holds((fused.dA !== undefined) === propagate, `dA returned: ${fused.dA !== undefined}`);
      const fdW = await backend.read(fused.dW);
      const fdb = await backend.read(fused.db);
      const cdW = await backend.read(composed.dW);
      const cdb = await backend.read(composed.db);
      const compare = (
        got: number,
        twin: number,
        e: { value: number; abs: number; factors: number },
        k: number,
        what: string,
      ) => {
        const tol = sumTolerance(backend.precision, k, e.abs, e.factors);
        meter.value(got, e.value, tol, `${what} against float64`);
        meter.value(got, twin, 2 * tol, `${what} against the composition`);
      };
      for (let p = 0; p < fanIn; p++) {
        for (let j = 0; j < units; j++) {
          const e = hostDot(
            n,
            (i) => h.A[i * fanIn + p] as number,
            (i) => h.G[i * units + j] as number,
          );
          compare(
            fdW[p * units + j] as number,
            cdW[p * units + j] as number,
            e,
            n,
            `dW (${p}, ${j})`,
          );
        }
      }
      for (let j = 0; j < units; j++) {
        const e = hostDot(
          n,
          () => 1,
          (i) => h.G[i * units + j] as number,
        );
        compare(fdb[j] as number, cdb[j] as number, { ...e, factors: 0 }, n, `db ${j}`);
      }
      if (!propagate || !fused.dA || !composed.dA) return;
      checkShape(meter, fused.dA, n, fanIn, "dA");
      const fdA = await backend.read(fused.dA);
      const cdA = await backend.read(composed.dA);
      for (let i = 0; i < n; i++) {
        for (let p = 0; p < fanIn; p++) {
          const got = fdA[i * fanIn + p] as number;
          if (!((h.A[i * fanIn + p] as number) > 0)) {
            // Masked: exactly zero (either sign: a product by the mask's 0).
            meter.value(got, 0, 0, `dA (${i}, ${p}) masked by A = ${h.A[i * fanIn + p]}`);
            continue;
          }
          const e = hostDot(
            units,
            (j) => h.G[i * units + j] as number,
            (j) => h.W[p * units + j] as number,
          );
          compare(got, cdA[i * fanIn + p] as number, e, units, `dA (${i}, ${p})`);
        }
      }
    });
  },
});

export const FUSED_PROPERTIES = [fusedLinearSgd, fusedLinearLoss, fusedDense, fusedDenseBackward];
