/**
 * The Backend contract beyond arithmetic: what core's backend.ts (the TSDoc of `Backend` and of
 * `LinearSgdProgram`) and the README's contract promise about rejected row indices, the copies
 * made between host and backend, int32 tensors, and the order of work a backend queues.
 *
 * Nothing here is computed but data movement, so almost every comparison is exact (tolerance 0,
 * the policy's "exact comparisons where nothing is computed"); the few that compare a computed
 * value say where their tolerance comes from.
 */
import {
  type Backend,
  composeLinearSgd,
  type LinearSgdSpec,
  linearLoss,
  linearSgd,
  type Shape,
  type Tensor,
} from "@wdecay/core";
import fc from "fast-check";
import {
  dim,
  type LinearProblem,
  lambda as lambdaArb,
  linearProblem,
  matrix,
  shape,
  unitValues,
} from "../arbitraries.js";
import { type OracleParams, type OracleRegularization, oracleSgdStep } from "../oracle/index.js";
import { defineProperty } from "../property.js";
import { type Keep, scoped, stored } from "../scope.js";
import { type Meter, sumTolerance, trajectoryTolerance } from "../tolerance.js";
import { maxAbs, stableLr, stepScale } from "./linear.js";

/** Records `got` = `expected` element by element, exactly (nothing was computed). */
function same(
  meter: Meter,
  got: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
): void {
  meter.holds(
    got.length === expected.length,
    `${what}: ${got.length} values, expected ${expected.length}`,
  );
  for (let i = 0; i < expected.length; i++) {
    meter.value(got[i] as number, expected[i] as number, 0, `${what} [${i}]`);
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** A permutation of 0 .. n − 1. */
const permutation = (n: number) => fc.shuffledSubarray(range(n), { minLength: n, maxLength: n });

/** `count` int32 values: any, past float32's exact integers (|v| > 2²⁴), the extremes, small. */
function int32s(count: number): fc.Arbitrary<number[]> {
  const value = fc.oneof(
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    fc.integer({ min: 2 ** 24 + 1, max: 2 ** 31 - 1 }).chain((v) => fc.constantFrom(v, -v)),
    fc.constantFrom(2 ** 31 - 1, -(2 ** 31), 2 ** 24 + 1, -(2 ** 24 + 1)),
    fc.integer({ min: -1000, max: 1000 }),
  );
  return fc.array(value, { minLength: count, maxLength: count });
}

/** A window `offset .. offset + count` inside `length` entries. */
function window(length: number): fc.Arbitrary<{ offset: number; count: number }> {
  return fc.integer({ min: 0, max: length - 1 }).chain((offset) =>
    fc.record({
      offset: fc.constant(offset),
      count: fc.integer({ min: 1, max: length - offset }),
    }),
  );
}

/** How a caught value reads in a failure message. */
function describeThrown(thrown: unknown): string {
  if (thrown === undefined) return "did not throw";
  return thrown instanceof Error
    ? `threw ${thrown.constructor.name}: ${thrown.message}`
    : `threw ${String(thrown)}`;
}

/**
 * Compares w and b after `steps` SGD steps with the float64 oracle's: the policy's trajectory
 * bound (tolerance.ts `trajectoryTolerance`, at linear.ts `stepScale`), held once, as against
 * any exact float64 truth (the oracle runs on the stored inputs).
 */
function compareWithOracle(
  meter: Meter,
  backend: Backend,
  p: LinearProblem,
  run: { steps: number; lr: number; lambdaMax: number },
  got: { w: Float64Array; b: Float64Array },
  oracle: OracleParams,
  what: string,
): void {
  const wMax = Math.max(maxAbs(p.w), maxAbs(oracle.W));
  const bMax = Math.max(maxAbs(p.b), maxAbs(oracle.b));
  const tol = trajectoryTolerance(
    backend.precision,
    run.steps,
    p.n + p.d + 4,
    stepScale(p, wMax, bMax, run.lr, run.lambdaMax),
  );
  oracle.W.forEach((v, i) => meter.value(got.w[i] as number, v, tol, `${what}: w[${i}]`));
  oracle.b.forEach((v, i) => meter.value(got.b[i] as number, v, tol, `${what}: b[${i}]`));
}

// ---------------------------------------------------------------------------------------------
// api-bad-row

/** The cases every run of api-bad-row checks, each through the fused program and core's. */
const BAD_ROW_CASES = [
  { what: "one column", multi: false, grid: false, index: "bad" },
  { what: "λ grid, shared y", multi: false, grid: true, index: "bad" },
  { what: "multi-output y, index in [n, n·L)", multi: true, grid: true, index: "multiBad" },
  { what: "multi-output y", multi: true, grid: true, index: "bad" },
] as const;

/**
 * A program checks the row indices of each step before it changes anything: an index outside
 * [0, n), n the rows of X (not the n·L values of a multi-output y), makes that step throw a
 * RangeError and leaves w and b bit for bit as the earlier steps left them (LinearSgdProgram.step
 * in core's backend.ts). Every backend checks rows on the host today; the bad index sits in a
 * batch after the first, so a check that reads the wrong batch, or only the first, shows. The
 * steps before it are compared with the float64 oracle, so that "as they were" is a real state.
 */
export const badRow = defineProperty({
  id: "api-bad-row",
  name: "an order index outside [0, n) in a later batch throws a RangeError at that step; w and b are left as they were",
  source: "LinearSgdProgram.step, fused and composed",
  arbitrary: fc
    .record({
      n: fc.integer({ min: 2, max: 8 }),
      d: dim(6),
      L: fc.integer({ min: 2, max: 3 }),
    })
    .chain(({ n, d, L }) =>
      fc.record({
        n: fc.constant(n),
        d: fc.constant(d),
        L: fc.constant(L),
        X: unitValues(n * d),
        // n×L: the multi-output cases use all of it, the shared-target ones its first column.
        y: unitValues(n * L),
        w: unitValues(d * L, 2),
        b: unitValues(L),
        penalty: fc.array(lambdaArb(), { minLength: L, maxLength: L }),
        decay: fc.array(lambdaArb(), { minLength: L, maxLength: L }),
        biasDecay: fc.array(lambdaArb(1), { minLength: L, maxLength: L }),
        l1: fc.option(fc.array(lambdaArb(), { minLength: L, maxLength: L }), { nil: undefined }),
        // Batches of 1 .. n − 1 rows, so that there is a batch after the first.
        batch: fc.integer({ min: 1, max: n - 1 }),
        order: permutation(n),
        // Out of range for X: n itself, past it up to int32's largest, −1, any negative.
        bad: fc.oneof(
          fc.constant(n),
          fc.integer({ min: n, max: 2 ** 31 - 1 }),
          fc.constant(-1),
          fc.integer({ min: -(2 ** 31), max: -1 }),
        ),
        // Out of range for X but not for the n·L values of a multi-output y.
        multiBad: fc.integer({ min: n, max: n * L - 1 }),
      }),
    )
    .chain((r) =>
      fc.record({
        r: fc.constant(r),
        // The bad index's position: in a batch after the first (its offset is > 0).
        position: fc.integer({ min: r.batch, max: r.n - 1 }),
      }),
    ),
  async check({ backend }, { r, position }, meter) {
    const { n, d, L, batch } = r;
    const first = Math.floor(position / batch) * batch;
    for (const c of BAD_ROW_CASES) {
      const cols = c.grid ? L : 1;
      const yCols = c.multi ? L : 1;
      const pick = <T>(xs: readonly T[]) => xs.slice(0, cols);
      const p: LinearProblem = {
        n,
        d,
        L: cols,
        X: r.X,
        y: c.multi ? r.y : range(n).map((i) => r.y[i * L] as number),
        yCols,
        w: c.grid ? r.w : range(d).map((j) => r.w[j * L] as number),
        b: pick(r.b),
      };
      const reg: OracleRegularization = {
        weightPenalty: pick(r.penalty),
        weightDecay: pick(r.decay),
        biasDecay: pick(r.biasDecay),
        ...(r.l1 ? { weightL1: pick(r.l1) } : {}),
      };
      const lambdaMax = Math.max(
        ...reg.weightPenalty,
        ...reg.weightDecay,
        ...reg.biasDecay,
        ...(reg.weightL1 ?? []),
      );
      const lr = stableLr(p, 2 * lambdaMax);
      const bad = r[c.index];
      const order = [...r.order];
      order[position] = bad;
      for (const composed of [false, true]) {
        const what = `${c.what}, ${composed ? "composeLinearSgd" : "linearSgd"}: order[${position}] = ${bad}, n = ${n}, batches of ${batch}`;
        await scoped(backend, async (keep) => {
          const spec: LinearSgdSpec = {
            X: keep(backend.upload(p.X, [n, d])),
            y: keep(backend.upload(p.y, [n, yCols])),
            order: keep(backend.upload(order, [n, 1], "int32")),
            w: keep(backend.upload(p.w, [d, cols])),
            b: keep(backend.upload(p.b, [1, cols])),
            ...reg,
          };
          const oracle: OracleParams = {
            W: Float64Array.from(stored(p.w, backend.precision)),
            b: Float64Array.from(stored(p.b, backend.precision)),
          };
          const data = {
            X: stored(p.X, backend.precision),
            y: stored(p.y, backend.precision),
            n,
            d,
            k: yCols,
          };
          const program = composed ? composeLinearSgd(backend, spec) : linearSgd(backend, spec);
          try {
            // The batches before the bad one are in range and train as usual.
            for (let offset = 0; offset < first; offset += batch) {
              program.step(offset, batch, lr);
              oracleSgdStep(data, oracle, reg, order.slice(offset, offset + batch), lr);
            }
            const before = { w: await backend.read(spec.w), b: await backend.read(spec.b) };
            compareWithOracle(
              meter,
              backend,
              p,
              { steps: first / batch, lr, lambdaMax },
              before,
              oracle,
              `${what}, before the bad batch`,
            );
            let thrown: unknown;
            try {
              program.step(first, Math.min(batch, n - first), lr);
            } catch (error) {
              thrown = error;
            }
            meter.holds(
              thrown instanceof RangeError,
              `${what}: the step at offset ${first} must throw a RangeError, it ${describeThrown(thrown)}`,
            );
            // Exactly as they were: the rejected step changed nothing.
            same(meter, await backend.read(spec.w), before.w, `${what}: w after the rejected step`);
            same(meter, await backend.read(spec.b), before.b, `${what}: b after the rejected step`);
          } finally {
            program.dispose();
          }
        });
      }
    }
  },
});

// ---------------------------------------------------------------------------------------------
// api-read-copies

/**
 * `read` resolves with a new array the caller owns: editing it changes neither the tensor nor
 * another read's array, and a later write, assign or SGD step changes the tensor, never an array
 * read before it (the README's contract: `read` is the only way data leaves the backend).
 */
export const readCopies = defineProperty({
  id: "api-read-copies",
  name: "the array read resolves with is the caller's: editing it, or a later write, assign or SGD step, changes nothing else",
  source: "Backend.read",
  arbitrary: linearProblem({ maxL: 2, targets: "any" }).chain((p) =>
    fc.record({
      p: fc.constant(p),
      ys: matrix([p.d, p.L]),
      zs: matrix([p.d, p.L]),
      order: permutation(p.n),
      count: fc.integer({ min: 1, max: p.n }),
      ints: int32s(p.n),
    }),
  ),
  async check({ backend }, { p, ys, zs, order, count, ints }, meter) {
    const precision = backend.precision;
    const sw: Shape = [p.d, p.L];
    const w0 = stored(p.w, precision);
    const b0 = stored(p.b, precision);
    await scoped(backend, async (keep) => {
      const w = keep(backend.upload(p.w, sw));
      const b = keep(backend.upload(p.b, [1, p.L]));

      // Editing a resolved array leaves the tensor, and another read's array, as they were.
      const first = await backend.read(w);
      same(meter, first, w0, "first read");
      first.fill(Number.NaN);
      same(meter, await backend.read(w), w0, "read after editing the first read's array");
      const [one, two] = await Promise.all([backend.read(w), backend.read(w)]);
      one.fill(Number.NaN);
      same(meter, two, w0, "a read issued together with one whose array was edited");

      // A later write, assign or SGD step changes the tensor, never an array read before.
      const beforeWrite = await backend.read(w);
      backend.write(w, ys);
      same(meter, beforeWrite, w0, "array read before a write");
      same(meter, await backend.read(w), stored(ys, precision), "read after the write");

      const beforeAssign = await backend.read(w);
      backend.assign(w, keep(backend.upload(zs, sw)));
      same(meter, beforeAssign, stored(ys, precision), "array read before an assign");
      same(meter, await backend.read(w), stored(zs, precision), "read after the assign");

      backend.write(w, p.w);
      const beforeStep = { w: await backend.read(w), b: await backend.read(b) };
      const k = p.yCols ?? 1;
      const zero = Array.from({ length: p.L }, () => 0);
      const reg = { weightPenalty: zero, weightDecay: zero, biasDecay: zero };
      const lr = stableLr(p, 0);
      const program = linearSgd(backend, {
        X: keep(backend.upload(p.X, [p.n, p.d])),
        y: keep(backend.upload(p.y, [p.n, k])),
        order: keep(backend.upload(order, [p.n, 1], "int32")),
        w,
        b,
        ...reg,
      });
      try {
        program.step(0, count, lr);
      } finally {
        program.dispose();
      }
      const afterStep = { w: await backend.read(w), b: await backend.read(b) };
      same(meter, beforeStep.w, w0, "w read before an SGD step");
      same(meter, beforeStep.b, b0, "b read before an SGD step");
      // The step did update the tensors (so the arrays above had something to change with).
      const oracle = { W: Float64Array.from(w0), b: Float64Array.from(b0) };
      const data = {
        X: stored(p.X, precision),
        y: stored(p.y, precision),
        n: p.n,
        d: p.d,
        k,
      };
      oracleSgdStep(data, oracle, reg, order.slice(0, count), lr);
      compareWithOracle(
        meter,
        backend,
        p,
        { steps: 1, lr, lambdaMax: 0 },
        afterStep,
        oracle,
        "the SGD step",
      );

      // The same for an int32 tensor.
      const idx = keep(backend.upload(ints, [p.n, 1], "int32"));
      const firstInts = await backend.read(idx);
      firstInts.fill(Number.NaN);
      same(
        meter,
        await backend.read(idx),
        ints,
        "int32 read after editing an earlier read's array",
      );
      const beforeIntWrite = await backend.read(idx);
      const flipped = ints.map((v) => ~v);
      backend.write(idx, flipped);
      same(meter, beforeIntWrite, ints, "int32 array read before a write");
      same(meter, await backend.read(idx), flipped, "int32 read after the write");
    });
  },
});

// ---------------------------------------------------------------------------------------------
// api-upload-copies

/** The kinds of host array uploaded and written. */
const KINDS = ["f64", "f32", "plain", "view"] as const;

/**
 * `upload` and `write` copy their host data ("Copies host data", core's backend.ts), whatever
 * kind of array it is: editing the array afterwards changes no tensor, and two uploads of one
 * array are two tensors. What is stored is the array's values rounded to the declared precision
 * (exact data movement, README): a float32 backend rounds a Float64Array or a plain array, and
 * holds a Float32Array's values as they are.
 */
export const uploadCopies = defineProperty({
  id: "api-upload-copies",
  name: "upload and write copy the host array (Float64Array, Float32Array, plain, a view), rounded to the declared precision",
  source: "Backend.upload, Backend.write",
  arbitrary: shape().chain((s) =>
    fc.record({
      s: fc.constant(s),
      xs: matrix(s),
      ys: matrix(s),
      ints: int32s(s[0] * s[1]),
    }),
  ),
  async check({ backend }, { s, xs, ys, ints }, meter) {
    const precision = backend.precision;
    const size = s[0] * s[1];
    // What each host array holds, and so what the tensor must: the array's values rounded to the
    // declared precision (a Float32Array's are already float32, exact in either precision).
    const asStored = (values: ArrayLike<number>) => stored(Array.from(values), precision);
    // One host array of each kind holding `values`: Float64Array, Float32Array, a plain array,
    // and a Float64Array view into the middle of a larger buffer.
    const hosts = (values: readonly number[]) => {
      const view = new Float64Array(size + 2).subarray(1, size + 1);
      view.set(values);
      return {
        f64: Float64Array.from(values),
        f32: Float32Array.from(values),
        plain: [...values],
        view,
      };
    };
    const edit = (h: ReturnType<typeof hosts>) => {
      for (const kind of KINDS) h[kind].fill(Number.NaN);
    };
    const expect = (h: ReturnType<typeof hosts>) => ({
      f64: asStored(h.f64),
      f32: asStored(h.f32),
      plain: asStored(h.plain),
      view: asStored(h.view),
    });
    await scoped(backend, async (keep) => {
      const h = hosts(xs);
      const expected = expect(h);
      const t = {
        f64: keep(backend.upload(h.f64, s)),
        f32: keep(backend.upload(h.f32, s)),
        plain: keep(backend.upload(h.plain, s)),
        view: keep(backend.upload(h.view, s)),
      };
      // A second upload of the same Float64Array.
      const twin = keep(backend.upload(h.f64, s));
      const hostInts = Int32Array.from(ints);
      const idx = keep(backend.upload(hostInts, s, "int32"));
      for (const kind of KINDS) same(meter, await backend.read(t[kind]), expected[kind], kind);
      same(meter, await backend.read(twin), expected.f64, "second upload of the Float64Array");
      same(meter, await backend.read(idx), ints, "Int32Array upload");

      // Editing the host arrays afterwards changes no tensor.
      edit(h);
      hostInts.fill(0).set(ints.map((v) => ~v));
      for (const kind of KINDS) {
        same(meter, await backend.read(t[kind]), expected[kind], `${kind} after editing the host`);
      }
      same(meter, await backend.read(twin), expected.f64, "second upload after editing the host");
      same(meter, await backend.read(idx), ints, "Int32Array upload after editing the host");

      // write copies too; the twin upload is a tensor of its own.
      const w = hosts(ys);
      const written = expect(w);
      for (const kind of KINDS) backend.write(t[kind], w[kind]);
      const writtenInts = Int32Array.from(ints.map((v) => ~v));
      backend.write(idx, writtenInts);
      edit(w);
      writtenInts.fill(0);
      for (const kind of KINDS) {
        same(meter, await backend.read(t[kind]), written[kind], `write from ${kind}, host edited`);
      }
      same(
        meter,
        await backend.read(twin),
        expected.f64,
        "second upload after a write to the first",
      );
      same(
        meter,
        await backend.read(idx),
        ints.map((v) => ~v),
        "write from an Int32Array",
      );
    });
  },
});

// ---------------------------------------------------------------------------------------------
// api-int32

/**
 * int32 tensors hold indices exactly (README), through a gather too: rows gathered from an int32
 * tensor form an int32 tensor with the same values, past 2²⁴ (where float32 stops holding
 * integers exactly) up to 2³¹ − 1 and down to −2³¹, and gathered indices index another gather.
 */
export const int32Gather = defineProperty({
  id: "api-int32",
  name: "gatherRows of an int32 tensor is int32 with the exact values (past 2²⁴), usable as the indices of another gatherRows",
  source: "primitive gatherRows, int32 tensors",
  arbitrary: fc
    .record({ s: shape(), k: dim(12), sa: shape(), m: dim(12), j: dim(12) })
    .chain(({ s, k, sa, m, j }) =>
      fc.record({
        s: fc.constant(s),
        values: int32s(s[0] * s[1]),
        indices: fc.array(fc.integer({ min: 0, max: s[0] - 1 }), { minLength: k, maxLength: k }),
        win: window(k),
        sa: fc.constant(sa),
        a: matrix(sa),
        // Row indices into a (m of them), and the rows of those to gather (j of them).
        rows: fc.array(fc.integer({ min: 0, max: sa[0] - 1 }), { minLength: m, maxLength: m }),
        pick: fc.array(fc.integer({ min: 0, max: m - 1 }), { minLength: j, maxLength: j }),
        win2: window(j),
      }),
    ),
  async check({ backend }, { s, values, indices, win, sa, a, rows, pick, win2 }, meter) {
    await scoped(backend, async (keep) => {
      const V = keep(backend.upload(values, s, "int32"));
      const I = keep(backend.upload(indices, [indices.length, 1], "int32"));
      const G = keep(backend.gatherRows(V, I, win.offset, win.count));
      meter.holds(G.dtype === "int32", `gathered rows of an int32 tensor are ${G.dtype}`);
      meter.holds(G.shape[0] === win.count && G.shape[1] === s[1], "gathered shape");
      const expected: number[] = [];
      for (let t = 0; t < win.count; t++) {
        const row = indices[win.offset + t] as number;
        expected.push(...values.slice(row * s[1], row * s[1] + s[1]));
      }
      same(meter, await backend.read(G), expected, "int32 rows");

      // Gathered indices index another gather.
      const A = keep(backend.upload(a, sa));
      const R = keep(backend.upload(rows, [rows.length, 1], "int32"));
      const P = keep(backend.upload(pick, [pick.length, 1], "int32"));
      const G2 = keep(backend.gatherRows(R, P, win2.offset, win2.count));
      meter.holds(G2.dtype === "int32", `gathered indices are ${G2.dtype}`);
      const chosen = pick
        .slice(win2.offset, win2.offset + win2.count)
        .map((i) => rows[i] as number);
      same(meter, await backend.read(G2), chosen, "gathered indices");
      const H = keep(backend.gatherRows(A, G2, 0, win2.count));
      const src = stored(a, backend.precision);
      const rowsOfA = chosen.flatMap((row) => src.slice(row * sa[1], row * sa[1] + sa[1]));
      same(meter, await backend.read(H), rowsOfA, "rows gathered by gathered indices");
    });
  },
});

// ---------------------------------------------------------------------------------------------
// api-pending-work

/**
 * A backend that queues work (WebGPU encodes ops and submits them later, while `write` and
 * `upload` reach the device at once) must still act in the order of the calls: a read issued
 * before a write resolves with the values before it; an op's input disposed, or rewritten, before
 * the op's result is read does not change that result, even when an upload of the same shape
 * reuses the storage; a write right after `zeros` keeps the written values. A backend that runs
 * each call at once passes trivially.
 */
export const pendingWork = defineProperty({
  id: "api-pending-work",
  name: "read, write, dispose and zeros take effect in the order they are called, whatever work is still queued",
  source: "Backend read, write, dispose, zeros (queued work)",
  arbitrary: shape().chain((s) =>
    fc.record({ s: fc.constant(s), a: matrix(s), ints: int32s(s[0] * s[1]) }),
  ),
  async check({ backend }, { s, a, ints }, meter) {
    const precision = backend.precision;
    // Values that differ from a's by 1 + |a| ≥ 1 everywhere, far outside any tolerance below: a
    // value taken from the wrong side of a write shows.
    const other = a.map((v) => v + 1 + Math.abs(v));
    const flipped = ints.map((v) => ~v);
    const before = stored(a, precision);
    const after = stored(other, precision);
    await scoped(backend, async (keep) => {
      // A read issued before a write resolves with the values before it.
      const t = keep(backend.upload(a, s));
      const pending = backend.read(t);
      backend.write(t, other);
      same(meter, await pending, before, "read issued before a write");
      same(meter, await backend.read(t), after, "read after the write");
      const I = keep(backend.upload(ints, s, "int32"));
      const pendingInts = backend.read(I);
      backend.write(I, flipped);
      same(meter, await pendingInts, ints, "int32 read issued before a write");
      same(meter, await backend.read(I), flipped, "int32 read after the write");

      // An op's input disposed (and its storage reusable) before the op's result is read; then
      // an upload of the same shape, which may take that storage.
      const x = keep(backend.upload(a, s));
      const y = keep(backend.unary("neg", x));
      backend.dispose(x);
      const x2 = keep(backend.upload(other, s));
      // neg rounds once at most: the tolerance op-unary holds it to (tolerance.ts sumTolerance).
      const negationOf = (got: Float64Array, what: string) =>
        before.forEach((v, i) =>
          meter.value(
            got[i] as number,
            -v,
            sumTolerance(precision, 1, Math.abs(v)),
            `${what} [${i}]`,
          ),
        );
      negationOf(await backend.read(y), "neg of an input disposed before the read");
      same(meter, await backend.read(x2), after, "the upload after the dispose");

      // A write to an op's input before the op's result is read.
      const u = keep(backend.upload(a, s));
      const v = keep(backend.unary("neg", u));
      backend.write(u, other);
      negationOf(await backend.read(v), "neg of an input rewritten before the read");

      // zeros, then a write at once: the written values stay.
      const z = keep(backend.zeros(s));
      backend.write(z, a);
      same(meter, await backend.read(z), before, "write right after zeros");
      const zi = keep(backend.zeros(s, "int32"));
      backend.write(zi, ints);
      same(meter, await backend.read(zi), ints, "int32 write right after zeros");
    });
  },
});

/**
 * The misuses a backend must reject with an error at the call, never with a wrong result or a
 * later crash (the `Backend` TSDoc): each is a thunk that must throw, on fresh tensors.
 */
function misuses(backend: Backend, reference: Backend, p: { r: number; c: number }) {
  const { r, c } = p;
  const values = (n: number) => Array.from({ length: n }, (_, i) => (i % 7) - 3);
  const fresh = (shape: Shape) => backend.upload(values(shape[0] * shape[1]), shape);
  const ints = (n: number) =>
    backend.upload(
      Array.from({ length: n }, (_, i) => i % n),
      [n, 1],
      "int32",
    );
  /** A linearSgd spec on fresh tensors kept for the scope: X r×d, L weight columns. */
  const specOf = (
    keep: Keep,
    d: number,
    L: number,
    more: Partial<LinearSgdSpec> = {},
  ): LinearSgdSpec => ({
    X: keep(fresh([r, d])),
    y: keep(fresh([r, 1])),
    order: keep(ints(r)),
    w: keep(fresh([d, L])),
    b: keep(fresh([1, L])),
    weightPenalty: Array(L).fill(0),
    weightDecay: Array(L).fill(0),
    biasDecay: Array(L).fill(0),
    ...more,
  });
  /** One step of a program on `spec`, which is disposed whatever the step did. */
  const stepOnce = (spec: LinearSgdSpec, offset: number, count: number) => {
    const program = linearSgd(backend, spec);
    return () => {
      try {
        program.step(offset, count, 0.1);
      } finally {
        program.dispose();
      }
    };
  };
  /** linearLoss on fresh tensors of these shapes. */
  const lossOn = (keep: Keep, ...shapes: [Shape, Shape, Shape, Shape]) => {
    const [X, y, w, b] = shapes.map((shape) => keep(fresh(shape))) as [
      Tensor,
      Tensor,
      Tensor,
      Tensor,
    ];
    return () => keep(linearLoss(backend, X, y, w, b));
  };
  /** Throws when each of the calls throws on its own (then runs `after`). */
  const eachThrows = (calls: readonly (() => unknown)[], after?: () => void) => () => {
    let threw = 0;
    try {
      for (const call of calls) {
        try {
          call();
        } catch {
          threw += 1;
        }
      }
    } finally {
      after?.();
    }
    if (threw === calls.length) throw new Error("each call threw");
  };
  return {
    "an op on a disposed tensor": (_keep: Keep) => {
      const a = fresh([r, c]);
      backend.dispose(a);
      return () => backend.unary("neg", a);
    },
    "a read of a disposed tensor": (_keep: Keep) => {
      const a = fresh([r, c]);
      backend.dispose(a);
      return () => backend.read(a);
    },
    "a write to a disposed tensor": (_keep: Keep) => {
      const a = fresh([r, c]);
      backend.dispose(a);
      return () => backend.write(a, values(r * c));
    },
    // The reference is another backend, unless a caller checks the reference itself.
    ...(reference === backend
      ? {}
      : {
          "an op on another backend's tensor": (_keep: Keep) => {
            const foreign = reference.upload(values(r * c), [r, c]);
            return () => {
              try {
                return backend.unary("neg", foreign);
              } finally {
                reference.dispose(foreign);
              }
            };
          },
        }),
    "matmul with inner dimensions that differ": (keep: Keep) => {
      const a = keep(fresh([r, c]));
      const b = keep(fresh([c + 1, r]));
      return () => backend.matmul(a, b);
    },
    "binary with a shape that does not broadcast": (keep: Keep) => {
      const a = keep(fresh([r, c]));
      const b = keep(fresh([r + 1, c + 1]));
      return () => backend.binary("add", a, b);
    },
    "axpby of two shapes": (keep: Keep) => {
      const a = keep(fresh([r, c]));
      const b = keep(fresh([r, c + 1]));
      return () => backend.axpby(1, a, 1, b);
    },
    "softThreshold with t < 0": (keep: Keep) => {
      const a = keep(fresh([r, c]));
      return () => backend.softThreshold(a, -1);
    },
    "sum over an axis that does not exist": (keep: Keep) => {
      const a = keep(fresh([r, c]));
      return () => backend.sum(a, 2 as 0);
    },
    "assign between two shapes": (keep: Keep) => {
      const a = keep(fresh([r, c]));
      const b = keep(fresh([r + 1, c]));
      return () => backend.assign(a, b);
    },
    "a write of the wrong length": (keep: Keep) => {
      const a = keep(fresh([r, c]));
      return () => backend.write(a, values(r * c + 1));
    },
    "an upload of the wrong length": () => () => backend.upload(values(r * c + 1), [r, c]),
    "an upload of a shape with a zero or a fraction": () => () => backend.upload([], [0, c]),
    "gatherRows with float indices": (keep: Keep) => {
      const a = keep(fresh([r, c]));
      // Valid row numbers, so that only their dtype is wrong.
      const idx = keep(
        backend.upload(
          Array.from({ length: r }, (_, i) => i),
          [r, 1],
        ),
      );
      return () => backend.gatherRows(a, idx, 0, 1);
    },
    "gatherRows past the end of the indices": (keep: Keep) => {
      const a = keep(fresh([r, c]));
      const idx = keep(ints(r));
      return () => backend.gatherRows(a, idx, r, 1);
    },
    "linearSgd with targets of another row count": (keep: Keep) => {
      const spec = { ...specOf(keep, c, 1), y: keep(fresh([r + 1, 1])) };
      return () => linearSgd(backend, spec).dispose();
    },
    "linearSgd with weights of another feature count": (keep: Keep) => {
      const spec = { ...specOf(keep, c, 2), w: keep(fresh([c + 1, 2])) };
      return () => linearSgd(backend, spec).dispose();
    },
    "a step of a disposed program": (keep: Keep) => {
      const program = linearSgd(backend, specOf(keep, c, 1));
      program.dispose();
      return () => program.step(0, 1, 0.1);
    },
    "a step of a disposed program with an L1 penalty, one column or a grid": (keep: Keep) => {
      const programs = [1, 2].map((L) =>
        linearSgd(backend, specOf(keep, c, L, { weightL1: Array(L).fill(0.1) })),
      );
      for (const program of programs) program.dispose();
      return eachThrows(programs.map((program) => () => program.step(0, 1, 0.1)));
    },
    "a step of a disposed grid program (few rows, many features: the dual form)": (keep: Keep) => {
      const program = linearSgd(backend, specOf(keep, 2 * r + c, 2, { weightPenalty: [0.1, 0.2] }));
      program.step(0, 1, 0.01);
      program.dispose();
      return () => program.step(0, 1, 0.01);
    },
    "a step past the end of the order": (keep: Keep) => stepOnce(specOf(keep, c, 1), r - 1, 2),
    "a step at a negative offset": (keep: Keep) => stepOnce(specOf(keep, c, 1), -1, 1),
    "a step of no rows": (keep: Keep) => stepOnce(specOf(keep, c, 1), 0, 0),
    "a step after its features were disposed": (keep: Keep) => {
      const spec = { ...specOf(keep, c, 1), X: fresh([r, c]) };
      const step = stepOnce(spec, 0, 1);
      backend.dispose(spec.X);
      return step;
    },
    // Fused kernels take float operands (the compositions run on whatever the ops accept).
    ...(backend.fused.linearSgd
      ? {
          "the fused SGD program given int32 features": (keep: Keep) => {
            const X = keep(backend.upload(values(r * c), [r, c], "int32"));
            const spec = { ...specOf(keep, c, 1), X };
            return () => linearSgd(backend, spec).dispose();
          },
        }
      : {}),
    ...(backend.fused.linearLoss && backend.fused.linearSgd
      ? {
          "the fused loss given int32 targets": (keep: Keep) => {
            const { X, w, b } = specOf(keep, c, 1);
            const y = keep(ints(r));
            return () => keep(linearLoss(backend, X, y, w, b));
          },
          // A grid program mid-training may hold w in another form and answer the loss from it:
          // int32 features, targets or bias must still be refused, each on its own.
          "the fused loss of a grid program's weights, mid-training, given an int32 operand": (
            keep: Keep,
          ) => {
            const d = 2 * r + c;
            const spec = specOf(keep, d, 2, { weightPenalty: [0.1, 0.2] });
            const { X, y, w, b } = spec;
            const program = linearSgd(backend, spec);
            program.step(0, 1, 0.01);
            const int32 = (shape: Shape) =>
              keep(backend.upload(values(shape[0] * shape[1]), shape, "int32"));
            return eachThrows(
              [
                () => keep(linearLoss(backend, int32([r, d]), y, w, b)),
                () => keep(linearLoss(backend, X, int32([r, 1]), w, b)),
                () => keep(linearLoss(backend, X, y, w, int32([1, 2]))),
              ],
              () => program.dispose(),
            );
          },
        }
      : {}),
    "linearLoss with weights of another feature count": (keep: Keep) =>
      lossOn(keep, [r, c], [r, 1], [c + 1, 1], [1, 1]),
    "linearLoss with targets of another row count": (keep: Keep) =>
      lossOn(keep, [r, c], [r + 1, 1], [c, 1], [1, 1]),
    "linearLoss with targets of a third width (neither 1 nor the weights')": (keep: Keep) =>
      lossOn(keep, [r, c], [r, 3], [c, 2], [1, 2]),
    "linearLoss with a bias of another width": (keep: Keep) =>
      lossOn(keep, [r, c], [r, 1], [c, 2], [1, 3]),
  } as const;
}

export const rejectsMisuse = defineProperty({
  id: "api-errors",
  name: "misuse is an error at the call: a disposed or foreign tensor, mismatched shapes, float indices, int32 operands of a fused kernel, t < 0, a bad axis, lengths, a disposed program, a step on a disposed operand, of no rows or outside the order",
  source: "Backend contract (TSDoc of Backend, LinearSgdProgram)",
  arbitrary: fc.record({ r: fc.integer({ min: 1, max: 5 }), c: fc.integer({ min: 1, max: 5 }) }),
  async check({ backend, reference }, p, meter) {
    for (const [what, make] of Object.entries(misuses(backend, reference, p))) {
      await scoped(backend, async (keep) => {
        const call = make(keep);
        let threw = false;
        try {
          const result: unknown = call();
          // An async op (read) may reject instead of throwing.
          if (result instanceof Promise) await result;
        } catch (error) {
          threw = error instanceof Error;
        }
        meter.holds(threw, `${what} (${p.r}×${p.c}) did not throw an Error`);
      });
    }
  },
});

export const destroyEnds = defineProperty({
  id: "api-destroy",
  name: "once destroyed, a backend throws on upload, zeros and an op on a tensor it made; a second destroy is harmless",
  source: "Backend contract (TSDoc of Backend.destroy)",
  // One run is the whole check (it starts an instance); deep runs repeat it a few times.
  cost: 25,
  requires: (_backend, { another }) =>
    another ? undefined : "the suite was given a started backend, not a factory to start another",
  arbitrary: fc.constant(null),
  async check({ another }, _input, meter) {
    const backend = await (another as () => Promise<Backend>)();
    let destroyed = false;
    try {
      const t = backend.upload([1, -2, 3], [1, 3]);
      backend.destroy();
      destroyed = true;
      const misuse: Record<string, () => unknown> = {
        upload: () => backend.upload([1], [1, 1]),
        zeros: () => backend.zeros([1, 1]),
        "an op on a tensor made before": () => backend.unary("neg", t),
      };
      for (const [what, call] of Object.entries(misuse)) {
        let threw = false;
        try {
          call();
        } catch (error) {
          threw = error instanceof Error;
        }
        meter.holds(threw, `${what} after destroy did not throw an Error`);
      }
      let again: unknown;
      try {
        backend.destroy();
      } catch (error) {
        again = error;
      }
      meter.holds(again === undefined, `a second destroy threw: ${String(again)}`);
    } finally {
      if (!destroyed) backend.destroy();
    }
  },
});

export const CONTRACT_PROPERTIES = [
  badRow,
  readCopies,
  uploadCopies,
  int32Gather,
  pendingWork,
  rejectsMisuse,
  destroyEnds,
];
