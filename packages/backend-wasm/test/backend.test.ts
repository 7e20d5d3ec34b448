import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCpuBackend } from "@wdecay/backend-cpu";
import {
  type Backend,
  CHAPTER,
  composeLinearLoss,
  composeLinearSgd,
  createRegistry,
  type LinearSgdSpec,
  linearLoss,
  linearSgd,
  Rng,
  syntheticSplit,
  type Tensor,
  train,
  trainGrid,
} from "@wdecay/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWasmBackend, hasWasmSimd, WasmUnavailableError } from "../src/index.js";

const SOURCE_INDEX = new URL("../src/index.ts", import.meta.url).href;

let wasm: Backend;
const cpu = createCpuBackend();
beforeAll(async () => {
  wasm = await createWasmBackend();
});
afterAll(() => wasm.destroy());

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

function randomMatrix(rng: Rng, rows: number, cols: number): Float64Array {
  return rng.fillNormal(new Float64Array(rows * cols), 0, 1);
}

describe("init", () => {
  it("rejects with a clear reason where WebAssembly SIMD is missing", async () => {
    const noSimd = { validate: () => false };
    await expect(createWasmBackend({ webAssembly: noSimd })).rejects.toThrow(WasmUnavailableError);
    await expect(createWasmBackend({ webAssembly: noSimd })).rejects.toThrow(
      /WebAssembly SIMD is not supported/,
    );
    await expect(createWasmBackend({ webAssembly: undefined })).rejects.toThrow(
      /WebAssembly is not available/,
    );
    expect(hasWasmSimd(undefined)).toBe(false);
    expect(hasWasmSimd((globalThis as { WebAssembly?: never }).WebAssembly)).toBe(true);
  });

  it("a registry falls back to cpu with the reason when wasm cannot start", async () => {
    const registry = createRegistry();
    registry.register("cpu", () => createCpuBackend(), 10);
    registry.register(
      "wasm",
      () => createWasmBackend({ webAssembly: { validate: () => false } }),
      20,
    );
    const backend = await registry.resolve();
    expect(backend.name).toBe("cpu");
    const listing = await registry.list();
    expect(listing.find((b) => b.name === "wasm")?.reason).toMatch(/SIMD/);
  });

  it("register.ts registers wasm above cpu", async () => {
    const { WASM_PRIORITY } = await import("../src/register.js");
    expect(WASM_PRIORITY).toBeGreaterThan(10);
    const { defaultRegistry } = await import("@wdecay/core");
    expect(defaultRegistry.has("wasm")).toBe(true);
    const started = await defaultRegistry.get("wasm");
    expect(started.precision).toBe("float32");
    expect(started.capabilities.device).toBe("wasm");
  });
});

describe("the process around the backend", () => {
  // Emscripten's Node glue hooks uncaughtException to rethrow from its one-line source: an error
  // anywhere in the process then printed ~30 KB of minified code above its message.
  it.each([1, 2])(
    "an uncaught error after a %d-thread start prints its own short report, and a program's handler stays",
    (threads) => {
      const script = [
        // The program's own rethrowing handler, added before the start, must stay.
        "const own = function (reason) { throw reason };",
        'process.on("unhandledRejection", own);',
        `const { createWasmBackend } = await import(${JSON.stringify(SOURCE_INDEX)});`,
        `await createWasmBackend({ threads: ${threads} });`,
        'const left = process.listeners("unhandledRejection");',
        'console.log(left.length === 1 && left[0] === own ? "own kept" : "changed");',
        'process.removeListener("unhandledRejection", own);',
        'setTimeout(() => { throw new Error("boom after start"); }, 0);',
      ].join("\n");
      // A file, not `-e`: the test below covers `-e`.
      const dir = mkdtempSync(join(tmpdir(), "wdecay-uncaught-"));
      const file = join(dir, "throws.mjs");
      writeFileSync(file, script);
      const run = spawnSync(
        process.execPath,
        ["--conditions=@wdecay/source", "--import", "tsx", file],
        { encoding: "utf8", timeout: 60_000 },
      );
      rmSync(dir, { recursive: true, force: true });
      expect(run.stdout.trim()).toBe("own kept");
      expect(run.status).toBe(1);
      expect(run.stderr).toContain("Error: boom after start");
      // Node's own report: the throwing line, the message and a stack of a few frames.
      expect(run.stderr.length).toBeLessThan(2_000);
    },
  );
});

describe("a `node --input-type=module -e` script", () => {
  // Workers inherit the process's flags, and `--input-type` stops a worker started from a file,
  // as Emscripten's pthreads are (XNNPACK's threads, for products of 2²⁶ multiply-adds and more).
  it("starts the threaded backend, runs products on XNNPACK's threads and ours, and leaves no global Worker", () => {
    const script = [
      `const { createWasmBackend } = await import(${JSON.stringify(SOURCE_INDEX)});`,
      "const b = await createWasmBackend({ threads: 2 });",
      "const ones = (r, c) => b.upload(new Float32Array(r * c).fill(1), [r, c]);",
      "const small = b.matmul(ones(64, 512), ones(512, 64));",
      "const large = b.matmul(ones(4096, 1024), ones(1024, 32));",
      // Node has no global Worker: Emscripten's, set meanwhile, must be gone again.
      "console.log((await b.read(small))[0], (await b.read(large))[0], typeof globalThis.Worker);",
      "b.destroy();",
    ].join("\n");
    const run = spawnSync(
      process.execPath,
      ["--conditions=@wdecay/source", "--import", "tsx", "--input-type=module", "-e", script],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(run.stderr.slice(0, 500)).toBe("");
    expect(run.stdout.trim()).toBe("512 1024 undefined");
    expect(run.status).toBe(0);
  });
});

describe("the chapter against the cpu backend", () => {
  const data = syntheticSplit(42, {
    nTrain: CHAPTER.nTrain,
    nTest: CHAPTER.nTest,
    dims: CHAPTER.dims,
  });
  const base = {
    epochs: CHAPTER.epochs,
    lr: CHAPTER.lr,
    batchSize: CHAPTER.batchSize,
    seed: 42,
  };

  it.each([
    ["scratch", 0],
    ["scratch", 3],
    ["concise", 3],
  ] as const)("%s, λ = %d: ‖w‖ and losses within float32 tolerance", async (method, lambda) => {
    const a = await train(cpu, data, { ...base, method, lambda });
    const b = await train(wasm, data, { ...base, method, lambda });
    expect(rel(b.l2Norm, a.l2Norm)).toBeLessThan(1e-5);
    expect(rel(b.testLoss, a.testLoss)).toBeLessThan(1e-4);
    expect(wasm.liveTensors()).toBe(0);
  });

  it("lasso (proximal L1): the same zeros and ‖w‖", async () => {
    const opts = { ...base, method: "scratch", lambda: 0.5, penalty: "l1" } as const;
    const a = await train(cpu, data, opts);
    const b = await train(wasm, data, opts);
    expect(rel(b.l2Norm, a.l2Norm)).toBeLessThan(1e-4);
    const zeros = (w: Float64Array) => w.filter((v) => v === 0).length;
    expect(Math.abs(zeros(b.weights) - zeros(a.weights))).toBeLessThanOrEqual(2);
  });

  it("a 64-λ grid (dual form) matches cpu, and the primal kernel", async () => {
    const lambdas = Array.from({ length: 64 }, (_, i) => 10 ** (-3 + (4 * i) / 63));
    const opts = { ...base, method: "scratch", lambdas } as const;
    const a = await trainGrid(cpu, data, opts);
    const b = await trainGrid(wasm, data, opts);
    const primal = await createWasmBackend({ dual: "never" });
    const c = await trainGrid(primal, data, opts);
    for (let l = 0; l < lambdas.length; l++) {
      const ref = a[l]?.l2Norm as number;
      expect(rel(b[l]?.l2Norm as number, ref)).toBeLessThan(1e-5);
      expect(rel(c[l]?.l2Norm as number, ref)).toBeLessThan(1e-5);
      expect(rel(b[l]?.testLoss as number, a[l]?.testLoss as number)).toBeLessThan(1e-4);
    }
    expect(wasm.liveTensors()).toBe(0);
    primal.destroy();
  });
});

describe("fused kernels against their composition on the same backend", () => {
  const cases = [
    { name: "L = 1", n: 17, d: 9, L: 1, yCols: 1 },
    { name: "grid, shared y, primal", n: 17, d: 9, L: 5, yCols: 1 },
    { name: "multi-output y n×L, primal", n: 17, d: 9, L: 5, yCols: 5 },
    { name: "multi-output y n×L, dual", n: 6, d: 30, L: 7, yCols: 7 },
    { name: "grid, shared y, dual", n: 6, d: 30, L: 7, yCols: 1 },
  ];
  it.each(cases)("$name", async ({ n, d, L, yCols }) => {
    const rng = new Rng(5, 1);
    const Xh = randomMatrix(rng, n, d);
    const yh = randomMatrix(rng, n, yCols);
    const wh = randomMatrix(rng, d, L);
    const run = (fused: boolean) => {
      const owned: Tensor[] = [];
      const up = (data: Float64Array, shape: [number, number], dtype?: "int32") => {
        const t = wasm.upload(data, shape, dtype);
        owned.push(t);
        return t;
      };
      const spec: LinearSgdSpec = {
        X: up(Xh, [n, d]),
        y: up(yh, [n, yCols]),
        order: up(
          Float64Array.from({ length: n }, (_, i) => (i * 7) % n),
          [n, 1],
          "int32",
        ),
        w: up(wh, [d, L]),
        b: up(new Float64Array(L), [1, L]),
        weightPenalty: Array.from({ length: L }, (_, l) => 0.1 * l),
        weightDecay: Array.from({ length: L }, (_, l) => 0.05 * (L - l)),
        biasDecay: Array.from({ length: L }, (_, l) => 0.01 * l),
      };
      const program = fused ? linearSgd(wasm, spec) : composeLinearSgd(wasm, spec);
      for (let epoch = 0; epoch < 3; epoch++) {
        for (let offset = 0; offset < n; offset += 4) {
          program.step(offset, Math.min(4, n - offset), 0.05);
        }
      }
      const loss = fused
        ? linearLoss(wasm, spec.X, spec.y, spec.w, spec.b)
        : composeLinearLoss(wasm, spec.X, spec.y, spec.w, spec.b);
      owned.push(loss);
      program.dispose();
      return { owned, w: spec.w, b: spec.b, loss };
    };
    const f = run(true);
    const c = run(false);
    const [fw, cw, fb, cb, fl, cl] = await Promise.all(
      [f.w, c.w, f.b, c.b, f.loss, c.loss].map((t) => wasm.read(t)),
    );
    const close = (x: Float64Array, y: Float64Array, tol: number) => {
      const scale = Math.max(...y.map(Math.abs), 1);
      for (let i = 0; i < x.length; i++) {
        expect(Math.abs((x[i] as number) - (y[i] as number))).toBeLessThan(tol * scale);
      }
    };
    close(fw as Float64Array, cw as Float64Array, 1e-5);
    close(fb as Float64Array, cb as Float64Array, 1e-5);
    close(fl as Float64Array, cl as Float64Array, 1e-4);
    for (const t of [...f.owned, ...c.owned]) wasm.dispose(t);
    expect(wasm.liveTensors()).toBe(0);
  });

  it("a bad row index fails the step before anything changes", async () => {
    const X = wasm.upload([1, 2, 3, 4], [2, 2]);
    const y = wasm.upload([1, 2], [2, 1]);
    const order = wasm.upload([0, 5], [2, 1], "int32");
    const w = wasm.upload([0.5, -0.5], [2, 1]);
    const b = wasm.zeros([1, 1]);
    const program = linearSgd(wasm, {
      X,
      y,
      order,
      w,
      b,
      weightPenalty: [0],
      weightDecay: [0],
      biasDecay: [0],
    });
    expect(() => program.step(0, 2, 0.1)).toThrow(/row index 5 out of range/);
    expect(Array.from(await wasm.read(w))).toEqual([0.5, -0.5]);
    program.dispose();
    for (const t of [X, y, order, w, b]) wasm.dispose(t);
  });
});

describe("matrix products", () => {
  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])("tfjs' XNNPACK path and our kernel agree (transposeA %s, transposeB %s)", async (tA, tB) => {
    const viaTfjs = await createWasmBackend({ tfjsMatmulThreshold: 0 });
    const own = await createWasmBackend({ tfjsMatmulThreshold: Number.POSITIVE_INFINITY });
    const rng = new Rng(9, 2);
    const [m, k, n] = [33, 70, 19];
    const a = randomMatrix(rng, m * k, 1);
    const b = randomMatrix(rng, k * n, 1);
    const results: Float64Array[] = [];
    for (const be of [viaTfjs, own, cpu]) {
      const A = be.upload(a, tA ? [k, m] : [m, k]);
      const B = be.upload(b, tB ? [n, k] : [k, n]);
      const C = be.matmul(A, B, tA, tB);
      expect(C.shape).toEqual([m, n]);
      results.push(await be.read(C));
      for (const t of [A, B, C]) be.dispose(t);
    }
    const [x, y, ref] = results as [Float64Array, Float64Array, Float64Array];
    for (let i = 0; i < ref.length; i++) {
      expect(Math.abs((x[i] as number) - (ref[i] as number))).toBeLessThan(1e-4);
      expect(Math.abs((y[i] as number) - (ref[i] as number))).toBeLessThan(1e-4);
    }
    expect(viaTfjs.liveTensors()).toBe(0);
    viaTfjs.destroy();
    own.destroy();
  });
});

describe("tfjs' cached packing of B never goes stale", () => {
  it("after write, assign, a fused step and the dual form's updates", async () => {
    const be = await createWasmBackend({ tfjsMatmulThreshold: 0, dual: "always" });
    const rng = new Rng(3, 4);
    const [n, d, L] = [6, 12, 3];
    const X = be.upload(randomMatrix(rng, n, d), [n, d]);
    const w = be.upload(randomMatrix(rng, d, L), [d, L]);
    const check = async () => {
      const C = be.matmul(X, w);
      const ref = cpu.upload(await be.read(X), [n, d]);
      const rw = cpu.upload(await be.read(w), [d, L]);
      const R = cpu.matmul(ref, rw);
      const [got, want] = [await be.read(C), await cpu.read(R)];
      for (let i = 0; i < want.length; i++) {
        expect(Math.abs((got[i] as number) - (want[i] as number))).toBeLessThan(1e-4);
      }
      be.dispose(C);
      for (const t of [ref, rw, R]) cpu.dispose(t);
    };
    await check();
    be.write(w, randomMatrix(rng, d, L));
    await check();
    const other = be.upload(randomMatrix(rng, d, L), [d, L]);
    be.assign(w, other);
    await check();
    const y = be.upload(randomMatrix(rng, n, 1), [n, 1]);
    const order = be.upload([0, 1, 2, 3, 4, 5], [n, 1], "int32");
    const b = be.zeros([1, L]);
    const program = linearSgd(be, {
      X,
      y,
      order,
      w,
      b,
      weightPenalty: [0.1, 0.2, 0.3],
      weightDecay: [0, 0, 0],
      biasDecay: [0, 0, 0],
    });
    program.step(0, 3, 0.1);
    await check(); // w is stale in dual form: the product materializes it first
    program.step(3, 3, 0.1);
    program.dispose();
    await check();
    for (const t of [X, w, other, y, order, b]) be.dispose(t);
    expect(be.liveTensors()).toBe(0);
    be.destroy();
  });
});

describe("tensors and the heap", () => {
  it("counts live tensors and refuses disposed or foreign ones", async () => {
    const before = wasm.liveTensors();
    const t = wasm.upload([1, 2, 3], [3, 1]);
    expect(wasm.liveTensors()).toBe(before + 1);
    wasm.dispose(t);
    expect(wasm.liveTensors()).toBe(before);
    expect(() => wasm.dispose(t)).toThrow(/already disposed/);
    const foreign = cpu.upload([1], [1, 1]);
    expect(() => wasm.unary("neg", foreign)).toThrow(/does not belong/);
    cpu.dispose(foreign);
  });

  it("reads right after tfjs grew a plain heap inside a product (XNNPACK's packing)", async () => {
    const backend = await createWasmBackend({ threads: 1, tfjsMatmulThreshold: 0 });
    try {
      // B fills 55% of the initial heap; the product's packed copy of B does not fit beside it,
      // so tfjs grows the heap itself, and the backend's views of the old buffer detach.
      const heapBytes = backend.capabilities.sizeBoundaries?.[0] as number;
      const k = 1024;
      const n = Math.floor((0.55 * heapBytes) / k);
      const A = backend.upload(new Float32Array(k).fill(1), [1, k]);
      const B = backend.upload(new Float32Array(k * n).fill(0.5), [k, n]);
      const C = backend.matmul(A, B);
      const c = await backend.read(C);
      expect([c[0], c[n - 1]]).toEqual([512, 512]);
    } finally {
      backend.destroy();
    }
  });

  // One thread: tfjs' plain memory, whose growth detaches the old buffer; two: the shared one,
  // whose old buffer stays but misses the new pages.
  it.each([1, 2])(
    "keeps every value when the heap grows under live tensors (%i threads)",
    async (threads) => {
      const backend = await createWasmBackend({ threads });
      const small = backend.upload([1.5, -2.5, 3.25], [3, 1]);
      // 64 MiB: more than tfjs' initial heap, so the memory grows.
      const big = backend.zeros([4096, 4096]);
      backend.write(big, new Float32Array(4096 * 4096).fill(0.5));
      expect(Array.from(await backend.read(small))).toEqual([1.5, -2.5, 3.25]);
      const sum = backend.sum(big);
      expect(Array.from(await backend.read(sum))).toEqual([2 ** 23]);
      backend.destroy();
      expect(() => backend.zeros([1, 1])).toThrow(/destroyed/);
    },
  );
});

describe("threads", () => {
  // A big1-sized step (256 rows × 1000 features) and a loss on 2,000 rows, well above the
  // threads' threshold, trained first while the workers start (the calling thread runs every
  // part), then again once they run: the parts and their order are the same, so the bits are.
  // Thread counts no other test of this file has used before: a runtime, and its pool, is one per
  // thread count per process, and another test's jobs may have started its workers already.
  it("the workers start with the first job, and a run gives the same bits before and after", async () => {
    const backend = (await createWasmBackend({ threads: 3 })) as unknown as Backend & {
      threadPool: { running: boolean; start(): Promise<void> };
    };
    try {
      const n = 2000;
      const d = 1000;
      const rng = new Rng(5);
      const X = backend.upload(randomMatrix(rng, n, d), [n, d]);
      const y = backend.upload(randomMatrix(rng, n, 1), [n, 1]);
      const order = backend.upload(
        Int32Array.from({ length: n }, (_, i) => (i * 7919) % n),
        [n, 1],
        "int32",
      );
      const run = async () => {
        const w = backend.zeros([d, 1]);
        const b = backend.zeros([1, 1]);
        const program = linearSgd(backend, {
          X,
          y,
          order,
          w,
          b,
          weightPenalty: [3],
          weightDecay: [0],
          biasDecay: [0],
        });
        for (let s = 0; s < 16; s++) program.step((s % 7) * 256, 256, 1e-3);
        program.dispose();
        const loss = linearLoss(backend, X, y, w, b);
        const out = [...(await backend.read(w)), ...(await backend.read(loss))];
        for (const t of [w, b, loss]) backend.dispose(t);
        return out;
      };
      expect(backend.threadPool.running).toBe(false);
      const alone = await run();
      await backend.threadPool.start();
      expect(backend.threadPool.running).toBe(true);
      const together = await run();
      expect(together).toEqual(alone);
      // And the same problem on one thread differs only by the additions' order.
      const one = await createWasmBackend({ threads: 1 });
      try {
        expect(one.capabilities.threads?.count).toBe(1);
        expect(backend.capabilities.threads?.count).toBe(3);
      } finally {
        one.destroy();
      }
    } finally {
      backend.destroy();
    }
  });

  // The workers count themselves ready in shared memory: a caller that never yields to its event
  // loop (it would never read their "ready" messages) gets them all the same.
  it("a synchronous loop of steps gets its workers without yielding to the event loop", async () => {
    const backend = (await createWasmBackend({ threads: 4 })) as unknown as Backend & {
      threadPool: { running: boolean };
    };
    try {
      expect(backend.threadPool.running).toBe(false);
      const n = 512;
      const d = 256;
      const rng = new Rng(9);
      const X = backend.upload(randomMatrix(rng, n, d), [n, d]);
      const y = backend.upload(randomMatrix(rng, n, 1), [n, 1]);
      const order = backend.upload(
        Int32Array.from({ length: n }, (_, i) => i),
        [n, 1],
        "int32",
      );
      const w = backend.zeros([d, 1]);
      const b = backend.zeros([1, 1]);
      const program = linearSgd(backend, {
        X,
        y,
        order,
        w,
        b,
        weightPenalty: [1],
        weightDecay: [0],
        biasDecay: [0],
      });
      // 256 × 256 per step, over the threshold; no await anywhere in the loop.
      const until = Date.now() + 20_000;
      let steps = 0;
      while (!backend.threadPool.running && Date.now() < until) {
        program.step((steps++ % 2) * 256, 256, 1e-4);
      }
      expect(backend.threadPool.running).toBe(true);
      program.dispose();
    } finally {
      backend.destroy();
    }
  });

  // Each entry of a product is summed whole by one thread, in the same order: the rows' split
  // over the threads cannot change a bit.
  // The dual form's Grams, X·W₀ and weights are split by rows, each row one thread's whole sum.
  it("a λ grid in dual form gives the same bits on 1, 2 and 4 threads", async () => {
    const backends = [
      await createWasmBackend({ threads: 1, dual: "always" }),
      await createWasmBackend({ threads: 2, dual: "always", parallelMinWork: 0 }),
      await createWasmBackend({ threads: 4, dual: "always", parallelMinWork: 0 }),
    ];
    try {
      for (const be of backends.slice(1)) {
        await (be as unknown as { threadPool: { start(): Promise<void> } }).threadPool.start();
      }
      // 37 training rows and 23 test rows (parts of rows in 4s, the last one shorter), 61 features.
      const data = syntheticSplit(3, { nTrain: 37, nTest: 23, dims: 61 });
      const runs = await Promise.all(
        backends.map((be) =>
          trainGrid(be, data, {
            method: "scratch",
            lambdas: [0, 0.01, 0.3, 1, 3],
            epochs: 3,
            lr: 0.01,
            batchSize: 6,
            seed: 4,
            evalEvery: 1,
          }),
        ),
      );
      const bits = (rs: Awaited<ReturnType<typeof trainGrid>>) =>
        rs.map((r) => [
          ...r.weights,
          r.bias,
          ...r.history.flatMap((h) => [h.trainLoss, h.testLoss]),
        ]);
      expect(bits(runs[1] as never), "2 threads").toEqual(bits(runs[0] as never));
      expect(bits(runs[2] as never), "4 threads").toEqual(bits(runs[0] as never));
    } finally {
      for (const be of backends) be.destroy();
    }
  });

  it("matrix products give the same bits on 1, 2 and 4 threads, transposed or not", async () => {
    const backends = [
      await createWasmBackend({ threads: 1 }),
      await createWasmBackend({ threads: 2, parallelMinWork: 0 }),
      await createWasmBackend({ threads: 4, parallelMinWork: 0 }),
    ];
    try {
      for (const be of backends.slice(1)) {
        await (be as unknown as { threadPool: { start(): Promise<void> } }).threadPool.start();
      }
      const rng = new Rng(11);
      // Rows not a multiple of 4 (the last part shorter), columns past whole vectors of 8 and 4.
      for (const [m, k, n] of [
        [64, 784, 256],
        [37, 53, 29],
        [9, 3, 13],
        [1, 70, 1],
      ] as const) {
        for (const [tA, tB] of [
          [false, false],
          [true, false],
          [false, true],
          [true, true],
        ] as const) {
          const a = randomMatrix(rng, m, k);
          const bm = randomMatrix(rng, k, n);
          const products = await Promise.all(
            backends.map(async (be) => {
              const A = be.upload(a, tA ? [k, m] : [m, k]);
              const B = be.upload(bm, tB ? [n, k] : [k, n]);
              const C = be.matmul(A, B, tA, tB);
              const out = await be.read(C);
              for (const t of [A, B, C]) be.dispose(t);
              return out;
            }),
          );
          expect(products[1], `${m}×${k}×${n} ${tA} ${tB} on 2`).toEqual(products[0]);
          expect(products[2], `${m}×${k}×${n} ${tA} ${tB} on 4`).toEqual(products[0]);
        }
      }
    } finally {
      for (const be of backends) be.destroy();
    }
  });

  // The column sums (a layer's bias gradient) run in a kernel: each column summed in float64 in
  // row order and rounded once, which the host computes here the same way, so every bit must
  // match. Widths past whole vectors of 4, one row, one column, and each shape summed twice (the
  // second sum's scratch is the first one's block, holding its sums).
  it("column sums equal the host's float64 sums, rounded once, bit for bit", async () => {
    const be = await createWasmBackend({ threads: 1 });
    try {
      const rng = new Rng(13);
      for (const [r, c] of [
        [64, 256],
        [7, 13],
        [1, 5],
        [300, 3],
        [5, 1],
      ] as const) {
        const a = randomMatrix(rng, r, c).map((v, i) => (i % 3 === 0 ? v * 1e6 : v));
        const expected = new Float64Array(c);
        for (let j = 0; j < c; j++) {
          let s = 0;
          for (let i = 0; i < r; i++) s += Math.fround(a[i * c + j] as number);
          expected[j] = Math.fround(s);
        }
        const A = be.upload(a, [r, c]);
        for (const pass of [1, 2]) {
          const S = be.sum(A, 0);
          expect(await be.read(S), `${r}×${c}, pass ${pass}`).toEqual(expected);
          be.dispose(S);
        }
        be.dispose(A);
      }
    } finally {
      be.destroy();
    }
  });

  // Threads split matrices by rows; a tensor sharing a cache line with another would pass that
  // line between cores. Odd sizes, so that malloc's own 8-byte alignment would show.
  it("every tensor starts on a 64-byte cache line and no two overlap", async () => {
    const be = await createWasmBackend({ threads: 1 });
    try {
      const tensors = [1, 3, 5, 17, 33, 1000, 7].map((n) => be.zeros([n, 1]));
      const spans = tensors
        .map((t) => {
          const { ptr, size } = t as unknown as { ptr: number; size: number };
          expect(ptr % 64, `a block of ${size}`).toBe(0);
          return [ptr, ptr + size * 4] as const;
        })
        .sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < spans.length; i++) {
        expect(spans[i]?.[0]).toBeGreaterThanOrEqual(spans[i - 1]?.[1] as number);
      }
      for (const t of tensors) be.dispose(t);
    } finally {
      be.destroy();
    }
  });

  // axpby and assign split by rows over the threads from PARALLEL_MIN_ELEMENTS: every entry is
  // checked against the host's α·x + β·y in float64, rounded once to float32 (what the kernel
  // computes), and the copy against the source, at the default threshold and through the
  // threaded path at every size. Shapes: a layer's weights (rows split evenly), rows not a
  // multiple of 4 with columns not a multiple of 16 (a part's rows end inside a cache line and
  // inside a SIMD vector), one row (the other parts get none) and one column.
  it("axpby and assign on 1, 2 and 4 threads match the host's arithmetic entry for entry", async () => {
    const backends = [
      await createWasmBackend({ threads: 2 }),
      await createWasmBackend({ threads: 2, parallelMinWork: 0 }),
      await createWasmBackend({ threads: 4, parallelMinWork: 0 }),
      await createWasmBackend({ threads: 1 }),
    ];
    try {
      for (const be of backends.slice(0, 3)) {
        await (be as unknown as { threadPool: { start(): Promise<void> } }).threadPool.start();
      }
      const rng = new Rng(12);
      for (const [r, c] of [
        [784, 256],
        [301, 259],
        [1, 70_001],
        [66_003, 1],
        [5, 3],
      ] as const) {
        const x = randomMatrix(rng, r, c);
        const y = randomMatrix(rng, r, c);
        const [alpha, beta] = [0.9990000000000001, -0.013];
        const expected = new Float64Array(r * c);
        for (let i = 0; i < expected.length; i++) {
          expected[i] = Math.fround(
            alpha * Math.fround(x[i] as number) + beta * Math.fround(y[i] as number),
          );
        }
        // The first entry that differs (-1: none), cheaper than a deep equality on 200k entries.
        const firstMismatch = (got: Float64Array) =>
          got.findIndex((v, i) => !Object.is(v, expected[i]));
        for (const [i, be] of backends.entries()) {
          const where = `${r}×${c}, backend ${i}`;
          const X = be.upload(x, [r, c]);
          const Y = be.upload(y, [r, c]);
          const Z = be.axpby(alpha, X, beta, Y);
          expect(firstMismatch(await be.read(Z)), `axpby ${where}`).toBe(-1);
          be.assign(Y, Z);
          expect(firstMismatch(await be.read(Y)), `assign ${where}`).toBe(-1);
          for (const t of [X, Y, Z]) be.dispose(t);
        }
      }
    } finally {
      for (const be of backends) be.destroy();
    }
  });
});
