/**
 * Stateful, model-based properties (fast-check `commands`): random interleavings of writes,
 * assigns, SGD steps of one or two live programs, losses and reads on a backend, each checked
 * against a float64 host model after every command. They catch what single calls cannot: a cache
 * that outlives the data it was computed from (a Gram matrix, a packed operand, a cross product
 * with validation data), a program that misses another program's update of shared parameters, a
 * loss taken while a program holds parameters in another form, a write that overtakes queued
 * work. Sizes are drawn often where backends switch form: λ grids on few rows and many features
 * (the dual form, 2n ≤ d), multi-output targets, products past the size where a backend hands
 * them to a library.
 */
import {
  type Backend,
  type LinearSgdProgram,
  linearLoss,
  linearSgd,
  type Tensor,
} from "@wdecay/core";
import fc from "fast-check";
import {
  type OracleData,
  type OracleParams,
  type OracleRegularization,
  oracleLoss,
  oracleSgdStep,
} from "../oracle/index.js";
import { defineProperty } from "../property.js";
import { type Keep, scoped } from "../scope.js";
import { seededValues, uniform } from "../sizes.js";
import { compareProduct, type Meter, SAFETY, sumTolerance } from "../tolerance.js";

/** The host model of the training state: what every tensor holds, in float64. */
interface TrainingModel {
  readonly n: number;
  readonly m: number;
  readonly d: number;
  readonly L: number;
  readonly yCols: number;
  X: number[];
  Xv: number[];
  y: number[];
  yv: number[];
  order: number[];
  spare: number[];
  readonly params: OracleParams;
  readonly regs: readonly OracleRegularization[];
  readonly lr: number;
  /** A bound on how far the backend's W and b may be from the model's (carried rounding). */
  err: number;
  readonly precision: "float32" | "float64";
  readonly meter: Meter;
}

/** The backend side. */
interface TrainingReal {
  readonly backend: Backend;
  readonly X: Tensor;
  readonly Xv: Tensor;
  readonly y: Tensor;
  readonly yv: Tensor;
  readonly w: Tensor;
  readonly b: Tensor;
  readonly order: Tensor;
  readonly spare: Tensor;
  readonly programs: readonly LinearSgdProgram[];
}

type TrainingCommand = fc.AsyncCommand<TrainingModel, TrainingReal>;

function store(model: TrainingModel, values: ArrayLike<number>): number[] {
  return Array.from(values, (v) => (model.precision === "float32" ? Math.fround(v) : v));
}

function maxAbs(xs: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m = Math.max(m, Math.abs(xs[i] as number));
  return m;
}

/** A failed comparison stops the sequence: the commands after it would only repeat it. */
function stopOnFailure(model: TrainingModel): void {
  if (!model.meter.passed) throw new Error(model.meter.failure ?? "a comparison failed");
}

/** The residuals' magnitude bound A = d·max|x|·max|w| + max|b| + max|y|, on the training rows. */
function residualBound(model: TrainingModel, X: number[], y: number[]): number {
  return model.d * maxAbs(X) * maxAbs(model.params.W) + maxAbs(model.params.b) + maxAbs(y);
}

class Step implements TrainingCommand {
  constructor(
    readonly program: number,
    readonly offsetFraction: number,
    readonly countFraction: number,
  ) {}
  check = () => true;
  async run(model: TrainingModel, real: TrainingReal): Promise<void> {
    const program = this.program % real.programs.length;
    const offset = Math.floor(this.offsetFraction * model.n);
    const count = 1 + Math.floor(this.countFraction * (model.n - offset));
    real.programs[program]?.step(offset, count, model.lr);
    const reg = model.regs[program] as OracleRegularization;
    const data: OracleData = { X: model.X, y: model.y, n: model.n, d: model.d, k: model.yCols };
    // The step's sums (d products per residual, `count` per gradient entry) at its magnitudes;
    // the stable step carries earlier errors without amplifying them (SAFETY: see tolerance.ts).
    const A = residualBound(model, model.X, model.y);
    const lambda = Math.max(
      ...reg.weightPenalty,
      ...reg.weightDecay,
      ...reg.biasDecay,
      ...(reg.weightL1 ?? []),
    );
    const scale =
      maxAbs(model.params.W) +
      maxAbs(model.params.b) +
      model.lr * ((maxAbs(model.X) + 1) * A + lambda * maxAbs(model.params.W));
    oracleSgdStep(data, model.params, reg, model.order.slice(offset, offset + count), model.lr);
    model.err += SAFETY * sumTolerance(model.precision, model.d + count + 4, scale);
  }
  toString = () =>
    `step(program ${this.program}, at ${this.offsetFraction.toFixed(2)}, ${this.countFraction.toFixed(2)})`;
}

/** Writes new values into one of the tensors, in place. */
class Write implements TrainingCommand {
  constructor(
    readonly target: "X" | "Xv" | "w" | "order",
    readonly seed: number,
  ) {}
  check = () => true;
  async run(model: TrainingModel, real: TrainingReal): Promise<void> {
    if (this.target === "order") {
      const next = uniform(this.seed);
      const order = Array.from({ length: model.n }, (_, i) => i);
      for (let i = model.n - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [order[i], order[j]] = [order[j] as number, order[i] as number];
      }
      real.backend.write(real.order, order);
      model.order = order;
      return;
    }
    const size =
      this.target === "X"
        ? model.n * model.d
        : this.target === "Xv"
          ? model.m * model.d
          : model.d * model.L;
    const values = Array.from(seededValues(this.seed, size));
    if (this.target === "w") {
      real.backend.write(real.w, values);
      model.params.W.set(store(model, values));
      model.err = 0;
    } else {
      real.backend.write(this.target === "X" ? real.X : real.Xv, values);
      if (this.target === "X") model.X = store(model, values);
      else model.Xv = store(model, values);
    }
  }
  toString = () => `write(${this.target}, seed ${this.seed})`;
}

/** Copies the spare d×L tensor into w (a warm-start reset). */
class AssignW implements TrainingCommand {
  check = () => true;
  async run(model: TrainingModel, real: TrainingReal): Promise<void> {
    real.backend.assign(real.w, real.spare);
    model.params.W.set(model.spare);
    model.err = 0;
  }
  toString = () => "assign(w, spare)";
}

/** The loss on the training rows or the validation rows, compared with the model's. */
class Loss implements TrainingCommand {
  constructor(readonly validation: boolean) {}
  check = () => true;
  async run(model: TrainingModel, real: TrainingReal): Promise<void> {
    const { backend } = real;
    const X = this.validation ? model.Xv : model.X;
    const y = this.validation ? model.yv : model.y;
    const rows = this.validation ? model.m : model.n;
    const t = linearLoss(
      backend,
      this.validation ? real.Xv : real.X,
      this.validation ? real.yv : real.y,
      real.w,
      real.b,
    );
    let got: Float64Array;
    try {
      got = await backend.read(t);
    } finally {
      backend.dispose(t);
    }
    const expected = oracleLoss({ X, y, n: rows, d: model.d, k: model.yCols }, model.params);
    // The loss's own rounding (rows·(d + 4) terms at ½A²), plus how far it moves when the
    // parameters are off by err: its gradient's size times err, and the second-order term.
    const A = residualBound(model, X, y);
    const slope = model.d * maxAbs(X) + 1;
    const tol =
      2 * sumTolerance(model.precision, rows * (model.d + 4), 0.5 * A * A) +
      A * slope * model.err +
      0.5 * (slope * model.err) ** 2;
    for (let l = 0; l < model.L; l++) {
      model.meter.value(
        got[l] as number,
        expected[l] as number,
        tol,
        `loss on the ${this.validation ? "validation" : "training"} rows, column ${l}`,
      );
    }
    stopOnFailure(model);
  }
  toString = () => `loss(${this.validation ? "validation" : "training"})`;
}

/**
 * Evaluate, replace the validation rows in place, evaluate again (k-fold cross-validation reusing
 * one buffer): a loss cached for the old rows shows.
 */
class Revalidate implements TrainingCommand {
  constructor(readonly seed: number) {}
  check = () => true;
  async run(model: TrainingModel, real: TrainingReal): Promise<void> {
    await new Loss(true).run(model, real);
    await new Write("Xv", this.seed).run(model, real);
    await new Loss(true).run(model, real);
  }
  toString = () => `revalidate(seed ${this.seed})`;
}

/** Reads w, b and X back and compares them with the model. */
class Read implements TrainingCommand {
  check = () => true;
  async run(model: TrainingModel, real: TrainingReal): Promise<void> {
    const [w, b, X] = await Promise.all([
      real.backend.read(real.w),
      real.backend.read(real.b),
      real.backend.read(real.X),
    ]);
    // What a step stored is rounded once more when read into the model's terms.
    const tol =
      model.err +
      SAFETY * sumTolerance(model.precision, 1, maxAbs(model.params.W) + maxAbs(model.params.b));
    model.params.W.forEach((v, i) =>
      model.meter.value(
        w[i] as number,
        v,
        tol,
        `w[${Math.floor(i / model.L)}, column ${i % model.L}]`,
      ),
    );
    model.params.b.forEach((v, i) => model.meter.value(b[i] as number, v, tol, `b[column ${i}]`));
    model.X.forEach((v, i) =>
      model.meter.value(X[i] as number, v, 0, `X[${Math.floor(i / model.d)}, ${i % model.d}]`),
    );
    stopOnFailure(model);
  }
  toString = () => "read(w, b, X)";
}

/** Steps and writes are drawn more often than losses and reads: state builds up between them. */
const stepArb = fc
  .tuple(
    fc.nat({ max: 1 }),
    fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  )
  .map(([p, o, c]) => new Step(p, o, c));

const writeArb = fc
  .tuple(fc.constantFrom("X" as const, "Xv" as const, "w" as const, "order" as const), fc.nat())
  .map(([t, s]) => new Write(t, s));

/** Long sequences: a stale cache shows only after a write, a step and a read in that order. */
const commands = fc.commands(
  [
    stepArb,
    stepArb,
    stepArb,
    writeArb,
    writeArb,
    fc.constant(new AssignW()),
    fc.boolean().map((v) => new Loss(v)),
    fc.nat().map((seed) => new Revalidate(seed)),
    fc.constant(new Read()),
  ],
  { maxCommands: 24, size: "+1" },
);

/** Sizes: often few rows and many features with several columns (the dual form of λ grids). */
const trainingSetup = fc.record({
  dual: fc.constantFrom(true, true, true, false),
  n: fc.integer({ min: 1, max: 6 }),
  extra: fc.integer({ min: 0, max: 6 }),
  m: fc.integer({ min: 1, max: 5 }),
  L: fc.constantFrom(1, 2, 3, 9, 10),
  multiOutput: fc.constantFrom(false, false, true),
  twoPrograms: fc.constantFrom(true, true, false),
  l1: fc.constantFrom("none", "none", "none", "first", "second"),
  seed: fc.nat(),
});

export const statefulTraining = defineProperty({
  id: "state-training",
  name: "random interleavings of SGD steps of one or two live programs sharing w and b, writes and assigns of X, w and the order, losses on training and validation rows, and reads agree with a float64 host model after every command",
  source: "Backend write, assign, read; fused linearSgd, linearLoss; stateful model",
  arbitrary: fc.record({ setup: trainingSetup, commands }),
  async check({ backend }, { setup, commands: cmds }, meter) {
    const n = setup.n;
    const d = setup.dual ? 2 * n + setup.extra : Math.max(1, setup.extra);
    const { m, L } = setup;
    const yCols = setup.multiOutput ? L : 1;
    const precision = backend.precision;
    const next = uniform(setup.seed);
    const draw = (count: number, max: number) =>
      Array.from({ length: count }, () => (next() < 0.25 ? 0 : max * next()));
    const regs: OracleRegularization[] = [0, 1].map((p) => ({
      weightPenalty: draw(L, 1),
      weightDecay: draw(L, 0.5),
      biasDecay: draw(L, 0.5),
      ...((setup.l1 === "first" && p === 0) || (setup.l1 === "second" && p === 1)
        ? { weightL1: draw(L, 0.3) }
        : {}),
    }));
    const values = (seed: number, count: number) =>
      Array.from(seededValues(setup.seed + seed, count));
    const init = {
      X: values(1, n * d),
      Xv: values(2, m * d),
      y: values(3, n * yCols),
      yv: values(4, m * yCols),
      w: values(5, d * L),
      b: values(6, L),
      spare: values(7, d * L),
    };
    // Stable for any X drawn later: entries are in [−1, 1), so ‖x‖² ≤ d.
    const lr = 0.5 / (d + 1 + 2);
    const s = (v: number[]) => (precision === "float32" ? v.map(Math.fround) : v);
    const model: TrainingModel = {
      n,
      m,
      d,
      L,
      yCols,
      X: s(init.X),
      Xv: s(init.Xv),
      y: s(init.y),
      yv: s(init.yv),
      order: Array.from({ length: n }, (_, i) => i),
      spare: s(init.spare),
      params: { W: Float64Array.from(s(init.w)), b: Float64Array.from(s(init.b)) },
      regs: setup.twoPrograms ? regs : regs.slice(0, 1),
      lr,
      err: 0,
      precision,
      meter,
    };
    await scoped(backend, async (keep: Keep) => {
      const X = keep(backend.upload(init.X, [n, d]));
      const y = keep(backend.upload(init.y, [n, yCols]));
      const w = keep(backend.upload(init.w, [d, L]));
      const b = keep(backend.upload(init.b, [1, L]));
      const order = keep(backend.upload(model.order, [n, 1], "int32"));
      const real: TrainingReal = {
        backend,
        X,
        Xv: keep(backend.upload(init.Xv, [m, d])),
        y,
        yv: keep(backend.upload(init.yv, [m, yCols])),
        w,
        b,
        order,
        spare: keep(backend.upload(init.spare, [d, L])),
        programs: model.regs.map((reg) => linearSgd(backend, { X, y, order, w, b, ...reg })),
      };
      try {
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        // Disposing the programs leaves w and b as the last command left them (a program that
        // holds w in another form must not write an outdated form back).
        for (const p of real.programs) p.dispose();
        await new Read().run(model, real);
      } catch (error) {
        // A failed comparison is in the meter already; anything else is the backend throwing.
        if (meter.passed) throw error;
      } finally {
        for (const p of real.programs) p.dispose();
      }
    });
  },
});

/**
 * Two models trained side by side on the same rows (two λ grids, or a grid and its refit), each
 * program with its own w and b, steps and losses interleaved: a loss must be that of the weights
 * it is given, never one computed from the state another program keeps (a dual form's cached
 * combination, say) for other weights on the same X.
 */
export const separateModels = defineProperty({
  id: "state-separate-models",
  name: "two programs on the same rows with their own w and b, steps and losses interleaved: each loss and each w agree with a float64 host model of its own program",
  source: "fused linearSgd, linearLoss; two live programs",
  cost: 2,
  arbitrary: fc.record({
    dual: fc.constantFrom(true, true, false),
    n: fc.integer({ min: 1, max: 5 }),
    extra: fc.integer({ min: 0, max: 5 }),
    m: fc.integer({ min: 1, max: 4 }),
    L: fc.constantFrom(1, 2, 3),
    seed: fc.nat(),
    ops: fc.array(
      fc.record({
        program: fc.nat({ max: 1 }),
        kind: fc.constantFrom("step" as const, "step" as const, "loss" as const),
        validation: fc.boolean(),
        offset: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        count: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      }),
      { minLength: 2, maxLength: 12 },
    ),
  }),
  async check({ backend }, { dual, n, extra, m, L, seed, ops }, meter) {
    const d = dual ? 2 * n + extra : Math.max(1, extra);
    const precision = backend.precision;
    const next = uniform(seed);
    const draw = (max: number) => Array.from({ length: L }, () => max * next());
    const values = (k: number, count: number) => Array.from(seededValues(seed + k, count));
    const s = (v: number[]) => (precision === "float32" ? v.map(Math.fround) : v);
    const data = { X: values(1, n * d), Xv: values(2, m * d), y: values(3, n), yv: values(4, m) };
    const lr = 0.5 / (d + 1 + 2);
    await scoped(backend, async (keep: Keep) => {
      const X = keep(backend.upload(data.X, [n, d]));
      const y = keep(backend.upload(data.y, [n, 1]));
      const Xv = keep(backend.upload(data.Xv, [m, d]));
      const yv = keep(backend.upload(data.yv, [m, 1]));
      const order = keep(
        backend.upload(
          Array.from({ length: n }, (_, i) => i),
          [n, 1],
          "int32",
        ),
      );
      const sides = [0, 1].map((k) => {
        const w0 = values(10 + k, d * L);
        const b0 = values(20 + k, L);
        const reg = { weightPenalty: draw(1), weightDecay: draw(0.5), biasDecay: draw(0.5) };
        const w = keep(backend.upload(w0, [d, L]));
        const b = keep(backend.upload(b0, [1, L]));
        const model: TrainingModel = {
          n,
          m,
          d,
          L,
          yCols: 1,
          X: s(data.X),
          Xv: s(data.Xv),
          y: s(data.y),
          yv: s(data.yv),
          order: Array.from({ length: n }, (_, i) => i),
          spare: [],
          params: { W: Float64Array.from(s(w0)), b: Float64Array.from(s(b0)) },
          regs: [reg],
          lr,
          err: 0,
          precision,
          meter,
        };
        const program = linearSgd(backend, { X, y, order, w, b, ...reg });
        const real: TrainingReal = {
          backend,
          X,
          Xv,
          y,
          yv,
          w,
          b,
          order,
          spare: w,
          programs: [program],
        };
        return { model, real };
      });
      try {
        for (const op of ops) {
          const { model, real } = sides[op.program] as (typeof sides)[number];
          if (op.kind === "step") await new Step(0, op.offset, op.count).run(model, real);
          else await new Loss(op.validation).run(model, real);
        }
        // One more full step each (a grid program then holds w in its own form), and the loss
        // of each grid's columns against targets of their own (n×L), not the ones it trains on.
        for (const { model, real } of sides) await new Step(0, 0, 0.999).run(model, real);
        if (L >= 2) {
          const Y = values(30, n * L);
          const Yt = keep(backend.upload(Y, [n, L]));
          for (const { model, real } of sides) {
            await new Loss(false).run({ ...model, yCols: L, y: s(Y) }, { ...real, y: Yt });
          }
        }
        for (const { model, real } of sides) await new Read().run(model, real);
      } catch (error) {
        // A failed comparison is in the meter already; anything else is the backend throwing.
        if (meter.passed) throw error;
      } finally {
        for (const { real } of sides) for (const p of real.programs) p.dispose();
      }
    });
  },
});

/** Products on operands that change in place between them: packed or cached operands go stale. */
interface ProductModel {
  A: number[];
  B: number[];
  spare: number[];
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly precision: "float32" | "float64";
  readonly meter: Meter;
}

interface ProductReal {
  readonly backend: Backend;
  readonly A: Tensor;
  readonly B: Tensor;
  readonly spare: Tensor;
}

type ProductCommand = fc.AsyncCommand<ProductModel, ProductReal>;

class Product implements ProductCommand {
  check = () => true;
  async run(model: ProductModel, real: ProductReal): Promise<void> {
    const { backend } = real;
    const C = backend.matmul(real.A, real.B);
    let got: Float64Array;
    try {
      got = await backend.read(C);
    } finally {
      backend.dispose(C);
    }
    const { m, k, n } = model;
    compareProduct(
      model.meter,
      got,
      (i, p) => model.A[i * k + p] as number,
      (p, j) => model.B[p * n + j] as number,
      { m, k, n },
      model.precision,
      (i, j) => `A·B (${m}×${k}·${k}×${n}) after the commands before: C[${i}, ${j}]`,
    );
    if (!model.meter.passed) throw new Error(model.meter.failure ?? "product");
  }
  toString = () => "product";
}

class WriteOperand implements ProductCommand {
  constructor(
    readonly target: "A" | "B",
    readonly seed: number,
  ) {}
  check = () => true;
  async run(model: ProductModel, real: ProductReal): Promise<void> {
    const size = this.target === "A" ? model.m * model.k : model.k * model.n;
    const values = Array.from(seededValues(this.seed, size));
    real.backend.write(this.target === "A" ? real.A : real.B, values);
    const stored = values.map((v) => (model.precision === "float32" ? Math.fround(v) : v));
    if (this.target === "A") model.A = stored;
    else model.B = stored;
  }
  toString = () => `write(${this.target}, seed ${this.seed})`;
}

class AssignB implements ProductCommand {
  check = () => true;
  async run(model: ProductModel, real: ProductReal): Promise<void> {
    real.backend.assign(real.B, real.spare);
    model.B = [...model.spare];
  }
  toString = () => "assign(B, spare)";
}

export const statefulProducts = defineProperty({
  id: "state-products",
  name: "products before and after in-place writes and assigns of their operands, at sizes on both sides of the size where backends hand products to a library, agree with a float64 host model",
  source: "primitive matmul, write, assign; stateful model",
  cost: 4,
  arbitrary: fc.record({
    dims: fc.constantFrom([2, 3, 4], [64, 128, 64], [128, 64, 64], [96, 80, 48], [7, 9, 5]),
    seed: fc.nat(),
    commands: fc.commands(
      [
        fc.constant(new Product()),
        fc
          .tuple(fc.constantFrom("A" as const, "B" as const), fc.nat())
          .map(([t, s]) => new WriteOperand(t, s)),
        fc.constant(new AssignB()),
      ],
      { maxCommands: 8 },
    ),
  }),
  async check({ backend }, { dims, seed, commands: cmds }, meter) {
    const [m, k, n] = dims as [number, number, number];
    const precision = backend.precision;
    const values = (s: number, count: number) => Array.from(seededValues(seed + s, count));
    const init = { A: values(1, m * k), B: values(2, k * n), spare: values(3, k * n) };
    const s = (v: number[]) => (precision === "float32" ? v.map(Math.fround) : v);
    const model: ProductModel = {
      A: s(init.A),
      B: s(init.B),
      spare: s(init.spare),
      m,
      k,
      n,
      precision,
      meter,
    };
    await scoped(backend, async (keep) => {
      const real: ProductReal = {
        backend,
        A: keep(backend.upload(init.A, [m, k])),
        B: keep(backend.upload(init.B, [k, n])),
        spare: keep(backend.upload(init.spare, [k, n])),
      };
      try {
        await fc.asyncModelRun(() => ({ model, real }), [new Product(), ...cmds, new Product()]);
      } catch (error) {
        if (meter.passed) throw error;
      }
    });
  },
});

export const STATE_PROPERTIES = [statefulTraining, separateModels, statefulProducts];
