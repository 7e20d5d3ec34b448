/**
 * The soft-threshold operator `S_a(v) = sign(v)·max(|v| − a, 0)` (identity 15), the proximal map
 * of `a‖·‖₁`: it is what turns gradient steps into lasso steps and produces exact zeros.
 */
import { shrink } from "./internal.js";

/**
 * Soft threshold `S_a(v) = sign(v)·max(|v| − a, 0)` of a scalar, or elementwise of an array.
 *
 * Inside the dead zone `|v| ≤ a` the result is +0 (never −0), so exact zeros can be tested with
 * `Object.is(w, 0)`. NaN entries stay NaN. The array form writes into `out` when given (which may
 * be `v` itself, for an in-place update) and otherwise into a new array.
 *
 * @param v the value(s) to shrink
 * @param a the threshold, a number ≥ 0 (`+Infinity` maps everything finite to 0)
 * @throws RangeError when `a` is negative or NaN, or `out` has the wrong length
 */
export function softThreshold(v: number, a: number): number;
export function softThreshold(v: ArrayLike<number>, a: number, out?: Float64Array): Float64Array;
export function softThreshold(
  v: number | ArrayLike<number>,
  a: number,
  out?: Float64Array,
): number | Float64Array {
  if (!(a >= 0)) throw new RangeError(`the threshold must be ≥ 0, got ${a}`);
  if (typeof v === "number") return shrink(v, a);
  const result = out ?? new Float64Array(v.length);
  if (result.length !== v.length) {
    throw new RangeError(`out has ${result.length} entries, expected ${v.length}`);
  }
  for (let i = 0; i < v.length; i++) result[i] = shrink(v[i] as number, a);
  return result;
}
