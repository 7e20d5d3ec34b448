/**
 * The network workloads of `pnpm bench`, as issue 14 sets them:
 * - `mlp`: minibatch SGD on a multilayer perceptron of MNIST's shape, 784 → 256 → 10 (ReLU,
 *   softmax cross-entropy), 10,000 seeded rows, batch 64, 5 epochs (785 steps);
 * - `logistic`: multinomial logistic (softmax) regression, 784 → 10, on the same rows.
 * Weight decay λ = 1e-3 on the weight matrices and none on the biases. Timed: the steps only
 * (data and parameters already on the contender, each epoch's order drawn beforehand) and one
 * read of the parameters at the end, as the `steps` workloads are.
 *
 * Contenders: core's trainNetwork step (networkGradient + the grouped optimizer) on the cpu,
 * cpu-f32 and wasm backends, and the same network written as a TensorFlow.js user would
 * (tf.variable, autodiff through tf.losses.softmaxCrossEntropy with the penalty in the loss,
 * tf.train.sgd) on tfjs' wasm and cpu backends, and as a jax-js user would (`grad` of the loss
 * with the penalty in it, the SGD update under `jit`, on jax-js' wasm backend, the fastest it
 * has in Node). All start from the same initial values and take the same rows in the same order;
 * their final training losses must agree.
 */

import * as jax from "@jax-js/jax";
import * as tf from "@tensorflow/tfjs";
import { summarize } from "./measure.js";
import "@tensorflow/tfjs-backend-wasm";
import { createCpuBackend } from "@wdecay/backend-cpu";
import { createWasmBackend, threadSupport } from "@wdecay/backend-wasm";
import {
  type Backend,
  createOptimizer,
  groupParameters,
  initialParameters,
  MinibatchSchedule,
  type NetworkSpec,
  networkGradient,
  networkParameters,
  oneHot,
  Rng,
  scoreOutputs,
  type Tensor,
} from "@wdecay/core";
import { THREADS_GOAL } from "./report.js";

/** The workload's size and settings; tests run a smaller one. */
export interface MlpConfig {
  readonly rows: number;
  readonly spec: NetworkSpec;
  readonly batchSize: number;
  readonly epochs: number;
  readonly lr: number;
  readonly lambda: number;
  readonly seed: number;
  readonly warmup: number;
}

export const MLP: MlpConfig = {
  rows: 10_000,
  spec: { inputs: 784, hidden: [256], outputs: 10, loss: "softmax" },
  batchSize: 64,
  epochs: 5,
  lr: 0.05,
  lambda: 1e-3,
  seed: 42,
  warmup: 1,
};

/** The `logistic` workload: the same data and training, no hidden layer. */
export const LOGISTIC: MlpConfig = { ...MLP, spec: { ...MLP.spec, hidden: [] } };

/** Runs per contender by default. */
export const MLP_RUNS = 3;

interface Problem {
  readonly X: Float64Array;
  readonly Y: Float64Array;
  readonly labels: Int32Array;
  readonly init: Float64Array[];
  /** Each epoch's row order. */
  readonly orders: Int32Array[];
}

/** Pixels in [0, 1) with a class-dependent mean, so the network has something to learn. */
function problem(cfg: MlpConfig): Problem {
  const { rows, spec, seed, epochs, batchSize } = cfg;
  const rng = new Rng(seed);
  const K = spec.outputs;
  const labels = Int32Array.from({ length: rows }, () => Math.floor(rng.uniform() * K));
  const X = new Float64Array(rows * spec.inputs);
  for (let i = 0; i < rows; i++) {
    const k = labels[i] as number;
    for (let j = 0; j < spec.inputs; j++) {
      X[i * spec.inputs + j] = 0.5 * rng.uniform() + (j % K === k ? 0.5 : 0);
    }
  }
  const schedule = new MinibatchSchedule(rows, batchSize, seed);
  const orders = Array.from({ length: epochs }, () => Int32Array.from(schedule.shuffle()));
  return { X, Y: oneHot(labels, K), labels, init: initialParameters(spec, seed), orders };
}

/** One timed run's outcome: the final training loss, for the agreement check. */
interface Outcome {
  readonly ms: number;
  readonly loss: number;
}

interface MlpContender {
  readonly name: string;
  readonly precision: string;
  /** Prepares a trial (untimed) and returns its timed run. */
  prepare(p: Problem, cfg: MlpConfig): Promise<{ run(): Promise<Outcome>; dispose(): void }>;
}

function wdecay(name: string, make: () => Backend | Promise<Backend>): MlpContender {
  return {
    name: `wdecay ${name}`,
    precision: name === "cpu" ? "float64" : "float32",
    async prepare(p, cfg) {
      const backend = await make();
      const { spec, rows, batchSize, lr, lambda } = cfg;
      const infos = networkParameters(spec);
      const X = backend.upload(p.X, [rows, spec.inputs]);
      const Y = backend.upload(p.Y, [rows, spec.outputs]);
      const order = backend.zeros([rows, 1], "int32");
      const grouping = groupParameters(infos, { weightDecay: lambda });
      return {
        async run() {
          const params = infos.map((info, i) =>
            backend.upload(p.init[i] as Float64Array, info.shape),
          );
          const optimizer = createOptimizer(backend, {
            kind: "sgd",
            lr,
            weightDecay: 0,
            decay: "coupled",
            groups: grouping.groups.map((g) => ({
              params: g.indices.map((i) => params[i] as Tensor),
              weightDecay: g.weightDecay,
            })),
          });
          const start = performance.now();
          for (const epochOrder of p.orders) {
            backend.write(order, epochOrder);
            for (let offset = 0; offset < rows; offset += batchSize) {
              const count = Math.min(batchSize, rows - offset);
              const Xb = backend.gatherRows(X, order, offset, count);
              const Yb = backend.gatherRows(Y, order, offset, count);
              const { grads } = networkGradient(backend, spec, params, Xb, Yb);
              optimizer.step(grouping.groups.map((g) => g.indices.map((i) => grads[i] as Tensor)));
              for (const t of [Xb, Yb, ...grads]) backend.dispose(t);
            }
          }
          const values = await Promise.all(params.map((t) => backend.read(t)));
          const ms = performance.now() - start;
          optimizer.dispose();
          for (const t of params) backend.dispose(t);
          return { ms, loss: hostLoss(cfg, p, values) };
        },
        dispose() {
          for (const t of [X, Y, order]) backend.dispose(t);
          backend.destroy();
        },
      };
    },
  };
}

/** The mean training loss of parameters read back, in float64 on the host. */
function hostLoss(cfg: MlpConfig, p: Problem, params: readonly ArrayLike<number>[]): number {
  const { rows, spec } = cfg;
  const widths = [spec.inputs, ...spec.hidden, spec.outputs];
  const K = spec.outputs;
  const Z = new Float64Array(rows * K);
  for (let i = 0; i < rows; i++) {
    let a: ArrayLike<number> = p.X.subarray(i * spec.inputs, (i + 1) * spec.inputs);
    for (let l = 0; l + 1 < widths.length; l++) {
      const fanIn = widths[l] as number;
      const units = widths[l + 1] as number;
      const W = params[2 * l] as ArrayLike<number>;
      const b = params[2 * l + 1] as ArrayLike<number>;
      const z = new Float64Array(units);
      for (let j = 0; j < units; j++) {
        let s = b[j] as number;
        for (let k = 0; k < fanIn; k++) s += (a[k] as number) * (W[k * units + j] as number);
        z[j] = l + 2 < widths.length ? Math.max(s, 0) : s;
      }
      a = z;
    }
    Z.set(a, i * K);
  }
  return scoreOutputs("softmax", Z, p.Y, rows, K).loss;
}

function tfjs(backendName: "wasm" | "cpu"): MlpContender {
  return {
    name: `tfjs-${backendName}`,
    precision: "float32",
    async prepare(p, cfg) {
      await tf.setBackend(backendName);
      await tf.ready();
      const { spec, rows, batchSize, lr, lambda } = cfg;
      const X = tf.tensor2d(Float32Array.from(p.X), [rows, spec.inputs]);
      const Y = tf.tensor2d(Float32Array.from(p.Y), [rows, spec.outputs]);
      const orders = p.orders.map((o) => tf.tensor1d(o, "int32"));
      return {
        async run() {
          await tf.setBackend(backendName);
          const infos = networkParameters(spec);
          const vars = infos.map((info, i) =>
            tf.variable(tf.tensor2d(Float32Array.from(p.init[i] as Float64Array), [...info.shape])),
          );
          const weights = vars.filter((_, i) => i % 2 === 0);
          const optimizer = tf.train.sgd(lr);
          const start = performance.now();
          for (const order of orders) {
            for (let offset = 0; offset < rows; offset += batchSize) {
              const count = Math.min(batchSize, rows - offset);
              tf.tidy(() => {
                const idx = tf.slice(order, [offset], [count]);
                const xb = tf.gather(X, idx);
                const yb = tf.gather(Y, idx);
                optimizer.minimize(() => {
                  let a: tf.Tensor = xb;
                  for (let l = 0; l < vars.length / 2; l++) {
                    const z = tf.add(
                      tf.matMul(a, vars[2 * l] as tf.Variable),
                      vars[2 * l + 1] as tf.Variable,
                    );
                    a = 2 * l + 2 < vars.length ? tf.relu(z) : z;
                  }
                  const data = tf.losses.softmaxCrossEntropy(yb, a) as tf.Scalar;
                  const penalty = tf.mul(
                    lambda / 2,
                    tf.addN(weights.map((w) => tf.sum(tf.square(w)))),
                  );
                  return tf.add(data, penalty) as tf.Scalar;
                });
              });
            }
          }
          const values = await Promise.all(vars.map((v) => v.data()));
          const ms = performance.now() - start;
          optimizer.dispose();
          tf.dispose(vars);
          return { ms, loss: hostLoss(cfg, p, values as Float32Array[]) };
        },
        dispose() {
          tf.dispose([X, Y, ...orders]);
        },
      };
    },
  };
}

/**
 * jax-js: arrays are reference counted and every function takes ownership of its arguments, so
 * a value used twice is passed as `x.ref` the first time (jax-js' README, "Reference counting").
 */
function jaxjs(device: "wasm" | "cpu"): MlpContender {
  return {
    name: `jax-js-${device}`,
    precision: "float32",
    async prepare(p, cfg) {
      const { numpy: np, nn, grad, jit, tree } = jax;
      await jax.init(device);
      jax.defaultDevice(device);
      const { spec, rows, batchSize, lr, lambda } = cfg;
      /** Each layer's weight and bias, in order. */
      type Params = jax.Array[];
      const layers = spec.hidden.length + 1;
      const loss = (q: Params, x: jax.Array, y: jax.Array, count: number) => {
        let a = x;
        for (let l = 0; l < layers; l++) {
          const z = np.matmul(a, (q[2 * l] as jax.Array).ref).add(q[2 * l + 1] as jax.Array);
          a = l + 1 < layers ? nn.relu(z) : z;
        }
        const data = nn.logSoftmax(a, -1).mul(y).sum().neg().div(count);
        let squares = np.square(q[0] as jax.Array).sum();
        for (let l = 1; l < layers; l++)
          squares = squares.add(np.square(q[2 * l] as jax.Array).sum());
        return data.add(squares.mul(lambda / 2));
      };
      // One compiled step per batch size (the last batch may be smaller).
      const steps = new Map<number, (q: Params, x: jax.Array, y: jax.Array) => Params>();
      const stepFor = (count: number) => {
        let f = steps.get(count);
        if (!f) {
          f = jit((q: Params, x: jax.Array, y: jax.Array) => {
            const g = grad((r: Params) => loss(r, x, y, count))(tree.ref(q));
            return tree.map((w: jax.Array, gw: jax.Array) => w.sub(gw.mul(lr)), q, g) as Params;
          }) as unknown as (q: Params, x: jax.Array, y: jax.Array) => Params;
          steps.set(count, f);
        }
        return f;
      };
      return {
        async run() {
          jax.defaultDevice(device);
          let q: Params = p.init.map((v, i) => {
            const shape = networkParameters(spec)[i]?.shape as readonly [number, number];
            const a = np.array(Float32Array.from(v));
            return i % 2 === 0 ? a.reshape([shape[0], shape[1]]) : a;
          });
          const start = performance.now();
          for (const epochOrder of p.orders) {
            for (let offset = 0; offset < rows; offset += batchSize) {
              const count = Math.min(batchSize, rows - offset);
              // The batch from the host arrays: faster for jax-js than np.take from arrays
              // resident on its device (7.3 s against 8.4 s on the mlp workload).
              const hx = new Float32Array(count * spec.inputs);
              const hy = new Float32Array(count * spec.outputs);
              for (let t = 0; t < count; t++) {
                const r = epochOrder[offset + t] as number;
                hx.set(p.X.subarray(r * spec.inputs, (r + 1) * spec.inputs), t * spec.inputs);
                hy.set(p.Y.subarray(r * spec.outputs, (r + 1) * spec.outputs), t * spec.outputs);
              }
              const xb = np.array(hx).reshape([count, spec.inputs]);
              const yb = np.array(hy).reshape([count, spec.outputs]);
              q = stepFor(count)(q, xb, yb);
            }
          }
          const values = await Promise.all(q.map((a) => a.data()));
          const ms = performance.now() - start;
          return { ms, loss: hostLoss(cfg, p, values as Float32Array[]) };
        },
        dispose() {},
      };
    },
  };
}

/** wasm's time on its threads against its one-thread time, with issue 17's goal (≤ 0.6×) on mlp. */
function threadsLine(rows: readonly { name: string; ms: number[] }[], withGoal: boolean): string[] {
  const threaded = rows.find((r) => r.name === "wdecay wasm");
  const single = rows.find((r) => r.name === "wdecay wasm-1t");
  if (!threaded || !single) return [];
  const x = summarize(threaded.ms).median / summarize(single.ms).median;
  const { threads } = threadSupport();
  const verdict = x <= THREADS_GOAL ? "goal met" : "**goal not met**";
  const goal = withGoal ? `: ${verdict} (≤ ${THREADS_GOAL}×)` : "";
  return [
    `Threads: wdecay wasm on ${threads} threads takes ${x.toFixed(2)}× its one-thread time (wasm-1t)${goal}.`,
    "",
  ];
}

/** Runs every contender and returns the markdown section. */
export async function runMlp(
  progress: (line: string) => void,
  runs: number = MLP_RUNS,
  cfg: MlpConfig = MLP,
  only?: readonly string[],
): Promise<string> {
  if (cfg.spec.loss !== "softmax") {
    throw new RangeError("the network workloads have a softmax head");
  }
  const p = problem(cfg);
  const all = [
    wdecay("wasm", () => createWasmBackend()),
    wdecay("wasm-1t", () => createWasmBackend({ threads: 1 })),
    wdecay("cpu", () => createCpuBackend()),
    wdecay("cpu-f32", () => createCpuBackend({ precision: "float32" })),
    tfjs("wasm"),
    tfjs("cpu"),
    jaxjs("wasm"),
  ];
  const contenders = all.filter(
    (c) => only === undefined || only.some((o) => c.name === o || c.name === `wdecay ${o}`),
  );
  const rows: { name: string; precision: string; ms: number[]; loss: number }[] = [];
  for (const c of contenders) {
    progress(`${cfg.spec.hidden.length > 0 ? "mlp" : "logistic"}: ${c.name}`);
    const trial = await c.prepare(p, cfg);
    try {
      for (let k = 0; k < cfg.warmup; k++) await trial.run();
      const outcomes: Outcome[] = [];
      for (let k = 0; k < runs; k++) outcomes.push(await trial.run());
      rows.push({
        name: c.name,
        precision: c.precision,
        ms: outcomes.map((o) => o.ms),
        loss: outcomes[0]?.loss ?? Number.NaN,
      });
    } finally {
      trial.dispose();
    }
  }
  const tfjsRow = rows.find((r) => r.name === "tfjs-wasm");
  const tfjsWasm = tfjsRow ? summarize(tfjsRow.ms).median : Number.NaN;
  const reference = rows.find((r) => r.name === "wdecay cpu")?.loss ?? Number.NaN;
  const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
  const steps = cfg.epochs * Math.ceil(cfg.rows / cfg.batchSize);
  const { spec } = cfg;
  return [
    `### ${spec.hidden.length > 0 ? "mlp" : "logistic"}: ${[spec.inputs, ...spec.hidden, spec.outputs].join(" → ")} (${spec.hidden.length > 0 ? "ReLU, " : ""}softmax), ${cfg.rows} rows, batch ${cfg.batchSize}, ${steps} SGD steps, λ ${cfg.lambda} on the weight matrices`,
    "",
    `Steps and the final read, median of ${runs} runs after ${cfg.warmup} warm-up; the final training loss (float64, on the host) against wdecay cpu's.`,
    "",
    "| contender | precision | median | range | ÷ tfjs-wasm | final loss | rel. diff |",
    "|---|---|---:|---:|---:|---:|---:|",
    ...rows.map((r) => {
      const m = summarize(r.ms).median;
      const diff = Math.abs(r.loss - reference) / reference;
      const vsTfjs = Number.isFinite(tfjsWasm) ? (m / tfjsWasm).toFixed(2) : "–";
      const rel = Number.isFinite(diff) ? diff.toExponential(1) : "–";
      return `| ${r.name} | ${r.precision} | ${fmt(m)} | ${fmt(Math.min(...r.ms))}–${fmt(Math.max(...r.ms))} | ${vsTfjs} | ${r.loss.toFixed(6)} | ${rel} |`;
    }),
    "",
    // Issue 17's goal is on mlp only.
    ...threadsLine(rows, spec.hidden.length > 0),
  ].join("\n");
}
