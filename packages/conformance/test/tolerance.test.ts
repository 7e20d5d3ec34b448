import { describe, expect, it } from "vitest";
import { excess, gamma, Meter, sumTolerance, unitRoundoff } from "../src/tolerance.js";

describe("tolerance policy", () => {
  it("derives from the unit roundoff of the declared precision", () => {
    expect(unitRoundoff("float64")).toBe(2 ** -53);
    expect(unitRoundoff("float32")).toBe(2 ** -24);
    expect(gamma("float32", 10)).toBeCloseTo((10 * 2 ** -24) / (1 - 10 * 2 ** -24), 20);
    expect(gamma("float32", 2 ** 24)).toBe(Number.POSITIVE_INFINITY);
  });

  it("grows with the number of terms and their magnitude", () => {
    const small = sumTolerance("float32", 10, 1);
    expect(sumTolerance("float32", 100, 1)).toBeGreaterThan(small);
    expect(sumTolerance("float32", 10, 1000)).toBeGreaterThan(small);
    expect(sumTolerance("float64", 10, 1)).toBeLessThan(small);
  });

  it("holds a float32 dot product computed in float32 and rejects one dropped term", () => {
    const a = Array.from({ length: 64 }, (_, i) => Math.sin(i + 1));
    const b = Array.from({ length: 64 }, (_, i) => Math.cos(3 * i));
    let exact = 0;
    let absSum = 0;
    let f32 = 0;
    for (let i = 0; i < a.length; i++) {
      exact += (a[i] as number) * (b[i] as number);
      absSum += Math.abs((a[i] as number) * (b[i] as number));
      f32 = Math.fround(
        f32 + Math.fround(Math.fround(a[i] as number) * Math.fround(b[i] as number)),
      );
    }
    const tol = sumTolerance("float32", a.length, absSum);
    expect(Math.abs(f32 - exact)).toBeLessThanOrEqual(tol);
    const dropped = exact - (a[63] as number) * (b[63] as number);
    expect(Math.abs(dropped - exact)).toBeGreaterThan(tol);
  });

  it("keeps the worst measurement and fails on NaN on one side only", () => {
    const meter = new Meter();
    meter.value(1, 1 + 1e-9, 1e-8, "close");
    meter.value(2, 2 + 5e-9, 1e-8, "closer to the limit");
    expect(meter.passed).toBe(true);
    expect(meter.worst).toEqual({ error: Math.abs(2 - (2 + 5e-9)), tolerance: 1e-8 });
    meter.value(Number.NaN, Number.NaN, 0, "both NaN");
    expect(meter.passed).toBe(true);
    meter.value(Number.NaN, 1, 1, "one NaN");
    expect(meter.passed).toBe(false);
    expect(meter.failure).toMatch(/one NaN/);
    expect(excess({ error: 0, tolerance: 0 })).toBe(0);
    expect(excess({ error: 1, tolerance: 0 })).toBe(Number.POSITIVE_INFINITY);
  });
});
