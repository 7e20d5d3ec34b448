import { createCpuBackend } from "@wdecay/backend-cpu";
import {
  type Backend,
  CHAPTER,
  composeLinearSgd,
  defaultRegistry,
  disposeAll,
  linearSgd,
  runChapter,
  syntheticSplit,
  trainGrid,
} from "@wdecay/core";
import { describe, expect, it } from "vitest";
import { makeBackend } from "./gpu.js";
import { withoutGpuErrors } from "./scope.js";

const EPS32 = 2 ** -23;
const steps = CHAPTER.epochs * Math.ceil(CHAPTER.nTrain / CHAPTER.batchSize);
// As in the cpu backend's float32 test: each step rounds w to float32 and sums d products, and
// stable steps carry these errors without amplifying them.
const chapterTolerance = steps * Math.sqrt(CHAPTER.dims) * EPS32;

function maxRelativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i] as number));
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
  }
  return diff / Math.max(scale, Number.MIN_VALUE);
}

describe("training on webgpu", () => {
  it("the chapter's ‖w‖ equals the float64 cpu reference within float32 tolerance", async () => {
    const gpu = await makeBackend();
    const runs = await withoutGpuErrors(gpu, () => runChapter(gpu, { seed: 42 }));
    const ref = await runChapter(createCpuBackend(), { seed: 42 });
    for (const [i, r] of ref.entries()) {
      const run = runs[i] as (typeof runs)[number];
      expect(Math.abs(run.l2Norm - r.l2Norm) / r.l2Norm).toBeLessThanOrEqual(chapterTolerance);
      expect(Math.abs(run.testLoss - r.testLoss) / r.testLoss).toBeLessThanOrEqual(
        chapterTolerance,
      );
    }
    expect(gpu.liveTensors()).toBe(0);
    gpu.destroy();
  });

  it("a λ grid in one pass equals the cpu grid column by column", async () => {
    const gpu = await makeBackend();
    const data = syntheticSplit(42, CHAPTER);
    const options = {
      method: "concise" as const,
      lambdas: [0, 0.1, 1, 3],
      epochs: CHAPTER.epochs,
      lr: CHAPTER.lr,
      batchSize: CHAPTER.batchSize,
      seed: 42,
    };
    const grid = await withoutGpuErrors(gpu, () => trainGrid(gpu, data, options));
    const ref = await trainGrid(createCpuBackend(), data, options);
    for (const [l, r] of ref.entries()) {
      const col = grid[l] as (typeof grid)[number];
      expect(Math.abs(col.l2Norm - r.l2Norm) / r.l2Norm).toBeLessThanOrEqual(chapterTolerance);
    }
    gpu.destroy();
  });

  it("multi-output y (n×L) with per-column penalties and L1: fused = composed = cpu", async () => {
    const n = 13;
    const d = 6;
    const L = 3;
    const { train } = syntheticSplit(7, { nTrain: n, nTest: 1, dims: d });
    const Y = Array.from({ length: n * L }, (_, k) => Math.sin(k) + (train.y[k % n] as number));
    const run = async (backend: Backend, fused: boolean) => {
      const X = backend.upload(train.X, [n, d]);
      const y = backend.upload(Y, [n, L]);
      const w = backend.upload(
        Array.from({ length: d * L }, (_, i) => Math.cos(i + 1)),
        [d, L],
      );
      const b = backend.upload([0.1, -0.2, 0.3], [1, L]);
      const order = backend.upload([12, 0, 5, 3, 7, 1, 2, 11, 4, 6, 9, 10, 8], [n, 1], "int32");
      const spec = {
        X,
        y,
        order,
        w,
        b,
        weightPenalty: [0, 0.5, 1],
        weightDecay: [0.3, 0, 0.1],
        biasDecay: [0, 0.2, 0],
        weightL1: [0, 0.05, 0.2],
      };
      const program = fused ? linearSgd(backend, spec) : composeLinearSgd(backend, spec);
      for (let epoch = 0; epoch < 4; epoch++) {
        for (let offset = 0; offset < n; offset += 4) {
          program.step(offset, Math.min(4, n - offset), 0.05);
        }
      }
      program.dispose();
      const out = [...(await backend.read(w)), ...(await backend.read(b))];
      disposeAll(backend, [X, y, w, b, order]);
      expect(backend.liveTensors()).toBe(0);
      return out;
    };
    const gpu = await makeBackend();
    const fused = await withoutGpuErrors(gpu, () => run(gpu, true));
    const composed = await withoutGpuErrors(gpu, () => run(gpu, false));
    const ref = await run(createCpuBackend(), true);
    // 16 steps, each rounding sums of d + 1 = 7 terms: ≲ 16·8·ε32 relative, ×4 of margin.
    const tol = 16 * 8 * EPS32 * 4;
    expect(maxRelativeDiff(fused, ref)).toBeLessThanOrEqual(tol);
    expect(maxRelativeDiff(composed, ref)).toBeLessThanOrEqual(tol);
    gpu.destroy();
  });

  it("registers as `webgpu` above cpu, and starts from the registry", async () => {
    await import("../src/register.js");
    expect(defaultRegistry.names()[0]).toBe("webgpu");
    const backend = await defaultRegistry.get("webgpu");
    expect(backend.name).toBe("webgpu");
    expect(backend.capabilities.device).toBe("gpu");
    expect(backend.precision).toBe("float32");
    defaultRegistry.reset();
  });

  it("on a software adapter, runs only when named: a default pick falls back past it", async () => {
    await import("../src/register.js");
    await import("@wdecay/backend-cpu/register");
    const direct = await makeBackend();
    // The tests' adapter is SwiftShader unless VK_ICD_FILENAMES names a real GPU's driver.
    const software = /swiftshader/i.test(direct.adapter);
    expect(direct.softwareAdapter).toBe(software);
    direct.destroy();
    try {
      expect((await defaultRegistry.resolve()).name).toBe(software ? "cpu" : "webgpu");
      const listing = await defaultRegistry.list();
      const webgpu = listing.find((l) => l.name === "webgpu");
      expect(webgpu?.available).toBe(!software);
      if (software) expect(webgpu?.reason).toMatch(/swiftshader.*software.*by name/i);
      expect((await defaultRegistry.resolve(["webgpu"], { fallback: false })).name).toBe("webgpu");
    } finally {
      defaultRegistry.reset();
    }
  });
});
