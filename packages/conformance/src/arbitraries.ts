/**
 * Random inputs for the properties: fresh shapes and values on every run, biased toward the
 * edges where backends break — 1×1, a single row, more features than rows (the chapter's d > n),
 * wide and tall matrices, exact zeros, values near zero and large ones.
 */
import type { Shape } from "@wdecay/core";
import fc from "fast-check";

/** Largest dimension drawn; small, so a property run costs microseconds to milliseconds. */
export const MAX_DIM = 9;

/** A dimension in [1, max], often 1. */
export function dim(max = MAX_DIM): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(1) },
    { weight: 4, arbitrary: fc.integer({ min: 1, max }) },
  );
}

/** A matrix shape: square, wide, tall or degenerate. */
export function shape(max = MAX_DIM): fc.Arbitrary<Shape> {
  return fc.oneof(
    fc.tuple(dim(max), dim(max)),
    fc.constantFrom<Shape>([1, 1], [1, max], [max, 1]),
    dim(max).map((r): Shape => [r, Math.min(max, r + 3)]),
  );
}

/**
 * Magnitudes a tensor's values are drawn at. Kept inside float32's range for sums of squares
 * (|x| ≤ 1e6 gives x² ≤ 1e12), and down to 1e-20 where float32 products underflow.
 */
const SCALES = [1, 1, 1, 1e-3, 1e-20, 1e3, 1e6] as const;

/** `count` values at one random scale, with exact zeros among them. */
export function values(count: number): fc.Arbitrary<number[]> {
  const unit = fc.oneof(
    { weight: 8, arbitrary: fc.double({ min: -1, max: 1, noNaN: true, noDefaultInfinity: true }) },
    { weight: 1, arbitrary: fc.constant(0) },
  );
  return fc
    .tuple(fc.constantFrom(...SCALES), fc.array(unit, { minLength: count, maxLength: count }))
    .map(([scale, xs]) => xs.map((x) => x * scale));
}

/**
 * `count` values of order one, for the model properties (their steps must stay stable). Values
 * below 1e-30 become 0: the primitives' properties test underflow; here it would only blur the
 * tolerance of every sum a tiny feature enters.
 */
export function unitValues(count: number, bound = 1): fc.Arbitrary<number[]> {
  const value = fc
    .double({ min: -bound, max: bound, noNaN: true, noDefaultInfinity: true })
    .map((v) => (Math.abs(v) < 1e-30 ? 0 : v));
  return fc.array(value, { minLength: count, maxLength: count });
}

/** A matrix of the given shape with {@link values}. */
export function matrix(s: Shape): fc.Arbitrary<number[]> {
  return values(s[0] * s[1]);
}

/**
 * A linear regression problem: X (n×d), y (n×yCols), w (d×L), b (L), all of order one. y is one
 * column shared by every weight column, or (multi-output) one target column per weight column.
 */
export interface LinearProblem {
  readonly n: number;
  readonly d: number;
  readonly L: number;
  readonly X: number[];
  /** n×yCols, row-major. */
  readonly y: number[];
  /** 1 (shared targets, the default) or L (multi-output). */
  readonly yCols?: number;
  readonly w: number[];
  readonly b: number[];
}

/**
 * Problems up to the given sizes. By default y is one shared column; `targets: "any"` also draws
 * multi-output problems (y n×L) about half the time when L > 1; `targets: "multi"` always does,
 * with L ≥ 2 (so `maxL` must be ≥ 2).
 */
export function linearProblem(
  options: {
    maxN?: number;
    maxD?: number;
    maxL?: number;
    targets?: "shared" | "any" | "multi";
  } = {},
): fc.Arbitrary<LinearProblem> {
  const { maxN = 8, maxD = 6, maxL = 1, targets = "shared" } = options;
  const minL = targets === "multi" ? 2 : 1;
  return fc
    .record({ n: dim(maxN), d: dim(maxD), L: fc.integer({ min: minL, max: Math.max(minL, maxL) }) })
    .chain(({ n, d, L }) =>
      fc.record({
        n: fc.constant(n),
        d: fc.constant(d),
        L: fc.constant(L),
        yCols: targets === "any" ? fc.constantFrom(1, L) : fc.constant(targets === "multi" ? L : 1),
        X: unitValues(n * d),
      }),
    )
    .chain(({ n, d, L, yCols, X }) =>
      fc.record({
        n: fc.constant(n),
        d: fc.constant(d),
        L: fc.constant(L),
        yCols: fc.constant(yCols),
        X: fc.constant(X),
        y: unitValues(n * yCols),
        w: unitValues(d * L, 2),
        b: unitValues(L),
      }),
    );
}

/** A regularization strength: often 0, else up to `max`. */
export function lambda(max = 3): fc.Arbitrary<number> {
  return fc.oneof(fc.constant(0), fc.double({ min: 1e-3, max, noNaN: true }));
}
