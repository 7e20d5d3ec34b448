import {
  type Backend,
  CHAPTER,
  type DataSplit,
  disposeAll,
  linearLoss,
  linearSgd,
  type Method,
  MinibatchSchedule,
  syntheticSplit,
  type Tensor,
  train,
  trainGrid,
} from "@wdecay/core";
import { describe, expect, it } from "vitest";
import { createCpuBackend } from "../src/index.js";

const EPS64 = 2 ** -52;

function maxRelativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i] as number));
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
  }
  return diff / Math.max(scale, Number.MIN_VALUE);
}

/**
 * The dual form computes the same iterates as the primal loop, only with sums in another order:
 * a residual xᵀw + b − y becomes s·(xᵀw₀) + Σᵢ Kᵢ·aᵢ + b − y, an evaluation likewise. Each such
 * sum of m terms is off by at most γ_m ≈ m·ε relative to the sum of the |terms| (Higham), with
 * m ≤ d + n. SGD at ηλ < 2 and η‖x‖² < 2 does not amplify an error, so after `steps` steps the
 * gap stays below steps·(d + n)·ε relative to the weights' scale; 4× that covers the bias and
 * the products of scalars (c, s) the dual form adds.
 */
function tolerance(steps: number, d: number, n: number): number {
  return 4 * steps * (d + n) * EPS64;
}

const LAMBDAS = [0, 1e-3, 0.01, 0.1, 1, 3, 10];

async function compareGrid(backend: Backend, data: DataSplit, method: Method, epochs: number) {
  const options = {
    method,
    epochs,
    lr: CHAPTER.lr,
    batchSize: CHAPTER.batchSize,
    seed: 42,
    evalEvery: 5,
  };
  const before = backend.liveTensors();
  const grid = await trainGrid(backend, data, { ...options, lambdas: LAMBDAS });
  expect(backend.liveTensors()).toBe(before);
  const steps = epochs * Math.ceil(data.train.n / CHAPTER.batchSize);
  const tol = tolerance(steps, data.train.d, data.train.n);
  let worst = 0;
  for (const [l, lambda] of LAMBDAS.entries()) {
    const one = await train(backend, data, { ...options, lambda });
    const g = grid[l];
    if (!g) throw new Error("missing grid column");
    const diff = maxRelativeDiff(g.weights, one.weights);
    worst = Math.max(worst, diff);
    expect(diff).toBeLessThanOrEqual(tol);
    expect(Math.abs(g.bias - one.bias)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(one.bias)));
    expect(g.history.length).toBe(one.history.length);
    for (const [i, p] of one.history.entries()) {
      const q = g.history[i];
      expect(Math.abs((q?.trainLoss ?? Number.NaN) - p.trainLoss)).toBeLessThanOrEqual(
        tol * Math.max(1, p.trainLoss),
      );
      expect(Math.abs((q?.testLoss ?? Number.NaN) - p.testLoss)).toBeLessThanOrEqual(
        tol * Math.max(1, p.testLoss),
      );
    }
  }
  return worst;
}

describe("a λ grid in one pass on the cpu backend", () => {
  // d > n: the chapter's shape, where `auto` takes the dual path.
  const wide = syntheticSplit(42, CHAPTER);
  // d < n: `auto` stays primal; `always` forces the dual path on it anyway.
  const tall = syntheticSplit(7, { nTrain: 40, nTest: 30, dims: 8 });

  for (const dual of ["auto", "always", "never"] as const) {
    for (const method of ["scratch", "concise"] as const) {
      it(`equals separate train() runs (dual ${dual}, ${method}, d > n and d < n)`, async () => {
        const backend = createCpuBackend({ dual });
        await compareGrid(backend, wide, method, 30);
        await compareGrid(backend, tall, method, 30);
      });
    }
  }

  it("honours reads, writes and assigns of w and X between steps", async () => {
    const data = syntheticSplit(3, { nTrain: 6, nTest: 9, dims: 15 });
    const L = 4;
    const { n, d } = data.train;
    const run = async (backend: Backend) => {
      const before = backend.liveTensors();
      const owned: Tensor[] = [];
      const own = (t: Tensor) => {
        owned.push(t);
        return t;
      };
      const X = own(backend.upload(data.train.X, [n, d]));
      const y = own(backend.upload(data.train.y, [n, 1]));
      const Xt = own(backend.upload(data.test.X, [data.test.n, d]));
      const yt = own(backend.upload(data.test.y, [data.test.n, 1]));
      const w0 = Array.from({ length: d * L }, (_, i) => Math.sin(i + 1));
      const w = own(backend.upload(w0, [d, L]));
      const b = own(backend.zeros([1, L]));
      const order = own(backend.zeros([n, 1], "int32"));
      const program = linearSgd(backend, {
        X,
        y,
        order,
        w,
        b,
        weightPenalty: [0, 0.5, 2, 0],
        weightDecay: [0.1, 0, 1, 3],
        biasDecay: [0, 0.2, 0, 0],
      });
      const schedule = new MinibatchSchedule(n, 4, 9);
      const seen: number[][] = [];
      const readAll = async (...ts: Tensor[]) => {
        for (const t of ts) seen.push([...(await backend.read(t))]);
      };
      const epoch = () => {
        backend.write(order, schedule.shuffle());
        schedule.forEachBatch((offset, count) => program.step(offset, count, 0.05));
      };
      const loss = async () => {
        const a = linearLoss(backend, X, y, w, b);
        const c = linearLoss(backend, Xt, yt, w, b);
        await readAll(a, c);
        disposeAll(backend, [a, c]);
      };
      for (let e = 0; e < 3; e++) {
        epoch();
        await loss();
      }
      await readAll(w, b);
      // A user rewrites w mid-way.
      backend.write(
        w,
        w0.map((v) => v / 2),
      );
      epoch();
      await loss();
      // w used by another op while stale.
      epoch();
      const p = backend.matmul(X, w);
      await readAll(p);
      // assign into w from a tensor computed from w itself.
      epoch();
      const half = backend.binary("mul", w, own(backend.upload([0.5], [1, 1])));
      backend.assign(w, half);
      epoch();
      await loss();
      // The data change under the program: X is rewritten.
      epoch();
      backend.write(
        X,
        data.train.X.map((v) => v * 0.9),
      );
      epoch();
      await loss();
      epoch();
      // Disposing the program leaves w current.
      program.dispose();
      await readAll(w, b);
      disposeAll(backend, [p, half, ...owned]);
      expect(backend.liveTensors()).toBe(before);
      return seen;
    };
    const primal = await run(createCpuBackend({ dual: "never" }));
    const dual = await run(createCpuBackend({ dual: "always" }));
    expect(dual.length).toBe(primal.length);
    const tol = tolerance(40, d, n);
    for (const [i, p] of primal.entries()) {
      expect(maxRelativeDiff(dual[i] as number[], p)).toBeLessThanOrEqual(tol);
    }
  });
});
