/**
 * Streaming sufficient statistics: the per-fold moments of a one-pass, block-by-block
 * accumulation against a two-pass float64 host loop written here; 8 shards merged through
 * their files against one pass, within a bound derived from float64 rounding; selection from a
 * file's moments against `selectLambda` on the rows with the same folds; and the file reader
 * and merge refusing what must not be combined. Planted bugs (TESTING.md): the tree merge
 * dropping a level; the hash fold reading the row's position; sxxUpper read column-major.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Dataset } from "../../src/data.js";
import { Rng } from "../../src/random.js";
import { selectLambda, selectLambdaFromMoments } from "../../src/selection.js";
import type { Moments } from "../../src/solvers/moments.js";
import {
  type FoldRule,
  hashFolds,
  momentsAgreement,
  StatsAccumulator,
} from "../../src/stats/accumulate.js";
import {
  allRows,
  checkComplete,
  mergeStats,
  parseStats,
  type StatsFile,
  StatsFileError,
  serializeStats,
} from "../../src/stats/stats-file.js";

/** Rows with offsets far above their spread, where raw sums would lose every digit. */
function data(n: number, d: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const X = new Float64Array(n * d);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let t = 0.5;
    for (let j = 0; j < d; j++) {
      const v = 1000 * (j + 1) + rng.normal();
      X[i * d + j] = v;
      t += 0.1 * (j + 1) * (v - 1000 * (j + 1));
    }
    y[i] = 1e4 + t + 0.3 * rng.normal();
  }
  return { X, y, n, d };
}

function block(src: Dataset, from: number, to: number): Dataset {
  const { d } = src;
  return { X: src.X.subarray(from * d, to * d), y: src.y.subarray(from, to), n: to - from, d };
}

/** Two passes in float64, the textbook way: means, then centered sums of products. */
function hostMoments(src: Dataset, rows: number[]) {
  const { X, y, d } = src;
  const n = rows.length;
  const xMean = new Array(d).fill(0);
  let yMean = 0;
  for (const i of rows) {
    for (let j = 0; j < d; j++) xMean[j] += (X[i * d + j] as number) / n;
    yMean += (y[i] as number) / n;
  }
  const sxx = new Array(d * d).fill(0);
  const sxy = new Array(d).fill(0);
  let syy = 0;
  for (const i of rows) {
    const yc = (y[i] as number) - yMean;
    syy += yc * yc;
    for (let j = 0; j < d; j++) {
      const a = (X[i * d + j] as number) - xMean[j];
      sxy[j] += a * yc;
      for (let l = 0; l < d; l++) sxx[j * d + l] += a * ((X[i * d + l] as number) - xMean[l]);
    }
  }
  return { n, xMean, yMean, sxx, sxy, syy };
}

function accumulate(src: Dataset, rule: FoldRule, blockRows: number, from = 0, to = src.n) {
  const acc = new StatsAccumulator(src.d, rule);
  for (let s = from; s < to; s += blockRows) acc.add(block(src, s, Math.min(to, s + blockRows)));
  return acc;
}

function statsFile(
  acc: StatsAccumulator,
  features: string[],
  rule: FoldRule,
  covered: number[],
  count: number,
): StatsFile {
  return {
    source: { file: "data.csv", bytes: 1234, format: "csv" },
    target: "y",
    features,
    foldRule: rule,
    standardize: true,
    shards: { count, covered },
    folds: acc.folds(),
  };
}

describe("StatsAccumulator", () => {
  it("gives each fold the moments of a two-pass host loop, whatever the block size", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 2, max: 6 }),
        fc.nat(1000),
        (n, d, blockRows, folds, seed) => {
          const src = data(n, d, seed);
          const rule: FoldRule = { kind: "hash", folds, seed };
          const acc = accumulate(src, rule, blockRows);
          const ids = hashFolds(src, folds, seed);
          const got = acc.folds();
          for (let f = 0; f < folds; f++) {
            const rows = [...ids.keys()].filter((i) => ids[i] === f);
            const m = got.get(f);
            if (rows.length === 0) {
              expect(m).toBeUndefined();
              continue;
            }
            const want = hostMoments(src, rows);
            expect(m?.n).toBe(rows.length);
            // Both are float64 computations of the same sums; the host loop sums ≤ 300 terms.
            expect(
              momentsAgreement(
                m as Moments,
                {
                  ...want,
                  d,
                  xMean: Float64Array.from(want.xMean),
                  sxx: Float64Array.from(want.sxx),
                  sxy: Float64Array.from(want.sxy),
                  constant: new Uint8Array(d),
                },
                300,
              ),
            ).toBeLessThanOrEqual(1);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("puts a row in the same fold wherever it sits: folds depend on its values alone", () => {
    const src = data(50, 3, 7);
    const ids = hashFolds(src, 5, 11);
    const reversed: Dataset = {
      X: new Float64Array(src.n * src.d),
      y: Float64Array.from(src.y).reverse(),
      n: src.n,
      d: src.d,
    };
    for (let i = 0; i < src.n; i++) {
      reversed.X.set(src.X.subarray(i * src.d, (i + 1) * src.d), (src.n - 1 - i) * src.d);
    }
    expect([...hashFolds(reversed, 5, 11)].reverse()).toEqual([...ids]);
    // Roughly uniform: every fold of 5 gets some of 50 rows, and another seed moves rows.
    expect(new Set(ids).size).toBe(5);
    expect([...hashFolds(src, 5, 12)]).not.toEqual([...ids]);
  });
});

describe("stats files", () => {
  const n = 20_000;
  const d = 6;
  const src = data(n, d, 3);
  const features = Array.from({ length: d }, (_, j) => `x${j + 1}`);
  const rule: FoldRule = { kind: "hash", folds: 5, seed: 1 };
  const B = 512;

  it("8 shards merged through their files equal one pass within the derived bound", () => {
    const whole = accumulate(src, rule, B);
    const texts = Array.from({ length: 8 }, (_, s) => {
      const from = Math.floor((s * n) / 8);
      const to = Math.floor(((s + 1) * n) / 8);
      return serializeStats(statsFile(accumulate(src, rule, B, from, to), features, rule, [s], 8));
    });
    // Named out of order: merging sorts by shard.
    const order = [3, 0, 7, 1, 6, 2, 5, 4];
    const merged = mergeStats(
      order.map((s) => ({
        stats: parseStats(texts[s] as string, `part-${s}.json`),
        name: `part-${s}.json`,
      })),
    );
    checkComplete(merged, "merged");
    const single = whole.folds();
    let worst = 0;
    for (const [f, m] of single)
      worst = Math.max(worst, momentsAgreement(m, merged.folds.get(f) as Moments, B));
    expect(worst).toBeLessThanOrEqual(1);
    // And the merge is order-free to the bit.
    const again = mergeStats(
      [...order]
        .reverse()
        .map((s) => ({ stats: parseStats(texts[s] as string, "p"), name: `p${s}` })),
    );
    expect(serializeStats(again)).toBe(serializeStats(merged));
    expect(allRows(merged).n).toBe(n);
  });

  it("round-trips every double exactly", () => {
    const stats = statsFile(accumulate(src, rule, B, 0, 300), features, rule, [0, 2], 3);
    const back = parseStats(serializeStats(stats), "s.json");
    for (const [f, m] of stats.folds) {
      const b = back.folds.get(f) as Moments;
      expect([...b.sxx]).toEqual([...m.sxx]);
      expect([...b.xMean]).toEqual([...m.xMean]);
      expect([b.yMean, b.syy, b.n]).toEqual([m.yMean, m.syy, m.n]);
    }
  });

  it("refuses to merge what does not belong together, and fits from part of the shards", () => {
    const part = (s: number, change: Partial<StatsFile> = {}) => ({
      stats: {
        ...statsFile(accumulate(src, rule, B, s * 100, s * 100 + 100), features, rule, [s], 4),
        ...change,
      },
      name: `part-${s}.json`,
    });
    const refusal = (files: ReturnType<typeof part>[]) => {
      try {
        mergeStats(files);
      } catch (error) {
        expect(error).toBeInstanceOf(StatsFileError);
        return (error as Error).message;
      }
      throw new Error("merged");
    };
    expect(refusal([part(0), part(0)])).toBe(
      "part-0.json: covers shard 0 of 4, which part-0.json covers too; each shard must be merged once",
    );
    expect(refusal([part(0), part(1, { target: "z" })])).toBe(
      'part-1.json: cannot be merged with part-0.json: the target is "z" here, "y" there',
    );
    expect(
      refusal([part(0), part(1, { source: { file: "data.csv", bytes: 99, format: "csv" } })]),
    ).toMatch(/the data file is "data.csv" \(99 bytes\) here/);
    expect(refusal([part(0), part(1, { foldRule: { kind: "hash", folds: 5, seed: 2 } })])).toMatch(
      /fold rule is 5 hashed folds, seed 2 here/,
    );
    expect(refusal([part(0), part(1, { features: [...features].reverse() })])).toMatch(
      /the features are/,
    );
    expect(refusal([part(0), part(1, { standardize: false })])).toMatch(
      /standardize is false here/,
    );
    expect(refusal([part(0), part(1, { shards: { count: 5, covered: [1] } })])).toMatch(
      /shard count is 5 here, 4 there/,
    );
    const some = mergeStats([part(0), part(2)]);
    expect(() => checkComplete(some, "s.json")).toThrow(
      's.json: field "shards" covers 2 of 4 shards; merge the missing ones first (wdecay merge): 1, 3',
    );
  });

  it("selects λ from the folds' moments as selectLambda does from the rows on the same folds", () => {
    const small = data(2000, 4, 9);
    const acc = accumulate(small, rule, 300);
    const folds = [...acc.folds().values()];
    const foldid = hashFolds(small, 5, 1);
    for (const penalty of ["l2", "l1"] as const) {
      const options = { penalty, standardize: true, nLambda: 30 };
      const fromRows = selectLambda(small, {
        ...options,
        method: { kind: "foldid", foldid },
        seed: 0,
      });
      const fromMoments = selectLambdaFromMoments(folds, options);
      // The default grid hangs from λ_max, computed from differently rounded sums: the same
      // grid point, equal to a few ε.
      const at = (r: { lambdas: number[] }, l: number) => r.lambdas.indexOf(l);
      expect(at(fromMoments, fromMoments.lambdaMin)).toBe(at(fromRows, fromRows.lambdaMin));
      expect(at(fromMoments, fromMoments.lambda1se)).toBe(at(fromRows, fromRows.lambda1se));
      expect(fromMoments.lambdaMin / fromRows.lambdaMin - 1).toBeLessThan(1e-12);
      for (const [k, p] of fromRows.curve.entries()) {
        expect(fromMoments.curve[k]?.mean).toBeCloseTo(p.mean, 9);
      }
      for (let j = 0; j < 4; j++) {
        expect(fromMoments.model.weights[j]).toBeCloseTo(fromRows.model.weights[j] as number, 8);
      }
    }
  });
});
