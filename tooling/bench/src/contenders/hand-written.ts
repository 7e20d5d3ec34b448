/**
 * The yardstick: minibatch SGD written by hand over plain Float64Arrays, with no tensors, no
 * handles, no checks and no allocation per step: gather, forward, gradient, decay and update
 * fused in one loop. A backend cannot do the same arithmetic faster in plain JavaScript, so
 * its median over this one's says what the abstraction costs.
 */
import { initialWeights, l2Norm, MinibatchSchedule } from "@wdecay/core";
import type { PreparedWorkload } from "../workloads.js";
import type { Contender, Trial } from "./index.js";

/**
 * One epoch of SGD on J = mean ½(xᵀw + b − y)² + (λ/2)‖w‖² over the rows in `order`, batch by
 * batch (the last one smaller), updating `w` in place; returns the new bias. `g` is d scratch.
 * Same arithmetic order as the cpu backend's fused kernel, so float64 results agree to rounding.
 */
export function sgdEpoch(
  X: Float64Array,
  y: Float64Array,
  order: Int32Array,
  d: number,
  batchSize: number,
  lr: number,
  lambda: number,
  w: Float64Array,
  g: Float64Array,
  bias: number,
): number {
  const n = order.length;
  let b = bias;
  for (let offset = 0; offset < n; offset += batchSize) {
    const count = Math.min(batchSize, n - offset);
    g.fill(0);
    let rSum = 0;
    for (let t = 0; t < count; t++) {
      const row = order[offset + t] as number;
      const base = row * d;
      let z = b;
      for (let j = 0; j < d; j++) z += (X[base + j] as number) * (w[j] as number);
      const r = z - (y[row] as number);
      rSum += r;
      for (let j = 0; j < d; j++) g[j] = (g[j] as number) + (X[base + j] as number) * r;
    }
    const inv = 1 / count;
    for (let j = 0; j < d; j++) {
      const wj = w[j] as number;
      w[j] = wj - lr * ((g[j] as number) * inv + lambda * wj);
    }
    b -= lr * rSum * inv;
  }
  return b;
}

/** Mean ½(xᵀw + b − y)² over all n rows (no penalty), as core's linearLoss. */
export function meanLoss(
  X: Float64Array,
  y: Float64Array,
  d: number,
  w: Float64Array,
  b: number,
): number {
  const n = y.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const base = i * d;
    let z = b;
    for (let j = 0; j < d; j++) z += (X[base + j] as number) * (w[j] as number);
    const r = z - (y[i] as number);
    sum += r * r;
  }
  return (0.5 * sum) / n;
}

export function handWritten(): Contender {
  return {
    name: "hand-written",
    group: "baseline",
    precision: "float64",
    prepare: async (work) =>
      work.workload.mode === "steps"
        ? stepsTrial(work)
        : work.workload.mode === "grid"
          ? gridTrial(work)
          : work.workload.mode === "matmul"
            ? matmulTrial(work)
            : trainTrial(work),
    close: async () => {},
  };
}

/**
 * Mirrors core's `train()` step for step (initial weights, a schedule shuffled each epoch,
 * losses at the evaluation points) but reads the host arrays directly: nothing to upload.
 */
/** A λ grid as 64 separate runs of the loop below, for context. ‖w‖ over all runs. */
function gridTrial(work: PreparedWorkload): Trial {
  const lambdas = work.workload.lambdas ?? [work.workload.lambda];
  const runs = lambdas.map((lambda) => trainTrial(work, lambda));
  return {
    run: async () => {
      const norms: number[] = [];
      for (const r of runs) norms.push((await r.run()).l2Norm);
      return { l2Norm: Math.hypot(...norms) };
    },
    dispose: () => {},
  };
}

function trainTrial(work: PreparedWorkload, lambda = work.workload.lambda): Trial {
  const { workload, data } = work;
  const { train: tr, test: te } = data;
  const d = workload.dims;
  return {
    run: async () => {
      const w = initialWeights(workload.seed, d);
      const g = new Float64Array(d);
      const schedule = new MinibatchSchedule(tr.n, workload.batchSize, workload.seed);
      let b = 0;
      // Kept like train()'s history so the evaluations cannot be optimized away.
      const history: number[] = [];
      for (let epoch = 1; epoch <= workload.epochs; epoch++) {
        const order = schedule.shuffle();
        b = sgdEpoch(tr.X, tr.y, order, d, workload.batchSize, workload.lr, lambda, w, g, b);
        if (epoch % workload.evalEvery === 0 || epoch === workload.epochs) {
          history.push(meanLoss(tr.X, tr.y, d, w, b), meanLoss(te.X, te.y, d, w, b));
        }
      }
      if (!history.every(Number.isFinite)) throw new Error("hand-written: loss is not finite");
      return { l2Norm: l2Norm(w) };
    },
    dispose: () => {},
  };
}

/** Training steps only, on the orders drawn beforehand. */
function stepsTrial(work: PreparedWorkload): Trial {
  const { workload, data, init, orders } = work;
  const w = new Float64Array(workload.dims);
  const g = new Float64Array(workload.dims);
  return {
    run: async () => {
      w.set(init);
      let b = 0;
      for (const order of orders) {
        b = sgdEpoch(
          data.train.X,
          data.train.y,
          order,
          workload.dims,
          workload.batchSize,
          workload.lr,
          workload.lambda,
          w,
          g,
          b,
        );
      }
      return { l2Norm: l2Norm(w) };
    },
    dispose: () => {},
  };
}

/**
 * C = A·B (m×k times k×n, row-major Float64Arrays) by the i-k-j loop: the inner loop runs along
 * rows of B and C, the cache-friendly order a plain loop gets.
 */
export function matmulLoop(
  A: Float64Array,
  B: Float64Array,
  C: Float64Array,
  m: number,
  k: number,
  n: number,
): void {
  C.fill(0);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const a = A[i * k + p] as number;
      const bp = p * n;
      for (let j = 0; j < n; j++) C[ci + j] = (C[ci + j] as number) + a * (B[bp + j] as number);
    }
  }
}

/** The product C = X·X of the `matmul` mode; ‖C‖_F is its result. */
function matmulTrial(work: PreparedWorkload): Trial {
  const { workload, data } = work;
  const n = workload.dims;
  const C = new Float64Array(n * n);
  return {
    run: async () => {
      const start = performance.now();
      matmulLoop(data.train.X, data.train.X, C, n, n, n);
      const opMs = performance.now() - start;
      return { l2Norm: l2Norm(C), opMs };
    },
    dispose: () => {},
  };
}
