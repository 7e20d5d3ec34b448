import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Rng, Stream } from "../src/random.js";

/** Outputs of the published algorithms in C (fixtures/reference/xoshiro128.c, its header). */
const KNOWN = JSON.parse(
  readFileSync(join(import.meta.dirname, "fixtures", "reference", "xoshiro128.json"), "utf8"),
) as {
  seed: number;
  stream: number;
  uint32: number[];
  below: [number, number][];
  permutation20: number[];
  uniform: number[];
}[];

describe("Rng", () => {
  it("gives the reference C implementation's outputs, integers, permutations and uniforms", () => {
    for (const known of KNOWN) {
      const rng = new Rng(known.seed, known.stream);
      expect(Array.from({ length: 8 }, () => rng.nextUint32())).toEqual(known.uint32);
      // Bounds past 2³¹ and ones whose rejection block is large (3·10⁹ rejects 30%).
      expect(known.below.map(([k]) => [k, rng.below(k)])).toEqual(known.below);
      expect(Array.from(rng.permutation(20))).toEqual(known.permutation20);
      expect(Array.from({ length: 4 }, () => rng.uniform())).toEqual(known.uniform);
    }
  });

  it("repeats a seed's sequence exactly", () => {
    const a = new Rng(7, Stream.init);
    const b = new Rng(7, Stream.init);
    for (let i = 0; i < 1000; i++) expect(a.nextUint32()).toBe(b.nextUint32());
  });

  it("gives different sequences for different seeds and for different streams", () => {
    const first = (rng: Rng) => Array.from({ length: 8 }, () => rng.nextUint32());
    expect(first(new Rng(1))).not.toEqual(first(new Rng(2)));
    expect(first(new Rng(1, Stream.trainData))).not.toEqual(first(new Rng(1, Stream.testData)));
    // Seeds above 2³² use their high word too.
    expect(first(new Rng(2 ** 32 + 5))).not.toEqual(first(new Rng(5)));
  });

  it("rejects seeds that are not non-negative safe integers", () => {
    for (const seed of [-1, 1.5, Number.NaN, 2 ** 53]) expect(() => new Rng(seed)).toThrow(/seed/);
  });

  it("draws uniforms in [0, 1) and standard normals with the right moments", () => {
    const rng = new Rng(123);
    const n = 200_000;
    let mean = 0;
    let sq = 0;
    let uMin = 1;
    let uMax = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      uMin = Math.min(uMin, u);
      uMax = Math.max(uMax, u);
      const z = rng.normal();
      mean += z;
      sq += z * z;
    }
    mean /= n;
    const variance = sq / n - mean * mean;
    expect(uMin).toBeGreaterThanOrEqual(0);
    expect(uMax).toBeLessThan(1);
    // Standard error of the mean is 1/√n ≈ 0.0022 and of the variance √(2/n) ≈ 0.0032: allow 5 σ.
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
  });

  it("draws bounded integers without bias (chi-squared over 7 cells)", () => {
    const rng = new Rng(9);
    const k = 7;
    const n = 70_000;
    const counts = new Array<number>(k).fill(0);
    for (let i = 0; i < n; i++) {
      const v = rng.below(k);
      counts[v] = (counts[v] as number) + 1;
    }
    const expected = n / k;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    // 6 degrees of freedom: P(χ² > 22.5) ≈ 0.001.
    expect(chi2).toBeLessThan(22.5);
  });

  it("makes permutations: every index once, all orders reachable for n = 3", () => {
    const rng = new Rng(3);
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) seen.add(Array.from(rng.permutation(3)).join());
    expect(seen.size).toBe(6);
    const p = rng.permutation(1000);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});
