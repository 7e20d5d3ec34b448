/**
 * The other yardstick: the same training written the way a TensorFlow.js user would write it,
 * on tfjs' plain-JavaScript cpu backend (`tfjs-cpu`) or, see `tfjs-wasm.ts`, its WebAssembly
 * backend (`tfjs-wasm`). Autodiff and the optimizer come from `@tensorflow/tfjs` (its Node bundle
 * registers the gradients on the tfjs-core instance it shares with the backends); tfjs computes
 * in float32.
 *
 * tfjs has one active backend per process. Both tfjs contenders run in the same process, so each
 * selects its own backend when it prepares a trial and before every timed run (`Trial.before`,
 * untimed: switching runs tfjs' setup of every kernel of the backend). `run` selects it again,
 * a no-op then, so that a trial run on its own (tests) is right too.
 */
import * as tf from "@tensorflow/tfjs";
import { version_cpu } from "@tensorflow/tfjs-backend-cpu";
import { initialWeights, l2Norm, MinibatchSchedule } from "@wdecay/core";
import type { PreparedWorkload } from "../workloads.js";
import type { Contender, Trial } from "./index.js";

/** Versions for the report's machine section. */
export const TFJS_VERSIONS = { tfjs: tf.version.tfjs, "tfjs-backend-cpu": version_cpu };

type Data = { X: tf.Tensor2D; y: tf.Tensor2D };

/** mean ½(Xw + b − y)², no penalty: the evaluations' loss, as core's linearLoss. */
function meanLoss({ X, y }: Data, w: tf.Variable, b: tf.Variable): tf.Scalar {
  return tf.mul(0.5, tf.mean(tf.square(tf.sub(tf.add(tf.matMul(X, w), b), y))));
}

/**
 * The rows `order[offset .. offset + count)` gathered from the data, and one SGD step on the
 * scratch objective mean ½(Xᵦw + b − yᵦ)² + (λ/2)‖w‖² by tfjs autodiff. Everything the step
 * makes but the variables' new values is freed by the tidy.
 */
function sgdStep(
  data: Data,
  order: tf.Tensor1D,
  offset: number,
  count: number,
  w: tf.Variable,
  b: tf.Variable,
  lambda: number,
  optimizer: tf.Optimizer,
): void {
  tf.tidy(() => {
    const rows = tf.slice(order, [offset], [count]);
    const batch = { X: tf.gather(data.X, rows), y: tf.gather(data.y, rows) };
    optimizer.minimize(() =>
      tf.add(meanLoss(batch, w, b), tf.mul(lambda / 2, tf.sum(tf.square(w)))),
    );
  });
}

/** tfjs holds floats as float32 and its types take no Float64Array: convert on the way in. */
function f32(values: Float64Array): Float32Array {
  return Float32Array.from(values);
}

function upload(X: Float64Array, y: Float64Array, n: number, d: number): Data {
  return { X: tf.tensor2d(f32(X), [n, d]), y: tf.tensor2d(f32(y), [n, 1]) };
}

/**
 * A variable holding `initial`'s values. tf.variable shares the initial tensor's data (and
 * counts a reference to it) but leaves the tensor itself alive: free it, or every run leaks one
 * tensor per variable.
 */
function variable(initial: tf.Tensor): tf.Variable {
  try {
    return tf.variable(initial);
  } finally {
    initial.dispose();
  }
}

function disposeData(...sets: Data[]): void {
  for (const s of sets) tf.dispose([s.X, s.y]);
}

/** Makes `backend` tfjs' active backend (tensors are made and used on the active one). */
async function use(backend: string): Promise<void> {
  if (tf.getBackend() === backend) return;
  if (!(await tf.setBackend(backend)))
    throw new Error(`tfjs: the ${backend} backend did not start`);
}

/** A tfjs baseline on one of tfjs' backends (`cpu` or `wasm`, registered by the caller). */
export async function tfjsContender(backend: "cpu" | "wasm"): Promise<Contender> {
  await use(backend);
  await tf.ready();
  const name = `tfjs-${backend}`;
  return {
    name,
    group: "baseline",
    precision: "float32",
    // A λ grid in one pass is wdecay's API; tfjs has no counterpart worth timing here.
    prepare: async (work) => {
      await use(backend);
      return work.workload.mode === "train"
        ? trainTrial(work, name, backend)
        : work.workload.mode === "grid"
          ? undefined
          : work.workload.mode === "matmul"
            ? // tfjs' JavaScript product takes seconds a run; its wasm one is the comparison.
              backend === "wasm"
              ? matmulTrial(work, backend)
              : undefined
            : stepsTrial(work, backend);
    },
    close: async () => {},
  };
}

/** The tfjs baseline on tfjs' plain-JavaScript cpu backend. */
export function tfjsCpu(): Promise<Contender> {
  return tfjsContender("cpu");
}

/** `tf.matMul(X, X)` and the read of the product (`opMs`: the matMul call alone). */
function matmulTrial(work: PreparedWorkload, backend: string): Trial {
  const { workload, data } = work;
  const X = tf.tensor2d(f32(data.train.X), [workload.nTrain, workload.dims]);
  return {
    before: () => use(backend),
    run: async () => {
      await use(backend);
      const start = performance.now();
      const C = tf.matMul(X, X);
      const opMs = performance.now() - start;
      try {
        return { l2Norm: l2Norm(await C.data()), opMs };
      } finally {
        C.dispose();
      }
    },
    dispose: () => X.dispose(),
  };
}

/** Mirrors core's `train()`: upload, variables, a fresh shuffle per epoch, evaluations, read. */
function trainTrial(work: PreparedWorkload, name: string, backend: string): Trial {
  const { workload, data } = work;
  const d = workload.dims;
  return {
    before: () => use(backend),
    run: async () => {
      await use(backend);
      const schedule = new MinibatchSchedule(data.train.n, workload.batchSize, workload.seed);
      const train = upload(data.train.X, data.train.y, data.train.n, d);
      const test = upload(data.test.X, data.test.y, data.test.n, d);
      const w = variable(tf.tensor2d(f32(initialWeights(workload.seed, d)), [d, 1]));
      const b = variable(tf.zeros([1]));
      const optimizer = tf.train.sgd(workload.lr);
      try {
        const history: number[] = [];
        for (let epoch = 1; epoch <= workload.epochs; epoch++) {
          const order = tf.tensor1d(schedule.shuffle(), "int32");
          schedule.forEachBatch((offset, count) =>
            sgdStep(train, order, offset, count, w, b, workload.lambda, optimizer),
          );
          order.dispose();
          if (epoch % workload.evalEvery === 0 || epoch === workload.epochs) {
            const losses = tf.tidy(() => [meanLoss(train, w, b), meanLoss(test, w, b)]);
            const values = await Promise.all(losses.map((t) => t.data()));
            tf.dispose(losses);
            for (const v of values) history.push(v[0] as number);
          }
        }
        if (!history.every(Number.isFinite)) throw new Error(`${name}: loss is not finite`);
        return { l2Norm: l2Norm(await w.data()) };
      } finally {
        optimizer.dispose();
        tf.dispose([w, b]);
        disposeData(train, test);
      }
    },
    dispose: () => {},
  };
}

/** Training steps only: data and variables live on tfjs from `prepare` on. */
function stepsTrial(work: PreparedWorkload, backend: string): Trial {
  const { workload, data, init, orders } = work;
  const d = workload.dims;
  const train = upload(data.train.X, data.train.y, data.train.n, d);
  const w = variable(tf.zeros([d, 1]));
  const b = variable(tf.zeros([1]));
  const optimizer = tf.train.sgd(workload.lr);
  const schedule = new MinibatchSchedule(data.train.n, workload.batchSize, workload.seed);
  return {
    before: () => use(backend),
    run: async () => {
      await use(backend);
      tf.tidy(() => {
        w.assign(tf.tensor2d(f32(init), [d, 1]));
        b.assign(tf.zeros([1]));
      });
      for (const epochOrder of orders) {
        // The epoch's order goes up once, like the wdecay backends' `write`.
        const order = tf.tensor1d(epochOrder, "int32");
        schedule.forEachBatch((offset, count) =>
          sgdStep(train, order, offset, count, w, b, workload.lambda, optimizer),
        );
        order.dispose();
      }
      return { l2Norm: l2Norm(await w.data()) };
    },
    dispose: () => {
      optimizer.dispose();
      tf.dispose([w, b]);
      disposeData(train);
    },
  };
}
