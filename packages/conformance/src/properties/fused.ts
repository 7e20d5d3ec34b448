/**
 * Identity 22: every fused kernel equals its composition from primitives, on the same backend.
 * A backend without a fused kernel skips its property (core uses the composition for it, which
 * the other properties check).
 */
import { composeLinearLoss, linearLoss } from "@wdecay/core";
import fc from "fast-check";
import { lambda as lambdaArb, linearProblem } from "../arbitraries.js";
import { defineProperty } from "../property.js";
import { scoped } from "../scope.js";
import { sumTolerance } from "../tolerance.js";
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

export const FUSED_PROPERTIES = [fusedLinearSgd, fusedLinearLoss];
