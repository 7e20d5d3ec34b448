import { describe, expect, it } from "vitest";
import { Rng } from "../../src/random.js";
import { softThreshold } from "../../src/solvers/soft-threshold.js";

describe("soft threshold (identity 15)", () => {
  it("is sign(v)·max(|v| − a, 0) with exact +0 in the dead zone", () => {
    expect(softThreshold(3, 1)).toBe(2);
    expect(softThreshold(-3, 1)).toBe(-2);
    expect(softThreshold(0.5, 1)).toBe(0);
    expect(softThreshold(1, 1)).toBe(0);
    expect(softThreshold(2, 0)).toBe(2);
    // −0 would make Object.is(w, 0) fail for a weight that is zero.
    expect(Object.is(softThreshold(-0.5, 1), 0)).toBe(true);
    expect(Object.is(softThreshold(-1, 1), 0)).toBe(true);
    expect(softThreshold(Number.POSITIVE_INFINITY, 1)).toBe(Number.POSITIVE_INFINITY);
    expect(softThreshold(5, Number.POSITIVE_INFINITY)).toBe(0);
    expect(softThreshold(Number.NaN, 1)).toBeNaN();
  });

  it("has the array form, into a new array or in place", () => {
    const v = Float64Array.of(-3, -1, 0, 0.25, 4);
    const out = softThreshold(v, 1);
    expect(Array.from(out)).toEqual([-2, 0, 0, 0, 3]);
    expect(Array.from(v)).toEqual([-3, -1, 0, 0.25, 4]);
    expect(softThreshold(v, 1, v)).toBe(v);
    expect(Array.from(v)).toEqual([-2, 0, 0, 0, 3]);
    expect(Array.from(softThreshold([1.5, -1.5], 0.5))).toEqual([1, -1]);
    expect(() => softThreshold(v, 1, new Float64Array(2))).toThrow(/out/);
  });

  it("rejects a negative or NaN threshold", () => {
    expect(() => softThreshold(1, -1)).toThrow(RangeError);
    expect(() => softThreshold(1, Number.NaN)).toThrow(RangeError);
    expect(() => softThreshold([1], -0.5)).toThrow(RangeError);
  });

  it("composes (S_a∘S_b = S_{a+b}), is non-expansive, and is zero iff |v| ≤ a", () => {
    const rng = new Rng(15);
    for (let k = 0; k < 2000; k++) {
      const v = rng.normal(0, 3);
      const u = rng.normal(0, 3);
      const a = 2 * rng.uniform();
      const b = 2 * rng.uniform();
      // (v − b) − a and v − (a + b) differ only by the rounding of two subtractions of
      // numbers ≤ ~15 in size: a few ulps of 16, ≈ 4e-15.
      expect(
        Math.abs(softThreshold(softThreshold(v, b), a) - softThreshold(v, a + b)),
      ).toBeLessThan(1e-14);
      // Non-expansive: exact in real arithmetic; one rounded subtraction on each side.
      expect(Math.abs(softThreshold(v, a) - softThreshold(u, a))).toBeLessThanOrEqual(
        Math.abs(v - u) + 1e-14,
      );
      expect(softThreshold(v, a) === 0).toBe(Math.abs(v) <= a);
    }
  });
});
