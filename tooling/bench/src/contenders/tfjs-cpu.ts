/**
 * The other yardstick: the same training written the way a TensorFlow.js user would write it,
 * on tfjs' plain-JavaScript cpu backend. Autodiff and the optimizer come from `@tensorflow/tfjs`
 * (its Node bundle registers the gradients on the tfjs-core instance it shares with
 * `@tensorflow/tfjs-backend-cpu`); tfjs computes in float32.
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

/** The tfjs baseline; selects tfjs' cpu backend for the whole process. */
export async function tfjsCpu(): Promise<Contender> {
  if (!(await tf.setBackend("cpu"))) throw new Error("tfjs: the cpu backend did not start");
  await tf.ready();
  return {
    name: "tfjs-cpu",
    group: "baseline",
    precision: "float32",
    // A λ grid in one pass is wdecay's API; tfjs has no counterpart worth timing here.
    prepare: async (work) =>
      work.workload.mode === "train"
        ? trainTrial(work)
        : work.workload.mode === "grid"
          ? undefined
          : stepsTrial(work),
    close: async () => {},
  };
}

/** Mirrors core's `train()`: upload, variables, a fresh shuffle per epoch, evaluations, read. */
function trainTrial(work: PreparedWorkload): Trial {
  const { workload, data } = work;
  const d = workload.dims;
  return {
    run: async () => {
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
        if (!history.every(Number.isFinite)) throw new Error("tfjs-cpu: loss is not finite");
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
function stepsTrial(work: PreparedWorkload): Trial {
  const { workload, data, init, orders } = work;
  const d = workload.dims;
  const train = upload(data.train.X, data.train.y, data.train.n, d);
  const w = variable(tf.zeros([d, 1]));
  const b = variable(tf.zeros([1]));
  const optimizer = tf.train.sgd(workload.lr);
  const schedule = new MinibatchSchedule(data.train.n, workload.batchSize, workload.seed);
  return {
    run: async () => {
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
