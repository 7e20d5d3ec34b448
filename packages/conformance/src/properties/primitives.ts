/**
 * One property per primitive of the Backend interface, each against a naive float64 loop written
 * here, on random shapes (edge shapes included) and values (zeros, tiny and large included).
 */
import type { Axis, BinaryOp, Shape, UnaryOp } from "@wdecay/core";
import fc from "fast-check";
import { dim, MAX_DIM, matrix, shape, values } from "../arbitraries.js";
import { defineProperty } from "../property.js";
import { scoped, stored } from "../scope.js";
import { sumTolerance } from "../tolerance.js";

export const uploadRead = defineProperty({
  id: "op-upload-read",
  name: "upload then read returns the values, rounded to the declared precision",
  source: "primitive upload, read",
  arbitrary: shape().chain((s) => fc.tuple(fc.constant(s), matrix(s))),
  async check({ backend }, [s, xs], meter) {
    await scoped(backend, async (keep) => {
      const t = keep(backend.upload(xs, s));
      meter.holds(t.shape[0] === s[0] && t.shape[1] === s[1] && t.dtype === "float", "shape/dtype");
      const back = await backend.read(t);
      const expected = stored(xs, backend.precision);
      meter.holds(back.length === expected.length, "length");
      expected.forEach((v, i) =>
        meter.value(back[i] as number, v, 0, `element (${Math.floor(i / s[1])}, ${i % s[1]})`),
      );
    });
  },
});

export const writeInPlace = defineProperty({
  id: "op-write",
  name: "write replaces a tensor's values in place; int32 tensors hold indices exactly",
  source: "primitive write, zeros",
  arbitrary: shape().chain((s) =>
    fc.tuple(
      fc.constant(s),
      matrix(s),
      fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), {
        minLength: s[0] * s[1],
        maxLength: s[0] * s[1],
      }),
    ),
  ),
  async check({ backend }, [s, xs, ints], meter) {
    await scoped(backend, async (keep) => {
      const t = keep(backend.zeros(s));
      for (const v of await backend.read(t)) meter.value(v, 0, 0, "zeros");
      backend.write(t, xs);
      const expected = stored(xs, backend.precision);
      (await backend.read(t)).forEach((v, i) =>
        meter.value(v, expected[i] as number, 0, `float ${i}`),
      );
      const idx = keep(backend.zeros(s, "int32"));
      meter.holds(idx.dtype === "int32", "int32 dtype");
      backend.write(idx, ints);
      (await backend.read(idx)).forEach((v, i) =>
        meter.value(v, ints[i] as number, 0, `int32 ${i}`),
      );
    });
  },
});

function naiveMatmul(
  a: readonly number[],
  [ar, ac]: Shape,
  b: readonly number[],
  [br, bc]: Shape,
  tA: boolean,
  tB: boolean,
): { value: number; absSum: number; factorSum: number }[] {
  const m = tA ? ac : ar;
  const k = tA ? ar : ac;
  const n = tB ? br : bc;
  const out: { value: number; absSum: number; factorSum: number }[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let value = 0;
      let absSum = 0;
      let factorSum = 0;
      for (let p = 0; p < k; p++) {
        const x = (tA ? a[p * ac + i] : a[i * ac + p]) as number;
        const y = (tB ? b[j * bc + p] : b[p * bc + j]) as number;
        value += x * y;
        absSum += Math.abs(x * y);
        factorSum += Math.abs(x) + Math.abs(y);
      }
      out.push({ value, absSum, factorSum });
    }
  }
  return out;
}

export const matmul = defineProperty({
  id: "op-matmul",
  name: "matmul with every transpose combination equals the float64 product",
  source: "primitive matmul",
  arbitrary: fc
    .record({
      dims: fc.oneof(
        fc.record({ m: dim(), k: dim(), n: dim() }),
        // Square operands: a forgotten transpose keeps every shape and shows only in the values.
        fc.integer({ min: 2, max: MAX_DIM }).map((k) => ({ m: k, k, n: k })),
      ),
      tA: fc.boolean(),
      tB: fc.boolean(),
    })
    .map(({ dims, tA, tB }) => ({ ...dims, tA, tB }))
    .chain((s) => {
      const aShape: Shape = s.tA ? [s.k, s.m] : [s.m, s.k];
      const bShape: Shape = s.tB ? [s.n, s.k] : [s.k, s.n];
      return fc.record({
        tA: fc.constant(s.tA),
        tB: fc.constant(s.tB),
        aShape: fc.constant(aShape),
        bShape: fc.constant(bShape),
        a: matrix(aShape),
        b: matrix(bShape),
      });
    }),
  async check({ backend }, { tA, tB, aShape, bShape, a, b }, meter) {
    await scoped(backend, async (keep) => {
      const C = keep(
        backend.matmul(keep(backend.upload(a, aShape)), keep(backend.upload(b, bShape)), tA, tB),
      );
      const expected = naiveMatmul(a, aShape, b, bShape, tA, tB);
      const k = tA ? aShape[0] : aShape[1];
      meter.holds(
        C.shape[0] === (tA ? aShape[1] : aShape[0]) && C.shape[1] === (tB ? bShape[0] : bShape[1]),
        "result shape",
      );
      const got = await backend.read(C);
      expected.forEach((e, i) =>
        meter.value(
          got[i] as number,
          e.value,
          sumTolerance(backend.precision, k, e.absSum, e.factorSum),
          `C[${Math.floor(i / C.shape[1])}, ${i % C.shape[1]}]`,
        ),
      );
    });
  },
});

/**
 * `count` values m·10^e at one decimal exponent e, each with its own m in ±[1, 10): normal
 * numbers of either precision for e in [-37, 37].
 */
function atExponent(count: number, e: number): fc.Arbitrary<number[]> {
  const m = fc.double({ min: 1, max: 10, maxExcluded: true, noNaN: true });
  return fc.array(
    fc.tuple(m, fc.boolean()).map(([v, negative]) => (negative ? -v : v) * 10 ** e),
    { minLength: count, maxLength: count },
  );
}

/**
 * Edge operands of the numeric contract, drawn beside the ordinary ones. The contract (README,
 * "Tolerance policy"; the WebGPU backend's WGSL helpers exist for it): the backend computes on
 * its stored operands as IEEE arithmetic at its precision does, with host scalars taken at
 * float64's range and results that underflow rounded onto the subnormal grid (gradual
 * underflow: an absolute error of at most η = `underflowUnit`), never flushed to zero. The truth
 * is the float64 host result, which for every value drawn here is a normal float64 number.
 *
 * - div, quotients of normal operands that underflow: dividends in [1e-12, 1e-3), divisors up
 *   to 1e35 (inside the range where WGSL division is accurate, 2¹²⁶), quotients in about
 *   [1e-46, 1e-37]: below float32's smallest normal 2⁻¹²⁶ ≈ 1.2e-38, mostly above η = 2⁻¹⁴⁹.
 * - mul, products of normal operands (in [1e-36, 1e-8)) in about [1e-45, 1e-36].
 */
function underflowingQuotients(a: Shape, b: Shape) {
  return fc
    .double({ min: -45, max: -38, noNaN: true })
    .chain((q) =>
      fc
        .double({ min: -12, max: Math.min(-4, q + 34), noNaN: true })
        .chain((ea) =>
          fc.record({ a: atExponent(a[0] * a[1], ea), b: atExponent(b[0] * b[1], ea - q) }),
        ),
    );
}

function subnormalProducts(a: Shape, b: Shape) {
  return fc
    .double({ min: -45, max: -38, noNaN: true })
    .chain((p) =>
      fc
        .double({ min: -29, max: -9, noNaN: true })
        .chain((ea) =>
          fc.record({ a: atExponent(a[0] * a[1], ea), b: atExponent(b[0] * b[1], p - ea) }),
        ),
    );
}

const BINARY: Record<BinaryOp, (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
};

export const binary = defineProperty({
  id: "op-binary",
  name: "add, sub, mul, div with same-shape, row, column and scalar operands",
  source: "primitive binary",
  arbitrary: fc
    .record({
      s: shape(),
      op: fc.constantFrom<BinaryOp>("add", "sub", "mul", "div"),
      mode: fc.constantFrom("same", "row", "col", "scalar"),
    })
    .chain(({ s, op, mode }) => {
      const bShape: Shape =
        mode === "same" ? s : mode === "row" ? [1, s[1]] : mode === "col" ? [s[0], 1] : [1, 1];
      // A divisor of zero gives ±Infinity or NaN on every backend; keep divisors away from it.
      const b =
        op === "div"
          ? fc.array(
              fc.double({ min: 0.5, max: 4, noNaN: true }).chain((v) => fc.constantFrom(v, -v)),
              {
                minLength: bShape[0] * bShape[1],
                maxLength: bShape[0] * bShape[1],
              },
            )
          : matrix(bShape);
      const ordinary = fc.record({ a: matrix(s), b });
      // Half of the divisions and products draw the edge operands above.
      const operands =
        op === "div"
          ? fc.oneof(ordinary, underflowingQuotients(s, bShape))
          : op === "mul"
            ? fc.oneof(ordinary, subnormalProducts(s, bShape))
            : ordinary;
      return fc.record({
        s: fc.constant(s),
        op: fc.constant(op),
        bShape: fc.constant(bShape),
        operands,
      });
    }),
  async check({ backend }, { s, op, bShape, operands: { a, b } }, meter) {
    await scoped(backend, async (keep) => {
      const C = keep(
        backend.binary(op, keep(backend.upload(a, s)), keep(backend.upload(b, bShape))),
      );
      const got = await backend.read(C);
      const f = BINARY[op];
      for (let i = 0; i < s[0]; i++) {
        for (let j = 0; j < s[1]; j++) {
          const x = a[i * s[1] + j] as number;
          const y = b[(bShape[0] === 1 ? 0 : i) * bShape[1] + (bShape[1] === 1 ? 0 : j)] as number;
          const exact = f(x, y);
          // One operation on rounded inputs: relative error of the result for mul and div, of the
          // operands' magnitudes for add and sub (cancellation). A result that underflows may be
          // off by the absolute term of sumTolerance (tolerance.ts), at least 2·(1 + 2)·η, η the
          // `underflowUnit`, from rounding onto the subnormal grid; one flushed to zero is off by
          // the whole result, up to 2⁻¹²⁶ = 2²³·η on float32, and fails.
          const scale = op === "add" || op === "sub" ? Math.abs(x) + Math.abs(y) : Math.abs(exact);
          meter.value(
            got[i * s[1] + j] as number,
            exact,
            sumTolerance(backend.precision, 1, scale, op === "mul" ? Math.abs(x) + Math.abs(y) : 0),
            `${op}[${i},${j}]`,
          );
        }
      }
    });
  },
});

const UNARY: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  abs: Math.abs,
  sign: Math.sign,
  square: (x) => x * x,
  sqrt: Math.sqrt,
};

export const unary = defineProperty({
  id: "op-unary",
  name: "neg, abs, sign, square, sqrt elementwise (sqrt of a negative is NaN)",
  source: "primitive unary",
  arbitrary: fc
    .record({
      s: shape(),
      op: fc.constantFrom<UnaryOp>("neg", "abs", "sign", "square", "sqrt"),
    })
    .chain(({ s, op }) => fc.record({ s: fc.constant(s), op: fc.constant(op), a: matrix(s) })),
  async check({ backend }, { s, op, a }, meter) {
    await scoped(backend, async (keep) => {
      const got = await backend.read(keep(backend.unary(op, keep(backend.upload(a, s)))));
      // From the stored inputs: rounding a tiny x to float32 may make it 0, and sign(0) = 0.
      stored(a, backend.precision).forEach((x, i) => {
        const exact = UNARY[op](x);
        // sign is exact, and NaN (sqrt of a negative) must stay NaN; the others round once.
        const tol =
          op === "sign" || Number.isNaN(exact)
            ? 0
            : sumTolerance(backend.precision, 1, Math.abs(exact));
        meter.value(got[i] as number, exact === 0 ? 0 : exact, tol, `${op}(${x})`);
      });
    });
  },
});

export const axpby = defineProperty({
  id: "op-axpby",
  name: "axpby(α, x, β, y) = αx + βy",
  source: "primitive axpby",
  arbitrary: shape().chain((s) =>
    fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record({
          s: fc.constant(s),
          alpha: values(1),
          beta: values(1),
          x: matrix(s),
          y: matrix(s),
        }),
      },
      // Host scalars are float64: α outside float32's range (1e40, or 1e-40 below its smallest
      // normal) on operands that keep αx representable. A backend that rounds α to float32
      // first gets ±∞ or 0 where the contract asks for αx.
      {
        weight: 1,
        arbitrary: fc
          .record({
            big: fc.boolean(),
            sign: fc.constantFrom(1, -1),
            beta: values(1),
            x: matrix(s),
            y: matrix(s),
          })
          .map(({ big, sign, beta, x, y }) => ({
            s,
            alpha: [sign * (big ? 1e40 : 1e-40)],
            beta,
            // |x| ≤ 1e-12 keeps 1e40·x within float32; with 1e-40, x of order one lands αx in
            // float32's subnormals (gradual underflow).
            x: big
              ? x.map((v) => (v / Math.max(1, Math.abs(v))) * 1e-12)
              : x.map((v) => v / Math.max(1, Math.abs(v))),
            y,
          })),
      },
    ),
  ),
  async check({ backend }, { s, alpha, beta, x, y }, meter) {
    const [al, be] = [alpha[0] as number, beta[0] as number];
    await scoped(backend, async (keep) => {
      const got = await backend.read(
        keep(backend.axpby(al, keep(backend.upload(x, s)), be, keep(backend.upload(y, s)))),
      );
      x.forEach((xi, i) => {
        const yi = y[i] as number;
        const tol = sumTolerance(
          backend.precision,
          2,
          Math.abs(al * xi) + Math.abs(be * yi),
          Math.abs(al) + Math.abs(be),
        );
        meter.value(
          got[i] as number,
          al * xi + be * yi,
          tol,
          `element (${Math.floor(i / s[1])}, ${i % s[1]})`,
        );
      });
    });
  },
});

export const softThreshold = defineProperty({
  id: "op-soft-threshold",
  name: "softThreshold(v, t) = sign(v)·max(|v| − t, 0), exactly 0 where |v| ≤ t",
  source: "primitive softThreshold (IDENTITIES.md 15)",
  arbitrary: shape().chain((s) =>
    fc.record({
      s: fc.constant(s),
      v: matrix(s),
      t: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 2, noNaN: true })),
    }),
  ),
  async check({ backend }, { s, v, t }, meter) {
    await scoped(backend, async (keep) => {
      const got = await backend.read(keep(backend.softThreshold(keep(backend.upload(v, s)), t)));
      const vs = stored(v, backend.precision);
      vs.forEach((x, i) => {
        const exact = Math.sign(x) * Math.max(Math.abs(x) - t, 0);
        if (exact === 0)
          meter.holds(got[i] === 0, `S(${x}, ${t}) must be exactly 0, got ${got[i]}`);
        else
          meter.value(
            got[i] as number,
            exact,
            sumTolerance(backend.precision, 1, Math.abs(x) + t),
            `S(${x}, ${t})`,
          );
      });
    });
  },
});

export const sum = defineProperty({
  id: "op-sum",
  name: "sum over rows, over columns and of all elements",
  source: "primitive sum",
  arbitrary: fc
    .record({ s: shape(), axis: fc.constantFrom<Axis | undefined>(0, 1, undefined) })
    .chain(({ s, axis }) =>
      fc.record({ s: fc.constant(s), axis: fc.constant(axis), a: matrix(s) }),
    ),
  async check({ backend }, { s, axis, a }, meter) {
    const [r, c] = s;
    const outShape: Shape = axis === 0 ? [1, c] : axis === 1 ? [r, 1] : [1, 1];
    await scoped(backend, async (keep) => {
      const T = keep(backend.sum(keep(backend.upload(a, s)), axis));
      meter.holds(T.shape[0] === outShape[0] && T.shape[1] === outShape[1], "result shape");
      const got = await backend.read(T);
      const cells = outShape[0] * outShape[1];
      for (let o = 0; o < cells; o++) {
        let value = 0;
        let absSum = 0;
        let terms = 0;
        for (let i = 0; i < r; i++) {
          for (let j = 0; j < c; j++) {
            if ((axis === 0 && j !== o) || (axis === 1 && i !== o)) continue;
            const x = a[i * c + j] as number;
            value += x;
            absSum += Math.abs(x);
            terms++;
          }
        }
        meter.value(
          got[o] as number,
          value,
          sumTolerance(backend.precision, terms, absSum),
          `sum[${o}]`,
        );
      }
    });
  },
});

export const gatherRows = defineProperty({
  id: "op-gather-rows",
  name: "gatherRows copies the rows indices[offset .. offset + count) in order",
  source: "primitive gatherRows",
  arbitrary: shape().chain((s) =>
    fc
      .record({ k: dim(12) })
      .chain(({ k }) =>
        fc.record({
          s: fc.constant(s),
          a: matrix(s),
          indices: fc.array(fc.integer({ min: 0, max: s[0] - 1 }), { minLength: k, maxLength: k }),
          offset: fc.integer({ min: 0, max: k - 1 }),
        }),
      )
      .chain((p) =>
        fc.record({
          p: fc.constant(p),
          count: fc.integer({ min: 1, max: p.indices.length - p.offset }),
        }),
      ),
  ),
  async check({ backend }, { p, count }, meter) {
    const { s, a, indices, offset } = p;
    await scoped(backend, async (keep) => {
      const idx = keep(backend.upload(indices, [indices.length, 1], "int32"));
      const G = keep(backend.gatherRows(keep(backend.upload(a, s)), idx, offset, count));
      meter.holds(G.shape[0] === count && G.shape[1] === s[1], "result shape");
      const got = await backend.read(G);
      const src = stored(a, backend.precision);
      for (let t = 0; t < count; t++) {
        const row = indices[offset + t] as number;
        for (let j = 0; j < s[1]; j++) {
          meter.value(
            got[t * s[1] + j] as number,
            src[row * s[1] + j] as number,
            0,
            `row ${t} (source ${row}), col ${j}`,
          );
        }
      }
    });
  },
});

export const assign = defineProperty({
  id: "op-assign",
  name: "assign copies a tensor into another in place, leaving the source as it was",
  source: "primitive assign",
  arbitrary: shape().chain((s) => fc.record({ s: fc.constant(s), a: matrix(s), b: matrix(s) })),
  async check({ backend }, { s, a, b }, meter) {
    await scoped(backend, async (keep) => {
      const A = keep(backend.upload(a, s));
      const B = keep(backend.upload(b, s));
      backend.assign(A, B);
      const expected = stored(b, backend.precision);
      (await backend.read(A)).forEach((v, i) =>
        meter.value(v, expected[i] as number, 0, `target ${i}`),
      );
      (await backend.read(B)).forEach((v, i) =>
        meter.value(v, expected[i] as number, 0, `source ${i}`),
      );
    });
  },
});

export const PRIMITIVE_PROPERTIES = [
  uploadRead,
  writeInPlace,
  matmul,
  binary,
  unary,
  axpby,
  softThreshold,
  sum,
  gatherRows,
  assign,
];
