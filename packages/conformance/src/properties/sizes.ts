/**
 * Size tiers: the primitives and fused kernels at the sizes where backends switch code path
 * (../sizes.ts), which the other properties' small draws (dimensions ≤ 9) never reach — SIMD
 * tails and blocks, one workgroup and the next, grid-stride loops, the size above which a
 * backend hands products to a library, the dual form of λ grids (L ≥ 2, 2n ≤ d), many grid
 * columns, partial last minibatches — plus every size a backend declares of its own. Few runs
 * each (their `cost`), so the default run stays fast; `--deep` runs many more.
 */
import { type Backend, linearLoss, linearSgd, type Shape, type Tensor } from "@wdecay/core";
import fc from "fast-check";
import { oracleLoss, oracleSgd } from "../oracle/index.js";
import { defineProperty } from "../property.js";
import { type Keep, scoped } from "../scope.js";
import {
  COLUMN_TIERS,
  type DeclaredPick,
  declaredPick,
  declaredSize,
  SIZE_TIERS,
  seededValues,
  tier,
  uniform,
} from "../sizes.js";
import { compareProduct, gamma, type Meter, SAFETY, sumTolerance, Worst } from "../tolerance.js";
import { compareTrajectories } from "./linear.js";

/** The values a tensor of this precision holds after an upload. */
function storedArray(values: Float64Array, precision: "float32" | "float64"): Float64Array {
  return precision === "float32" ? values.map(Math.fround) : values;
}

/** Elementwise ops, each with its float64 truth on the stored operands. */
const UNARY = {
  neg: (x: number) => -x,
  abs: Math.abs,
  sign: Math.sign,
  square: (x: number) => x * x,
  sqrt: (x: number) => Math.sqrt(Math.abs(x)),
} as const;
type ElementwiseOp = keyof typeof UNARY | "add" | "mul" | "div" | "axpby" | "softThreshold";

/** An element count: a tier (and a shape for it), or one of the backend's declared sizes. */
const countArb = fc.oneof(
  { weight: 3, arbitrary: tier(65537, [...SIZE_TIERS, 4095, 4096, 4097, 65535, 65536, 65537]) },
  { weight: 1, arbitrary: declaredPick },
);

function elementCount(backend: Backend, count: number | DeclaredPick): number {
  if (typeof count === "number") return count;
  const declared = declaredSize(backend.capabilities.sizeBoundaries, count) ?? 257;
  // A boundary at the largest tensor the backend takes has no "above" to try.
  return Math.min(declared, backend.capabilities.maxTensorElements);
}

async function checkElementwise(
  backend: Backend,
  keep: Keep,
  meter: Meter,
  op: ElementwiseOp,
  count: number,
  rows: number,
  seed: number,
): Promise<void> {
  const shape: Shape = count % rows === 0 ? [rows, count / rows] : [1, count];
  const precision = backend.precision;
  const a = seededValues(seed, count);
  const A = keep(backend.upload(a, shape));
  const as = storedArray(a, precision);
  let out: Tensor;
  // The float64 result on the stored operands, and the magnitude its rounding is relative to.
  let truth: (i: number) => number;
  let scale: (i: number) => number = (i) => Math.abs(truth(i));
  if (op in UNARY) {
    const f = UNARY[op as keyof typeof UNARY];
    const input = op === "sqrt" ? keep(backend.unary("abs", A)) : A;
    out = keep(backend.unary(op as keyof typeof UNARY, input));
    truth = (i) => f(as[i] as number);
  } else if (op === "axpby" || op === "add" || op === "mul" || op === "div") {
    // Divisors kept away from zero: the tier is about sizes, not about conditioning.
    const b = seededValues(seed + 1, count).map((v) =>
      op === "div" ? Math.sign(v || 1) * (0.5 + Math.abs(v)) : v,
    );
    const B = keep(backend.upload(b, shape));
    const bs = storedArray(b, precision);
    const x = (i: number) => as[i] as number;
    const y = (i: number) => bs[i] as number;
    if (op === "axpby") {
      out = keep(backend.axpby(0.75, A, -1.5, B));
      truth = (i) => 0.75 * x(i) - 1.5 * y(i);
      scale = (i) => 0.75 * Math.abs(x(i)) + 1.5 * Math.abs(y(i));
    } else {
      out = keep(backend.binary(op, A, B));
      truth =
        op === "add" ? (i) => x(i) + y(i) : op === "mul" ? (i) => x(i) * y(i) : (i) => x(i) / y(i);
      if (op === "add") scale = (i) => Math.abs(x(i)) + Math.abs(y(i));
    }
  } else {
    out = keep(backend.softThreshold(A, 0.25));
    truth = (i) => {
      const v = as[i] as number;
      return v > 0.25 ? v - 0.25 : v < -0.25 ? v + 0.25 : 0;
    };
    scale = (i) => Math.abs(as[i] as number) + 0.25;
  }
  meter.holds(out.shape[0] === shape[0] && out.shape[1] === shape[1], `${op}: result shape`);
  const got = await backend.read(out);
  meter.holds(got.length === count, `${op}: ${got.length} values read, expected ${count}`);
  // One rounding of the result; axpby two products and their sum (two terms).
  const terms = op === "axpby" ? 2 : 1;
  const worst = new Worst();
  for (let i = 0; i < count; i++) {
    worst.value(
      got[i] as number,
      truth(i),
      sumTolerance(precision, terms, scale(i)),
      () => `${op} on ${count} elements: element ${i}`,
    );
  }
  worst.into(meter);
}

export const sizeElementwise = defineProperty({
  id: "size-elementwise",
  name: "elementwise ops (unary, binary, axpby, soft threshold) at every size tier and at the sizes the backend declares",
  source: "primitives unary, binary, axpby, softThreshold; size tiers",
  cost: 4,
  arbitrary: fc.record({
    op: fc.constantFrom<ElementwiseOp>(
      "neg",
      "abs",
      "sign",
      "square",
      "sqrt",
      "add",
      "mul",
      "div",
      "axpby",
      "softThreshold",
    ),
    count: countArb,
    rows: tier(257),
    seed: fc.nat(),
  }),
  async check({ backend }, { op, count, rows, seed }, meter) {
    await scoped(backend, (keep) =>
      checkElementwise(backend, keep, meter, op, elementCount(backend, count), rows, seed),
    );
  },
});

export const sizeDeclared = defineProperty({
  id: "size-declared",
  name: "an elementwise op just below, at and above every size the backend declares (capabilities.sizeBoundaries), an assign at and above it, a sum and a gather just above",
  source: "Backend capabilities.sizeBoundaries; size tiers",
  // One run covers every declared size: they are few, and each may be large.
  cost: 1000,
  arbitrary: fc.record({
    op: fc.constantFrom<ElementwiseOp>("neg", "add", "axpby", "softThreshold"),
    seed: fc.nat(),
  }),
  async check({ backend }, { op, seed }, meter) {
    const boundaries = backend.capabilities.sizeBoundaries ?? [];
    for (const boundary of boundaries) {
      for (const count of [boundary - 1, boundary, boundary + 1]) {
        if (count < 1 || count > backend.capabilities.maxTensorElements) continue;
        await scoped(backend, async (keep) => {
          await checkElementwise(backend, keep, meter, op, count, 1, seed);
          // A copy at and above each size, whatever op was drawn: a backend that hands large work
          // to another path from there (threads, a second pass) hands its copies too.
          if (count >= boundary) await checkAssign(backend, keep, meter, count, seed);
          // The sum and the gather only just above: that is where a second pass, a second
          // block or a grid-stride step begins, and below it they run the paths the smaller
          // tiers reach. (All three at multi-million-element boundaries cost a software GPU
          // tens of seconds.)
          if (count === boundary + 1) {
            await checkSum(backend, keep, meter, [1, count], undefined, seed, true);
            await checkGatherAll(backend, keep, meter, count, seed);
          }
        });
      }
    }
  },
});

/**
 * A sum checked against float64. With `exact`, the values are small integers (−4…4), whose
 * partial sums stay exactly representable in float32 below 2²⁴ in any order: the result must be
 * exact, which catches a dropped or doubled element however many there are (the rounding bound
 * γ_k·Σ|x| of a general sum says nothing once k·u approaches 1).
 */
async function checkSum(
  backend: Backend,
  keep: Keep,
  meter: Meter,
  shape: Shape,
  axis: 0 | 1 | undefined,
  seed: number,
  exact: boolean,
): Promise<void> {
  const [r, c] = shape;
  const a = exact
    ? seededValues(seed, r * c).map((v) => Math.round(4 * v))
    : seededValues(seed, r * c);
  const as = storedArray(a, backend.precision);
  const out = keep(backend.sum(keep(backend.upload(a, shape)), axis));
  const got = await backend.read(out);
  const lanes = axis === 0 ? c : axis === 1 ? r : 1;
  const terms = axis === 0 ? r : axis === 1 ? c : r * c;
  const what = `sum over ${axis ?? "all"} of ${r}×${c}${exact ? " integers" : ""}`;
  meter.holds(got.length === lanes, `${what}: ${got.length} values`);
  for (let k = 0; k < lanes; k++) {
    let value = 0;
    let abs = 0;
    for (let t = 0; t < terms; t++) {
      const i = axis === 0 ? t * c + k : axis === 1 ? k * c + t : t;
      value += as[i] as number;
      abs += Math.abs(as[i] as number);
    }
    const tol = exact && abs < 2 ** 24 ? 0 : sumTolerance(backend.precision, terms, abs);
    meter.value(got[k] as number, value, tol, `${what}: lane ${k}`);
  }
}

/** `assign` of a count×1 tensor onto one holding other values: exact, every value. */
async function checkAssign(
  backend: Backend,
  keep: Keep,
  meter: Meter,
  count: number,
  seed: number,
): Promise<void> {
  const values = storedArray(seededValues(seed + 2, count), backend.precision);
  const target = keep(backend.upload(seededValues(seed + 3, count), [count, 1]));
  backend.assign(target, keep(backend.upload(values, [count, 1])));
  const got = await backend.read(target);
  meter.holds(got.length === count, `assign of ${count} values: ${got.length} values`);
  meterExact(
    meter,
    got,
    (t) => values[t] as number,
    (t) => `assign of ${count} values: value ${t}`,
  );
}

/** Each of `got`'s values exactly `expected(t)`; the meter gets the worst. */
function meterExact(
  meter: Meter,
  got: Float64Array,
  expected: (t: number) => number,
  where: (t: number) => string,
): void {
  const worst = new Worst();
  for (let t = 0; t < got.length; t++)
    worst.value(got[t] as number, expected(t), 0, () => where(t));
  worst.into(meter);
}

/** Gathers every row of a count×1 tensor in reverse order: the output is as large as the input. */
async function checkGatherAll(
  backend: Backend,
  keep: Keep,
  meter: Meter,
  count: number,
  seed: number,
): Promise<void> {
  const values = storedArray(seededValues(seed, count), backend.precision);
  const source = keep(backend.upload(values, [count, 1]));
  const order = keep(
    backend.upload(
      Int32Array.from({ length: count }, (_, i) => count - 1 - i),
      [count, 1],
      "int32",
    ),
  );
  const got = await backend.read(keep(backend.gatherRows(source, order, 0, count)));
  meter.holds(got.length === count, `gather of all ${count} rows: ${got.length} values`);
  meterExact(
    meter,
    got,
    (t) => values[count - 1 - t] as number,
    (t) => `gather of all ${count} rows: row ${t}`,
  );
}

export const sizeSum = defineProperty({
  id: "size-sum",
  name: "sum over rows, over columns and of every element at the size tiers",
  source: "primitive sum; size tiers",
  cost: 4,
  arbitrary: fc
    .record({
      r: tier(1025),
      c: tier(1025),
      axis: fc.constantFrom<0 | 1 | undefined>(0, 1, undefined),
      exact: fc.boolean(),
      seed: fc.nat(),
    })
    .filter(({ r, c }) => r * c <= 2 ** 18),
  async check({ backend }, { r, c, axis, exact, seed }, meter) {
    await scoped(backend, (keep) => checkSum(backend, keep, meter, [r, c], axis, seed, exact));
  },
});

/** The largest product drawn, in multiply-adds. */
const PRODUCT_LIMIT = 2 ** 20 + 2 ** 18;

/** Tier triples (m, k, n) whose product is past 2¹⁸ multiply-adds and within the limit. */
const LARGE_PRODUCTS: readonly { m: number; k: number; n: number }[] = SIZE_TIERS.flatMap((m) =>
  SIZE_TIERS.flatMap((k) =>
    SIZE_TIERS.filter((n) => m * k * n >= 2 ** 18 && m * k * n <= PRODUCT_LIMIT).map((n) => ({
      m,
      k,
      n,
    })),
  ),
);

export const sizeMatmul = defineProperty({
  id: "size-matmul",
  name: "matmul with every transpose at the size tiers, products up to m·k·n ≈ 2²⁰ (past the sizes where backends hand products to a library)",
  source: "primitive matmul; size tiers",
  cost: 4,
  arbitrary: fc
    .record({
      // Half the products past 2¹⁸ multiply-adds, where backends hand them to a library: drawn
      // from the tier triples that size, not filtered (a filter would mostly reject them).
      dims: fc.oneof(
        fc
          .record({ m: tier(1025), k: tier(1025), n: tier(1025) })
          .filter(({ m, k, n }) => m * k * n <= PRODUCT_LIMIT),
        fc.constantFrom(...LARGE_PRODUCTS),
      ),
      tA: fc.boolean(),
      tB: fc.boolean(),
      seed: fc.nat(),
    })
    .map(({ dims, ...rest }) => ({ ...dims, ...rest })),
  async check({ backend }, { m, k, n, tA, tB, seed }, meter) {
    await scoped(backend, async (keep) => {
      const a = storedArray(seededValues(seed, m * k), backend.precision);
      const b = storedArray(seededValues(seed + 1, k * n), backend.precision);
      const aShape: Shape = tA ? [k, m] : [m, k];
      const bShape: Shape = tB ? [n, k] : [k, n];
      const C = keep(
        backend.matmul(keep(backend.upload(a, aShape)), keep(backend.upload(b, bShape)), tA, tB),
      );
      meter.holds(C.shape[0] === m && C.shape[1] === n, `${m}×${k}·${k}×${n}: result shape`);
      const got = await backend.read(C);
      const at = (i: number, p: number) => (tA ? a[p * m + i] : a[i * k + p]) as number;
      const bt = (p: number, j: number) => (tB ? b[j * k + p] : b[p * n + j]) as number;
      compareProduct(
        meter,
        got,
        at,
        bt,
        { m, k, n },
        backend.precision,
        (i, j) => `${tA ? "Aᵀ" : "A"}·${tB ? "Bᵀ" : "B"}, ${m}×${k}·${k}×${n}: C[${i}, ${j}]`,
      );
    });
  },
});

export const sizeGather = defineProperty({
  id: "size-gather",
  name: "gatherRows of float and int32 tensors at the size tiers, at any offset into the indices",
  source: "primitive gatherRows; size tiers",
  cost: 4,
  arbitrary: fc
    .record({
      r: tier(1025),
      c: tier(1025),
      int32: fc.boolean(),
      seed: fc.nat(),
      at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
    })
    .filter(({ r, c }) => r * c <= 2 ** 18),
  async check({ backend }, { r, c, int32, seed, at }, meter) {
    await scoped(backend, async (keep) => {
      const next = uniform(seed);
      const values = int32
        ? Float64Array.from({ length: r * c }, () => Math.floor(next() * 2 ** 32) - 2 ** 31)
        : storedArray(seededValues(seed, r * c), backend.precision);
      const source = keep(backend.upload(values, [r, c], int32 ? "int32" : "float"));
      // A random order of the rows, and a window of it at a random offset.
      const order = Array.from({ length: r }, (_, i) => i);
      for (let i = r - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [order[i], order[j]] = [order[j] as number, order[i] as number];
      }
      const offset = Math.floor(at * r);
      const count = Math.max(1, Math.floor(next() * (r - offset)) + 1);
      const idx = keep(backend.upload(order, [r, 1], "int32"));
      const out = keep(backend.gatherRows(source, idx, offset, count));
      meter.holds(
        out.shape[0] === count && out.shape[1] === c && out.dtype === source.dtype,
        `gather ${count} of ${r}×${c}: shape and dtype`,
      );
      const got = await backend.read(out);
      const worst = new Worst();
      for (let t = 0; t < count; t++) {
        const row = order[offset + t] as number;
        for (let j = 0; j < c; j++) {
          worst.value(
            got[t * c + j] as number,
            values[row * c + j] as number,
            0,
            () => `gather ${count} of ${r}×${c} from offset ${offset}: row ${t}, column ${j}`,
          );
        }
      }
      worst.into(meter);
    });
  },
});

/** A linear problem at tier sizes, its values from a seed. */
interface TierProblem {
  readonly n: number;
  readonly d: number;
  readonly L: number;
  readonly yCols: number;
  readonly batch: number;
  readonly epochs: number;
  readonly l1: boolean;
  readonly seed: number;
}

const tierProblem = fc
  .record({
    n: tier(257),
    d: tier(1025),
    L: tier(64, COLUMN_TIERS),
    multiOutput: fc.boolean(),
    batchTier: tier(257),
    epochs: fc.integer({ min: 1, max: 2 }),
    l1: fc.boolean(),
    // Exact powers of two for d and L: d·L then fills whole workgroups and SIMD blocks, where a
    // dispatch sized for the weights alone forgets whatever follows them.
    aligned: fc.boolean(),
    seed: fc.nat(),
  })
  .map(({ aligned, ...p }) =>
    aligned ? { ...p, d: 2 ** Math.floor(Math.log2(p.d)), L: 2 ** Math.floor(Math.log2(p.L)) } : p,
  )
  .filter(({ n, d, L }) => n * d * L <= 2 ** 17)
  .map(({ multiOutput, batchTier, ...p }) => ({
    ...p,
    yCols: multiOutput ? p.L : 1,
    batch: Math.min(batchTier, p.n),
  }));

/**
 * Trains a tier problem (its values from its seed) by minibatch SGD, fused where the backend has
 * it, and compares the weights and biases with the float64 host oracle's; `where` names the run
 * in a failure.
 */
async function checkSgdAgainstOracle(
  backend: Backend,
  meter: Meter,
  p: TierProblem,
  where?: string,
): Promise<void> {
  const { n, d, L, yCols, seed } = p;
  const X = Array.from(seededValues(seed, n * d));
  const y = Array.from(seededValues(seed + 1, n * yCols));
  const w = Array.from(seededValues(seed + 2, d * L));
  const b = Array.from(seededValues(seed + 3, L));
  const next = uniform(seed + 4);
  // Distinct regularization per column, often 0, so a column that reads another's shows.
  const draw = (max: number) => Array.from({ length: L }, () => (next() < 0.25 ? 0 : max * next()));
  const reg = {
    weightPenalty: draw(2),
    weightDecay: draw(1),
    biasDecay: draw(1),
    ...(p.l1 ? { weightL1: draw(0.5) } : {}),
  };
  let rowMax = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += (X[i * d + j] as number) ** 2;
    rowMax = Math.max(rowMax, s);
  }
  const lambdaMax = Math.max(
    ...reg.weightPenalty,
    ...reg.weightDecay,
    ...reg.biasDecay,
    ...(reg.weightL1 ?? []),
  );
  const lr = 0.5 / (rowMax + 1 + 2 * lambdaMax);
  const orders = Array.from({ length: p.epochs }, () => {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    return order;
  });
  const precision = backend.precision;
  const stored = (v: number[]) => (precision === "float32" ? v.map(Math.fround) : v);
  const expected = oracleSgd(
    { X: stored(X), y: stored(y), n, d, k: yCols },
    { W: Float64Array.from(stored(w)), b: Float64Array.from(stored(b)) },
    reg,
    { lr, batch: p.batch, orders },
  );
  const got = await scoped(backend, async (keep) => {
    const Xt = keep(backend.upload(X, [n, d]));
    const yt = keep(backend.upload(y, [n, yCols]));
    const wt = keep(backend.upload(w, [d, L]));
    const bt = keep(backend.upload(b, [1, L]));
    const order = keep(backend.zeros([n, 1], "int32"));
    const program = linearSgd(backend, { X: Xt, y: yt, order, w: wt, b: bt, ...reg });
    try {
      for (const o of orders) {
        backend.write(order, o);
        for (let offset = 0; offset < n; offset += p.batch)
          program.step(offset, Math.min(p.batch, n - offset), lr);
      }
    } finally {
      program.dispose();
    }
    return { w: await backend.read(wt), b: await backend.read(bt) };
  });
  const steps = p.epochs * Math.ceil(n / p.batch);
  compareTrajectories(
    meter,
    precision,
    { n, d, L, X, y, yCols, w, b },
    { steps, lr, lambdaMax: 2 * lambdaMax },
    got,
    { w: expected.W, b: expected.b },
    undefined,
    where,
  );
}

export const sizeLinearSgd = defineProperty({
  id: "size-linear-sgd",
  name: "minibatch SGD (fused where the backend has it) at the size tiers — wide and tall, λ grids up to 64 columns in primal and dual form, multi-output targets, partial last batches, L1 — equals the float64 host oracle",
  source: "fused linearSgd, LinearSgdSpec; size tiers",
  cost: 4,
  arbitrary: tierProblem,
  async check({ backend }, p: TierProblem, meter) {
    await checkSgdAgainstOracle(backend, meter, p);
  },
});

/** Widths on both sides of the lane blocks a kernel may work in (4, 8, 16 and 32). */
const BLOCK_WIDTHS = [1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 32, 33];

/** The batch sizes swept, on an epoch of 12 rows (so several also end on a partial batch). */
const SWEPT_BATCHES = 10;

export const sizeLinearSgdBatches = defineProperty({
  id: "size-linear-sgd-batches",
  name: `minibatch SGD at every batch size from 1 to ${SWEPT_BATCHES} on 12 rows, at widths on both sides of 4-, 8-, 16- and 32-lane blocks, equals the float64 host oracle`,
  source: "fused linearSgd, LinearSgdSpec; a kernel's own path per batch size",
  cost: 2,
  // Each run sweeps every batch size: a kernel that takes small batches its own way (a branch per
  // row, a block of four) is wrong for one size only, which a drawn size would rarely meet.
  arbitrary: fc.record({
    d: fc.constantFrom(...BLOCK_WIDTHS),
    L: fc.constantFrom(1, 3),
    l1: fc.boolean(),
    seed: fc.nat(),
  }),
  async check({ backend }, { d, L, l1, seed }, meter) {
    for (let batch = 1; batch <= SWEPT_BATCHES; batch++) {
      const p = { n: 12, d, L, yCols: 1, batch, epochs: 1, l1, seed };
      await checkSgdAgainstOracle(backend, meter, p, `batch ${batch}`);
    }
  },
});

export const sizeLinearLoss = defineProperty({
  id: "size-linear-loss",
  name: "the loss (fused where the backend has it) at the size tiers, per column of a λ grid or of multi-output targets, equals the float64 host oracle",
  source: "fused linearLoss; size tiers",
  cost: 2,
  arbitrary: fc
    .record({
      // Half the draws past one workgroup of rows (255 and up), where a loss is split across
      // them (drawn, not filtered: a filter would mostly reject them and skew the draws).
      n: fc.oneof(tier(1025), tier(1025, [255, 256, 257, 1023, 1024, 1025])),
      d: tier(1025),
      L: tier(64, COLUMN_TIERS),
      multiOutput: fc.boolean(),
      seed: fc.nat(),
    })
    .filter(({ n, d, L }) => n * d * L <= 2 ** 18),
  async check({ backend }, { n, d, L, multiOutput, seed }, meter) {
    const yCols = multiOutput ? L : 1;
    const precision = backend.precision;
    const X = storedArray(seededValues(seed, n * d), precision);
    const y = storedArray(seededValues(seed + 1, n * yCols), precision);
    const W = storedArray(seededValues(seed + 2, d * L), precision);
    const b = storedArray(seededValues(seed + 3, L), precision);
    const expected = oracleLoss({ X, y, n, d, k: yCols }, { W, b });
    const got = await scoped(backend, async (keep) =>
      backend.read(
        keep(
          linearLoss(
            backend,
            keep(backend.upload(X, [n, d])),
            keep(backend.upload(y, [n, yCols])),
            keep(backend.upload(W, [d, L])),
            keep(backend.upload(b, [1, L])),
          ),
        ),
      ),
    );
    meter.holds(got.length === L, `${got.length} losses for ${L} columns`);
    // Each residual rᵢ sums d products and two more terms, with magnitudes Aᵢ: off by γ_{d+2}·Aᵢ,
    // so ½rᵢ² by about 2γ_{d+2}·½Aᵢ²; the mean then adds n roundings of the running sum:
    // γ_{n}·Σ½rᵢ². Both over n (SAFETY as in sumTolerance), from this draw's own magnitudes —
    // the worst case (d + 2)² for every row would allow more than the loss itself at these sizes.
    const u = (m: number) => gamma(precision, m);
    for (let l = 0; l < L; l++) {
      let squares = 0;
      let residuals = 0;
      for (let i = 0; i < n; i++) {
        let A = Math.abs(b[l] as number) + Math.abs(y[i * yCols + (yCols === 1 ? 0 : l)] as number);
        let r = (b[l] as number) - (y[i * yCols + (yCols === 1 ? 0 : l)] as number);
        for (let j = 0; j < d; j++) {
          const t = (X[i * d + j] as number) * (W[j * L + l] as number);
          A += Math.abs(t);
          r += t;
        }
        squares += 0.5 * A * A;
        residuals += 0.5 * r * r;
      }
      const tol =
        (SAFETY * (2 * u(d + 3) * squares + u(n + 1) * residuals)) / n +
        sumTolerance(precision, 1, expected[l] as number);
      meter.value(got[l] as number, expected[l] as number, tol, `${n}×${d}, column ${l} of ${L}`);
    }
  },
});

export const SIZE_PROPERTIES = [
  sizeElementwise,
  sizeSum,
  sizeMatmul,
  sizeGather,
  sizeLinearSgd,
  sizeLinearSgdBatches,
  sizeLinearLoss,
  sizeDeclared,
];
