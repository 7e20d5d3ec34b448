/**
 * Sizes where backends switch code path, for the size-tier properties: SIMD widths and the
 * tails after them (4, 8, 16 lanes or rows), 256-wide workgroups and their grid-stride loops,
 * powers of two up to 1025, and what a backend declares of its own
 * (`capabilities.sizeBoundaries`: a dispatch limit, a buffer size class). Each tier is a boundary
 * with its neighbours, so an off-by-one on either side shows.
 *
 * Values of large tensors come from a small seeded generator rather than from fast-check's
 * arrays (drawing 10⁵ doubles through fast-check would cost more than the backend's work): the
 * seed is drawn and shrinks like any other input.
 */
import fc from "fast-check";

/** 1–9 (every small case), then each power-of-two boundary with its neighbours, up to 1025. */
export const SIZE_TIERS: readonly number[] = [
  1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 1023,
  1024, 1025,
];

/** Column counts of λ grids and multi-output targets: small, SIMD blocks of 8 and 16, and 64. */
export const COLUMN_TIERS: readonly number[] = [
  1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64,
];

/** A size from `tiers` that is at most `max`. */
export function tier(max: number, tiers: readonly number[] = SIZE_TIERS): fc.Arbitrary<number> {
  const allowed = tiers.filter((t) => t <= max);
  return fc.constantFrom(...(allowed.length > 0 ? allowed : [1]));
}

/**
 * A pick among the backend's declared boundaries, resolved when the property runs (the
 * arbitrary cannot see the backend): which boundary, and whether just below, at or above it.
 */
export interface DeclaredPick {
  readonly index: number;
  readonly offset: -1 | 0 | 1;
}

export const declaredPick: fc.Arbitrary<DeclaredPick> = fc.record({
  index: fc.nat({ max: 15 }),
  offset: fc.constantFrom(-1 as const, 0 as const, 1 as const),
});

/** The size a pick names on this backend, or undefined when it declares none. */
export function declaredSize(
  boundaries: readonly number[] | undefined,
  pick: DeclaredPick,
): number | undefined {
  if (!boundaries || boundaries.length === 0) return undefined;
  const b = boundaries[pick.index % boundaries.length] as number;
  return Math.max(1, b + pick.offset);
}

/** mulberry32: a small seeded generator of uniform values in [0, 1). */
export function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` values of order one from `seed`, in [−1, 1), about one in eight an exact zero (zeros
 * take other paths in some kernels: skipped products, the soft threshold's dead zone).
 */
export function seededValues(seed: number, count: number): Float64Array {
  const next = uniform(seed);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const u = next();
    out[i] = u < 0.125 ? 0 : 2 * next() - 1;
  }
  return out;
}
