/**
 * Multi-output regression (exercise 4 of §4.5): with targets Y (n×k) and weights W (d×k), the
 * Frobenius penalty (λ/2)‖W‖²_F is the sum of the columns' (λ/2)‖w_l‖², and the loss is the sum
 * of the columns' losses, so the objective separates by column. One SGD program on W must
 * therefore equal k single-output programs, column l on target column l.
 */
import fc from "fast-check";
import { lambda as lambdaArb, linearProblem } from "../arbitraries.js";
import { defineProperty } from "../property.js";
import { scoped } from "../scope.js";
import { column, columnProblem, compareTrajectories, runSgd, stableLr } from "./linear.js";

export const multiOutputFrobenius = defineProperty({
  id: "mo-frobenius",
  name: "SGD with the Frobenius penalty on W (d×k, Y n×k) equals k single-output runs",
  source: "exercise 4 (Frobenius norm), LinearSgdSpec with y n×L",
  arbitrary: linearProblem({ maxL: 3, targets: "multi" }).chain((p) =>
    fc.record({
      p: fc.constant(p),
      lambda: lambdaArb(),
      // The chapter's two ways of applying it: in the loss (scratch) or by the optimizer (concise).
      method: fc.constantFrom("scratch", "concise"),
      batch: fc.integer({ min: 1, max: 8 }),
      order: fc.shuffledSubarray(
        Array.from({ length: p.n }, (_, i) => i),
        { minLength: p.n, maxLength: p.n },
      ),
    }),
  ),
  async check({ backend }, { p, lambda, method, batch, order }, meter) {
    const regFor = (L: number) => ({
      weightPenalty: Array.from({ length: L }, () => (method === "scratch" ? lambda : 0)),
      weightDecay: Array.from({ length: L }, () => (method === "concise" ? lambda : 0)),
      biasDecay: Array.from({ length: L }, () => 0),
    });
    const run = { lr: stableLr(p, 2 * lambda), epochs: 2, batch: Math.min(batch, p.n), order };
    const steps = run.epochs * Math.ceil(p.n / run.batch);
    await scoped(backend, async (keep) => {
      const joint = await runSgd(backend, p, regFor(p.L), run, keep);
      for (let l = 0; l < p.L; l++) {
        const single = columnProblem(p, l, {
          w: column(p.w, p.d, p.L, l),
          b: [p.b[l] as number],
          L: 1,
        });
        const alone = await runSgd(backend, single, regFor(1), run, keep);
        const got = {
          w: Float64Array.from(column(joint.w, p.d, p.L, l)),
          b: Float64Array.of(joint.b[l] as number),
        };
        // Both runs are off the exact column trajectory by at most the policy's bound.
        compareTrajectories(
          meter,
          backend.precision,
          single,
          { steps, lr: run.lr, lambdaMax: lambda },
          got,
          alone,
          () => l,
        );
      }
    });
  },
});

export const MULTI_OUTPUT_PROPERTIES = [multiOutputFrobenius];
