import { type Backend, composeLinearLoss, disposeAll, linearGradient } from "@wdecay/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createCpuBackend } from "../src/index.js";

// Identity 1: the analytic gradient of J(w, b) = mean ½(Xw + b − y)² + (λ/2)‖w‖² equals central
// finite differences computed in float64.

interface Problem {
  n: number;
  d: number;
  X: number[];
  y: number[];
  w: number[];
  b: number;
  lambda: number;
}

const problem: fc.Arbitrary<Problem> = fc
  .record({ n: fc.integer({ min: 1, max: 8 }), d: fc.integer({ min: 1, max: 6 }) })
  .chain(({ n, d }) => {
    const v = (scale: number) => fc.double({ min: -scale, max: scale, noNaN: true });
    return fc.record({
      n: fc.constant(n),
      d: fc.constant(d),
      X: fc.array(v(2), { minLength: n * d, maxLength: n * d }),
      y: fc.array(v(2), { minLength: n, maxLength: n }),
      w: fc.array(v(2), { minLength: d, maxLength: d }),
      b: v(1),
      lambda: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 5, noNaN: true })),
    });
  });

async function objective(backend: Backend, p: Problem, w: number[], b: number): Promise<number> {
  const X = backend.upload(p.X, [p.n, p.d]);
  const y = backend.upload(p.y, [p.n, 1]);
  const W = backend.upload(w, [p.d, 1]);
  const B = backend.upload([b], [1, 1]);
  const loss = composeLinearLoss(backend, X, y, W, B);
  const value = (await backend.read(loss))[0] as number;
  disposeAll(backend, [X, y, W, B, loss]);
  return value + (p.lambda / 2) * w.reduce((s, x) => s + x * x, 0);
}

async function analytic(backend: Backend, p: Problem): Promise<number[]> {
  const X = backend.upload(p.X, [p.n, p.d]);
  const y = backend.upload(p.y, [p.n, 1]);
  const W = backend.upload(p.w, [p.d, 1]);
  const B = backend.upload([p.b], [1, 1]);
  const { gw, gb } = linearGradient(backend, X, y, W, B, p.lambda);
  const out = [...(await backend.read(gw)), ...(await backend.read(gb))];
  disposeAll(backend, [X, y, W, B, gw, gb]);
  return out;
}

describe("analytic gradients (identity 1)", () => {
  const f64 = createCpuBackend({ precision: "float64" });

  it("equal float64 central differences", async () => {
    await fc.assert(
      fc.asyncProperty(problem, async (p) => {
        const grad = await analytic(f64, p);
        const h = 1e-4;
        const J = await objective(f64, p, p.w, p.b);
        // J is quadratic, so the central difference has no truncation error: what remains is the
        // rounding of J (about (n·(d + 1) + d)·ε·scale, scale bounding its terms) divided by 2h.
        // Terms are ≤ ½(2·2·d + 1 + 2)² + λ·2²·d/2, so scale ≤ 1 + J + 10·d² + 10·λ·d.
        const scale = 1 + Math.abs(J) + 10 * p.d * p.d + 10 * p.lambda * p.d;
        const tol = (8 * (p.n * (p.d + 1) + p.d) * 2 ** -52 * scale) / (2 * h);
        for (let j = 0; j <= p.d; j++) {
          const shift = (s: number) =>
            j < p.d
              ? objective(
                  f64,
                  p,
                  p.w.map((x, i) => (i === j ? x + s : x)),
                  p.b,
                )
              : objective(f64, p, p.w, p.b + s);
          const fd = ((await shift(h)) - (await shift(-h))) / (2 * h);
          expect(Math.abs((grad[j] as number) - fd)).toBeLessThanOrEqual(tol);
        }
      }),
      { numRuns: 60 },
    );
    expect(f64.liveTensors()).toBe(0);
  });

  it("on float32 agree with the float64 analytic gradient to float32 precision", async () => {
    const f32 = createCpuBackend({ precision: "float32" });
    await fc.assert(
      fc.asyncProperty(problem, async (p) => {
        const exact = await analytic(f64, p);
        const approx = await analytic(f32, p);
        // Inputs round to float32 (relative 2⁻²⁴) and sums of k = d + 1 terms add about k·ε each:
        // a gradient entry of magnitude ≤ G = (2·2·d + 1 + 2)·2 + 5·2 moves by ≲ 4·(d + 2)·ε32·G.
        const G = (4 * p.d + 3) * 2 + 10;
        const tol = 4 * (p.d + 2) * 2 ** -23 * G;
        for (let j = 0; j <= p.d; j++) {
          expect(Math.abs((approx[j] as number) - (exact[j] as number))).toBeLessThanOrEqual(tol);
        }
      }),
      { numRuns: 60 },
    );
  });
});
