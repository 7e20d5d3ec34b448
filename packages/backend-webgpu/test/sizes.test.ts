/**
 * Shapes past one workgroup (the conformance suite draws dimensions ≤ 9) and past the
 * 65 535-workgroup limit of one grid dimension, against the float64 cpu backend.
 */
import { createCpuBackend } from "@wdecay/backend-cpu";
import { type Backend, disposeAll, linearLoss, linearSgd, Rng, type Shape } from "@wdecay/core";
import { describe, expect, it } from "vitest";
import { makeBackend } from "./gpu.js";
import { withoutGpuErrors } from "./scope.js";

const EPS32 = 2 ** -23;

function values(n: number, seed: number): Float64Array {
  return new Rng(seed, 0).fillNormal(new Float64Array(n), 0, 1);
}

/** Largest |a − b| over the largest |b|. */
function relative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return diff / scale;
}

async function both(
  gpu: Backend,
  cpu: Backend,
  f: (backend: Backend) => Promise<Float64Array>,
): Promise<[Float64Array, Float64Array]> {
  return [await f(gpu), await f(cpu)];
}

describe("sizes past one workgroup (webgpu)", () => {
  it("matmul, sums, broadcasts, gathers and the fused kernels on large shapes", async () => {
    const gpu = await makeBackend();
    const cpu = createCpuBackend();
    await withoutGpuErrors(gpu, async () => {
      const A: Shape = [300, 70];
      const a = values(300 * 70, 1);
      const b = values(70 * 50, 2);
      const [mg, mc] = await both(gpu, cpu, async (k) => {
        const x = k.upload(a, A);
        const y = k.upload(b, [70, 50]);
        const c = k.matmul(x, y);
        const t = k.matmul(x, x, true, false);
        const out = Float64Array.from([...(await k.read(c)), ...(await k.read(t))]);
        disposeAll(k, [x, y, c, t]);
        return out;
      });
      expect(relative(mg, mc)).toBeLessThan(300 * 4 * EPS32);

      const [sg, sc] = await both(gpu, cpu, async (k) => {
        const x = k.upload(a, A);
        const row = k.upload(values(70, 3), [1, 70]);
        const sums = [k.sum(x), k.sum(x, 0), k.sum(x, 1), k.binary("mul", x, row)];
        const out: number[] = [];
        for (const s of sums) out.push(...(await k.read(s)));
        disposeAll(k, [x, row, ...sums]);
        return Float64Array.from(out);
      });
      expect(relative(sg, sc)).toBeLessThan(21000 * 4 * EPS32);

      const order = Array.from({ length: 3000 }, (_, i) => (i * 7919) % 3000);
      const [n, d] = [3000, 40];
      const X = values(n * d, 4);
      const Y = values(n * 2, 5);
      const [fg, fc] = await both(gpu, cpu, async (k) => {
        const x = k.upload(X, [n, d]);
        const y = k.upload(Y, [n, 2]);
        const w = k.upload(values(d * 2, 6), [d, 2]);
        const bias = k.zeros([1, 2]);
        const idx = k.upload(order, [n, 1], "int32");
        const g = k.gatherRows(x, idx, 100, 700);
        const program = linearSgd(k, {
          X: x,
          y,
          order: idx,
          w,
          b: bias,
          weightPenalty: [0.1, 0],
          weightDecay: [0, 0.2],
          biasDecay: [0, 0],
        });
        for (let offset = 0; offset < n; offset += 512) {
          program.step(offset, Math.min(512, n - offset), 0.01);
        }
        program.dispose();
        const loss = linearLoss(k, x, y, w, bias);
        const out = Float64Array.from([
          ...(await k.read(g)),
          ...(await k.read(w)),
          ...(await k.read(bias)),
          ...(await k.read(loss)),
        ]);
        disposeAll(k, [x, y, w, bias, idx, g, loss]);
        return out;
      });
      expect(relative(fg, fc)).toBeLessThan(6 * 512 * 4 * EPS32);
    });
    expect(gpu.liveTensors()).toBe(0);
    gpu.destroy();
  });

  it("a grid past 65 535 workgroups in one dimension", async () => {
    const gpu = await makeBackend();
    // 4097² elements need more than 65 535 × 256 invocations: the grid goes 2-D.
    const side = 4097;
    const data = new Float32Array(side * side);
    for (let i = 0; i < data.length; i++) data[i] = (i % 3) - 1;
    await withoutGpuErrors(gpu, async () => {
      const x = gpu.upload(data, [side, side]);
      const y = gpu.unary("square", x);
      const total = gpu.sum(y);
      const [value] = await gpu.read(total);
      // Squares are 0 or 1 and the total stays below 2^24: every float32 partial sum is exact.
      let expected = 0;
      for (let i = 0; i < data.length; i++) expected += (data[i] as number) ** 2;
      expect(value).toBe(expected);
      disposeAll(gpu, [x, y, total]);
    });
    gpu.destroy();
  });
});
