import { describe, expect, it } from "vitest";
import { initialParameters, oneHot, scoreOutputs } from "../../src/index.js";

describe("scoreOutputs", () => {
  it("gives the mean cross-entropy and accuracy of softmax outputs, stable for huge logits", () => {
    // Row 1: logits (0, ln 3) → p = (1/4, 3/4), label 1: loss −ln(3/4), right.
    // Row 2: logits (1000, 0), label 1: loss 1000 + ln(1 + e^−1000) ≈ 1000, wrong.
    const Z = [0, Math.log(3), 1000, 0];
    const Y = oneHot([1, 1], 2);
    const s = scoreOutputs("softmax", Z, Y, 2, 2);
    expect(s.loss).toBeCloseTo((-Math.log(0.75) + 1000) / 2, 12);
    expect(s.accuracy).toBe(0.5);
  });

  it("gives the logistic loss log(1 + e^z) − yz and the sign rule's accuracy", () => {
    const s = scoreOutputs("logistic", [2, -800, 0.5], [1, 0, 0], 3, 1);
    const expected =
      (Math.log1p(Math.exp(-2)) + Math.log1p(Math.exp(-800)) + Math.log1p(Math.exp(0.5))) / 3;
    expect(s.loss).toBeCloseTo(expected, 14);
    expect(s.accuracy).toBeCloseTo(2 / 3, 15);
  });

  it("gives half the mean summed squared error for the squared loss, and no accuracy", () => {
    const s = scoreOutputs("squared", [1, 2, 3, 4], [0, 2, 3, 2], 2, 2);
    expect(s.loss).toBe((0.5 * (1 + 4)) / 2);
    expect(s.accuracy).toBeUndefined();
  });
});

describe("oneHot and initialParameters", () => {
  it("one-hot rows, refusing a label outside the classes", () => {
    expect(Array.from(oneHot([2, 0], 3))).toEqual([0, 0, 1, 1, 0, 0]);
    expect(() => oneHot([3], 3)).toThrow(/label 3 at row 0/);
  });

  it("draws He-scaled weights (√(2/fan_in) before a ReLU, √(1/fan_in) at the output) and zero biases", () => {
    const [w0, b0, w1] = initialParameters(
      { inputs: 400, hidden: [300], outputs: 200, loss: "squared" },
      7,
    );
    const sd = (v: Float64Array) => Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length);
    // 120,000 and 60,000 draws: the sample sd is within 1 % of σ with overwhelming probability.
    expect(sd(w0 as Float64Array) / Math.sqrt(2 / 400)).toBeCloseTo(1, 1);
    expect(sd(w1 as Float64Array) / Math.sqrt(1 / 300)).toBeCloseTo(1, 1);
    expect((b0 as Float64Array).every((v) => v === 0)).toBe(true);
  });
});
