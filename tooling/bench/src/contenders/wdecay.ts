/**
 * wdecay's own backends, driven only through core's public API, exactly as an application
 * would: `train()` for the chapter, the lower-level pieces (uploadDataset, linearSgd, write,
 * step) for the training-steps-only workloads.
 */
import { createCpuBackend } from "@wdecay/backend-cpu";
import { createWasmBackend } from "@wdecay/backend-wasm";
import { createNodeWebGpuBackend } from "@wdecay/backend-webgpu/node";
import {
  type Backend,
  disposeAll,
  disposeDataset,
  l2Norm,
  linearSgd,
  MinibatchSchedule,
  type Tensor,
  train,
  trainGrid,
  uploadDataset,
} from "@wdecay/core";
import { swiftShaderIcd } from "@wdecay/test-browser";
import type { PreparedWorkload } from "../workloads.js";
import type { Contender, Trial } from "./index.js";

/** A backend to benchmark. */
export interface BenchBackend {
  readonly name: string;
  /** May be async (a WebGPU device, a wasm module); called once per process. */
  readonly create: () => Backend | Promise<Backend>;
  /** Workloads this backend sits out (to keep the bench short where it adds nothing). */
  readonly skip?: readonly string[];
  /** When it cannot start here, the bench says so and goes on (a GPU backend without a GPU). */
  readonly optional?: boolean;
}

/**
 * The backends that run. A new backend (wasm, webgpu…) is one more entry here; the tables, the
 * JSON and the ratios pick it up by themselves.
 */
export const WDECAY_BACKENDS: readonly BenchBackend[] = [
  { name: "cpu", create: () => createCpuBackend({ precision: "float64" }) },
  // A second plain-JavaScript 1024³ product (seconds a run) would tell nothing new.
  {
    name: "cpu-f32",
    create: () => createCpuBackend({ precision: "float32" }),
    skip: ["matmul1024"],
  },
  // Threads as the backend picks them (the machine's cores), and the same backend held to one
  // thread: the ratio of the two is the threads' gain (BENCH.md, "Threads").
  { name: "wasm", create: () => createWasmBackend() },
  { name: "wasm-1t", create: () => createWasmBackend({ threads: 1 }) },
  // A real GPU adapter when there is one, else SwiftShader from npm (software: its timings say
  // nothing about a GPU, see BENCH.md). Optional: where neither starts the bench goes on without
  // it. The naive matmul kernel on a software adapter would take minutes for 1024³.
  {
    name: "webgpu",
    create: async () =>
      createNodeWebGpuBackend({
        software: "fallback",
        icd: await swiftShaderIcd().catch(() => undefined),
      }),
    skip: ["matmul1024"],
    optional: true,
  },
];

export async function wdecayContenders(
  backends: readonly BenchBackend[] = WDECAY_BACKENDS,
): Promise<Contender[]> {
  const out: Contender[] = [];
  for (const entry of backends) {
    let backend: Backend;
    try {
      backend = await entry.create();
    } catch (error) {
      if (!entry.optional) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      process.stderr.write(`bench: ${entry.name} not measured: it could not start (${reason})\n`);
      continue;
    }
    out.push(backendContender(entry.name, backend, entry.skip));
  }
  return out;
}

/** Wraps one backend instance as a contender. */
export function backendContender(
  name: string,
  backend: Backend,
  skip: readonly string[] = [],
): Contender {
  return {
    name,
    group: "wdecay",
    precision: backend.precision,
    prepare: async (work) =>
      skip.includes(work.workload.name)
        ? undefined
        : work.workload.mode === "train"
          ? trainTrial(backend, work)
          : work.workload.mode === "grid"
            ? gridTrial(backend, work)
            : work.workload.mode === "matmul"
              ? matmulTrial(backend, work)
              : stepsTrial(backend, work),
    close: async () => backend.destroy(),
  };
}

/** The chapter: one call of core's `train()`, timed whole. */
function trainTrial(backend: Backend, work: PreparedWorkload): Trial {
  const w = work.workload;
  return {
    run: async () => {
      const result = await train(backend, work.data, {
        method: "scratch",
        lambda: w.lambda,
        epochs: w.epochs,
        lr: w.lr,
        batchSize: w.batchSize,
        evalEvery: w.evalEvery,
        seed: w.seed,
      });
      return { l2Norm: result.l2Norm };
    },
    dispose: () => {},
  };
}

/** A λ grid: one call of core's `trainGrid()`, timed whole. */
function gridTrial(backend: Backend, work: PreparedWorkload): Trial {
  const w = work.workload;
  return {
    run: async () => {
      const results = await trainGrid(backend, work.data, {
        method: "scratch",
        lambdas: w.lambdas ?? [w.lambda],
        epochs: w.epochs,
        lr: w.lr,
        batchSize: w.batchSize,
        evalEvery: w.evalEvery,
        seed: w.seed,
      });
      return { l2Norm: Math.hypot(...results.map((r) => r.l2Norm)) };
    },
    dispose: () => {},
  };
}

/**
 * One `backend.matmul` of the uploaded X by itself, then the read of the product. `opMs` times
 * the op alone: the backend's whole path (checks, output allocation, kernel), no read.
 */
function matmulTrial(backend: Backend, work: PreparedWorkload): Trial {
  const { workload, data } = work;
  const n = workload.dims;
  const X = backend.upload(data.train.X, [workload.nTrain, n]);
  return {
    run: async () => {
      const start = performance.now();
      const C = backend.matmul(X, X);
      const opMs = performance.now() - start;
      try {
        return { l2Norm: l2Norm(await backend.read(C)), opMs };
      } finally {
        backend.dispose(C);
      }
    },
    dispose: () => backend.dispose(X),
  };
}

/** Training steps only: data, parameters and the program are made here, outside timing. */
function stepsTrial(backend: Backend, work: PreparedWorkload): Trial {
  const { workload, data, init, orders } = work;
  const owned: Tensor[] = [];
  const trainSet = uploadDataset(backend, data.train);
  try {
    const w = backend.upload(init, [workload.dims, 1]);
    owned.push(w);
    const b = backend.zeros([1, 1]);
    owned.push(b);
    const order = backend.zeros([workload.nTrain, 1], "int32");
    owned.push(order);
    const program = linearSgd(backend, {
      X: trainSet.X,
      y: trainSet.y,
      order,
      w,
      b,
      weightPenalty: [workload.lambda],
      weightDecay: [0],
      biasDecay: [0],
    });
    // Only for forEachBatch, so the batches are cut exactly as train() cuts them.
    const schedule = new MinibatchSchedule(workload.nTrain, workload.batchSize, workload.seed);
    const lr = workload.lr;
    const step = (offset: number, count: number) => program.step(offset, count, lr);
    const zero = [0];
    return {
      run: async () => {
        backend.write(w, init);
        backend.write(b, zero);
        for (const epochOrder of orders) {
          backend.write(order, epochOrder);
          schedule.forEachBatch(step);
        }
        return { l2Norm: l2Norm(await backend.read(w)) };
      },
      dispose: () => {
        program.dispose();
        disposeAll(backend, owned);
        disposeDataset(backend, trainSet);
      },
    };
  } catch (error) {
    disposeAll(backend, owned);
    disposeDataset(backend, trainSet);
    throw error;
  }
}
