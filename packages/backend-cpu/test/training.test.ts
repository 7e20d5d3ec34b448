import {
  type Backend,
  CHAPTER,
  composeLinearSgd,
  disposeAll,
  linearSgd,
  type Method,
  runChapter,
  syntheticSplit,
  type TrainOptions,
  train,
  trainGrid,
} from "@wdecay/core";
import { describe, expect, it } from "vitest";
import { createCpuBackend } from "../src/index.js";

const EPS64 = 2 ** -52;
const EPS32 = 2 ** -23;

const chapterData = syntheticSplit(42, CHAPTER);
const chapterOptions = (method: Method, lambda: number): TrainOptions => ({
  method,
  lambda,
  epochs: CHAPTER.epochs,
  lr: CHAPTER.lr,
  batchSize: CHAPTER.batchSize,
  seed: 42,
});
const steps = CHAPTER.epochs * Math.ceil(CHAPTER.nTrain / CHAPTER.batchSize);

function maxRelativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i] as number));
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
  }
  return diff / Math.max(scale, Number.MIN_VALUE);
}

describe("training on the cpu backend", () => {
  const cpu = createCpuBackend();

  it("scratch and concise give the same weights under plain SGD (identity 5)", async () => {
    for (const lambda of [0, 0.5, 3]) {
      const scratch = await train(cpu, chapterData, chapterOptions("scratch", lambda));
      const concise = await train(cpu, chapterData, chapterOptions("concise", lambda));
      // w − η(g + λw) and (1 − ηλ)w − ηg round differently, by a few ε·|w| per step; SGD with
      // ηλ < 2 does not amplify that, so after `steps` steps the gap stays ≲ steps·4ε relative.
      expect(maxRelativeDiff(concise.weights, scratch.weights)).toBeLessThanOrEqual(
        steps * 4 * EPS64,
      );
      expect(Math.abs(concise.bias - scratch.bias)).toBeLessThanOrEqual(steps * 4 * EPS64);
      if (lambda === 0) expect(concise.weights).toEqual(scratch.weights);
    }
  });

  it("gives bit-identical results for the same seed (identity 20)", async () => {
    const a = await train(cpu, chapterData, chapterOptions("scratch", 3));
    const b = await train(cpu, chapterData, chapterOptions("scratch", 3));
    expect(a.weights.every((v, i) => Object.is(v, b.weights[i]))).toBe(true);
    expect(b.history).toEqual(a.history);
    const other = await train(cpu, chapterData, { ...chapterOptions("scratch", 3), seed: 43 });
    expect(other.weights).not.toEqual(a.weights);
  });

  it("evaluates every 5 epochs and after the last", async () => {
    const result = await train(cpu, chapterData, { ...chapterOptions("scratch", 3), epochs: 12 });
    expect(result.history.map((p) => p.epoch)).toEqual([5, 10, 12]);
    const every3 = await train(cpu, chapterData, {
      ...chapterOptions("scratch", 3),
      epochs: 9,
      evalEvery: 3,
    });
    expect(every3.history.map((p) => p.epoch)).toEqual([3, 6, 9]);
  });

  it("leaves no live tensor behind, after success and after failure (identity 23)", async () => {
    const before = cpu.liveTensors();
    await train(cpu, chapterData, chapterOptions("concise", 3));
    expect(cpu.liveTensors()).toBe(before);
    const controller = new AbortController();
    const aborted = train(cpu, chapterData, {
      ...chapterOptions("scratch", 3),
      signal: controller.signal,
      onEpoch: (epoch) => {
        if (epoch === 3) controller.abort(new Error("stop here"));
      },
    });
    await expect(aborted).rejects.toThrow("stop here");
    expect(cpu.liveTensors()).toBe(before);
    const composed = createCpuBackend({ fused: false });
    await train(composed, chapterData, chapterOptions("scratch", 3));
    expect(composed.liveTensors()).toBe(0);
  });

  it("rejects bad settings with a message naming them", async () => {
    const base = chapterOptions("scratch", 3);
    const cases: [Partial<TrainOptions>, RegExp][] = [
      [{ lambda: -1 }, /lambda/],
      [{ lr: 0 }, /lr/],
      [{ batchSize: 21 }, /batchSize/],
      [{ epochs: 0 }, /epochs/],
      [{ seed: -3 }, /seed/],
      [{ method: "adam" as Method }, /method/],
    ];
    for (const [change, message] of cases) {
      await expect(train(cpu, chapterData, { ...base, ...change })).rejects.toThrow(message);
    }
    expect(cpu.liveTensors()).toBe(0);
  });
});

describe("fused kernels equal their composition from primitives (identity 22)", () => {
  async function runProgram(backend: Backend, fused: boolean, L: number) {
    const { train: data } = syntheticSplit(7, { nTrain: 13, nTest: 1, dims: 6 });
    const X = backend.upload(data.X, [data.n, data.d]);
    const y = backend.upload(data.y, [data.n, 1]);
    const w = backend.upload(
      Array.from({ length: data.d * L }, (_, i) => Math.sin(i + 1)),
      [data.d, L],
    );
    const b = backend.upload(
      Array.from({ length: L }, (_, l) => l / 10),
      [1, L],
    );
    const order = backend.upload([12, 0, 5, 3, 7, 1, 2, 11, 4, 6, 9, 10, 8], [13, 1], "int32");
    const spec = {
      X,
      y,
      order,
      w,
      b,
      weightPenalty: Array.from({ length: L }, (_, l) => 0.5 * l),
      weightDecay: Array.from({ length: L }, (_, l) => (l % 2 ? 0.3 : 0)),
      biasDecay: Array.from({ length: L }, (_, l) => (l === 2 ? 0.2 : 0)),
    };
    const program = fused ? linearSgd(backend, spec) : composeLinearSgd(backend, spec);
    for (let epoch = 0; epoch < 4; epoch++) {
      for (let offset = 0; offset < 13; offset += 4)
        program.step(offset, Math.min(4, 13 - offset), 0.05);
    }
    program.dispose();
    const out = [...(await backend.read(w)), ...(await backend.read(b))];
    disposeAll(backend, [X, y, w, b, order]);
    return out;
  }

  for (const precision of ["float64", "float32"] as const) {
    for (const L of [1, 3]) {
      it(`${precision}, ${L} column${L > 1 ? "s" : ""}`, async () => {
        const backend = createCpuBackend({ precision });
        const fused = await runProgram(backend, true, L);
        const composed = await runProgram(backend, false, L);
        // 16 steps, each rounding sums of d + 1 = 7 terms differently: ≲ 16·8·ε relative.
        const eps = precision === "float64" ? EPS64 : EPS32;
        expect(maxRelativeDiff(fused, composed)).toBeLessThanOrEqual(16 * 8 * eps * 4);
        expect(backend.liveTensors()).toBe(0);
      });
    }
  }
});

describe("the chapter on the cpu backend", () => {
  it("reproduces §4.5: ‖w‖ in [10, 20] at λ = 0, in [0.25, 0.55] at λ = 3; decay trades train for test loss", async () => {
    const runs = await runChapter(createCpuBackend(), { seed: 42 });
    const find = (method: Method, lambda: number) =>
      runs.find((r) => r.method === method && r.lambda === lambda) as (typeof runs)[number];
    for (const method of ["scratch", "concise"] as const) {
      const free = find(method, 0);
      const decayed = find(method, 3);
      expect(free.l2Norm).toBeGreaterThanOrEqual(10);
      expect(free.l2Norm).toBeLessThanOrEqual(20);
      expect(decayed.l2Norm).toBeGreaterThanOrEqual(0.25);
      expect(decayed.l2Norm).toBeLessThanOrEqual(0.55);
      expect(decayed.testLoss).toBeLessThan(free.testLoss);
      expect(decayed.trainLoss).toBeGreaterThan(free.trainLoss);
      expect(decayed.history).toHaveLength(20);
    }
  });

  it("holds on the mean over 20 seeds", async () => {
    const cpu = createCpuBackend();
    const sums = new Map<string, { norm: number; train: number; test: number }>();
    for (let seed = 1; seed <= 20; seed++) {
      for (const run of await runChapter(cpu, { seed })) {
        const key = `${run.method}/${run.lambda}`;
        const s = sums.get(key) ?? { norm: 0, train: 0, test: 0 };
        sums.set(key, {
          norm: s.norm + run.l2Norm / 20,
          train: s.train + run.trainLoss / 20,
          test: s.test + run.testLoss / 20,
        });
      }
    }
    for (const method of ["scratch", "concise"]) {
      const free = sums.get(`${method}/0`) as { norm: number; train: number; test: number };
      const decayed = sums.get(`${method}/3`) as typeof free;
      expect(free.norm).toBeGreaterThanOrEqual(10);
      expect(free.norm).toBeLessThanOrEqual(20);
      expect(decayed.norm).toBeGreaterThanOrEqual(0.25);
      expect(decayed.norm).toBeLessThanOrEqual(0.55);
      expect(decayed.test).toBeLessThan(free.test);
      expect(decayed.train).toBeGreaterThan(free.train);
    }
    expect(cpu.liveTensors()).toBe(0);
  });

  it("agrees between float32 and the float64 reference within float32 tolerance (identity 21)", async () => {
    const f64 = await runChapter(createCpuBackend({ precision: "float64" }), { seed: 42 });
    const f32 = await runChapter(createCpuBackend({ precision: "float32" }), { seed: 42 });
    for (const [i, ref] of f64.entries()) {
      const run = f32[i] as (typeof f32)[number];
      // Each of the 400 steps rounds w to float32 (relative 2⁻²⁴) and sums d = 200 products
      // (≲ √d·ε with random signs); contracting or neutral steps keep these from compounding,
      // so the final ‖w‖ stays within steps·√d·ε32 relative of the reference.
      const tol = steps * Math.sqrt(CHAPTER.dims) * EPS32;
      expect(Math.abs(run.l2Norm - ref.l2Norm) / ref.l2Norm).toBeLessThanOrEqual(tol);
    }
  });
});

describe("a λ grid in one pass", () => {
  it("equals separate runs, column by column, and leaks nothing", async () => {
    const cpu = createCpuBackend();
    const lambdas = [0, 0.1, 1, 3];
    const gridOptions = (method: Method, values: number[]) => {
      const { lambda: _, onEvaluate: __, ...rest } = chapterOptions(method, 0);
      return { ...rest, lambdas: values };
    };
    for (const method of ["scratch", "concise"] as const) {
      const grid = await trainGrid(cpu, chapterData, gridOptions(method, lambdas));
      expect(grid.map((r) => r.lambda)).toEqual(lambdas);
      for (const [l, lambda] of lambdas.entries()) {
        const alone = await train(cpu, chapterData, chapterOptions(method, lambda));
        const column = grid[l] as (typeof grid)[number];
        // The grid kernel sums each residual in another order than the one-column kernel: a few
        // ε·|w| per step, not amplified by stable steps (as for identity 5).
        expect(maxRelativeDiff(column.weights, alone.weights)).toBeLessThanOrEqual(
          steps * 4 * EPS64 * CHAPTER.dims,
        );
        expect(column.history).toHaveLength(alone.history.length);
        for (const [i, point] of column.history.entries()) {
          const other = alone.history[i] as (typeof alone.history)[number];
          expect(point.epoch).toBe(other.epoch);
          expect(Math.abs(point.testLoss - other.testLoss)).toBeLessThanOrEqual(
            1e-9 * other.testLoss,
          );
        }
      }
    }
    expect(cpu.liveTensors()).toBe(0);
    await expect(trainGrid(cpu, chapterData, gridOptions("scratch", []))).rejects.toThrow(
      /at least one/,
    );
    await expect(trainGrid(cpu, chapterData, gridOptions("scratch", [1, -1]))).rejects.toThrow(
      /lambda/,
    );
  });
});
