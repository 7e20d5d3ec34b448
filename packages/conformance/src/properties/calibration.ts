/**
 * Precision calibration: the tolerances are worst-case bounds (γ_k·Σ|terms|), so a backend that
 * rounds its results more coarsely than its declared precision can still pass every other
 * property. Here its typical error is measured against what honest arithmetic of that precision
 * gives on the same stored operands: for thousands of elementwise results (each one rounding in
 * honest arithmetic: add, mul, axpby's two products and their sum, square, sqrt) and short dot
 * products (k ≤ 4), the root-mean-square relative error of the backend divided by that of the
 * precision emulated on the host (float32: Math.fround after every operation, summed in order;
 * float64: JavaScript's own arithmetic) must be at most 4. A float32 backend that keeps 21
 * significant bits instead of 24 (8× less accurate) lands near 8 and fails; one that is more
 * accurate than the emulation (a float64 accumulator, a fused multiply-add) lands below 1.
 *
 * The truth is exact: float64 on float32 operands for a float32 backend (products and sums of a
 * few float32 values are exact or far below float32's rounding), and double-double arithmetic
 * (Dekker's TwoProduct, Knuth's TwoSum) for a float64 backend.
 */
import type { Backend, Tensor } from "@wdecay/core";
import fc from "fast-check";
import { defineProperty } from "../property.js";
import { type Keep, scoped } from "../scope.js";
import { seededValues } from "../sizes.js";

/** The largest ratio of RMS errors allowed: twice the honest error with room for chance. */
export const CALIBRATION_LIMIT = 4;

/** Elements per operation: enough for the RMS of each to be within a few percent of its mean. */
const COUNT = 4096;

/** A value as a double-double (hi + lo, |lo| ≤ ulp(hi)/2). */
type DD = readonly [number, number];

function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return [s, a - (s - bb) + (b - bb)];
}

/** Dekker's split: a = hi + lo with 26-bit halves, so their products are exact. */
function split(a: number): DD {
  const c = 134217729 * a; // 2^27 + 1
  const hi = c - (c - a);
  return [hi, a - hi];
}

function twoProduct(a: number, b: number): DD {
  const p = a * b;
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return [p, ah * bh - p + ah * bl + al * bh + al * bl];
}

function ddAdd(x: DD, y: DD): DD {
  const [s, e] = twoSum(x[0], y[0]);
  return twoSum(s, e + x[1] + y[1]);
}

/** |got − exact| / |exact| with the exact value as a double-double; 0 for an exact zero. */
function relativeError(got: number, exact: DD): number {
  const scale = Math.abs(exact[0]);
  if (scale === 0) return got === 0 ? 0 : Number.POSITIVE_INFINITY;
  return Math.abs(got - exact[0] - exact[1]) / scale;
}

type Op = "add" | "mul" | "axpby" | "square" | "sqrt" | "dot";

interface Measured {
  readonly op: Op;
  /** RMS relative error of the backend and of the emulated precision. */
  readonly backend: number;
  readonly honest: number;
}

function rms(values: readonly number[]): number {
  return Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
}

async function measure(backend: Backend, keep: Keep, op: Op, seed: number): Promise<Measured> {
  const f32 = backend.precision === "float32";
  // Every stored value, and every honest operation, rounds to the declared precision.
  const r = f32 ? Math.fround : (v: number) => v;
  const stored = (values: Float64Array) => Array.from(values, (v) => r(v));
  // Away from zero: relative errors of results near zero say nothing about precision.
  const unit = (s: number) =>
    stored(seededValues(seed + s, COUNT).map((v) => Math.sign(v || 1) * (0.25 + Math.abs(v))));
  const k = 4;
  const a = op === "dot" ? stored(seededValues(seed, COUNT * k)) : unit(1);
  const b = op === "dot" ? stored(seededValues(seed + 7, k)) : unit(2);
  const up = (values: number[], shape: [number, number]): Tensor =>
    keep(backend.upload(values, shape));
  let got: Float64Array;
  let exact: (i: number) => DD;
  let honest: (i: number) => number;
  const [alpha, beta] = [r(0.7), r(-1.3)];
  if (op === "dot") {
    got = await backend.read(keep(backend.matmul(up(a, [COUNT, k]), up(b, [k, 1]))));
    exact = (i) => {
      let s: DD = [0, 0];
      for (let p = 0; p < k; p++) s = ddAdd(s, twoProduct(a[i * k + p] as number, b[p] as number));
      return s;
    };
    honest = (i) => {
      let s = 0;
      for (let p = 0; p < k; p++) s = r(s + r((a[i * k + p] as number) * (b[p] as number)));
      return s;
    };
  } else {
    const A = up(a, [1, COUNT]);
    const B = up(b, [1, COUNT]);
    const x = (i: number) => a[i] as number;
    const y = (i: number) => b[i] as number;
    if (op === "add" || op === "mul") {
      got = await backend.read(keep(backend.binary(op, A, B)));
      exact = op === "add" ? (i) => twoSum(x(i), y(i)) : (i) => twoProduct(x(i), y(i));
      honest = op === "add" ? (i) => r(x(i) + y(i)) : (i) => r(x(i) * y(i));
    } else if (op === "axpby") {
      got = await backend.read(keep(backend.axpby(alpha, A, beta, B)));
      exact = (i) => ddAdd(twoProduct(alpha, x(i)), twoProduct(beta, y(i)));
      honest = (i) => r(r(alpha * x(i)) + r(beta * y(i)));
    } else if (op === "square") {
      got = await backend.read(keep(backend.unary("square", A)));
      exact = (i) => twoProduct(x(i), x(i));
      honest = (i) => r(x(i) * x(i));
    } else {
      const positive = keep(backend.unary("abs", A));
      got = await backend.read(keep(backend.unary("sqrt", positive)));
      // √x to double-double: s = √x rounded, then the correction (x − s²)/(2s), exact enough.
      exact = (i) => {
        const s = Math.sqrt(Math.abs(x(i)));
        const [sq, sqLo] = twoProduct(s, s);
        return [s, (Math.abs(x(i)) - sq - sqLo) / (2 * s)];
      };
      honest = (i) => r(Math.sqrt(Math.abs(x(i))));
    }
  }
  const errors: number[] = [];
  const honestErrors: number[] = [];
  for (let i = 0; i < COUNT; i++) {
    const e = exact(i);
    errors.push(relativeError(got[i] as number, e));
    honestErrors.push(relativeError(honest(i), e));
  }
  return { op, backend: rms(errors), honest: rms(honestErrors) };
}

export const precisionCalibration = defineProperty({
  id: "calib-precision",
  name: "typical rounding error (RMS over thousands of results of add, mul, axpby, square, sqrt and short dot products) is at most 4× that of honest arithmetic at the declared precision",
  source: "declared precision; tolerance policy",
  // One run measures every operation on thousands of elements.
  cost: 25,
  arbitrary: fc.nat(),
  async check({ backend }, seed, meter) {
    await scoped(backend, async (keep) => {
      for (const op of ["add", "mul", "axpby", "square", "sqrt", "dot"] as const) {
        const m = await measure(backend, keep, op, seed);
        // Honest float64 is often exact for add and mul of stored values: compare with the
        // unit roundoff's RMS share then, so that an exact backend passes and a coarse one fails.
        const floor =
          backend.precision === "float32" ? 2 ** -24 / Math.sqrt(3) : 2 ** -53 / Math.sqrt(3);
        const ratio = m.backend / Math.max(m.honest, floor);
        meter.value(
          ratio,
          0,
          CALIBRATION_LIMIT,
          `${op}: RMS relative error ${m.backend.toExponential(3)} against ${m.honest.toExponential(3)} for honest ${backend.precision}, ratio`,
        );
      }
    });
  },
});

export const CALIBRATION_PROPERTIES = [precisionCalibration];
