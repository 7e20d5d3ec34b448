import { describe, expect, it } from "vitest";
import { syntheticData } from "../src/data.js";
import { Rng } from "../src/random.js";
import { ridgeClosedForm } from "../src/ridge.js";

/** ∇J at (w, b) for J = mean ½(Xw + b − y)² + (λ/2)‖w‖², in float64 on the host. */
function gradient(
  X: Float64Array,
  y: Float64Array,
  n: number,
  d: number,
  w: Float64Array,
  b: number,
  lambda: number,
) {
  const gw = Array.from(w, (v) => lambda * v);
  let gb = 0;
  for (let i = 0; i < n; i++) {
    let r = b - (y[i] as number);
    for (let j = 0; j < d; j++) r += (X[i * d + j] as number) * (w[j] as number);
    gb += r / n;
    for (let j = 0; j < d; j++) gw[j] = (gw[j] as number) + ((X[i * d + j] as number) * r) / n;
  }
  return [...gw, gb];
}

describe("closed-form ridge (identity 11)", () => {
  for (const [n, d] of [
    [30, 5],
    [5, 30],
    [20, 200],
  ] as const) {
    it(`zeroes the gradient of J for n = ${n}, d = ${d}`, () => {
      const data = syntheticData(new Rng(n * 1000 + d), n, d);
      for (const lambda of [1e-3, 0.1, 3]) {
        const { weights, bias } = ridgeClosedForm(data, lambda);
        const g = gradient(data.X, data.y, n, d, weights, bias, lambda);
        // Cholesky in float64: residuals of order cond·ε·‖terms‖; the conditioning here is
        // at most ~1/λ, so 1e-9 leaves a margin of several digits.
        for (const v of g) expect(Math.abs(v)).toBeLessThan(1e-9);
      }
    });
  }

  it("shrinks ‖w*‖ as λ grows", () => {
    const data = syntheticData(new Rng(3), 10, 40);
    const norms = [0.01, 0.1, 1, 10].map((l) => Math.hypot(...ridgeClosedForm(data, l).weights));
    for (let i = 1; i < norms.length; i++)
      expect(norms[i] as number).toBeLessThan(norms[i - 1] as number);
  });

  it("refuses λ = 0 whenever d ≥ n, on every data set, not as rounding decides", () => {
    // A Cholesky factorization of the singular centered system passes or fails on rounding;
    // before the explicit rule some of these were "solved" (issue 13, finding 5).
    for (let seed = 0; seed < 60; seed++) {
      const rng = new Rng(100 + seed);
      const n = 2 + rng.below(12);
      const d = n + rng.below(20);
      const X = rng.fillNormal(new Float64Array(n * d));
      // Integer-valued columns too: their exact sums make the rounding differ.
      if (seed % 2 === 0)
        for (let k = 0; k < X.length; k++) X[k] = Math.round(3 * (X[k] as number));
      const y = rng.fillNormal(new Float64Array(n));
      expect(() => ridgeClosedForm({ X, y, n, d }, 0), `n = ${n}, d = ${d}`).toThrow(
        /no unique solution/,
      );
    }
  });

  it("refuses λ = 0 when d > n, and negative λ", () => {
    const data = syntheticData(new Rng(4), 5, 10);
    expect(() => ridgeClosedForm(data, 0)).toThrow(/no unique solution/);
    expect(() => ridgeClosedForm(data, -1)).toThrow(/lambda/);
  });
});
