import { describe, expect, it } from "vitest";
import { type Dataset, syntheticData } from "../../src/data.js";
import { predict } from "../../src/io/model-file.js";
import {
  fitStandardizer,
  StandardizeError,
  standardize,
  toOriginalScale,
  toStandardScale,
} from "../../src/io/standardize.js";
import { Rng } from "../../src/random.js";
import { ridgeClosedForm } from "../../src/ridge.js";

/** Rows as given; y is irrelevant to standardization. */
function dataset(rows: number[][]): Dataset {
  const d = rows[0]?.length ?? 0;
  return { X: Float64Array.from(rows.flat()), y: new Float64Array(rows.length), n: rows.length, d };
}

/** Synthetic features on wildly different scales and offsets, and a constant column. */
function skewed(withConstant: boolean): Dataset {
  const base = syntheticData(new Rng(11), 40, 3);
  const scale = [1000, 0.001, 7];
  const shift = [5e4, -3, 0.5];
  const d = withConstant ? 4 : 3;
  const X = new Float64Array(base.n * d);
  for (let i = 0; i < base.n; i++) {
    for (let j = 0; j < 3; j++) {
      X[i * d + j] = (base.X[i * 3 + j] as number) * (scale[j] as number) + (shift[j] as number);
    }
    if (withConstant) X[i * d + 3] = 2.5;
  }
  return { X, y: base.y, n: base.n, d };
}

function expectClose(actual: Float64Array, expected: Float64Array, rel = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (const [i, e] of expected.entries()) {
    expect(Math.abs((actual[i] as number) - e)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(e)));
  }
}

describe("fitStandardizer / standardize", () => {
  it("uses the mean and the population standard deviation", () => {
    const s = fitStandardizer(
      dataset([
        [1, 10],
        [2, 10.5],
        [3, 12],
        [6, 11.5],
      ]),
    );
    expect(Array.from(s.mean)).toEqual([3, 11]);
    // Population variance (divisor n): (4 + 1 + 0 + 9)/4 and (1 + 0.25 + 1 + 0.25)/4.
    expect(s.std[0]).toBeCloseTo(Math.sqrt(3.5), 15);
    expect(s.std[1]).toBeCloseTo(Math.sqrt(0.625), 15);
    const z = standardize(
      dataset([
        [1, 10],
        [2, 10.5],
        [3, 12],
        [6, 11.5],
      ]),
      s,
    );
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < z.n; i++) {
      sum += z.X[i * 2] as number;
      squares += (z.X[i * 2] as number) ** 2;
    }
    expect(sum).toBeCloseTo(0, 14);
    expect(squares / z.n).toBeCloseTo(1, 14);
  });

  it("rejects a constant column by name, or by number without names", () => {
    const data = dataset([
      [1, 4],
      [2, 4],
      [3, 4],
    ]);
    let error: unknown;
    try {
      fitStandardizer(data, { featureNames: ["x1", "x2"] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StandardizeError);
    expect((error as StandardizeError).message).toBe(
      'feature "x2" is constant (every value is 4), so it cannot be standardized; remove the column or drop constant columns',
    );
    expect((error as StandardizeError).featureName).toBe("x2");
    expect((error as StandardizeError).featureIndex).toBe(1);
    expect(() => fitStandardizer(data)).toThrow(/^feature 2 is constant \(every value is 4\)/);
  });

  it("drops constant columns on request, and refuses when nothing is left", () => {
    const s = fitStandardizer(
      dataset([
        [1, 4, 0],
        [2, 4, 1],
        [3, 4, 5],
      ]),
      { constant: "drop" },
    );
    expect(Array.from(s.kept)).toEqual([0, 2]);
    expect(s.std[1]).toBe(0);
    expect(s.mean[1]).toBe(4);
    const z = standardize(
      dataset([
        [1, 4, 0],
        [2, 4, 1],
        [3, 4, 5],
      ]),
      s,
    );
    expect(z.d).toBe(2);
    expect(z.X.length).toBe(6);
    expect(() =>
      fitStandardizer(
        dataset([
          [1, 4],
          [1, 4],
        ]),
        { constant: "drop" },
      ),
    ).toThrow("every feature is constant; no feature is left to train on");
  });

  it("detects constancy exactly, where a computed σ would be rounding noise", () => {
    const s = fitStandardizer(
      dataset([
        [0.1, 1],
        [0.1, 2],
        [0.1, 3],
      ]),
      { constant: "drop" },
    );
    // 0.1 summed three times and divided by 3 is not 0.1, so σ computed from it is not 0.
    expect((0.1 + 0.1 + 0.1) / 3).not.toBe(0.1);
    expect(s.std[0]).toBe(0);
    expect(Array.from(s.kept)).toEqual([1]);
  });

  it("rejects width mismatches", () => {
    const s = fitStandardizer(
      dataset([
        [1, 2],
        [2, 3],
      ]),
    );
    expect(() => standardize(dataset([[1], [2]]), s)).toThrow(RangeError);
    expect(() => toOriginalScale({ weights: new Float64Array(3), bias: 0 }, s)).toThrow(
      "the standardized model has 3 features but the standardizer expects 2",
    );
  });
});

describe("coefficients on both scales", () => {
  it("predict the same from standardized and original features (ridge fitted on z)", () => {
    const raw = skewed(false);
    const s = fitStandardizer(raw);
    const z = standardize(raw, s);
    const onZ = ridgeClosedForm(z, 0.1);
    const onX = toOriginalScale(onZ, s);
    expectClose(predict(onX, raw.X), predict(onZ, z.X));
    // w_orig = w_std / σ and b_orig = b_std − Σ w_std μ / σ, written out once.
    let bias = onZ.bias;
    for (let j = 0; j < 3; j++) {
      expect(onX.weights[j]).toBe((onZ.weights[j] as number) / (s.std[j] as number));
      bias -= ((onZ.weights[j] as number) * (s.mean[j] as number)) / (s.std[j] as number);
    }
    expect(onX.bias).toBeCloseTo(bias, 9);
    // And back.
    const again = toStandardScale(onX, s);
    expectClose(again.weights, onZ.weights);
    expect(again.bias).toBeCloseTo(onZ.bias, 9);
  });

  it("gives a dropped constant column weight 0 and still predicts the same", () => {
    const raw = skewed(true);
    const s = fitStandardizer(raw, { constant: "drop" });
    expect(Array.from(s.kept)).toEqual([0, 1, 2]);
    const z = standardize(raw, s);
    const onZ = ridgeClosedForm(z, 0.05);
    const onX = toOriginalScale(onZ, s);
    expect(onX.weights.length).toBe(4);
    expect(onX.weights[3]).toBe(0);
    expectClose(predict(onX, raw.X), predict(onZ, z.X));
  });

  it("folds a constant column's weight into the bias when going to the standard scale", () => {
    const raw = skewed(true);
    const s = fitStandardizer(raw, { constant: "drop" });
    const onX = { weights: Float64Array.from([0.001, 200, -0.3, 4]), bias: 0.7 };
    const onZ = toStandardScale(onX, s);
    expect(onZ.weights.length).toBe(3);
    expectClose(predict(onZ, standardize(raw, s).X), predict(onX, raw.X));
  });
});
