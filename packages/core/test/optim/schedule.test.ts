import { describe, expect, it } from "vitest";
import { asSchedule, constant, cosine, step, warmup } from "../../src/optim/schedule.js";

describe("schedules", () => {
  it("constant returns its value at every step", () => {
    const s = constant(0.3);
    expect([0, 1, 1000].map(s)).toEqual([0.3, 0.3, 0.3]);
    expect(asSchedule(0.5)(7)).toBe(0.5);
    expect(asSchedule(s)).toBe(s);
  });

  it("step multiplies by factor every `every` steps", () => {
    const s = step(1, { every: 3, factor: 0.1 });
    expect([0, 2, 3, 5, 6].map(s)).toEqual([1, 1, 0.1, 0.1, 1 * 0.1 ** 2]);
  });

  it("cosine goes from v to min over total steps and stays at min", () => {
    const s = cosine(2, { total: 4, min: 0.5 });
    expect(s(0)).toBe(2);
    expect(s(2)).toBeCloseTo(1.25, 15);
    expect(s(4)).toBe(0.5);
    expect(s(100)).toBe(0.5);
    // Monotone on the way down.
    for (let t = 0; t < 4; t++) expect(s(t + 1)).toBeLessThan(s(t));
    expect(cosine(1, { total: 2 })(2)).toBe(0);
  });

  it("warmup ramps linearly from 0 and then follows the schedule unshifted", () => {
    const s = warmup(cosine(1, { total: 10 }), { steps: 4 });
    expect(s(0)).toBe(0);
    expect(s(2)).toBeCloseTo(0.5 * cosine(1, { total: 10 })(2), 15);
    expect(s(4)).toBe(cosine(1, { total: 10 })(4));
    expect(warmup(constant(3), { steps: 0 })(0)).toBe(3);
  });

  it("rejects bad arguments with RangeErrors", () => {
    expect(() => constant(Number.NaN)).toThrow(RangeError);
    expect(() => step(1, { every: 0, factor: 0.5 })).toThrow(/every/);
    expect(() => step(1, { every: 1.5, factor: 0.5 })).toThrow(/every/);
    expect(() => step(1, { every: 2, factor: -1 })).toThrow(/factor/);
    expect(() => cosine(1, { total: 0 })).toThrow(/total/);
    expect(() => cosine(1, { total: 5, min: Number.POSITIVE_INFINITY })).toThrow(/min/);
    expect(() => warmup(constant(1), { steps: -1 })).toThrow(/warm-up/);
  });

  it("rejects a step index that is not an integer ≥ 0", () => {
    for (const s of [constant(1), step(1, { every: 2, factor: 0.5 }), cosine(1, { total: 3 })]) {
      expect(() => s(-1)).toThrow(/step index/);
      expect(() => s(0.5)).toThrow(/step index/);
      expect(() => s(Number.NaN)).toThrow(/step index/);
    }
    expect(() => warmup(constant(1), { steps: 2 })(-1)).toThrow(/step index/);
  });
});
