/**
 * Counted, not guessed: queue submissions and device→host reads per SGD step, per epoch and per
 * run of the chapter, from the backend's own counters.
 */
import {
  CHAPTER,
  createOptimizer,
  disposeDataset,
  groupParameters,
  initialParameters,
  linearSgd,
  type NetworkSpec,
  networkGradient,
  networkParameters,
  runChapter,
  syntheticSplit,
  train,
  uploadDataset,
} from "@wdecay/core";
import { describe, expect, it } from "vitest";
import type { WebGpuStats } from "../src/index.js";
import { makeBackend } from "./gpu.js";
import { withoutGpuErrors } from "./scope.js";

const delta = (a: WebGpuStats, b: WebGpuStats) => ({
  submissions: b.submissions - a.submissions,
  reads: b.reads - a.reads,
  writes: b.writes - a.writes,
  dispatches: b.dispatches - a.dispatches,
});

describe("work per step and per epoch (webgpu)", () => {
  it.each<NetworkSpec["loss"]>(["softmax", "logistic", "squared"])(
    "a network step (%s head, two hidden layers, AdamW on groups) uploads, writes and reads nothing and submits at most once",
    async (loss) => {
      const backend = await makeBackend();
      await withoutGpuErrors(backend, async () => {
        const spec: NetworkSpec = {
          inputs: 12,
          hidden: [16, 8],
          outputs: loss === "logistic" ? 1 : 3,
          loss,
        };
        const n = 40;
        const X = backend.upload(
          Array.from({ length: n * 12 }, (_, i) => Math.sin(i)),
          [n, 12],
        );
        const labels = Array.from({ length: n }, (_, i) => i % spec.outputs);
        const Y = backend.upload(
          loss === "logistic"
            ? labels.map((k) => k % 2)
            : labels.flatMap((k) => [0, 1, 2].map((j) => (j === k ? 1 : 0))),
          [n, spec.outputs],
        );
        const order = backend.upload(
          Array.from({ length: n }, (_, i) => i),
          [n, 1],
          "int32",
        );
        const infos = networkParameters(spec);
        const params = initialParameters(spec, 1).map((v, i) =>
          backend.upload(v, infos[i]?.shape ?? [1, 1]),
        );
        const grouping = groupParameters(infos, { weightDecay: 0.01 });
        const optimizer = createOptimizer(backend, {
          kind: "adamw",
          lr: 0.01,
          weightDecay: 0,
          decay: "decoupled",
          groups: grouping.groups.map((g) => ({
            params: g.indices.map((i) => params[i] as never),
            weightDecay: g.weightDecay,
          })),
        });
        const step = (offset: number) => {
          const Xb = backend.gatherRows(X, order, offset, 8);
          const Yb = backend.gatherRows(Y, order, offset, 8);
          const { grads } = networkGradient(backend, spec, params, Xb, Yb);
          optimizer.step(grouping.groups.map((g) => g.indices.map((i) => grads[i] as never)));
          for (const t of [Xb, Yb, ...grads]) backend.dispose(t);
        };
        step(0); // the optimizer's state and ε are created on the first step
        backend.flush();
        const steps = 20;
        for (let k = 0; k < steps; k++) {
          const before = backend.stats();
          step((k % 5) * 8);
          const d = delta(before, backend.stats());
          expect(d).toMatchObject({ reads: 0, writes: 0 });
          expect(d.submissions).toBeLessThanOrEqual(1);
        }
        expect((await backend.read(params[0] as never)).every(Number.isFinite)).toBe(true);
        optimizer.dispose();
        for (const t of [X, Y, order, ...params]) backend.dispose(t);
        expect(backend.liveTensors()).toBe(0);
      });
      backend.destroy();
    },
  );

  it("an SGD step encodes two dispatches and submits and reads nothing", async () => {
    const backend = await makeBackend();
    await withoutGpuErrors(backend, async () => {
      const data = syntheticSplit(42, CHAPTER);
      const set = uploadDataset(backend, data.train);
      const n = data.train.n;
      const w = backend.upload(new Float64Array(CHAPTER.dims).fill(0.1), [CHAPTER.dims, 1]);
      const b = backend.zeros([1, 1]);
      const order = backend.upload(
        Array.from({ length: n }, (_, i) => i),
        [n, 1],
        "int32",
      );
      const program = linearSgd(backend, {
        X: set.X,
        y: set.y,
        order,
        w,
        b,
        weightPenalty: [3],
        weightDecay: [0],
        biasDecay: [0],
      });
      backend.flush();
      const before = backend.stats();
      program.step(0, CHAPTER.batchSize, CHAPTER.lr);
      const afterStep = backend.stats();
      expect(delta(before, afterStep)).toEqual({
        submissions: 0,
        reads: 0,
        writes: 0,
        dispatches: 2,
      });
      for (let offset = CHAPTER.batchSize; offset < n; offset += CHAPTER.batchSize) {
        program.step(offset, CHAPTER.batchSize, CHAPTER.lr);
      }
      // A whole epoch of steps is still unsubmitted: the next write of the order submits it.
      expect(delta(before, backend.stats()).submissions).toBe(0);
      backend.write(
        order,
        Array.from({ length: n }, (_, i) => n - 1 - i),
      );
      const afterEpoch = backend.stats();
      expect(delta(before, afterEpoch)).toMatchObject({ submissions: 1, reads: 0, writes: 1 });
      expect(afterEpoch.paramWrites - before.paramWrites).toBe(1);
      // The step allocates nothing: the buffer count stays put across steps.
      program.step(0, CHAPTER.batchSize, CHAPTER.lr);
      expect(backend.stats().buffers).toBe(afterEpoch.buffers);
      const norm = await backend.read(w);
      expect(norm.every(Number.isFinite)).toBe(true);
      program.dispose();
      for (const t of [w, b, order]) backend.dispose(t);
      disposeDataset(backend, set);
      expect(backend.liveTensors()).toBe(0);
    });
    backend.destroy();
  });

  it("training submits once per epoch and reads only at evaluations", async () => {
    const backend = await makeBackend();
    const data = syntheticSplit(42, CHAPTER);
    const perEpoch: ReturnType<typeof delta>[] = [];
    await withoutGpuErrors(backend, async () => {
      let last = backend.stats();
      await train(backend, data, {
        method: "scratch",
        lambda: 3,
        epochs: CHAPTER.epochs,
        lr: CHAPTER.lr,
        batchSize: CHAPTER.batchSize,
        seed: 42,
        evalEvery: CHAPTER.evalEvery,
        onEpoch: () => {
          const now = backend.stats();
          perEpoch.push(delta(last, now));
          last = now;
        },
      });
    });
    const steps = Math.ceil(CHAPTER.nTrain / CHAPTER.batchSize);
    for (const [i, e] of perEpoch.entries()) {
      const epoch = i + 1;
      const evaluates = epoch % CHAPTER.evalEvery === 0;
      // The write of an epoch's order submits the previous epoch's steps (in epoch 1, the
      // setup's clears); an evaluation's two reads share one more submission, which also takes
      // that epoch's steps, so the next epoch's write has nothing left to submit.
      expect(e.submissions, `epoch ${epoch}`).toBeLessThanOrEqual(evaluates ? 2 : 1);
      expect(e.reads, `epoch ${epoch}`).toBe(evaluates ? 2 : 0);
      expect(e.dispatches, `epoch ${epoch}`).toBe(2 * steps + (evaluates ? 2 : 0));
    }
    const total = perEpoch.reduce((sum, e) => sum + e.submissions, 0);
    // Plus one: the last evaluation submits after the last epoch's steps were already sent.
    expect(total).toBeLessThanOrEqual(CHAPTER.epochs + 1);
    console.log(
      `webgpu counts, chapter (n = ${CHAPTER.nTrain}, batch ${CHAPTER.batchSize}, ${steps} steps/epoch): ` +
        "per step 0 submissions, 0 reads, 2 dispatches; per epoch ≤ 1 submission, " +
        `0 reads (2 at an evaluation every ${CHAPTER.evalEvery} epochs)`,
    );
    backend.destroy();
  });

  it("counts a whole chapter run (4 runs × 100 epochs)", async () => {
    const backend = await makeBackend();
    const before = backend.stats();
    const runs = await withoutGpuErrors(backend, () => runChapter(backend, { seed: 42 }));
    const d = delta(before, backend.stats());
    const epochs = runs.length * CHAPTER.epochs;
    const steps = epochs * Math.ceil(CHAPTER.nTrain / CHAPTER.batchSize);
    const reads = runs.length * (2 * (CHAPTER.epochs / CHAPTER.evalEvery) + 2);
    console.log(
      `webgpu counts, runChapter: ${steps} steps, ${epochs} epochs, ${d.submissions} submissions, ` +
        `${d.reads} reads (${d.reads / epochs} per epoch), ${d.dispatches} dispatches`,
    );
    expect(d.reads).toBe(reads);
    expect(d.submissions).toBeLessThanOrEqual(epochs + runs.length * 2);
    backend.destroy();
  });
});
